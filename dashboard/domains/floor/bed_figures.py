"""Beds in the actor's scope: free and in use, per ward and hospital, against the patients admitted to them.

Beds are held by patients. Admit, discharge and transfer (`admission_commands`) move a bed resource's
in-use count with the admissions holding it, so the two stay equal; a ward may still count more
beds in use than it has admissions recorded here (patients registered on paper, or a hand-fixed
count), never fewer (`resource_commands.update_quantities` refuses it). `bed_census` names that
difference per ward, per hospital and in total, so the page says "97 counted in use, 7 admitted here:
90 not recorded in this system" rather than showing two numbers that seem to disagree. The bed
figures of every page (free beds, occupancy, beds in use) come from `bed_totals`, over active
hospitals only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, and_, cast, func, select, true, tuple_
from sqlalchemy.orm import Session

from dashboard.domains.floor.resource_list import USABLE, as_float, fraction
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.scope import limit_to_scope
from db import settings
from db.models import Hospital, HospitalPatient, HospitalResource
from db.rules import (
    BED_CATEGORY,
    CURRENT_ADMISSION_STATUSES,
    GENERAL_WARD_BEDS,
    ICU_BEDS,
    MATERNITY_BEDS,
    PAEDIATRIC_BEDS,
)

ALL_WARDS = "All wards"  # a hospital's subtotal row in the census


@dataclass(frozen=True)
class HospitalBeds:
    hospital_id: str
    hospital_name: str
    free_general: int  # General ward beds
    free_icu: int
    free_maternity: int
    free_paediatric: int
    free_total: int  # every bed resource, those named above and any other (isolation, ...)
    in_use: int
    usable: int
    occupancy: float | None  # percent of usable beds in use; None when the hospital has no usable beds
    last_update: datetime | None  # the latest count of any of its bed resources
    hours_since_update: float | None
    stale: bool  # its latest bed count is older than the `stale` level, or it never reported one

    @property
    def occupancy_share(self) -> float | None:
        return fraction(self.occupancy)


@dataclass(frozen=True)
class FreeIcuBeds:
    hospital_id: str
    hospital_name: str
    city: str | None
    state: str | None
    latitude: float | None
    longitude: float | None
    free_icu: int
    last_update: datetime
    hours_since_update: float
    stale: bool

    @property
    def place(self) -> str:
        return ", ".join(p for p in (self.city, self.state) if p)


@dataclass(frozen=True)
class BedTotals:
    """The beds of the active hospitals in scope: the Overview's and Resources & beds' one source."""

    total: int
    available: int  # free: neither in use nor in maintenance
    in_use: int  # counted in use by the wards
    maintenance: int
    held: int  # of those in use, held by a patient admitted here (hospital_patients.bed_resource_id)

    @property
    def usable(self) -> int:
        return self.total - self.maintenance

    @property
    def not_recorded(self) -> int:
        """Beds counted in use with no admission recorded in this system."""
        return self.in_use - self.held

    @property
    def occupancy(self) -> float | None:
        """Percent (0–100) of usable beds in use; None when no bed is usable."""
        return 100.0 * self.in_use / self.usable if self.usable > 0 else None


@dataclass(frozen=True)
class WardBeds:
    """One bed resource (a ward), or a hospital's subtotal (`resource_id` None), against its census."""

    hospital_id: str
    hospital_name: str
    resource_id: str | None  # None: the hospital's subtotal over all its wards
    ward: str | None
    beds: BedTotals

    @property
    def ward_name(self) -> str | None:
        return self.ward if self.resource_id is not None else ALL_WARDS


@dataclass(frozen=True)
class BedCensus:
    wards: list[WardBeds]  # by hospital, then ward name; each hospital's subtotal after its wards
    total: BedTotals  # the whole scope
    admitted: int  # patients in hospital now in scope, with or without a bed (Admissions' "In hospital now")
    waiting_for_bed: int  # of them, admitted with no bed yet

    def hospitals(self) -> list[WardBeds]:
        return [w for w in self.wards if w.resource_id is None]

    def rows(self, *, subtotals: bool) -> list[WardBeds]:
        """The wards, with each hospital's subtotal after them when several hospitals are shown."""
        return [w for w in self.wards if w.resource_id is not None or subtotals]


def free_icu(hospitals: list[HospitalBeds]) -> int:
    """Free ICU beds over the hospitals of `beds_by_hospital`."""
    return sum(h.free_icu for h in hospitals)


def stale_hospitals(hospitals: list[HospitalBeds]) -> int:
    """Hospitals with no fresh bed count at all."""
    return sum(h.stale for h in hospitals)


def _held_by_admissions() -> Any:
    """Current admissions holding a unit of the outer bed resource (the bed_resource_id index finds them)."""
    return (
        select(func.count())
        .where(
            HospitalPatient.bed_resource_id == HospitalResource.id,
            HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES),
            HospitalPatient.discharge_date.is_(None),
        )
        .correlate(HospitalResource)
        .scalar_subquery()
    )


def active_beds(actor: Actor | None) -> Select:
    """Each bed resource of an active hospital in scope, with the admissions holding it (every one for None).

    The bed figures' one row source: bed_totals sums it over the scope, the Peers page per hospital.
    """
    stmt = (
        select(
            HospitalResource.hospital_id.label("hospital_id"),
            Hospital.name.label("hospital_name"),
            HospitalResource.id.label("resource_id"),
            HospitalResource.name.label("ward"),
            HospitalResource.total_quantity.label("total"),
            HospitalResource.available_quantity.label("available"),
            HospitalResource.in_use_quantity.label("in_use"),
            HospitalResource.maintenance_quantity.label("maintenance"),
            _held_by_admissions().label("held"),
        )
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(HospitalResource.category == BED_CATEGORY, Hospital.is_active)
    )
    return stmt if actor is None else limit_to_scope(stmt, actor, HospitalResource.hospital_id)


def _sums(rows: Any) -> list[Any]:
    return [func.coalesce(func.sum(rows.c[c]), 0) for c in ("total", "available", "in_use", "maintenance", "held")]


def _totals(values: Any) -> BedTotals:
    return BedTotals(*(int(v) for v in values))


@permissions.reads("resources", "see beds")
def bed_totals(db: Session, actor: Actor) -> BedTotals:
    """Free, in use, in maintenance and held beds over the active hospitals in scope (free beds, occupancy)."""
    beds = active_beds(actor).subquery()
    return _totals(db.execute(select(*_sums(beds))).one())


@permissions.reads("resources", "see beds")
def bed_census(db: Session, actor: Actor) -> BedCensus:
    """Each ward's beds counted in use against the admitted patients holding them, per hospital and in total.

    One query rolls the wards up into their hospitals and the scope (GROUP BY ROLLUP).
    """
    beds = active_beds(actor).subquery()
    hospital, ward = (beds.c.hospital_id, beds.c.hospital_name), (beds.c.resource_id, beds.c.ward)
    level = func.grouping(beds.c.hospital_id, beds.c.resource_id)
    # Ordered by level within each hospital, its subtotal (level 1) follows its wards (0); the total (3) is last.
    stmt = (
        select(*hospital, *ward, level, *_sums(beds))
        .group_by(func.rollup(tuple_(*hospital), tuple_(*ward)))
        .order_by(
            beds.c.hospital_name.nulls_last(), beds.c.hospital_id.nulls_last(), level, beds.c.ward, beds.c.resource_id
        )
    )
    wards: list[WardBeds] = []
    total = BedTotals(0, 0, 0, 0, 0)
    for r in db.execute(stmt):
        if r[4] == 3:  # the grand total
            total = _totals(r[5:])
        else:
            wards.append(WardBeds(r[0], r[1], r[2], r[3], _totals(r[5:])))
    # Counted as Admissions' "In hospital now" counts them (every hospital in scope), so the two agree.
    admitted, waiting = db.execute(
        limit_to_scope(
            select(func.count(), func.count().filter(HospitalPatient.bed_resource_id.is_(None))).where(
                HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES), HospitalPatient.discharge_date.is_(None)
            ),
            actor,
            HospitalPatient.hospital_id,
        )
    ).one()
    return BedCensus(wards, total, admitted or 0, waiting or 0)


@permissions.reads("resources", "see beds")
def beds_by_hospital(db: Session, actor: Actor, *, values: settings.Settings | None = None) -> list[HospitalBeds]:
    """One row per active hospital in scope (by name), with its free beds per ward and its bed occupancy.

    An active hospital with no bed resources still has its row (all zero, stale): it has not reported.
    """
    stale_hours = (values or settings.current()).stale.raise_at
    is_bed = HospitalResource.category == BED_CATEGORY

    def free(name: str | None = None) -> Any:
        condition = is_bed if name is None else and_(is_bed, HospitalResource.name == name)
        return func.coalesce(func.sum(HospitalResource.available_quantity).filter(condition), 0)

    in_use = func.coalesce(func.sum(HospitalResource.in_use_quantity).filter(is_bed), 0)
    usable = func.coalesce(func.sum(USABLE).filter(is_bed), 0)
    last_update = func.max(HospitalResource.updated_at).filter(is_bed)
    hours = cast(func.extract("epoch", func.now() - last_update), Float) / 3600.0
    stmt = (
        select(
            Hospital.id,
            Hospital.name,
            free(GENERAL_WARD_BEDS),
            free(ICU_BEDS),
            free(MATERNITY_BEDS),
            free(PAEDIATRIC_BEDS),
            free(),
            in_use,
            usable,
            100.0 * in_use / cast(func.nullif(usable, 0), Float),
            last_update,
            hours,
            func.coalesce(hours >= stale_hours, true()),
        )
        .outerjoin(HospitalResource, HospitalResource.hospital_id == Hospital.id)
        .where(Hospital.is_active)
        .group_by(Hospital.id, Hospital.name)
    )
    stmt = limit_to_scope(stmt, actor, Hospital.id).order_by(Hospital.name, Hospital.id)
    return [
        HospitalBeds(
            hospital_id=r[0],
            hospital_name=r[1],
            free_general=int(r[2]),
            free_icu=int(r[3]),
            free_maternity=int(r[4]),
            free_paediatric=int(r[5]),
            free_total=int(r[6]),
            in_use=int(r[7]),
            usable=int(r[8]),
            occupancy=as_float(r[9]),
            last_update=r[10],
            hours_since_update=as_float(r[11]),
            stale=bool(r[12]),
        )
        for r in db.execute(stmt)
    ]


@permissions.reads("resources", "see free ICU beds")
def free_icu_beds(db: Session, actor: Actor, *, values: settings.Settings | None = None) -> list[FreeIcuBeds]:
    """Where are free ICU beds now: hospitals in scope with any, fresh counts before stale, then most free first.

    A stale count ranks below every fresh one however many beds it claims: those beds may be gone.
    """
    stale_hours = (values or settings.current()).stale.raise_at
    free = func.sum(HospitalResource.available_quantity)
    last_update = func.max(HospitalResource.updated_at)
    hours = cast(func.extract("epoch", func.now() - last_update), Float) / 3600.0
    stale = hours >= stale_hours
    stmt = (
        select(
            Hospital.id,
            Hospital.name,
            Hospital.city,
            Hospital.state,
            Hospital.latitude,
            Hospital.longitude,
            free,
            last_update,
            hours,
            stale,
        )
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(Hospital.is_active, HospitalResource.category == BED_CATEGORY, HospitalResource.name == ICU_BEDS)
        .group_by(Hospital.id)
        .having(free > 0)
    )
    stmt = limit_to_scope(stmt, actor, HospitalResource.hospital_id).order_by(
        stale, free.desc(), Hospital.name, Hospital.id
    )
    return [
        FreeIcuBeds(
            hospital_id=r[0],
            hospital_name=r[1],
            city=r[2],
            state=r[3],
            latitude=as_float(r[4]),
            longitude=as_float(r[5]),
            free_icu=int(r[6]),
            last_update=r[7],
            hours_since_update=float(r[8]),
            stale=bool(r[9]),
        )
        for r in db.execute(stmt)
    ]
