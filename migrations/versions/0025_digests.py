"""Scheduled digests by email (issue 24, part 1).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the document has
notifications for the patients' and staff's apps but no place for a report sent on a schedule by email, nor
for a record of what was sent to whom. This adds:

- `digest_subscriptions`: a staff user's standing order for one digest: kind (board_report: the Financials
  board PDF; list_excel: an Excel of a list, list_key naming it and filters its validated filters as JSON;
  alerts_summary: the alerts in scope, in words; CHECKs), the scope it covers (hospital_id, NULL for the
  whole network), cadence (daily, weekly on weekday 0-6 Monday first, monthly on monthday 1-28, so every
  month has the day; CHECKs tie each to its cadence), send_time (Africa/Lagos wall-clock time, 'HH:MM' as
  physician_sessions keep theirs; CHECK), active, and
  who cancelled it and when (CHECK active = (cancelled_at IS NULL)). The dashboard's role may update only
  active, cancelled_at and cancelled_by (db/roles.py): a subscription's scope, kind and schedule never change
  after it is made, so the outbox's copy of its hospital stays true.
- `digest_outbox`: one row per digest due: the subscription, due_at, status (queued, sent, failed after the
  last attempt, withheld when the subscriber no longer may see that scope or kind: last_error says why),
  attempts, next_attempt_at (the retry's backoff), last_error, sent_at (CHECK set exactly when sent),
  recipient, subject, size_bytes. UNIQUE (subscription_id, due_at): a run, or two runs at once, queue a
  digest once, so it is never sent twice. hospital_id is the subscription's, copied when it is queued (a
  plain column, read by row-level security). The dashboard's role may update only the delivery columns.

Row-level security (as migration 0020): both tables are enabled AND forced under policy `hospital_scope`,
USING and WITH CHECK `healthdash_scope_allows(hospital_id)`: a hospital's scope reads its own digests; rows of
the whole network (hospital_id NULL) and every hospital's are read in the network scope ('*') only. The
`healthdash digests run` command queues and delivers in the network scope and renders each digest in its
subscriber's own scope, re-read at send time.

The downgrade drops the two tables (their policies go with them).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
TABLES = ("digest_subscriptions", "digest_outbox")


def _now(name: str) -> sa.Column:
    return sa.Column(name, TIMESTAMP, server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("list_key", sa.Text(), nullable=True),
        sa.Column("filters", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("cadence", sa.Text(), nullable=False),
        sa.Column("send_time", sa.Text(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("monthday", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _now("created_at"),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.Column("cancelled_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('board_report', 'list_excel', 'alerts_summary')", name=op.f("ck_digest_subscriptions_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'list_excel') = (list_key IS NOT NULL)", name=op.f("ck_digest_subscriptions_list_of_excel")
        ),
        sa.CheckConstraint("jsonb_typeof(filters) = 'object'", name=op.f("ck_digest_subscriptions_filters_object")),
        sa.CheckConstraint("cadence IN ('daily', 'weekly', 'monthly')", name=op.f("ck_digest_subscriptions_cadence")),
        sa.CheckConstraint(
            "(cadence = 'weekly') = (weekday IS NOT NULL) AND (weekday IS NULL OR weekday BETWEEN 0 AND 6)",
            name=op.f("ck_digest_subscriptions_weekday"),
        ),
        sa.CheckConstraint(
            "(cadence = 'monthly') = (monthday IS NOT NULL) AND (monthday IS NULL OR monthday BETWEEN 1 AND 28)",
            name=op.f("ck_digest_subscriptions_monthday"),
        ),
        sa.CheckConstraint(
            "send_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'", name=op.f("ck_digest_subscriptions_send_time_shape")
        ),
        sa.CheckConstraint("active = (cancelled_at IS NULL)", name=op.f("ck_digest_subscriptions_cancelled")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_digest_subscriptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_digest_subscriptions_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
    )
    op.create_index(op.f("ix_digest_subscriptions_user_id"), "digest_subscriptions", ["user_id"])
    op.create_index(op.f("ix_digest_subscriptions_hospital_id"), "digest_subscriptions", ["hospital_id"])
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'withheld')", name=op.f("ck_digest_outbox_status")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_digest_outbox_attempts_non_negative")),
        sa.CheckConstraint("size_bytes IS NULL OR size_bytes >= 0", name=op.f("ck_digest_outbox_size_non_negative")),
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name=op.f("ck_digest_outbox_sent_when_sent")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name=op.f("fk_digest_outbox_subscription_id_digest_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_outbox")),
        sa.UniqueConstraint("subscription_id", "due_at", name=op.f("uq_digest_outbox_subscription_id_due_at")),
    )
    op.create_index(op.f("ix_digest_outbox_status_next_attempt_at"), "digest_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_digest_outbox_due_at"), "digest_outbox", ["due_at"])
    op.execute(
        "CREATE TRIGGER trg_digest_outbox_updated_at BEFORE UPDATE ON digest_outbox "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY hospital_scope ON {table} "
            "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # its indexes, trigger, policy and row-level security go with it
