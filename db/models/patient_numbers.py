"""Hospital numbers (migration 0016): each hospital's series of patient numbers, and the number a patient has there.

A number is given by the database itself (the trigger `healthdash_number_new_patients` on admissions,
appointments and the waitlist), the first time a hospital admits, books or waitlists the patient; nothing
in Python writes one. The indexes the patient search reads on `profiles` are declared here too, beside the
functions they index (their expressions are the migration's SQL functions).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column
from db.models.people import Profile


class PatientNumberSeries(Base):
    """One hospital's numbering: its prefix (its initials, fixed at its first number) and the last number given."""

    __tablename__ = "patient_number_series"
    __table_args__ = (
        CheckConstraint("last_number >= 0", name="last_number_non_negative"),
        CheckConstraint("prefix ~ '^[A-Z0-9]{1,8}$'", name="prefix_shape"),
    )

    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True)
    prefix: Mapped[str]
    last_number: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = created_at_column()


class PatientHospitalNumber(Base):
    """A patient's number at one hospital, e.g. LUTH-000123: one per hospital and patient, unique in the hospital."""

    __tablename__ = "patient_hospital_numbers"
    __table_args__ = (
        CheckConstraint("sequence_number > 0", name="sequence_positive"),
        UniqueConstraint("hospital_id", "number"),
        # The prefix search ("LUTH-0001" -> 100..199) reads this as a range.
        UniqueConstraint("hospital_id", "sequence_number"),
        Index(None, "patient_id"),
    )

    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    sequence_number: Mapped[int]
    number: Mapped[str]
    created_at: Mapped[datetime] = created_at_column()


PATIENT_ROWS = text("role = 'PATIENT'")
# The name and phone forms the search compares (dashboard/platform/people.py), over patients' profiles only.
search_name_index = Index(
    "ix_profiles_patient_search_name",
    func.healthdash_search_name(Profile.first_name, Profile.last_name),
    postgresql_using="gin",
    postgresql_ops={"healthdash_search_name_1": "gin_trgm_ops"},
    postgresql_where=PATIENT_ROWS,
)
phone_digits_index = Index(
    "ix_profiles_patient_phone_digits",
    func.healthdash_phone_digits(Profile.phone),
    postgresql_where=PATIENT_ROWS,
)
