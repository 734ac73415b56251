"""The bed board of a hospital: its beds one by one, by ward, with the patient in each and how long.

A hospital "runs the board" once it has beds here (table `beds`, migration 0015). Each bed counts
toward one bed resource of the hospital; the database keeps that resource's counts equal to its beds
(free = available, occupied = in use, cleaning, blocked or reserved = maintenance), so the free-bed
and occupancy figures of every page read the same truth as the board. The changes are in `bed_commands`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from dashboard.platform import people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.scope import hospital_in_scope, limit_to_scope
from db.models import Bed, Hospital, HospitalPatient, HospitalResource, Profile, User
from db.models.beds import BED_STATES, BED_TYPES

STATE_WORDS = {"free": "Free", "occupied": "Occupied", "reserved": "Reserved", "cleaning": "Cleaning",
               "blocked": "Blocked"}  # fmt: skip
TYPE_WORDS = {"general": "General", "icu": "ICU", "maternity": "Maternity", "paediatric": "Paediatric",
              "isolation": "Isolation"}  # fmt: skip
assert set(STATE_WORDS) == set(BED_STATES) and set(TYPE_WORDS) == set(BED_TYPES)

_hours_in_state = cast(func.extract("epoch", func.now() - Bed.state_since), Float) / 3600.0
_days_in = cast(func.extract("epoch", func.now() - HospitalPatient.admission_date), Float) / 86400.0


@dataclass(frozen=True)
class BoardBed:
    bed_id: str
    ward: str
    label: str
    bed_type: str
    state: str
    state_since: datetime
    hours_in_state: float
    reason: str | None
    resource_id: str
    resource_name: str
    admission_id: str | None
    patient_name: str | None
    days_in: float | None  # days since the admission, for an occupied bed

    @property
    def name(self) -> str:
        return f"{self.ward}, bed {self.label}"


@dataclass(frozen=True)
class WardStates:
    """How many beds of a ward are in each state."""

    ward: str
    free: int
    occupied: int
    reserved: int
    cleaning: int
    blocked: int

    @property
    def total(self) -> int:
        return self.free + self.occupied + self.reserved + self.cleaning + self.blocked

    @property
    def full(self) -> bool:
        return self.total > 0 and self.free == 0


@dataclass(frozen=True)
class BoardHospital:
    hospital_id: str
    hospital_name: str
    beds: int


@permissions.reads("bed_board", "see the bed board")
def beds(db: Session, actor: Actor, hospital_id: str) -> list[BoardBed]:
    """Every bed of one hospital in scope, by ward and label, with the patient in each occupied one."""
    hospital_in_scope(db, actor, hospital_id)
    stmt = (
        select(
            Bed.id,
            Bed.ward,
            Bed.label,
            Bed.bed_type,
            Bed.state,
            Bed.state_since,
            _hours_in_state,
            Bed.reason,
            Bed.resource_id,
            HospitalResource.name,
            Bed.admission_id,
            people.name_or(User.email),
            _days_in,
        )  # fmt: skip
        .join(HospitalResource, HospitalResource.id == Bed.resource_id)
        .outerjoin(HospitalPatient, HospitalPatient.id == Bed.admission_id)
        .outerjoin(User, User.id == HospitalPatient.patient_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(Bed.hospital_id == hospital_id)
    )
    # Bed labels sort as numbers where they are numbers: bed 2 before bed 10.
    number = func.nullif(func.regexp_replace(Bed.label, "[^0-9]", "", "g"), "")
    stmt = limit_to_scope(stmt, actor, Bed.hospital_id).order_by(
        Bed.ward, cast(func.left(number, 9), Float).nulls_last(), Bed.label, Bed.id
    )
    return [BoardBed(*r) for r in db.execute(stmt)]


def by_ward(board: list[BoardBed]) -> list[WardStates]:
    """Each ward's beds per state, from the board already read (no second query)."""
    wards: dict[str, dict[str, int]] = {}
    for bed in board:
        wards.setdefault(bed.ward, dict.fromkeys(BED_STATES, 0))[bed.state] += 1
    return [WardStates(ward, **states) for ward, states in wards.items()]


@permissions.reads("bed_board", "see which hospitals run the bed board")
def board_hospitals(db: Session, actor: Actor) -> list[BoardHospital]:
    """The active hospitals in scope that have beds on the board, by name, with how many beds."""
    stmt = (
        select(Hospital.id, Hospital.name, func.count(Bed.id))
        .join(Bed, Bed.hospital_id == Hospital.id)
        .where(Hospital.is_active)
        .group_by(Hospital.id, Hospital.name)
    )
    stmt = limit_to_scope(stmt, actor, Hospital.id).order_by(Hospital.name, Hospital.id)
    return [BoardHospital(*r) for r in db.execute(stmt)]


@permissions.reads("bed_board", "see the free beds to admit to")
def free_beds(db: Session, actor: Actor, hospital_id: str) -> list[BoardBed]:
    """The free beds of one hospital (the admission form's choices), by ward and label."""
    return [b for b in beds(db, actor, hospital_id) if b.state == "free"]


@permissions.reads("bed_board", "see the kinds of beds to add")
def bed_resources(db: Session, actor: Actor, hospital_id: str) -> list[tuple[str, str]]:
    """(id, name) of a hospital's bed resources in scope, for the form that adds beds."""
    hospital_in_scope(db, actor, hospital_id)
    stmt = (
        select(HospitalResource.id, HospitalResource.name)
        .where(HospitalResource.hospital_id == hospital_id, HospitalResource.category == "beds")
        .order_by(HospitalResource.name, HospitalResource.id)
    )
    return [(r[0], r[1]) for r in db.execute(stmt)]
