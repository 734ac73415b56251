"""Hospitals and what they run day to day: resources, admissions, the waitlist."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import (
    Base,
    Coordinate,
    Json,
    Timestamp,
    created_at_column,
    id_column,
    in_list,
    json_default,
    updated_at_column,
)
from db.rules import CURRENT_ADMISSION_STATUSES
from db.vocab import (
    ADMISSION_STATUSES,
    FACILITY_TYPES,
    HOSPITAL_VERIFICATION_STATUSES,
    RESOURCE_STATUSES,
    WAITLIST_PRIORITIES,
    WAITLIST_STATUSES,
)

if TYPE_CHECKING:
    from db.models.care import Appointment
    from db.models.emergency import AmbulanceRequest, EmergencyRequest
    from db.models.governance import AnalyticsData, HospitalComplianceTracking
    from db.models.money import HospitalFinancialData
    from db.models.people import Profile, User


class Hospital(Base):
    __tablename__ = "hospitals"
    __table_args__ = (
        CheckConstraint(in_list("verification_status", HOSPITAL_VERIFICATION_STATUSES), name="verification_status"),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
        Index("idx_hospitals_active_location", "is_active", "latitude", "longitude"),
        # Migration 0009: a hospital on diversion says why.
        CheckConstraint("accepting_patients OR diversion_reason IS NOT NULL", name="diversion_has_reason"),
        # Migration 0026: the kind of facility, for the peer comparison (NULL: not recorded, left out of it).
        CheckConstraint(in_list("facility_type", FACILITY_TYPES), name="facility_type"),
        # Migration 0021: an LGA is named with the state it lies in (MATCH SIMPLE: no LGA, nothing checked).
        ForeignKeyConstraint(["state", "lga"], ["nigerian_lgas.state", "nigerian_lgas.name"]),
        Index(None, "state", "lga"),
    )

    id: Mapped[str] = id_column()
    name: Mapped[str]
    address: Mapped[str | None]
    phone: Mapped[str | None]
    email: Mapped[str | None]
    city: Mapped[str | None]
    state: Mapped[str | None]
    latitude: Mapped[Coordinate | None]
    longitude: Mapped[Coordinate | None]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    verification_status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    verification_documents: Mapped[Json | None] = mapped_column(default=list, server_default=json_default("[]"))
    security_settings: Mapped[Json | None] = mapped_column(default=dict, server_default=json_default("{}"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # ERRATA additions (migration 0009): diversion. A hospital not accepting emergency referrals, why,
    # since when and until when it expects to; past that end it counts as accepting again.
    accepting_patients: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    diversion_reason: Mapped[str | None]
    diversion_since: Mapped[Timestamp | None]
    diversion_until: Mapped[Timestamp | None]
    # ERRATA addition (migration 0026): teaching, federal medical centre, general, specialist or private clinic.
    facility_type: Mapped[str | None]
    # ERRATA addition (migration 0021): the local government area, one of nigerian_lgas' for the hospital's state.
    lga: Mapped[str | None]

    profiles: Mapped[list[Profile]] = relationship(back_populates="hospital")
    appointments: Mapped[list[Appointment]] = relationship(back_populates="hospital")
    emergency_requests: Mapped[list[EmergencyRequest]] = relationship(back_populates="hospital")
    ambulance_requests: Mapped[list[AmbulanceRequest]] = relationship(back_populates="assigned_hospital")
    resources: Mapped[list[HospitalResource]] = relationship(back_populates="hospital")
    patients: Mapped[list[HospitalPatient]] = relationship(back_populates="hospital")
    waitlist: Mapped[list[PatientWaitlist]] = relationship(back_populates="hospital")
    financial_data: Mapped[list[HospitalFinancialData]] = relationship(back_populates="hospital")
    compliance_tracking: Mapped[list[HospitalComplianceTracking]] = relationship(back_populates="hospital")
    analytics_data: Mapped[list[AnalyticsData]] = relationship(back_populates="hospital")


class HospitalResource(Base):
    __tablename__ = "hospital_resources"
    __table_args__ = (
        CheckConstraint(in_list("status", RESOURCE_STATUSES), name="status"),
        CheckConstraint(
            "total_quantity >= 0 AND available_quantity >= 0 AND in_use_quantity >= 0 AND maintenance_quantity >= 0",
            name="quantities_non_negative",
        ),
        CheckConstraint(
            "available_quantity + in_use_quantity + maintenance_quantity = total_quantity",
            name="quantities_add_up",
        ),
        Index(None, "hospital_id", "category"),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    name: Mapped[str]
    category: Mapped[str]
    total_quantity: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    available_quantity: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    in_use_quantity: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    maintenance_quantity: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(default="available", server_default="available")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    hospital: Mapped[Hospital] = relationship(back_populates="resources")
    admissions: Mapped[list[HospitalPatient]] = relationship(back_populates="bed_resource")


class HospitalPatient(Base):
    """An admission: a patient under a hospital's care, with a room, an assigned physician and the bed it holds."""

    __tablename__ = "hospital_patients"
    __table_args__ = (
        CheckConstraint(in_list("status", ADMISSION_STATUSES), name="status"),
        CheckConstraint("discharge_date IS NULL OR discharge_date >= admission_date", name="discharge_after_admission"),
        Index(None, "hospital_id", "status"),
        Index(None, "patient_id"),
        Index(None, "assigned_physician_id"),
        Index(None, "bed_resource_id"),
        # Migration 0007: a patient has at most one open admission in the whole network.
        Index(
            "uq_hospital_patients_open_admission",
            "patient_id",
            unique=True,
            postgresql_where=text(f"{in_list('status', CURRENT_ADMISSION_STATUSES)} AND discharge_date IS NULL"),
        ),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # ERRATA: added foreign key
    assigned_physician_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))  # ERRATA: added
    status: Mapped[str] = mapped_column(default="active", server_default="active")
    admission_date: Mapped[datetime] = created_at_column()
    discharge_date: Mapped[Timestamp | None]
    room_number: Mapped[str | None]
    notes: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # ERRATA addition (migration 0004): the bed resource this admission holds; None while waiting for a bed.
    bed_resource_id: Mapped[str | None] = mapped_column(ForeignKey("hospital_resources.id"))

    hospital: Mapped[Hospital] = relationship(back_populates="patients")
    patient: Mapped[User] = relationship(back_populates="hospital_admissions")
    assigned_physician: Mapped[Profile | None] = relationship(back_populates="assigned_hospital_patients")
    bed_resource: Mapped[HospitalResource | None] = relationship(back_populates="admissions")


class PatientWaitlist(Base):
    __tablename__ = "patient_waitlist"
    __table_args__ = (
        CheckConstraint(in_list("priority", WAITLIST_PRIORITIES), name="priority"),
        CheckConstraint(in_list("status", WAITLIST_STATUSES), name="status"),
        CheckConstraint("estimated_wait_time IS NULL OR estimated_wait_time >= 0", name="wait_non_negative"),
        Index(None, "hospital_id", "status", "created_at"),
        Index(None, "patient_id"),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # ERRATA: added foreign key
    department: Mapped[str]
    reason: Mapped[str]
    priority: Mapped[str] = mapped_column(default="medium", server_default="medium")
    status: Mapped[str] = mapped_column(default="waiting", server_default="waiting")
    estimated_wait_time: Mapped[int | None]  # minutes
    called_at: Mapped[Timestamp | None]
    completed_at: Mapped[Timestamp | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    hospital: Mapped[Hospital] = relationship(back_populates="waitlist")
    patient: Mapped[User] = relationship(back_populates="waitlist_entries")
