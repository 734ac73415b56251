"""Small builders for the waitlist and overview tests: hospitals, named patients, queue entries, figures.

Times are given relative to the database clock (`now()`), which inside a test's transaction stands
still, so waits come out to the exact minutes a test wrote.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.platform.actors import Actor, ClientInfo
from db.base import UserRole
from db.models import (
    AuditLog,
    Hospital,
    HospitalResource,
    PatientWaitlist,
    Profile,
    User,
)


def db_now(db: Session) -> datetime:
    return db.scalar(select(func.now()))


def actor(role: UserRole, hospital_id: str | None, label: str = "staff") -> Actor:
    """An actor with a user id of its own, so a test can find exactly its own audit rows."""
    user_id = f"{label}-{secrets.token_hex(4)}"
    return Actor(user_id, role, hospital_id, ClientInfo(session_id=f"session-{user_id}"))


def add_hospital(db: Session, name: str, **values) -> str:
    hospital = Hospital(name=name, verification_status=values.pop("verification_status", "verified"), **values)
    db.add(hospital)
    db.flush()
    return hospital.id


def add_patient(db: Session, first_name: str, last_name: str, hospital_id: str | None = None) -> str:
    user = User(email=f"{first_name}.{secrets.token_hex(4)}@patients.test.ng".lower(), password="x")
    user.profile = Profile(first_name=first_name, last_name=last_name, role=UserRole.PATIENT, hospital_id=hospital_id)
    db.add(user)
    db.flush()
    return user.id


def add_entry(
    db: Session,
    hospital_id: str,
    patient_id: str,
    *,
    waited: float = 10,
    priority: str = "medium",
    status: str = "waiting",
    department: str = "Cardiology",
    created_at: datetime | None = None,
    called_after: float | None = None,
    reason: str = "Chest pain review",
) -> str:
    """An entry that arrived `waited` minutes ago (or at `created_at`), called `called_after` minutes after arriving."""
    created = created_at or db_now(db) - timedelta(minutes=waited)
    entry = PatientWaitlist(
        hospital_id=hospital_id,
        patient_id=patient_id,
        department=department,
        reason=reason,
        priority=priority,
        status=status,
        created_at=created,
        called_at=None if called_after is None else created + timedelta(minutes=called_after),
    )
    db.add(entry)
    db.flush()
    return entry.id


def add_beds(db: Session, hospital_id: str, *, total: int, available: int, in_use: int, maintenance: int, **kw) -> str:
    resource = HospitalResource(
        hospital_id=hospital_id,
        name=kw.pop("name", "General ward beds"),
        category=kw.pop("category", "beds"),
        total_quantity=total,
        available_quantity=available,
        in_use_quantity=in_use,
        maintenance_quantity=maintenance,
        **kw,
    )
    db.add(resource)
    db.flush()
    return resource.id


def audit_rows(db: Session, user_id: str, action_type: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.user_id == user_id).order_by(AuditLog.created_at, AuditLog.id)
    if action_type is not None:
        stmt = stmt.where(AuditLog.action_type == action_type)
    return list(db.scalars(stmt))


def money(value: str) -> Decimal:
    return Decimal(value)
