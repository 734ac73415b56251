"""Row-level security by hospital: the backstop behind every service's own scope filter.

Reviewed by hand. The dashboard's services filter every query by the acting user's hospital; a
service that forgot to would show another hospital's rows. With these policies the database
refuses them too. Each unit of work of the dashboard starts with

    SELECT set_config('healthdash.scope', <hospital id, or '*' for the whole network>, true)

(transaction-local: it ends with the transaction, so a pooled connection never carries one user's
scope into the next). The policies fail closed: a transaction that set no scope sees no row of
these tables, and cannot write one.

- `healthdash_scope_allows(hospital_id)`: true for every row in network scope ('*'); for a
  hospital's scope, its own rows only; false when no scope is set. Rows with no hospital
  (a NULL hospital_id) are network-level: network scope only.
- RLS enabled and forced (the table owner is held to it too) on the tables that hold a hospital's
  operations and money: hospital_resources, hospital_patients, patient_waitlist,
  hospital_financial_data, hospital_compliance_tracking, analytics_data, appointments,
  emergency_requests. One policy each, for reads and writes alike.

- `healthdash_network_bed_totals()`: the network's beds in use and usable, the one aggregate a
  hospital compares itself with (its occupancy against the network's); it returns sums, no rows.

Roles with BYPASSRLS (the migrating owner, the embedded server's superuser, the platform's own
backend if it connects as one) are not affected; the dashboard's login role has no BYPASSRLS
(db/roles.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPED_TABLES = (
    "hospital_resources",
    "hospital_patients",
    "patient_waitlist",
    "hospital_financial_data",
    "hospital_compliance_tracking",
    "analytics_data",
    "appointments",
    "emergency_requests",
)
POLICY = "hospital_scope"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION healthdash_scope_allows(row_hospital_id text) RETURNS boolean
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE coalesce(current_setting('healthdash.scope', true), '')
                WHEN '' THEN false
                WHEN '*' THEN true
                ELSE row_hospital_id IS NOT NULL AND row_hospital_id = current_setting('healthdash.scope', true)
            END
        $$
        """
    )
    op.execute(
        "COMMENT ON FUNCTION healthdash_scope_allows(text) IS "
        "'Row-level security: the transaction''s healthdash.scope (a hospital id, or * for the network) allows "
        "a row of that hospital; no scope allows nothing.'"
    )
    # The one figure a hospital compares itself with across the network: an aggregate, no rows.
    # SECURITY DEFINER runs it as the migrating owner, whom the policies do not hold (BYPASSRLS).
    op.execute(
        """
        CREATE FUNCTION healthdash_network_bed_totals(OUT in_use bigint, OUT usable bigint)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT coalesce(sum(r.in_use_quantity), 0), coalesce(sum(r.total_quantity - r.maintenance_quantity), 0)
            FROM hospital_resources r JOIN hospitals h ON h.id = r.hospital_id
            WHERE r.category = 'beds' AND h.is_active
        $$
        """
    )
    for table in SCOPED_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} "
            "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
        )


def downgrade() -> None:
    for table in SCOPED_TABLES:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS healthdash_network_bed_totals()")
    op.execute("DROP FUNCTION IF EXISTS healthdash_scope_allows(text)")
