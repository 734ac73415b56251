"""Summaries and indexes the pages read at network scale (issue 21): filled by the performance work.

Reserved in the chain so each piece of work fills its own migration; until filled it changes nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
