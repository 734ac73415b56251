"""NHIA and HMO claims, their payment or denial (issue 24, part 3).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the document's
`hospital_financial_data` books what NHIA and the HMOs paid as two revenue categories ("nhia_capitation",
"hmo_claims") by fiscal month, with no place for the claims behind them: who was treated, what was billed, when
it was submitted, paid or denied and why. Without them nobody can say what the payers still owe, how old it is,
how long each payer takes to pay or how often it refuses. This adds:

- `claims`: one row per claim a hospital bills to a payer: payer_kind (nhia, hmo; CHECK) and payer_name (NHIA,
  or the HMO: Hygeia, AXA Mansard, Reliance, Leadway...; CHECK an NHIA claim names NHIA), claim_number (the
  hospital's reference on the claim form; UNIQUE per hospital), patient_id (users.id, SET NULL when the account
  is deleted: the claim is a financial record that outlives it), service_date, amount_billed (> 0), then the
  claim's life: submitted_at, paid_at with amount_paid (> 0, at most what was billed: payers often pay less),
  denied_at with denial_reason (from a fixed list, CHECK). created_by is a plain user id, like the audit trail's.

Its status is derived, never stored (not submitted, open, paid, denied), and the CHECKs keep the columns it is
derived from consistent: paid and denied exclude each other; each comes with its amount or its reason and only
after a submission, never before it; a submission is not before the service date. A claim is open while it is
submitted and neither paid nor denied; its age (for the 0-30, 31-60, 61-90 and 90+ day buckets) counts from its
submission. Indexes: the open claims by submission (the ageing), claims by hospital and payment (days to pay and
the tie with the ledger), by patient (the foreign key).

Row-level security (as migration 0020): enabled AND forced under policy `hospital_scope`, USING and WITH CHECK
`healthdash_scope_allows(hospital_id)`. updated_at is kept by set_updated_at() (revision 0001). The dashboard's
role may read, add and update claims, never delete them (db/roles.py).

The downgrade drops the table (its policy, trigger and indexes go with it).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
DENIAL_REASONS = (
    "not_covered", "no_authorisation", "enrollee_not_eligible", "duplicate", "incomplete_documents",
    "late_submission", "tariff_exceeded",
)  # fmt: skip
OPEN = "submitted_at IS NOT NULL AND paid_at IS NULL AND denied_at IS NULL"


def _now(name: str) -> sa.Column:
    return sa.Column(name, TIMESTAMP, server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    reasons = ", ".join(f"'{r}'" for r in DENIAL_REASONS)
    op.create_table(
        "claims",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("payer_kind", sa.Text(), nullable=False),
        sa.Column("payer_name", sa.Text(), nullable=False),
        sa.Column("claim_number", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("amount_billed", sa.Numeric(14, 2), nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("paid_at", TIMESTAMP, nullable=True),
        sa.Column("amount_paid", sa.Numeric(14, 2), nullable=True),
        sa.Column("denied_at", TIMESTAMP, nullable=True),
        sa.Column("denial_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint("payer_kind IN ('nhia', 'hmo')", name=op.f("ck_claims_payer_kind")),
        sa.CheckConstraint("payer_kind <> 'nhia' OR payer_name = 'NHIA'", name=op.f("ck_claims_nhia_named")),
        sa.CheckConstraint("length(btrim(payer_name)) BETWEEN 1 AND 120", name=op.f("ck_claims_payer_name_length")),
        sa.CheckConstraint("amount_billed > 0", name=op.f("ck_claims_amount_billed_positive")),
        sa.CheckConstraint(
            "(paid_at IS NULL) = (amount_paid IS NULL) AND (amount_paid IS NULL OR "
            "(amount_paid > 0 AND amount_paid <= amount_billed))",
            name=op.f("ck_claims_paid_amount"),
        ),
        sa.CheckConstraint(
            f"(denied_at IS NULL) = (denial_reason IS NULL) AND (denial_reason IS NULL OR denial_reason IN ({reasons}))",
            name=op.f("ck_claims_denial_reason"),
        ),
        sa.CheckConstraint("paid_at IS NULL OR denied_at IS NULL", name=op.f("ck_claims_paid_or_denied")),
        sa.CheckConstraint(
            "coalesce(paid_at, denied_at) IS NULL OR coalesce(paid_at, denied_at) >= submitted_at",
            name=op.f("ck_claims_decided_after_submission"),
        ),
        sa.CheckConstraint(
            "submitted_at IS NULL OR (submitted_at AT TIME ZONE 'Africa/Lagos')::date >= service_date",
            name=op.f("ck_claims_submitted_after_service"),
        ),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_claims_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_claims_patient_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("hospital_id", "claim_number", name=op.f("uq_claims_hospital_id_claim_number")),
    )
    op.create_index(op.f("ix_claims_hospital_id_paid_at"), "claims", ["hospital_id", "paid_at"])
    op.create_index(op.f("ix_claims_patient_id"), "claims", ["patient_id"])
    op.create_index("ix_claims_open_submitted_at", "claims", ["submitted_at"], postgresql_where=sa.text(OPEN))
    op.execute(
        "CREATE TRIGGER trg_claims_updated_at BEFORE UPDATE ON claims FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute("ALTER TABLE claims ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE claims FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY hospital_scope ON claims "
        "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
    )


def downgrade() -> None:
    op.drop_table("claims")  # its indexes, trigger, policy and row-level security go with it
