"""calculate_distance returns NULL when a coordinate is NULL.

Reviewed by hand. Revision 0001 clamped the haversine's asin argument with least(1.0, ...), and
least() skips NULLs: a hospital without coordinates came out at asin(1), half the earth (20,015 km)
away, instead of unknown. The document's plpgsql version returned NULL for a NULL input; STRICT
restores that without touching the formula, the name, the arguments or the unit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "calculate_distance(DECIMAL, DECIMAL, DECIMAL, DECIMAL)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {SIGNATURE} STRICT")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {SIGNATURE} CALLED ON NULL INPUT")
