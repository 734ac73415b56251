"""Row-level security on the remaining tables that hold one hospital's rows: ambulances, staff profiles, the audit trail.

Reviewed by hand. Issue 19, point 10. Migration 0005 put the hospital-scoped operations tables under
row-level security; three more tables hold one hospital's rows and were still read in full by any query of the
dashboard's role that forgot its filter. The same rule, `healthdash_scope_allows(hospital_id)` (the
transaction's `healthdash.scope`, a hospital id or * for the network), now holds them too, enabled and forced:

- `ambulance_requests`, by `assigned_hospital_id`: policy `hospital_scope` for reads and writes. An ambulance
  no hospital was assigned is network-level (network scope only).
- `profiles`, where scoped: policy `hospital_scope`. A profile with a hospital (a hospital's staff) is seen
  and written only in that hospital's scope or the network's; one without (patients, network staff) by every
  scope. A transaction with no scope at all sees every profile: that is sign-in and the per-run session check,
  which look an account up before anyone's scope exists (db/row_scope.py; the dashboard sets a scope first in
  every other unit of work).
- `audit_logs`, by `hospital_id`: policy `hospital_scope_read` (SELECT) lets a hospital's scope read its own
  rows and the network's scope every row; a transaction reads back the rows it wrote itself (dated by the
  database with this transaction's `now()`, migration 0012: what INSERT ... RETURNING needs). Policy
  `append` (INSERT) lets any scope append, since a refused attempt or a sign-in is recorded before or outside
  any scope; changes stay impossible (0002's triggers, and no UPDATE or DELETE for the app). Every partition
  (migration 0010) gets the same, through `healthdash_ensure_month_partitions`.

Roles with BYPASSRLS (the owner, which migrates, loads the demo and runs `healthdash db reconcile`) and
superusers are not affected. The downgrade drops the policies and switches row-level security off again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_SCOPE = "coalesce(current_setting('healthdash.scope', true), '') = ''"
POLICIES = {
    "ambulance_requests": [
        "CREATE POLICY hospital_scope ON ambulance_requests USING (healthdash_scope_allows(assigned_hospital_id)) "
        "WITH CHECK (healthdash_scope_allows(assigned_hospital_id))"
    ],
    "profiles": [
        f"CREATE POLICY hospital_scope ON profiles "
        f"USING (hospital_id IS NULL OR healthdash_scope_allows(hospital_id) OR {NO_SCOPE}) "
        f"WITH CHECK (hospital_id IS NULL OR healthdash_scope_allows(hospital_id) OR {NO_SCOPE})"
    ],
    "audit_logs": [
        "CREATE POLICY hospital_scope_read ON audit_logs FOR SELECT "
        "USING (healthdash_scope_allows(hospital_id) OR created_at = now())",
        "CREATE POLICY append ON audit_logs FOR INSERT WITH CHECK (true)",
    ],
}


def upgrade() -> None:
    for table, policies in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        for policy in policies:
            op.execute(policy)
    # Every month's partition of the trail gets the parent's row-level security and policies.
    op.execute(
        "SELECT healthdash_ensure_month_partitions('audit_logs', (now() AT TIME ZONE 'Africa/Lagos')::date, "
        "(now() AT TIME ZONE 'Africa/Lagos')::date)"
    )


def downgrade() -> None:
    partitions = (
        "SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'audit_logs'::regclass"
    )
    for table, policies in POLICIES.items():
        for policy in policies:
            name = policy.split()[2]
            op.execute(f"DROP POLICY {name} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        f"""DO $$ DECLARE part text; BEGIN
            FOR part IN {partitions} LOOP
                EXECUTE format('DROP POLICY IF EXISTS hospital_scope_read ON %s', part);
                EXECUTE format('DROP POLICY IF EXISTS append ON %s', part);
                EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', part);
                EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', part);
            END LOOP;
        END $$"""
    )
