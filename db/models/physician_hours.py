"""Physicians' weekly sessions and leave (migration 0017): when a physician can be booked at a hospital.

Times are "HH:MM" Lagos wall-clock text, like `appointments.appointment_time`, so a slot compares with a
session directly. The database refuses overlapping sessions of one physician (a trigger, migration 0017).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column, in_list, updated_at_column

LEAVE_KINDS = ("leave", "away", "training", "sick")
_HHMM = "'^([01][0-9]|2[0-3]):[0-5][0-9]$'"


class PhysicianSession(Base):
    __tablename__ = "physician_sessions"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
        CheckConstraint(f"starts ~ {_HHMM} AND ends ~ {_HHMM}", name="times_hhmm"),
        CheckConstraint("ends > starts", name="ends_after_starts"),
        Index(None, "hospital_id", "physician_id"),
        Index(None, "physician_id", "weekday"),
    )

    id: Mapped[str] = id_column()
    physician_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    weekday: Mapped[int]  # ISO: 1 is Monday, 7 is Sunday
    starts: Mapped[str]  # "HH:MM"
    ends: Mapped[str]  # "HH:MM", after starts
    created_by: Mapped[str | None]  # a plain user id, like the audit trail's
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class PhysicianLeave(Base):
    __tablename__ = "physician_leave"
    __table_args__ = (
        CheckConstraint(in_list("kind", LEAVE_KINDS), name="kind"),
        CheckConstraint("last_day >= first_day", name="last_day_not_before_first"),
        Index(None, "physician_id", "last_day"),
        Index(None, "hospital_id", "last_day"),
    )

    id: Mapped[str] = id_column()
    physician_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))  # None: away from every hospital
    first_day: Mapped[date] = mapped_column(Date)  # Lagos days, both included
    last_day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(default="leave", server_default="leave")
    reason: Mapped[str | None]
    created_by: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
