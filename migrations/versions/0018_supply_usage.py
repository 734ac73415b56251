"""Supply usage history for burn rates (issue 23, part 4): `resource_stock_movements`.

Reviewed by hand. An addition beyond the document (ERRATA "Additions beyond the document"): a hospital
resource holds today's counts only, so nothing says how fast a consumable (medication, blood, oxygen,
supplies) is being used or when it runs out. This adds one table, only ever appended to:

- `resource_stock_movements`: one row per change of a consumable's stock. `kind` is text with a CHECK
  (usage, delivery, count: a count changed by hand on the Resources page), `used_quantity` and
  `received_quantity` (non-negative) say what moved, `stock_after` the available count it left (so the
  history can be drawn without replaying it), `recorded_at` when (default now()), `recorded_by` a plain
  user id like the audit trail's (the history outlives the account; NULL for imported history), `note`
  free text. Foreign keys to `hospital_resources.id` and `hospitals.id`.
  - `ix_resource_stock_movements_resource_id_recorded_at`: a resource's recent history (burn rate over
    the last 28 days, its first record, its chart).
  - `ix_resource_stock_movements_hospital_id_recorded_at`: a hospital's history (and its foreign key).
- Row-level security, enabled and forced like migration 0005's tables: policy `hospital_scope`
  (`healthdash_scope_allows(hospital_id)`) for reads and writes. With no scope nothing is visible.

The app role may SELECT and INSERT (db/roles.py); no UPDATE or DELETE: history is not rewritten.
The downgrade drops the table (the history recorded is lost).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "resource_stock_movements"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("used_quantity", sa.Integer(), nullable=False),
        sa.Column("received_quantity", sa.Integer(), nullable=False),
        sa.Column("stock_after", sa.Integer(), nullable=False),
        sa.Column("recorded_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('usage', 'delivery', 'count')", name=op.f("ck_resource_stock_movements_kind")),
        sa.CheckConstraint(
            "used_quantity >= 0 AND received_quantity >= 0 AND stock_after >= 0",
            name=op.f("ck_resource_stock_movements_quantities_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["hospital_resources.id"],
            name=op.f("fk_resource_stock_movements_resource_id_hospital_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_resource_stock_movements_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_stock_movements")),
    )
    op.create_index(op.f("ix_resource_stock_movements_resource_id_recorded_at"), TABLE, ["resource_id", "recorded_at"])
    op.create_index(op.f("ix_resource_stock_movements_hospital_id_recorded_at"), TABLE, ["hospital_id", "recorded_at"])
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY hospital_scope ON {TABLE} USING (healthdash_scope_allows(hospital_id)) "
        "WITH CHECK (healthdash_scope_allows(hospital_id))"
    )


def downgrade() -> None:
    op.execute(f"DROP POLICY hospital_scope ON {TABLE}")
    op.drop_index(op.f("ix_resource_stock_movements_hospital_id_recorded_at"), table_name=TABLE)
    op.drop_index(op.f("ix_resource_stock_movements_resource_id_recorded_at"), table_name=TABLE)
    op.drop_table(TABLE)
