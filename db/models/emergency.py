"""Emergencies and ambulance requests, located by coordinates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Coordinate, created_at_column, id_column, in_list, updated_at_column
from db.vocab import AMBULANCE_STATUSES, EMERGENCY_STATUSES, SEVERITIES

if TYPE_CHECKING:
    from db.models.hospitals import Hospital
    from db.models.people import Profile, User


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
