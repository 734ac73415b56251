"""Users, their profiles (role, hospital) and the patient-side records that hang off a profile."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import (
    Base,
    Money,
    Timestamp,
    UserRole,
    created_at_column,
    id_column,
    in_list,
    updated_at_column,
)
from db.vocab import AGENT_ASSIGNMENT_STATUSES, ASSISTANCE_STATUSES

if TYPE_CHECKING:
    from db.models.care import (
        Appointment,
        ConsultationSession,
        Conversation,
        HealthRecord,
        Message,
        Prescription,
    )
    from db.models.emergency import AmbulanceRequest, EmergencyRequest
    from db.models.governance import Document, Notification
    from db.models.hospitals import Hospital, HospitalPatient, PatientWaitlist
    from db.models.money import Wallet

# values_callable stores the enum's values; the PostgreSQL type is named like the Prisma enum's table.
USER_ROLE_TYPE = Enum(UserRole, name="user_role", values_callable=lambda e: [m.value for m in e])


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(unique=True)
    password: Mapped[str]
    email_verified: Mapped[Timestamp | None]
    email_verification_token: Mapped[str | None]
    reset_password_token: Mapped[str | None]
    reset_password_expires: Mapped[Timestamp | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    # The database cascades these two deletes (onDelete: Cascade); the ORM must follow, not null the key.
    profile: Mapped[Profile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    wallet: Mapped[Wallet | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    appointments: Mapped[list[Appointment]] = relationship(back_populates="patient")
    emergency_requests: Mapped[list[EmergencyRequest]] = relationship(back_populates="patient")
    ambulance_requests: Mapped[list[AmbulanceRequest]] = relationship(back_populates="patient")
    conversations: Mapped[list[Conversation]] = relationship(back_populates="patient")
    messages: Mapped[list[Message]] = relationship(back_populates="sender")
    health_records: Mapped[list[HealthRecord]] = relationship(back_populates="patient")
    prescriptions: Mapped[list[Prescription]] = relationship(back_populates="patient")
    notifications: Mapped[list[Notification]] = relationship(back_populates="user")
    documents: Mapped[list[Document]] = relationship(back_populates="user")
    # Back sides of the foreign keys ../shared/spec/ERRATA.md adds (the patient as a user).
    consultation_sessions: Mapped[list[ConsultationSession]] = relationship(back_populates="patient")
    hospital_admissions: Mapped[list[HospitalPatient]] = relationship(back_populates="patient")
    waitlist_entries: Mapped[list[PatientWaitlist]] = relationship(back_populates="patient")
    agent_assignments_received: Mapped[list[AgentAssignment]] = relationship(back_populates="patient")
    agent_assistance: Mapped[list[AgentAssistedPatient]] = relationship(back_populates="patient")

    def __repr__(self) -> str:  # never the password hash
        return f"User(id={self.id!r}, email={self.email!r})"


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("years_of_experience IS NULL OR years_of_experience >= 0", name="experience"),
        CheckConstraint("consultation_rate IS NULL OR consultation_rate >= 0", name="consultation_rate"),
        Index("idx_profiles_role_active", "role", "is_active"),
        Index(None, "hospital_id"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    first_name: Mapped[str | None]
    last_name: Mapped[str | None]
    phone: Mapped[str | None]
    date_of_birth: Mapped[Timestamp | None]
    gender: Mapped[str | None]
    address: Mapped[str | None]
    city: Mapped[str | None]
    state: Mapped[str | None]
    country: Mapped[str | None] = mapped_column(default="Nigeria", server_default="Nigeria")
    role: Mapped[UserRole] = mapped_column(
        USER_ROLE_TYPE, default=UserRole.PATIENT, server_default=UserRole.PATIENT.value
    )
    specialization: Mapped[str | None]
    license_number: Mapped[str | None]
    years_of_experience: Mapped[int | None]
    consultation_rate: Mapped[Money | None] = mapped_column(default=Decimal(0), server_default=text("0"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))
    subscription_plan: Mapped[str | None] = mapped_column(default="basic", server_default="basic")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    user: Mapped[User] = relationship(back_populates="profile")
    hospital: Mapped[Hospital | None] = relationship(back_populates="profiles")
    emergency_contacts: Mapped[list[EmergencyContact]] = relationship(back_populates="patient")
    agent_assignments: Mapped[list[AgentAssignment]] = relationship(back_populates="agent")
    assisted_patients: Mapped[list[AgentAssistedPatient]] = relationship(back_populates="agent")
    # ERRATA 1: the three back relations the document forgot.
    physician_appointments: Mapped[list[Appointment]] = relationship(
        back_populates="physician", foreign_keys="Appointment.physician_id"
    )
    agent_appointments: Mapped[list[Appointment]] = relationship(
        back_populates="agent", foreign_keys="Appointment.agent_id"
    )
    physician_conversations: Mapped[list[Conversation]] = relationship(back_populates="physician")
    # Back sides of the foreign keys ../shared/spec/ERRATA.md adds (the physician as a profile).
    physician_consultation_sessions: Mapped[list[ConsultationSession]] = relationship(back_populates="physician")
    issued_prescriptions: Mapped[list[Prescription]] = relationship(back_populates="physician")
    assigned_emergencies: Mapped[list[EmergencyRequest]] = relationship(back_populates="assigned_physician")
    assigned_hospital_patients: Mapped[list[HospitalPatient]] = relationship(back_populates="assigned_physician")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "(no name)"


class EmergencyContact(Base):
    __tablename__ = "emergency_contacts"
    __table_args__ = (Index(None, "patient_id"),)

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    name: Mapped[str]
    relationship_: Mapped[str] = mapped_column("relationship")
    phone: Mapped[str]
    email: Mapped[str | None]
    address: Mapped[str | None]
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[Profile] = relationship(back_populates="emergency_contacts")


class AgentAssignment(Base):
    __tablename__ = "agent_assignments"
    __table_args__ = (
        CheckConstraint(in_list("status", AGENT_ASSIGNMENT_STATUSES), name="status"),
        CheckConstraint("completed_at IS NULL OR completed_at >= assigned_at", name="completed_after_assigned"),
        Index(None, "agent_id"),
        Index(None, "patient_id"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # ERRATA: added foreign key
    agent_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    status: Mapped[str] = mapped_column(default="active", server_default="active")
    assigned_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[Timestamp | None]
    notes: Mapped[str | None]

    agent: Mapped[Profile] = relationship(back_populates="agent_assignments")
    patient: Mapped[User] = relationship(back_populates="agent_assignments_received")


class AgentAssistedPatient(Base):
    __tablename__ = "agent_assisted_patients"
    __table_args__ = (
        CheckConstraint(in_list("status", ASSISTANCE_STATUSES), name="status"),
        CheckConstraint("appointment_booking_count >= 0", name="booking_count"),
        Index(None, "agent_id"),
        Index(None, "patient_id"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # ERRATA: added foreign key
    agent_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"))
    assistance_type: Mapped[str]
    description: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="active", server_default="active")
    notes: Mapped[str | None]
    last_interaction_at: Mapped[datetime] = created_at_column()
    appointment_booking_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    agent: Mapped[Profile] = relationship(back_populates="assisted_patients")
    patient: Mapped[User] = relationship(back_populates="agent_assistance")
