"""Emergencies and ambulance requests, located by coordinates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Coordinate, Timestamp, created_at_column, id_column, in_list, updated_at_column
from db.vocab import AMBULANCE_STATUSES, EMERGENCY_STATUSES, SEVERITIES

if TYPE_CHECKING:
    from db.models.hospitals import Hospital
    from db.models.people import Profile, User

# Migration 0009 (an addition beyond the document): a referral of an emergency to a receiving hospital,
# which that hospital accepts or declines. "Live" referrals hold the emergency: at most one at a time.
REFERRAL_STATUSES = ("pending", "accepted", "declined", "withdrawn", "dispatched", "arrived", "closed")
LIVE_REFERRAL_STATUSES = ("pending", "accepted", "dispatched", "arrived")


class EmergencyRequest(Base):
    __tablename__ = "emergency_requests"
    __table_args__ = (
        CheckConstraint(in_list("status", EMERGENCY_STATUSES), name="status"),
        CheckConstraint(in_list("severity", SEVERITIES), name="severity"),
        Index("idx_emergency_requests_status_created", "status", "created_at"),
        Index(None, "hospital_id", "created_at"),
        Index(None, "patient_id"),
        Index(None, "assigned_physician_id"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    emergency_type: Mapped[str]
    description: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    severity: Mapped[str] = mapped_column(default="medium", server_default="medium")
    location_latitude: Mapped[Coordinate | None]
    location_longitude: Mapped[Coordinate | None]
    hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))
    assigned_physician_id: Mapped[str | None] = mapped_column(ForeignKey("profiles.id"))  # ERRATA: added
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[User] = relationship(back_populates="emergency_requests")
    hospital: Mapped[Hospital | None] = relationship(back_populates="emergency_requests")
    assigned_physician: Mapped[Profile | None] = relationship(back_populates="assigned_emergencies")


class AmbulanceRequest(Base):
    __tablename__ = "ambulance_requests"
    __table_args__ = (
        CheckConstraint(in_list("status", AMBULANCE_STATUSES), name="status"),
        CheckConstraint("ambulance_eta IS NULL OR ambulance_eta >= 0", name="eta_non_negative"),
        Index(None, "assigned_hospital_id", "created_at"),
        Index(None, "patient_id"),
    )

    id: Mapped[str] = id_column()
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    emergency_type: Mapped[str]
    description: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    pickup_address: Mapped[str]
    pickup_latitude: Mapped[Coordinate | None]
    pickup_longitude: Mapped[Coordinate | None]
    destination_address: Mapped[str | None]
    destination_latitude: Mapped[Coordinate | None]
    destination_longitude: Mapped[Coordinate | None]
    contact_phone: Mapped[str]
    ambulance_eta: Mapped[int | None]  # minutes
    assigned_hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    patient: Mapped[User] = relationship(back_populates="ambulance_requests")
    assigned_hospital: Mapped[Hospital | None] = relationship(back_populates="ambulance_requests")


class Referral(Base):
    """A referral of an emergency to a hospital (migration 0009): referred, answered, dispatched, arrived, closed.

    Each step has its own time; who referred and who answered are kept as plain user ids (like the
    audit trail's), so the record outlives the accounts. `from_hospital_id` is the hospital that held
    the emergency when it was referred (NULL when the network's dispatch desk held it).
    """

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(in_list("status", REFERRAL_STATUSES), name="status"),
        CheckConstraint("distance_km IS NULL OR distance_km >= 0", name="distance_non_negative"),
        CheckConstraint("status <> 'declined' OR decline_reason IS NOT NULL", name="declined_with_reason"),
        CheckConstraint("from_hospital_id IS NULL OR from_hospital_id <> to_hospital_id", name="not_to_itself"),
        Index(
            "uq_referrals_one_live_per_emergency",
            "emergency_request_id",
            unique=True,
            postgresql_where=text(in_list("status", LIVE_REFERRAL_STATUSES)),
        ),
        Index(None, "to_hospital_id", "status"),
        Index(None, "from_hospital_id"),
        Index(None, "ambulance_request_id"),
    )

    id: Mapped[str] = id_column()
    emergency_request_id: Mapped[str] = mapped_column(ForeignKey("emergency_requests.id"))
    from_hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))
    to_hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    bed_type: Mapped[str | None]  # the bed resource asked for, e.g. "ICU beds"
    distance_km: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    note: Mapped[str | None]
    decline_reason: Mapped[str | None]
    referred_by: Mapped[str]
    answered_by: Mapped[str | None]
    ambulance_request_id: Mapped[str | None] = mapped_column(ForeignKey("ambulance_requests.id"))
    referred_at: Mapped[datetime] = created_at_column()
    answered_at: Mapped[Timestamp | None]
    dispatched_at: Mapped[Timestamp | None]
    arrived_at: Mapped[Timestamp | None]
    closed_at: Mapped[Timestamp | None]
    withdrawn_at: Mapped[Timestamp | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # No ORM relationships: the services join explicitly, and the document's models stay as they are.
