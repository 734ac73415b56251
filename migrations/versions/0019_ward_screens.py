"""Ward screens: devices that may open only the ward TV view (issue 23, part 6).

Reviewed by hand. An addition beyond the document (ERRATA "Additions beyond the document"): a wall screen in
a ward or at the emergency desk shows its hospital's live figures without anyone signing in on it, so the
screen itself needs a credential an administrator can hand out and take back. This adds:

- `ward_screens`: one row per paired screen. `hospital_id` (a foreign key to hospitals) is the hospital it
  shows; `department` narrows its waiting figures to one department (NULL: the whole hospital); `name` says
  where it hangs. `key_hash` is the SHA-256 (hex) of the screen's secret, which is shown once in the pairing
  link and never stored (unique, so a screen is found by its hash too). `created_by` and `revoked_by` are
  plain user ids, like `referrals.referred_by`, so the record outlives the accounts. `last_seen_at` is when
  the screen last showed its view (touched at most once a minute); `revoked_at`: the screen is disconnected
  and shows its view no more. CHECKs: a name of 1 to 80 characters, a non-blank department when given,
  a 64-character hash, and a revoked screen says by whom.
- index `ix_ward_screens_hospital_id_created_at`: Users & roles lists a hospital's screens, newest first.

Row-level security, enabled and forced like 0005/0013, by `healthdash_scope_allows(hospital_id)` for reads
and writes (`hospital_scope`). Two narrow policies let a screen check itself before any scope exists (as
sign-in reads `profiles` with no scope, 0013): with no `healthdash.scope` at all a transaction may read a
screen (`device_check`, SELECT) and note that it was seen (`device_seen`, UPDATE; the app role's grant
covers only last_seen_at, revoked_at and revoked_by, db/roles.py). No scope can insert one.

Downgrade drops the table (the screens are unpaired).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
NO_SCOPE = "coalesce(current_setting('healthdash.scope', true), '') = ''"


def upgrade() -> None:
    op.create_table(
        "ward_screens",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.CheckConstraint("length(btrim(name)) BETWEEN 1 AND 80", name=op.f("ck_ward_screens_named")),
        sa.CheckConstraint(
            "department IS NULL OR length(btrim(department)) > 0", name=op.f("ck_ward_screens_department_named")
        ),
        sa.CheckConstraint("length(key_hash) = 64", name=op.f("ck_ward_screens_key_hash_is_sha256")),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by IS NULL)", name=op.f("ck_ward_screens_revoked_by_someone")
        ),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_ward_screens_hospital_id_hospitals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_screens")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_ward_screens_key_hash")),
    )
    op.create_index(op.f("ix_ward_screens_hospital_id_created_at"), "ward_screens", ["hospital_id", "created_at"])
    op.execute("ALTER TABLE ward_screens ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE ward_screens FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY hospital_scope ON ward_screens "
        "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
    )
    op.execute(f"CREATE POLICY device_check ON ward_screens FOR SELECT USING ({NO_SCOPE})")
    op.execute(f"CREATE POLICY device_seen ON ward_screens FOR UPDATE USING ({NO_SCOPE}) WITH CHECK ({NO_SCOPE})")


def downgrade() -> None:
    op.drop_table("ward_screens")
