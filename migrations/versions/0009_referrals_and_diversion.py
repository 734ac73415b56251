"""Referrals between hospitals, and a hospital's diversion status (not accepting emergencies).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the
document's emergency_requests has one hospital and a status, with no place for the handshake that
referral rules require (the receiving hospital approves a transfer before the patient is moved),
and hospitals cannot say they are full. This adds:

- `referrals`: one row per referral of an emergency to a receiving hospital. Each step has its own
  time: referred_at, answered_at (accepted or declined, with a reason when declined), dispatched_at
  (an ambulance on its way, linked to the ambulance_requests row it made), arrived_at, closed_at,
  withdrawn_at (the dispatcher referred elsewhere). Status is text with a CHECK, as the document's
  status columns are. `referred_by` / `answered_by` are plain user ids, like the audit trail's, so
  the record outlives the accounts. `from_hospital_id` is the hospital that held the emergency when
  it was referred (NULL: the network's dispatch desk held it).
  - `uq_referrals_one_live_per_emergency`: a partial UNIQUE index on emergency_request_id WHERE the
    referral is live (pending, accepted, dispatched, arrived). Two dispatchers referring one patient
    at the same moment get one referral and one refusal, whatever the application checked first.
  - the updated_at trigger (set_updated_at, revision 0001), as every table with updated_at has.
- `hospitals.accepting_patients` (boolean, NOT NULL DEFAULT true), `diversion_reason`,
  `diversion_since`, `diversion_until` (nullable): diversion. A client that knows nothing of them
  leaves every hospital accepting. CHECK: a hospital not accepting says why.

Row-level security (revision 0005 holds every unit of work to its `healthdash.scope`):

- `referrals` is forced under RLS like the other hospital tables; a row is visible, and writable, to
  the network scope and to the scopes of the two hospitals it joins (receiving and referring). With no
  scope set it is invisible (healthdash_scope_allows is false for every row then).
- `emergency_requests` keeps its policy by hospital_id and gains two permissive ones:
  - `referred_to_scope` (SELECT): a row is also visible where a referral of it, visible to the scope
    (so to or from the scope's hospital), exists. A hospital reads the emergencies referred to it.
  - `accepted_by_scope` (UPDATE): a hospital whose scope holds an accepted, dispatched or arrived
    referral of the emergency may update it, and only to take it over: WITH CHECK requires the
    updated row's hospital_id to be the scope's own. Without a live referral nothing changes; without
    a scope nothing is visible. Fail closed as before.

Downgrade drops the policies, the table and the columns (the referrals and diversions recorded are lost).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "accepted", "declined", "withdrawn", "dispatched", "arrived", "closed")
LIVE = "status IN ('pending', 'accepted', 'dispatched', 'arrived')"
TIMESTAMP = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    op.add_column(
        "hospitals", sa.Column("accepting_patients", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.add_column("hospitals", sa.Column("diversion_reason", sa.Text(), nullable=True))
    op.add_column("hospitals", sa.Column("diversion_since", TIMESTAMP, nullable=True))
    op.add_column("hospitals", sa.Column("diversion_until", TIMESTAMP, nullable=True))
    op.create_check_constraint(
        op.f("ck_hospitals_diversion_has_reason"), "hospitals", "accepting_patients OR diversion_reason IS NOT NULL"
    )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("emergency_request_id", sa.Text(), nullable=False),
        sa.Column("from_hospital_id", sa.Text(), nullable=True),
        sa.Column("to_hospital_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("bed_type", sa.Text(), nullable=True),
        sa.Column("distance_km", sa.Numeric(8, 2), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("referred_by", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Text(), nullable=True),
        sa.Column("ambulance_request_id", sa.Text(), nullable=True),
        sa.Column("referred_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.Column("answered_at", TIMESTAMP, nullable=True),
        sa.Column("dispatched_at", TIMESTAMP, nullable=True),
        sa.Column("arrived_at", TIMESTAMP, nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("withdrawn_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name=op.f("ck_referrals_status")
        ),
        sa.CheckConstraint("distance_km IS NULL OR distance_km >= 0", name=op.f("ck_referrals_distance_non_negative")),
        sa.CheckConstraint(
            "status <> 'declined' OR decline_reason IS NOT NULL", name=op.f("ck_referrals_declined_with_reason")
        ),
        sa.CheckConstraint(
            "from_hospital_id IS NULL OR from_hospital_id <> to_hospital_id", name=op.f("ck_referrals_not_to_itself")
        ),
        sa.ForeignKeyConstraint(
            ["ambulance_request_id"],
            ["ambulance_requests.id"],
            name=op.f("fk_referrals_ambulance_request_id_ambulance_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["emergency_request_id"],
            ["emergency_requests.id"],
            name=op.f("fk_referrals_emergency_request_id_emergency_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["from_hospital_id"], ["hospitals.id"], name=op.f("fk_referrals_from_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(
            ["to_hospital_id"], ["hospitals.id"], name=op.f("fk_referrals_to_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(
        "uq_referrals_one_live_per_emergency",
        "referrals",
        ["emergency_request_id"],
        unique=True,
        postgresql_where=sa.text(LIVE),
    )
    op.create_index(op.f("ix_referrals_to_hospital_id_status"), "referrals", ["to_hospital_id", "status"])
    op.create_index(op.f("ix_referrals_from_hospital_id"), "referrals", ["from_hospital_id"])
    op.create_index(op.f("ix_referrals_ambulance_request_id"), "referrals", ["ambulance_request_id"])
    op.execute(
        "CREATE TRIGGER trg_referrals_updated_at BEFORE UPDATE ON referrals "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )

    op.execute("ALTER TABLE referrals ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE referrals FORCE ROW LEVEL SECURITY")
    both_ends = "healthdash_scope_allows(to_hospital_id) OR healthdash_scope_allows(from_hospital_id)"
    op.execute(f"CREATE POLICY hospital_scope ON referrals USING ({both_ends}) WITH CHECK ({both_ends})")
    op.execute(
        "CREATE POLICY referred_to_scope ON emergency_requests FOR SELECT USING ("
        "EXISTS (SELECT FROM referrals r WHERE r.emergency_request_id = emergency_requests.id))"
    )
    op.execute(
        "CREATE POLICY accepted_by_scope ON emergency_requests FOR UPDATE USING ("
        "EXISTS (SELECT FROM referrals r WHERE r.emergency_request_id = emergency_requests.id "
        "AND r.status IN ('accepted', 'dispatched', 'arrived') "
        "AND r.to_hospital_id = current_setting('healthdash.scope', true))) "
        "WITH CHECK (healthdash_scope_allows(hospital_id))"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS accepted_by_scope ON emergency_requests")
    op.execute("DROP POLICY IF EXISTS referred_to_scope ON emergency_requests")
    op.execute("DROP TRIGGER IF EXISTS trg_referrals_updated_at ON referrals")
    op.drop_index(op.f("ix_referrals_ambulance_request_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_from_hospital_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_to_hospital_id_status"), table_name="referrals")
    op.drop_index("uq_referrals_one_live_per_emergency", table_name="referrals")
    op.drop_table("referrals")  # its policy and RLS go with it
    op.drop_constraint(op.f("ck_hospitals_diversion_has_reason"), "hospitals", type_="check")
    op.drop_column("hospitals", "diversion_until")
    op.drop_column("hospitals", "diversion_since")
    op.drop_column("hospitals", "diversion_reason")
    op.drop_column("hospitals", "accepting_patients")
