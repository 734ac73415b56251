"""Annual budgets per hospital, fiscal year and ledger category, held month by month (issue 24, part 2).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the document's
`hospital_financial_data` holds what was booked, with no place for what a hospital planned to earn and spend,
so Financials could not say which category runs over its budget. This adds one table:

- `hospital_budgets`: one row per hospital, fiscal month ("YYYY-MM", the ledger's own key and CHECK, so a
  budget month joins the ledger's month by equality), kind (transaction_type: revenue or expense, CHECK, as the
  ledger) and category (the ledger's category words, lower case with underscores: CHECK on the shape; the
  dashboard checks the word against the network's list of categories). amount NUMERIC(14,2) in naira with kobo,
  like the ledger's (CHECK amount >= 0). entered_as (CHECK 'annual' or 'monthly') says how the year was given:
  an annual figure split in even twelfths (the kobo left over in December, so the twelve add up to the year to
  the kobo) or twelve figures month by month. created_by / updated_by hold a plain user id, like the audit
  trail's. UNIQUE uq_hospital_budgets_line (hospital_id, fiscal_month, transaction_type, category): one budget
  line per month (the convention's name would pass PostgreSQL's 63 characters), so an
  import or a new entry replaces a year's line rather than adding a second one. Index on (hospital_id,
  fiscal_month) for a year's comparison with the ledger.

Why the month is stored and not only the year: the comparison with the ledger is by month (and a month still
running by the share of its days), and a hospital that knows its seasons (the malaria months, December) gives
twelve figures; a plain annual figure is kept as twelve even parts, so every reader sums the same rows.

Row-level security (as migrations 0005, 0013 and 0020): enabled AND forced under policy `hospital_scope`, USING
and WITH CHECK `healthdash_scope_allows(hospital_id)`: a hospital's scope reads and writes its own budgets, the
network scope ('*') all, no scope none. Roles with BYPASSRLS (the owner, the demo loader) are not affected.
updated_at is kept by set_updated_at() (revision 0001).

The downgrade drops the table (its policy, index and trigger go with it).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
TABLE = "hospital_budgets"


def _now(name: str) -> sa.Column:
    return sa.Column(name, TIMESTAMP, server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("fiscal_month", sa.Text(), nullable=False),
        sa.Column("transaction_type", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("entered_as", sa.Text(), server_default="annual", nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Text(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(
            "fiscal_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name=op.f("ck_hospital_budgets_fiscal_month_yyyy_mm")
        ),
        sa.CheckConstraint(
            "transaction_type IN ('revenue', 'expense')", name=op.f("ck_hospital_budgets_transaction_type")
        ),
        sa.CheckConstraint("category ~ '^[a-z][a-z0-9_]{0,59}$'", name=op.f("ck_hospital_budgets_category_word")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_hospital_budgets_amount_non_negative")),
        sa.CheckConstraint("entered_as IN ('annual', 'monthly')", name=op.f("ck_hospital_budgets_entered_as")),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_hospital_budgets_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_budgets")),
        sa.UniqueConstraint(
            "hospital_id",
            "fiscal_month",
            "transaction_type",
            "category",
            name=op.f("uq_hospital_budgets_line"),
        ),
    )
    op.create_index(op.f("ix_hospital_budgets_hospital_id_fiscal_month"), TABLE, ["hospital_id", "fiscal_month"])
    op.execute(
        f"CREATE TRIGGER trg_{TABLE}_updated_at BEFORE UPDATE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY hospital_scope ON {TABLE} "
        "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its index, trigger, policy and row-level security go with it
