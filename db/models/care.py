"""Care itself: appointments, virtual consultations, chat, health records, prescriptions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import (
    Base,
    Json,
    Money,
    Timestamp,
    created_at_column,
    id_column,
    in_list,
    json_default,
    updated_at_column,
)
from db.vocab import (
    APPOINTMENT_STATUSES,
    CONSULTATION_TYPES,
    CONVERSATION_STATUSES,
    CONVERSATION_TYPES,
    MESSAGE_TYPES,
    PAYMENT_STATUSES,
    PRESCRIPTION_STATUSES,
    ROOM_STATUSES,
    SENDER_TYPES,
    SESSION_STATUSES,
    SESSION_TYPES,
)

if TYPE_CHECKING:
    from db.models.hospitals import Hospital
    from db.models.people import Profile, User


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(in_list("status", APPOINTMENT_STATUSES), name="status"),
        CheckConstraint(in_list("consultation_type", CONSULTATION_TYPES), name="consultation_type"),
        CheckConstraint("appointment_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'", name="appointment_time_hhmm"),
        Index("idx_appointments_patient_date", "patient_id", "appointment_date"),
        Index("idx_appointments_physician_date", "physician_id", "appointment_date"),
        Index(None, "hospital_id", "appointment_date"),
        Index(None, "agent_id"),
        # Migration 0006: a physician's slot holds one appointment that is not cancelled. The slot's day is
        # the Lagos day, as appointment_time is Lagos wall-clock time.
        Index(
            "uq_appointments_physician_slot",
            "physician_id",
            text("(timezone('Africa/Lagos', appointment_date)::date)"),
            "appointment_time",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        # Migration 0014: the list's walk away from now across hospitals (appointment_list._page_ids_around_now).
        Index(None, "appointment_date"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    physician_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    appointment_date: Mapped[Timestamp]
    appointment_time: Mapped[str]  # "HH:MM", local (Africa/Lagos) wall-clock time
    appointment_type: Mapped[str] = mapped_column(default="consultation", server_default="consultation")
    consultation_type: Mapped[str] = mapped_column(default="in_person", server_default="in_person")
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    notes: Mapped[str | None]
    meeting_link: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[User] = relationship(back_populates="appointments")
    physician: Mapped[Profile] = relationship(back_populates="physician_appointments", foreign_keys=[physician_id])
    hospital: Mapped[Hospital | None] = relationship(back_populates="appointments")
    agent: Mapped[Profile | None] = relationship(back_populates="agent_appointments", foreign_keys=[agent_id])
    consultation_session: Mapped[ConsultationSession | None] = relationship(back_populates="appointment", uselist=False)


class ConsultationSession(Base):
    __tablename__ = "consultation_sessions"
    __table_args__ = (
        CheckConstraint(in_list("session_type", SESSION_TYPES), name="session_type"),
        CheckConstraint(in_list("status", SESSION_STATUSES), name="status"),
        CheckConstraint(in_list("payment_status", PAYMENT_STATUSES), name="payment_status"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes >= 0", name="duration_non_negative"),
        CheckConstraint("consultation_rate IS NULL OR consultation_rate >= 0", name="rate_non_negative"),
        CheckConstraint("ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at", name="ended_after_started"),
        Index(None, "patient_id"),
        Index(None, "physician_id"),
    )

    id: Mapped[str] = id_column()
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # ERRATA: added foreign key
    physician_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))  # ERRATA: added foreign key
    session_type: Mapped[str] = mapped_column(default="video", server_default="video")
    status: Mapped[str] = mapped_column(default="scheduled", server_default="scheduled")
    started_at: Mapped[Timestamp | None]
    ended_at: Mapped[Timestamp | None]
    duration_minutes: Mapped[int | None]
    consultation_rate: Mapped[Money | None]
    payment_status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    appointment: Mapped[Appointment] = relationship(back_populates="consultation_session")
    room: Mapped[ConsultationRoom | None] = relationship(back_populates="session", uselist=False)
    patient: Mapped[User] = relationship(back_populates="consultation_sessions")
    physician: Mapped[Profile] = relationship(back_populates="physician_consultation_sessions")


class ConsultationRoom(Base):
    __tablename__ = "consultation_rooms"
    __table_args__ = (CheckConstraint(in_list("room_status", ROOM_STATUSES), name="room_status"),)

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(ForeignKey("consultation_sessions.id"), unique=True)
    room_token: Mapped[str] = mapped_column(unique=True)
    room_status: Mapped[str] = mapped_column(default="waiting", server_default="waiting")
    patient_joined: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    physician_joined: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    session: Mapped[ConsultationSession] = relationship(back_populates="room")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(in_list("type", CONVERSATION_TYPES), name="type"),
        CheckConstraint(in_list("status", CONVERSATION_STATUSES), name="status"),
        Index(None, "patient_id"),
        Index(None, "physician_id"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    physician_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))
    type: Mapped[str] = mapped_column(default="physician_consultation", server_default="physician_consultation")
    title: Mapped[str | None]
    status: Mapped[str | None] = mapped_column(default="active", server_default="active")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[User] = relationship(back_populates="conversations")
    physician: Mapped[Profile | None] = relationship(back_populates="physician_conversations")
    messages: Mapped[list[Message]] = relationship(back_populates="conversation")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(in_list("sender_type", SENDER_TYPES), name="sender_type"),
        CheckConstraint(in_list("message_type", MESSAGE_TYPES), name="message_type"),
        Index("idx_messages_conversation_created", "conversation_id", "created_at"),
        Index(None, "sender_id"),
    )

    id: Mapped[str] = id_column()
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    sender_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    sender_type: Mapped[str]
    message_type: Mapped[str] = mapped_column(default="text", server_default="text")
    content: Mapped[str]
    # "metadata" is reserved on declarative classes; the column keeps the document's name.
    metadata_: Mapped[Json | None] = mapped_column("metadata")
    created_at: Mapped[datetime] = created_at_column()

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    sender: Mapped[User | None] = relationship(back_populates="messages")


class HealthRecord(Base):
    __tablename__ = "health_records"
    __table_args__ = (Index("idx_health_records_patient_date", "patient_id", "recorded_date"),)

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    record_type: Mapped[str]
    title: Mapped[str]
    description: Mapped[str | None]
    recorded_date: Mapped[datetime] = created_at_column()
    recorded_by: Mapped[str | None]
    record_data: Mapped[Json | None] = mapped_column(default=dict, server_default=json_default("{}"))
    document_url: Mapped[str | None]
    is_sensitive: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[User] = relationship(back_populates="health_records")


class Prescription(Base):
    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint(in_list("status", PRESCRIPTION_STATUSES), name="status"),
        Index(None, "patient_id"),
        Index(None, "physician_id"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    physician_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))  # ERRATA: added foreign key
    medication_name: Mapped[str]
    dosage: Mapped[str]
    frequency: Mapped[str]
    duration: Mapped[str]
    instructions: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="active", server_default="active")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[User] = relationship(back_populates="prescriptions")
    physician: Mapped[Profile] = relationship(back_populates="issued_prescriptions")
