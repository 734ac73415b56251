"""Ward screens: devices that may open only the ward TV view (issue 23, part 6).

Reserved in the chain so each piece of work fills its own migration; until filled it changes nothing.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
