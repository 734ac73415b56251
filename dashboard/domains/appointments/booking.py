"""Booking: a patient with a physician of a hospital in scope, on a free slot, and finding the patient first.

Every booking tells the patient in the same transaction as the appointment and its audit row. A
virtual booking also opens its consultation session and video room, as the platform's own clients do.
"""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.appointments import hours, records, slots
from dashboard.domains.appointments.records import AUDIT_CATEGORY, RESOURCE_TYPE, WRITERS, AppointmentRow
from dashboard.domains.appointments.words import TYPE_LABELS
from dashboard.platform import audit, people
from dashboard.platform.actors import Actor
from dashboard.platform.dates import day_text
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import hospital_in_scope, require_role
from db.base import UserRole
from db.models import Appointment, ConsultationRoom, ConsultationSession, Profile, User
from db.vocab import APPOINTMENT_TYPES, CONSULTATION_TYPES

MAX_NOTES_CHARS = 1000
_audit = audit.Recorder(AUDIT_CATEGORY, RESOURCE_TYPE)


def find_patients(
    db: Session, actor: Actor, text: str, *, hospital_id: str | None = None, limit: int = 20
) -> list[people.PatientMatch]:
    """Active patients (any in the network may book) found by hospital number, phone, name (typos too) or email.

    The one patient search (`people.find_patients`, the numbers of `hospital_id`): at least 2 characters, audited.
    """
    require_role(db, actor, WRITERS, "book appointments")
    return people.find_patients(
        db, actor, text, hospital_id=hospital_id, limit=limit, audit_as="appointment_patient_search"
    )


def book(
    db: Session,
    actor: Actor,
    *,
    hospital_id: str,
    patient_id: str,
    physician_id: str,
    day: date,
    time: str,
    appointment_type: str,
    consultation_type: str,
    notes: str | None = None,
    override: bool = False,
    override_reason: str | None = None,
) -> AppointmentRow:
    """Book a patient with a physician of a hospital in scope; pending until confirmed.

    The slot must lie inside the physician's hours and outside their leave (`hours.check_slot`), unless an
    administrator overrides with a reason (audited here). A virtual booking opens its consultation session
    and video room too. The patient is notified.
    """
    require_role(db, actor, WRITERS, "book appointments")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    if appointment_type not in APPOINTMENT_TYPES:
        raise InvalidInput("Pick the kind of appointment: consultation, follow-up, check-up, procedure or emergency.")
    if consultation_type not in CONSULTATION_TYPES:
        raise InvalidInput("Pick whether the appointment is in person or virtual.")
    notes = checked_text(notes, "The notes", MAX_NOTES_CHARS)
    physician = records.physician_of(db, physician_id, hospital_id, hospital_name)
    doctor = records.doctor(physician)
    _require_patient(db, patient_id)
    slot_time = slots.bookable_slot(doctor, day, time)
    outside = hours.check_slot(db, actor, physician, hospital_id, hospital_name, doctor, day, slot_time,
                               override=override, override_reason=override_reason)  # fmt: skip
    slots.require_free(db, physician.id, day, slot_time, doctor)
    appointment = Appointment(
        patient_id=patient_id,
        physician_id=physician.id,
        hospital_id=hospital_id,
        appointment_date=slots.slot_moment(day, slot_time),
        appointment_time=slot_time,
        appointment_type=appointment_type,
        consultation_type=consultation_type,
        status="pending",
        notes=notes,
    )
    slots.write_slot(db, doctor, day, slot_time, lambda: db.add(appointment))
    session_id = _open_video_session(db, appointment, physician) if consultation_type == "virtual" else None
    how = "a video consultation" if consultation_type == "virtual" else f"at {hospital_name}"
    records.notify(
        db,
        patient_id,
        "info",
        "Appointment booked",
        f"Your {TYPE_LABELS[appointment_type]} with {doctor} is booked for {slot_time} on {day_text(day)}, {how}.",
    )
    db.flush()
    _audit(
        db,
        actor,
        "appointment_booked",
        appointment.id,
        new={
            "patient_id": patient_id,
            "physician_id": physician.id,
            "day": day,
            "time": slot_time,
            "appointment_type": appointment_type,
            "consultation_type": consultation_type,
            "status": "pending",
            "consultation_session_id": session_id,
        },
        hospital=hospital_id,
    )
    if outside is not None:
        hours.record_override(db, actor, appointment.id, outside, hospital_id=hospital_id, day=day, slot_time=slot_time)
    return records.row(db, appointment.id)


def _open_video_session(db: Session, appointment: Appointment, physician: Profile) -> str:
    session = ConsultationSession(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        physician_id=physician.id,
        session_type="video",
        status="scheduled",
        consultation_rate=physician.consultation_rate,
        payment_status="pending",
    )
    db.add(session)
    db.flush()
    # Whoever holds the token enters the video room: long, random, and never written to a log.
    db.add(ConsultationRoom(session_id=session.id, room_token=secrets.token_urlsafe(32), room_status="waiting"))
    return session.id


def _require_patient(db: Session, patient_id: str) -> None:
    row = None
    if usable_id(patient_id):
        row = db.execute(
            select(people.full_name(Profile), User.email, Profile.role)
            .select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.id == patient_id)
        ).first()
    if row is None:
        raise NotFound("That patient no longer exists. Search for them again.")
    if row[2] is not UserRole.PATIENT:
        raise InvalidInput(f"{row[0] or row[1]} is not registered as a patient. Pick a patient account.")
