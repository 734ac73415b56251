"""What the pages read at network scale (issue 21): appointments by date across hospitals.

Reviewed by hand. At scale 50 the Appointments list of a network administrator sorted the 254,000 appointments of
its 90-day range (on disk, 0.97 s) to show 25: its order (upcoming first from now, then past, latest first) was
read from no index across hospitals. The list now walks `ix_appointments_appointment_date` away from now on each
side for the Lagos days the page can reach (dashboard/domains/appointments/appointment_list.py). A plain column,
not the Lagos day: under row-level security a condition through timezone() (not leakproof) cannot use an index.
The downgrade drops it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appointments_appointment_date", "appointments", ["appointment_date"])


def downgrade() -> None:
    op.drop_index("ix_appointments_appointment_date", table_name="appointments")
