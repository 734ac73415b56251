"""The document's minimal seed: an admin, General Hospital Lagos, a cardiologist and a patient.

Idempotent: records are looked up by their natural keys (email, hospital name) and only missing
ones are created, so running it twice is the same as once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.base import UserRole
from db.models import Hospital, Profile, User
from db.passwords import hash_password

SEED_HOSPITAL = {
    "name": "General Hospital Lagos",
    "address": "123 Main St, Lagos",
    "phone": "+234-123-456-7890",
    "email": "contact@generalhospital.com",
    "city": "Lagos",
    "state": "Lagos",
    "latitude": Decimal("6.5244"),
    "longitude": Decimal("3.3792"),
}

SEED_ACCOUNTS = (
    {
        "email": "admin@healthcare.com",
        "password": "admin123",
        "profile": {"first_name": "System", "last_name": "Administrator", "role": UserRole.ADMIN},
    },
    {
        "email": "physician@healthcare.com",
        "password": "physician123",
        "profile": {
            "first_name": "Dr. John",
            "last_name": "Smith",
            "role": UserRole.PHYSICIAN,
            "specialization": "Cardiology",
            "license_number": "MD123456",
            "consultation_rate": Decimal(50000),
        },
        "at_seed_hospital": True,
    },
    {
        "email": "patient@healthcare.com",
        "password": "patient123",
        "profile": {
            "first_name": "Jane",
            "last_name": "Doe",
            "role": UserRole.PATIENT,
            "phone": "+234-987-654-3210",
        },
    },
)


@dataclass
class SeedReport:
    created: list[str]
    existing: list[str]


def seed(session: Session) -> SeedReport:
    """Create what is missing of the four seed records; the caller commits."""
    report = SeedReport(created=[], existing=[])
    # The hospital is found by name, which is not unique: two seeds at once must not both create it.
    # The lock is held to the end of the caller's transaction.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('healthdash.seed'))"))
    hospital = session.scalar(select(Hospital).where(Hospital.name == SEED_HOSPITAL["name"]))
    if hospital is None:
        hospital = Hospital(**SEED_HOSPITAL)
        session.add(hospital)
        session.flush()
        report.created.append(f"hospital {hospital.name}")
    else:
        report.existing.append(f"hospital {hospital.name}")

    for account in SEED_ACCOUNTS:
        if session.scalar(select(User.id).where(User.email == account["email"])) is not None:
            report.existing.append(account["email"])
            continue
        user = User(email=account["email"], password=hash_password(account["password"]))
        profile = Profile(**account["profile"])
        if account.get("at_seed_hospital"):
            profile.hospital_id = hospital.id
        user.profile = profile
        session.add(user)
        session.flush()
        report.created.append(account["email"])
    return report
