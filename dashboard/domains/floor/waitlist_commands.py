"""The waitlist's commands: call the next patient, complete, cancel, and change a waiting patient's priority.

Two administrators may press "Call next" on the same queue at the same moment, so `call_next` takes
the top entry with `FOR UPDATE SKIP LOCKED`: each gets a different patient, none is called twice,
and nobody waits for the other's click. The other commands lock their row, then check its status
against the visit's lifecycle (`waitlist_queue.VISIT`).
"""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.floor.waitlist_queue import (
    RESOURCE_TYPE,
    STATUS_WORDS,
    VISIT,
    QueueEntry,
    arrived,
    clean_department,
    entry,
    patient_name,
    priority_rank,
)
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.scope import require_in_scope, require_role
from db.models import Hospital, PatientWaitlist, Profile, User
from db.settings import Settings, current
from db.vocab import WAITLIST_PRIORITIES

WRITERS = permissions.writers("waitlist")
AUDIT_CATEGORY = "waitlist"
MAX_REASON_LENGTH = 200

_audit = audit.Recorder(AUDIT_CATEGORY, RESOURCE_TYPE)


def cancel_reason(reason: object) -> str:
    """The reason for cancelling a visit, cleaned, or a sentence saying what is wrong with it."""
    reason = (reason if isinstance(reason, str) else "").replace("\x00", "").strip()
    if not reason:
        raise InvalidInput(f"Give a reason for cancelling (at most {MAX_REASON_LENGTH} characters).")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(f"Keep the reason for cancelling to {MAX_REASON_LENGTH} characters.")
    return reason


def call_next(
    db: Session, actor: Actor, *, hospital_id: str, department: str, values: Settings | None = None
) -> QueueEntry | None:
    """Call the highest-priority, longest-waiting patient of one hospital's department queue.

    Returns the called entry, or None (nothing written) when nobody is waiting there. Entries another
    administrator is calling at this moment are skipped, not waited for.
    """
    require_role(db, actor, WRITERS, "call patients from the waitlist")
    values = values or current()
    if not isinstance(hospital_id, str) or not hospital_id.strip():
        raise InvalidInput("Pick the hospital whose queue you are calling from.")
    department = clean_department(department)
    if department is None:
        raise InvalidInput("Pick the department whose queue you are calling from.")
    if "\x00" in hospital_id or db.scalar(select(Hospital.id).where(Hospital.id == hospital_id)) is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    row = db.scalars(
        select(PatientWaitlist)
        .where(
            PatientWaitlist.hospital_id == hospital_id,
            PatientWaitlist.department == department,
            PatientWaitlist.status == "waiting",
            arrived(),
        )
        .order_by(priority_rank(), PatientWaitlist.created_at, PatientWaitlist.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    row.status = "called"
    row.called_at = func.now()
    db.flush()
    called = entry(db, row.id, values)
    _audit(db, actor, "waitlist_patient_called", row.id, old={"status": "waiting"}, hospital=row.hospital_id, new={
        "status": "called",
        "called_at": called.called_at,
        "department": department,
        "priority": called.priority,
        "waited_minutes": round(called.waited_minutes, 1),
    })  # fmt: skip
    return called


def complete(db: Session, actor: Actor, entry_id: str, *, values: Settings | None = None) -> QueueEntry:
    """Mark a called (or in-progress) patient's visit as completed."""
    require_role(db, actor, WRITERS, "complete waitlist entries")
    values = values or current()
    row = _locked_entry(db, actor, entry_id)
    _require_move(db, row, "completed", "Only a called patient can be completed")
    old_status = row.status
    row.status = "completed"
    row.completed_at = func.now()
    db.flush()
    done = entry(db, row.id, values)
    _audit(db, actor, "waitlist_entry_completed", row.id, old={"status": old_status},
           new={"status": "completed", "completed_at": row.completed_at}, hospital=row.hospital_id)  # fmt: skip
    return done


def cancel(db: Session, actor: Actor, entry_id: str, *, reason: str, values: Settings | None = None) -> QueueEntry:
    """Take a waiting or called patient off the queue; the reason is kept in the audit row."""
    require_role(db, actor, WRITERS, "cancel waitlist entries")
    values = values or current()
    reason = cancel_reason(reason)
    row = _locked_entry(db, actor, entry_id)
    _require_move(db, row, "cancelled", "Only a waiting or called patient can be cancelled")
    old_status = row.status
    row.status = "cancelled"
    db.flush()
    _audit(db, actor, "waitlist_entry_cancelled", row.id, old={"status": old_status},
           new={"status": "cancelled", "reason": reason}, hospital=row.hospital_id, impact="medium")  # fmt: skip
    return entry(db, row.id, values)


def change_priority(
    db: Session, actor: Actor, entry_id: str, *, priority: str, values: Settings | None = None
) -> QueueEntry:
    """Move a waiting patient to another priority (and so to another place in the queue)."""
    require_role(db, actor, WRITERS, "change waitlist priorities")
    values = values or current()
    if priority not in WAITLIST_PRIORITIES:
        raise InvalidInput("Priority must be one of urgent, high, medium or low.")
    row = _locked_entry(db, actor, entry_id)
    # The priority orders the calls: it means something only while the patient may still be called.
    _require_move(db, row, "called", "The priority can only be changed while the patient is waiting")
    old, new = audit.changes({"priority": row.priority}, {"priority": priority})
    if new:
        row.priority = priority
        db.flush()
        _audit(db, actor, "waitlist_priority_changed", row.id, old=old, new=new, hospital=row.hospital_id)
    return entry(db, row.id, values)


def _locked_entry(db: Session, actor: Actor, entry_id: str) -> PatientWaitlist:
    if not isinstance(entry_id, str) or "\x00" in entry_id:
        raise NotFound("That waitlist entry no longer exists.")
    row = db.scalars(
        select(PatientWaitlist)
        .where(PatientWaitlist.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound("That waitlist entry no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=row.id, row_hospital_id=row.hospital_id)
    return row


def _require_move(db: Session, row: PatientWaitlist, becoming: str, rule: str) -> None:
    if not VISIT.may(row.status, becoming):
        _refuse_status(db, row, rule)


def _refuse_status(db: Session, row: PatientWaitlist, rule: str) -> NoReturn:
    name = (
        db.scalar(
            select(patient_name())
            .select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.id == row.patient_id)
        )
        or "The patient"
    )
    raise InvalidInput(f"{rule}; {name} is {STATUS_WORDS.get(row.status, row.status)}.")
