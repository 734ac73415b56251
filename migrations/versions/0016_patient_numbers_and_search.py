"""Hospital numbers, phone search and trigram name search for patients (issue 23, part 2).

Reserved in the chain so each piece of work fills its own migration; until filled it changes nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
