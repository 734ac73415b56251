"""What happens to a booked appointment: confirmed, moved to another time, cancelled, completed or missed.

Which status may follow which is `words.STATUSES`; a refusal names the appointment and its status.
Confirming, moving and cancelling tell the patient in the same transaction as the change and its audit
row, and a virtual appointment's video session follows its appointment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.appointments import hours, records, slots
from dashboard.domains.appointments.records import AUDIT_CATEGORY, RESOURCE_TYPE, WRITERS, AppointmentRow
from dashboard.domains.appointments.words import OPEN_STATUSES, STATUS_WORDS, STATUSES
from dashboard.platform import audit, people
from dashboard.platform.actors import Actor
from dashboard.platform.dates import day_text
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.models import Appointment, ConsultationSession, Hospital, Profile, User

MAX_REASON_CHARS = 200
_audit = audit.Recorder(AUDIT_CATEGORY, RESOURCE_TYPE)
# The video session follows its appointment: closed with a closed one, left as it is otherwise.
_SESSION_AFTER = {"cancelled": "cancelled", "no_show": "cancelled", "completed": "completed"}


def confirm(db: Session, actor: Actor, appointment_id: str) -> AppointmentRow:
    """Confirm a pending appointment; the patient is notified."""
    require_role(db, actor, WRITERS, "confirm appointments")
    appointment, about = _open(db, actor, appointment_id, "confirmed", "Only a pending appointment can be confirmed")
    return _change_status(db, actor, appointment, "confirmed", "appointment_confirmed")


def reschedule(
    db: Session,
    actor: Actor,
    appointment_id: str,
    *,
    day: date,
    time: str,
    override: bool = False,
    override_reason: str | None = None,
) -> AppointmentRow:
    """Move a pending or confirmed appointment to another day and time of the same physician; status kept.

    The new slot must pass every check a booking does, the physician's hours and leave included (an
    administrator's override with a reason is audited). The patient is notified.
    """
    require_role(db, actor, WRITERS, "reschedule appointments")
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if appointment.status not in OPEN_STATUSES:
        _refuse_status(appointment, about, "Only a pending or confirmed appointment can be moved to another time")
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == appointment.hospital_id)) or "this hospital"
    physician = records.physician_of(db, appointment.physician_id, appointment.hospital_id, hospital_name)
    doctor = records.doctor(physician)
    slot_time = slots.bookable_slot(doctor, day, time)
    old_day, old_time = slots.appointment_day(appointment), appointment.appointment_time
    if (old_day, old_time) == (day, slot_time):
        raise InvalidInput(f"{_capital(about)} is already at that time. Pick another time to move it to.")
    outside = hours.check_slot(db, actor, physician, appointment.hospital_id, hospital_name, doctor, day, slot_time,
                               override=override, override_reason=override_reason)  # fmt: skip
    slots.require_free(db, physician.id, day, slot_time, doctor, besides=appointment.id)

    def move() -> None:
        appointment.appointment_date = slots.slot_moment(day, slot_time)
        appointment.appointment_time = slot_time

    slots.write_slot(db, doctor, day, slot_time, move)
    records.notify(
        db,
        appointment.patient_id,
        "info",
        "Appointment moved",
        f"Your appointment with {doctor} has moved from {old_time} on {day_text(old_day)} to {slot_time} on "
        f"{day_text(day)}.",
    )
    db.flush()
    _audit(
        db,
        actor,
        "appointment_rescheduled",
        appointment.id,
        old={"day": old_day, "time": old_time},
        new={"day": day, "time": slot_time, "patient_id": appointment.patient_id},
        hospital=appointment.hospital_id,
    )
    if outside is not None:
        hours.record_override(db, actor, appointment.id, outside, hospital_id=appointment.hospital_id, day=day,
                              slot_time=slot_time)  # fmt: skip
    return records.row(db, appointment.id)


def cancel(db: Session, actor: Actor, appointment_id: str, *, reason: str) -> AppointmentRow:
    """Cancel a pending or confirmed appointment, freeing its slot; a virtual one's session is cancelled too.

    The reason is required; it goes to the patient's notification and the audit row.
    """
    require_role(db, actor, WRITERS, "cancel appointments")
    reason = checked_text(reason, "The reason for cancelling", MAX_REASON_CHARS)
    if reason is None:
        raise InvalidInput("Give a reason for cancelling the appointment.")
    appointment, _ = _open(
        db, actor, appointment_id, "cancelled", "Only a pending or confirmed appointment can be cancelled"
    )
    doctor = records.doctor_of(db, appointment.physician_id)
    row = _change_status(
        db, actor, appointment, "cancelled", "appointment_cancelled", extra={"reason": reason}, impact="medium"
    )
    records.notify(
        db,
        appointment.patient_id,
        "warning",
        "Appointment cancelled",
        f"Your appointment with {doctor} at {appointment.appointment_time} on "
        f"{day_text(slots.appointment_day(appointment))} is cancelled: {reason}",
    )
    db.flush()
    return row


def complete(db: Session, actor: Actor, appointment_id: str) -> AppointmentRow:
    """Record that a pending or confirmed appointment took place (once its time has come)."""
    require_role(db, actor, WRITERS, "complete appointments")
    appointment, about = _open(
        db, actor, appointment_id, "completed", "Only a pending or confirmed appointment can be completed"
    )
    if slots.starts_at(appointment) > datetime.now(UTC):
        raise InvalidInput(f"{_capital(about)} has not started yet: it can be completed once it has begun.")
    return _change_status(db, actor, appointment, "completed", "appointment_completed")


def mark_no_show(db: Session, actor: Actor, appointment_id: str) -> AppointmentRow:
    """Record that the patient did not come to a pending or confirmed appointment (once its time has come)."""
    require_role(db, actor, WRITERS, "record no-shows")
    appointment, about = _open(
        db, actor, appointment_id, "no_show", "Only a pending or confirmed appointment can be marked as a no-show"
    )
    if slots.starts_at(appointment) > datetime.now(UTC):
        raise InvalidInput(f"{_capital(about)} has not started yet: a patient can only miss it once it is due.")
    return _change_status(db, actor, appointment, "no_show", "appointment_no_show")


def _open(db: Session, actor: Actor, appointment_id: str, becoming: str, rule: str) -> tuple[Appointment, str]:
    """The appointment, locked and in scope, once its status may become `becoming`; else `rule`, refused."""
    appointment = _lock(db, actor, appointment_id)
    about = _about(db, appointment)
    if not STATUSES.may(appointment.status, becoming):
        _refuse_status(appointment, about, rule)
    return appointment, about


def _lock(db: Session, actor: Actor, appointment_id: str) -> Appointment:
    appointment = None
    if usable_id(appointment_id):
        appointment = db.scalars(
            select(Appointment)
            .where(Appointment.id == appointment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    if appointment is None:
        raise NotFound("That appointment no longer exists.")
    require_in_scope(
        db, actor, resource_type=RESOURCE_TYPE, resource_id=appointment.id, row_hospital_id=appointment.hospital_id
    )
    return appointment


def _about(db: Session, appointment: Appointment) -> str:
    """The phrase "Amaka Eze's appointment with Dr. Ada Obi at 10:00 on 26 Nov 2026", for sentences."""
    patient = db.scalar(
        select(people.name_or(User.email))
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id == appointment.patient_id)
    )
    return (
        f"{patient or 'the patient'}'s appointment with {records.doctor_of(db, appointment.physician_id)} at "
        f"{appointment.appointment_time} on {day_text(slots.appointment_day(appointment))}"
    )


def _capital(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]  # not str.capitalize, which would lower-case the names in it


def _refuse_status(appointment: Appointment, about: str, rule: str) -> NoReturn:
    raise InvalidInput(f"{rule}; {about} {STATUS_WORDS.get(appointment.status, appointment.status)}.")


def _change_status(
    db: Session,
    actor: Actor,
    appointment: Appointment,
    new_status: str,
    action_type: str,
    *,
    extra: dict[str, Any] | None = None,
    impact: str = "low",
) -> AppointmentRow:
    old_status = appointment.status
    appointment.status = new_status
    session = db.scalars(
        select(ConsultationSession).where(ConsultationSession.appointment_id == appointment.id).with_for_update()
    ).first()
    session_status = None
    if session is not None and session.status in ("scheduled", "in_progress"):
        session_status = _SESSION_AFTER.get(new_status)
        if session_status is not None:
            session.status = session_status
            if session.room is not None and session.room.room_status != "completed":
                session.room.room_status = "completed"
    if new_status == "confirmed":
        records.notify(
            db,
            appointment.patient_id,
            "success",
            "Appointment confirmed",
            f"Your appointment with {records.doctor_of(db, appointment.physician_id)} at "
            f"{appointment.appointment_time} on {day_text(slots.appointment_day(appointment))} is confirmed.",
        )
    db.flush()
    _audit(
        db,
        actor,
        action_type,
        appointment.id,
        old={"status": old_status},
        new={
            "status": new_status,
            "patient_id": appointment.patient_id,
            **({"consultation_session_status": session_status} if session_status else {}),
            **(extra or {}),
        },
        impact=impact,
        hospital=appointment.hospital_id,
    )
    return records.row(db, appointment.id)
