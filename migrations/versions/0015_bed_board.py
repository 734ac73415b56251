"""Beds as individual rows with a state (issue 23, part 1): filled by the bed board's work.

Reserved in the chain so each piece of work fills its own migration; until filled it changes nothing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
