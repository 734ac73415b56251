"""Dashboard sign-in: server-side sessions, the failed-login throttle, and an append-only audit log.

Reviewed by hand after autogenerate.

- auth_sessions: one row per signed-in browser; only a SHA-256 hash of the cookie token is kept,
  with the absolute expiry; revoked rows stay (revoked_at, revoked_reason) so a stolen cookie of a
  logged-out session is refused rather than unknown. Deleting a user deletes their sessions.
- login_throttles: recent failed sign-ins per lower-cased email, so a lockout is counted in the
  database and a new browser tab cannot reset it; unknown emails are throttled the same way. Like
  every table with updated_at, it gets the set_updated_at() trigger of revision 0001.
- audit_logs becomes append-only: a row trigger refuses UPDATE and DELETE, a statement trigger
  refuses TRUNCATE. Dropping the table (downgrade, `healthdash db reset`) is still possible for the
  database owner, which is where retention decisions belong.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE_AUDIT_CHANGE = """
CREATE FUNCTION refuse_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column(
            "recent_failures",
            sa.ARRAY(postgresql.TIMESTAMP(timezone=True)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("locked_until", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("revoked_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_auth_sessions_user_id_revoked_at"), "auth_sessions", ["user_id", "revoked_at"], unique=False
    )

    op.execute(
        "CREATE TRIGGER trg_login_throttles_updated_at BEFORE UPDATE ON login_throttles "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )

    op.execute(REFUSE_AUDIT_CHANGE)
    op.execute(
        "CREATE TRIGGER trg_audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs "
        "FOR EACH ROW EXECUTE FUNCTION refuse_audit_log_change()"
    )
    op.execute(
        "CREATE TRIGGER trg_audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_log_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_audit_logs_no_truncate ON audit_logs")
    op.execute("DROP TRIGGER IF EXISTS trg_audit_logs_append_only ON audit_logs")
    op.execute("DROP FUNCTION IF EXISTS refuse_audit_log_change()")
    op.execute("DROP TRIGGER IF EXISTS trg_login_throttles_updated_at ON login_throttles")
    op.drop_index(op.f("ix_auth_sessions_user_id_revoked_at"), table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_table("login_throttles")
