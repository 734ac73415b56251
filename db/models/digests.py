"""Scheduled digests by email: a user's subscriptions and the outbox of what is due, sent or failed
(migration 0025, issue 24 part 1).

A subscription covers one scope (a hospital, or the whole network when hospital_id is None) and never changes
after it is made, except to be cancelled; the outbox copies its hospital so row-level security reads one column
on each table (`healthdash_scope_allows(hospital_id)`). UNIQUE (subscription_id, due_at) is what keeps a digest
from being queued, and so sent, twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Json, Timestamp, created_at_column, id_column, in_list, json_default, updated_at_column

DIGEST_KINDS = ("board_report", "list_excel", "alerts_summary")
CADENCES = ("daily", "weekly", "monthly")
OUTBOX_STATUSES = ("queued", "sent", "failed", "withheld")


class DigestSubscription(Base):
    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        CheckConstraint(in_list("kind", DIGEST_KINDS), name="kind"),
        CheckConstraint("(kind = 'list_excel') = (list_key IS NOT NULL)", name="list_of_excel"),
        CheckConstraint("jsonb_typeof(filters) = 'object'", name="filters_object"),
        CheckConstraint(in_list("cadence", CADENCES), name="cadence"),
        CheckConstraint(
            "(cadence = 'weekly') = (weekday IS NOT NULL) AND (weekday IS NULL OR weekday BETWEEN 0 AND 6)",
            name="weekday",
        ),
        CheckConstraint(
            "(cadence = 'monthly') = (monthday IS NOT NULL) AND (monthday IS NULL OR monthday BETWEEN 1 AND 28)",
            name="monthday",
        ),
        CheckConstraint("send_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'", name="send_time_shape"),
        CheckConstraint("active = (cancelled_at IS NULL)", name="cancelled"),
        Index(None, "user_id"),
        Index(None, "hospital_id"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))  # None: the whole network
    kind: Mapped[str]
    list_key: Mapped[str | None]  # list_excel only: which list (dashboard/domains/digests/lists.py)
    filters: Mapped[Json] = mapped_column(default=dict, server_default=json_default("{}"))
    cadence: Mapped[str]
    send_time: Mapped[str]  # Africa/Lagos wall-clock time, 'HH:MM'
    weekday: Mapped[int | None]  # weekly: 0 Monday … 6 Sunday
    monthday: Mapped[int | None]  # monthly: 1–28
    active: Mapped[bool] = mapped_column(default=True, server_default="true")
    created_at: Mapped[datetime] = created_at_column()
    cancelled_at: Mapped[Timestamp | None]
    cancelled_by: Mapped[str | None]  # a plain user id, like the audit trail's


class DigestOutbox(Base):
    """One digest due: queued, then sent, failed after its last attempt, or withheld (last_error says why)."""

    __tablename__ = "digest_outbox"
    __table_args__ = (
        CheckConstraint(in_list("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("size_bytes IS NULL OR size_bytes >= 0", name="size_non_negative"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_when_sent"),
        UniqueConstraint("subscription_id", "due_at"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "due_at"),
    )

    id: Mapped[str] = id_column()
    subscription_id: Mapped[str] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"))
    hospital_id: Mapped[str | None]  # the subscription's, for row-level security
    due_at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[Timestamp | None]
    last_error: Mapped[str | None]
    sent_at: Mapped[Timestamp | None]
    recipient: Mapped[str | None]
    subject: Mapped[str | None]
    size_bytes: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
