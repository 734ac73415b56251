"""Diversion: a hospital that cannot take emergency patients says so, why, and until when.

A diversion past its expected end no longer holds: the hospital counts as accepting again (flagged
as lapsed until its administrator ends it or sets a new end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.emergencies.emergency import AUDIT_CATEGORY, WRITERS
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.models import Hospital

MAX_DIVERSION_DAYS = 7
MAX_REASON_LENGTH = 300
SUGGESTED_HOURS = 4  # the form's first guess at the end: four hours from now
_audit = audit.Recorder(AUDIT_CATEGORY, "hospital")
# A diversion past its expected end no longer holds: the hospital counts as accepting again.
diversion_holds = and_(
    Hospital.accepting_patients.is_(False),
    or_(Hospital.diversion_until.is_(None), Hospital.diversion_until > func.now()),
)


@dataclass(frozen=True)
class Diversion:
    hospital_id: str
    hospital_name: str
    accepting: bool  # counting a diversion past its expected end as over
    reason: str | None
    since: datetime | None
    until: datetime | None
    lapsed: bool  # marked not accepting, but the expected end has passed


def suggested_end_time(now: datetime | None = None) -> time:
    """The hour a form offers as the diversion's end (Lagos time): a few hours from now."""
    return time(hour=((now or datetime.now(LAGOS)).astimezone(LAGOS).hour + SUGGESTED_HOURS) % 24)


def expected_end(day: date, at: time, *, now: datetime | None = None) -> datetime:
    """The end a form's day and Lagos time give; a time already past today means that time tonight.

    "02:00" typed in the evening with today's date means the coming night, not a moment already gone.
    """
    now = (now or datetime.now(LAGOS)).astimezone(LAGOS)
    until = datetime.combine(day, at, tzinfo=LAGOS)
    if until < now and day == now.date():
        until += timedelta(days=1)
    return until


def _diversion_row(r: Any) -> Diversion:
    marked_off = r[2] is False
    lapsed = bool(marked_off and r[5] is not None and r[6])
    return Diversion(r[0], r[1], accepting=not marked_off or lapsed, reason=r[3], since=r[4], until=r[5], lapsed=lapsed)


def _diversion_select():
    return select(
        Hospital.id, Hospital.name, Hospital.accepting_patients, Hospital.diversion_reason, Hospital.diversion_since,
        Hospital.diversion_until, func.coalesce(Hospital.diversion_until <= func.now(), false()),
    )  # fmt: skip


@permissions.reads("emergencies", "see diversion")
def diversion(db: Session, actor: Actor, hospital_id: str) -> Diversion:
    """Whether a hospital in scope accepts emergency referrals now, and if not why and until when."""
    if not usable_id(hospital_id):
        raise NotFound("That hospital no longer exists.")
    row = db.execute(_diversion_select().where(Hospital.id == hospital_id)).first()
    if row is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    return _diversion_row(row)


@permissions.reads("emergencies", "see diversion")
def diversions(db: Session, actor: Actor) -> list[Diversion]:
    """Hospitals in scope not accepting referrals now (a lapsed diversion included, flagged)."""
    stmt = _diversion_select().where(Hospital.is_active, Hospital.accepting_patients.is_(False))
    if not actor.network_wide:
        stmt = stmt.where(Hospital.id == actor.hospital_id)
    return [_diversion_row(r) for r in db.execute(stmt.order_by(Hospital.name, Hospital.id))]


def set_diversion(db: Session, actor: Actor, hospital_id: str, *, reason: Any, until: Any) -> Diversion:
    """Mark a hospital not accepting referrals, with a reason and an expected end (within a week). One audit row."""
    require_role(db, actor, WRITERS, "put a hospital on diversion")
    hospital = _lock_hospital(db, actor, hospital_id)
    reason = checked_text(reason, "The reason", MAX_REASON_LENGTH)
    if reason is None:
        raise InvalidInput('Say why the hospital cannot take patients (e.g. "ICU full, generator down").')
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise InvalidInput("Give the date and time you expect to accept patients again.")
    now = db.scalar(select(func.now()))
    if until <= now:
        raise InvalidInput("The expected end of the diversion must be in the future.")
    if until > now + timedelta(days=MAX_DIVERSION_DAYS):
        raise InvalidInput(
            f"A diversion can be set for at most {MAX_DIVERSION_DAYS} days; set a nearer end and extend it if needed."
        )
    old = {
        "accepting_patients": hospital.accepting_patients,
        "diversion_reason": hospital.diversion_reason,
        "diversion_until": hospital.diversion_until,
    }
    hospital.accepting_patients = False
    hospital.diversion_reason = reason
    hospital.diversion_until = until.astimezone(UTC)
    if old["accepting_patients"]:
        hospital.diversion_since = now
    db.flush()
    old_values, new_values = audit.changes(
        old,
        {"accepting_patients": False, "diversion_reason": reason, "diversion_until": hospital.diversion_until},
    )
    _audit(db, actor, "diversion_set", hospital.id, old=old_values, new={**new_values, "name": hospital.name},
           hospital=hospital.id, impact="high")  # fmt: skip
    return diversion(db, actor, hospital.id)


def end_diversion(db: Session, actor: Actor, hospital_id: str) -> Diversion:
    """The hospital accepts referrals again. One audit row."""
    require_role(db, actor, WRITERS, "end a diversion")
    hospital = _lock_hospital(db, actor, hospital_id)
    if hospital.accepting_patients:
        raise InvalidInput(f"{hospital.name} is already accepting patients.")
    old = {"accepting_patients": False, "diversion_reason": hospital.diversion_reason,
           "diversion_until": hospital.diversion_until}  # fmt: skip
    hospital.accepting_patients = True
    hospital.diversion_reason = hospital.diversion_since = hospital.diversion_until = None
    db.flush()
    _audit(db, actor, "diversion_ended", hospital.id, old=old, new={"accepting_patients": True, "name": hospital.name},
           hospital=hospital.id)  # fmt: skip
    return diversion(db, actor, hospital.id)


def _lock_hospital(db: Session, actor: Actor, hospital_id: Any) -> Hospital:
    if not usable_id(hospital_id):
        raise NotFound("That hospital no longer exists.")
    hospital = db.scalar(select(Hospital).where(Hospital.id == hospital_id).with_for_update())
    if hospital is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital.id, row_hospital_id=hospital.id)
    return hospital
