"""Peers: each hospital's facility type, so its figures can be set beside those of hospitals like it (issue 24, part 6).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): an executive asks who
lags hospitals of its own kind and size, not only who is smallest, and the document records nothing that says
what kind of facility a hospital is. This adds one column:

- `hospitals.facility_type`: teaching, federal_medical_centre, general, specialist or private_clinic (a CHECK
  lists them), nullable, with no default: a client that does not know it keeps working, and a hospital whose
  type nobody has recorded is left out of the peer comparison (the Peers page says how many are) rather than
  guessed.

A hospital's size is not stored: its band (under 50 beds, 50-149, 150-399, 400 and more) follows its beds as
the Resources page counts them (dashboard/domains/overview/peers.py), so it cannot drift from that count. No
new table, so no new row-level security policy: hospitals are readable by every scope, as before.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACILITY_TYPES = ("teaching", "federal_medical_centre", "general", "specialist", "private_clinic")


def upgrade() -> None:
    op.add_column("hospitals", sa.Column("facility_type", sa.Text(), nullable=True))
    allowed = ", ".join(f"'{t}'" for t in FACILITY_TYPES)
    op.create_check_constraint(op.f("ck_hospitals_facility_type"), "hospitals", f"facility_type IN ({allowed})")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_hospitals_facility_type"), "hospitals", type_="check")
    op.drop_column("hospitals", "facility_type")
