"""What the pages read at network scale (issue 21): appointments by date across hospitals; the wallets' last check.

Reviewed by hand. At scale 50 the Appointments list of a network administrator sorted the 254,000 appointments of
its 90-day range (on disk, 0.97 s) to show 25: its order (upcoming first from now, then past, latest first) was
read from no index across hospitals. The list now walks `ix_appointments_appointment_date` away from now on each
side for the Lagos days the page can reach (dashboard/domains/appointments/appointment_list.py). A plain column,
not the Lagos day: under row-level security a condition through timezone() (not leakproof) cannot use an index.

`wallet_check_runs` keeps what each check of the patients' wallets found (`healthdash db reconcile` on its schedule,
or the page's Check now): the Financials page shows the last one instead of replaying the ledger in its render (at
scale 50 that replay and the balance comparison cost 0.4-6 s per visit). Network-level rows, like the wallets
themselves: no hospital, no row-level security; the app may read and append, never change one.

The downgrade drops both.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appointments_appointment_date", "appointments", ["appointment_date"])
    op.create_table(
        "wallet_check_runs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("full", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("wallets", sa.Integer(), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("problems", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("run_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "wallets >= 0 AND transactions >= 0 AND problem_count >= 0",
            name=op.f("ck_wallet_check_runs_counts_non_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_check_runs")),
    )
    op.create_index(op.f("ix_wallet_check_runs_checked_at"), "wallet_check_runs", ["checked_at"])


def downgrade() -> None:
    op.drop_table("wallet_check_runs")
    op.drop_index("ix_appointments_appointment_date", table_name="appointments")
