"""Resources and beds in the actor's scope: what each hospital holds, what is free, and the counts' upkeep.

Percentages are 0–100, like the thresholds of `settings` they are compared with. A resource's
"usable" units are its total less those in maintenance; its free percent is the available share of
them. Counts are typed in by hospital staff, so every figure carries its age: a count older than
the `stale` level is flagged and ranked below fresh ones.

Beds are held by patients. Admit, discharge and transfer (`admissions`) move a bed resource's
in-use count with the admissions holding it, so the two stay equal; a ward may still count more
beds in use than it has admissions recorded here (patients registered on paper, or a hand-fixed
count), never fewer (`update_quantities` refuses it). `bed_census` names that difference per ward,
per hospital and in total, so the page says "97 counted in use, 7 admitted here: 90 not recorded
in this system" rather than showing two numbers that seem to disagree. The bed figures of every
page (free beds, occupancy, beds in use) come from `bed_totals`, over active hospitals only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, and_, case, cast, false, func, literal, or_, select, true, tuple_, update
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions, settings
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope, require_role
from db.models import Hospital, HospitalPatient, HospitalResource
from db.rules import (
    BED_CATEGORY,
    CURRENT_ADMISSION_STATUSES,
    GENERAL_WARD_BEDS,
    ICU_BEDS,
    MATERNITY_BEDS,
    PAEDIATRIC_BEDS,
    resource_status,
)
from db.vocab import RESOURCE_CATEGORIES

RESOURCE_READERS = permissions.readers("resources")
RESOURCE_WRITERS = permissions.writers("resources")
CATEGORY_RESOURCES = "resource_management"
MAX_QUANTITY = 100_000  # more units of one resource than any hospital holds: a typo, not a count
QUANTITY_FIELDS = {
    "total": "The total",
    "available": "The number available",
    "in_use": "The number in use",
    "maintenance": "The number in maintenance",
}
# The words the edit form uses for each count, so a refusal names the field the reader typed in.
FORM_WORDS = {"total": "Total", "available": "Free", "in_use": "In use", "maintenance": "In maintenance"}

_usable = HospitalResource.total_quantity - HospitalResource.maintenance_quantity
_hours_since_update = cast(func.extract("epoch", func.now() - HospitalResource.updated_at), Float) / 3600.0
# A resource with nothing usable (all of it in maintenance) has 0 % free: it is as short as it gets.
# One with no units at all is not stocked, so it has no free percent and raises no alert.
_free_percent = case(
    (HospitalResource.total_quantity == 0, None),
    (_usable == 0, 0.0),
    else_=100.0 * HospitalResource.available_quantity / cast(_usable, Float),
)
_utilisation = 100.0 * HospitalResource.in_use_quantity / cast(func.nullif(_usable, 0), Float)


@dataclass(frozen=True)
class CategorySummary:
    category: str
    resources: int  # how many resource rows (e.g. 5 kinds of beds in 2 hospitals: 10)
    total: int
    available: int
    in_use: int
    maintenance: int
    utilisation: float | None  # percent of usable units in use; None when nothing is usable
    stale: int = 0  # resources whose count is older than the `stale` level


@dataclass(frozen=True)
class ResourceRow:
    id: str
    hospital_id: str
    hospital_name: str
    name: str
    category: str
    total: int
    available: int
    in_use: int
    maintenance: int
    status: str
    utilisation: float | None  # percent of usable units in use; None when nothing is usable
    free_percent: float | None  # percent of usable units available; None when the resource has no units
    updated_at: datetime
    hours_since_update: float
    stale: bool  # older than the `stale` level
    low: bool  # free percent at or below the `low_availability` raise level


@dataclass(frozen=True)
class ResourceAlert:
    resource_id: str
    hospital_id: str
    hospital_name: str
    name: str
    category: str
    available: int
    usable: int
    free_percent: float
    # True at or below the raise level; False between the raise and clear levels, where the alert
    # stands only if it was raised before (the page applies `Level.breached(was_raised=...)`).
    at_raise_level: bool
    updated_at: datetime


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


@dataclass(frozen=True)
class BedCensus:
    wards: list[WardBeds]  # by hospital, then ward name; each hospital's subtotal after its wards
    total: BedTotals  # the whole scope
    admitted: int  # patients in hospital now in scope, with or without a bed (Admissions' "In hospital now")
    waiting_for_bed: int  # of them, admitted with no bed yet

    def hospitals(self) -> list[WardBeds]:
        return [w for w in self.wards if w.resource_id is None]


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


def _active_beds(actor: Actor | None) -> Select:
    """Each bed resource of an active hospital in scope, with the admissions holding it."""
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


@permissions.reads("resources")
def bed_totals(db: Session, actor: Actor) -> BedTotals:
    """Free, in use, in maintenance and held beds over the active hospitals in scope (free beds, occupancy)."""
    require_role(db, actor, RESOURCE_READERS, "see beds")
    beds = _active_beds(actor).subquery()
    return _totals(db.execute(select(*_sums(beds))).one())


@permissions.reads("resources")
def bed_census(db: Session, actor: Actor) -> BedCensus:
    """Each ward's beds counted in use against the admitted patients holding them, per hospital and in total.

    One query rolls the wards up into their hospitals and the scope (GROUP BY ROLLUP).
    """
    require_role(db, actor, RESOURCE_READERS, "see beds")
    beds = _active_beds(actor).subquery()
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


@permissions.reads("resources")
def category_summary(db: Session, actor: Actor, *, values: settings.Settings | None = None) -> list[CategorySummary]:
    """Totals per category (beds, equipment, ...), in the order of db.vocab.RESOURCE_CATEGORIES."""
    require_role(db, actor, RESOURCE_READERS, "see resources")
    usable = func.sum(_usable)
    stale_hours = (values or settings.current()).stale.raise_at
    stmt = select(
        HospitalResource.category,
        func.count(),
        func.sum(HospitalResource.total_quantity),
        func.sum(HospitalResource.available_quantity),
        func.sum(HospitalResource.in_use_quantity),
        func.sum(HospitalResource.maintenance_quantity),
        100.0 * func.sum(HospitalResource.in_use_quantity) / cast(func.nullif(usable, 0), Float),
        func.count().filter(_hours_since_update >= literal(stale_hours)),
    )
    # Active hospitals only, as every bed figure (`bed_totals`): a closed hospital's beds are nobody's.
    stmt = (
        stmt.join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(Hospital.is_active)
        .group_by(HospitalResource.category)
    )
    rows = db.execute(limit_to_scope(stmt, actor, HospitalResource.hospital_id)).all()
    known = {c: i for i, c in enumerate(RESOURCE_CATEGORIES)}
    rows = sorted(rows, key=lambda r: (known.get(r[0], len(known)), r[0]))
    return [
        CategorySummary(
            category=r[0],
            resources=r[1],
            total=int(r[2]),
            available=int(r[3]),
            in_use=int(r[4]),
            maintenance=int(r[5]),
            utilisation=_float(r[6]),
            stale=r[7],
        )
        for r in rows
    ]


@permissions.reads("resources")
def list_resources(
    db: Session,
    actor: Actor,
    *,
    category: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 50,
    values: settings.Settings | None = None,
) -> Page[ResourceRow]:
    """Resources in scope, low ones first, then by category and name; searched by resource or hospital name."""
    require_role(db, actor, RESOURCE_READERS, "see resources")
    stmt = _resource_query(actor, values or settings.current(), category=_category(category), search=search)
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([_resource_row(r) for r in rows], total, page, page_size)


def export_resources(
    db: Session,
    actor: Actor,
    *,
    category: str | None = None,
    search: str = "",
    values: settings.Settings | None = None,
) -> tuple[list[ResourceRow], bool]:
    """The list as it shows, every row up to paging.EXPORT_LIMIT, and whether the limit cut it short; audited."""
    require_role(db, actor, RESOURCE_READERS, "export resources")
    category = _category(category)
    rows, truncated = fetch_capped(
        db, _resource_query(actor, values or settings.current(), category=category, search=search)
    )
    audit.record_export(
        db,
        actor,
        action_type="resources_exported",
        resource_type="hospital_resource",
        filters={"category": category, "search": search.strip() or None},
        rows=len(rows),
    )
    return [_resource_row(r) for r in rows], truncated


@permissions.reads("resources")
def low_availability_alerts(
    db: Session, actor: Actor, *, values: settings.Settings | None = None
) -> list[ResourceAlert]:
    """Resources whose free percent is at or below the clear level of `low_availability`, worst first.

    Those at or below the raise level are alerts now; those between the two levels are alerts only
    if they were raised before (hysteresis), which the page knows and this query does not.
    """
    require_role(db, actor, RESOURCE_READERS, "see resource alerts")
    level = (values or settings.current()).low_availability
    free = _free_percent.label("free_percent")
    stmt = (
        select(
            HospitalResource.id,
            HospitalResource.hospital_id,
            Hospital.name,
            HospitalResource.name,
            HospitalResource.category,
            HospitalResource.available_quantity,
            _usable,
            free,
            _free_percent <= level.raise_at,
            HospitalResource.updated_at,
        )
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(or_(_free_percent <= level.raise_at, _free_percent < level.clear_at))
    )
    stmt = limit_to_scope(stmt, actor, HospitalResource.hospital_id).order_by(
        _free_percent, HospitalResource.available_quantity, Hospital.name, HospitalResource.name, HospitalResource.id
    )
    return [
        ResourceAlert(
            resource_id=r[0],
            hospital_id=r[1],
            hospital_name=r[2],
            name=r[3],
            category=r[4],
            available=r[5],
            usable=r[6],
            free_percent=float(r[7]),
            at_raise_level=bool(r[8]),
            updated_at=r[9],
        )
        for r in db.execute(stmt)
    ]


@permissions.reads("resources")
def beds_by_hospital(db: Session, actor: Actor, *, values: settings.Settings | None = None) -> list[HospitalBeds]:
    """One row per active hospital in scope (by name), with its free beds per ward and its bed occupancy.

    An active hospital with no bed resources still has its row (all zero, stale): it has not reported.
    """
    require_role(db, actor, RESOURCE_READERS, "see beds")
    stale_hours = (values or settings.current()).stale.raise_at
    is_bed = HospitalResource.category == BED_CATEGORY

    def free(name: str | None = None) -> Any:
        condition = is_bed if name is None else and_(is_bed, HospitalResource.name == name)
        return func.coalesce(func.sum(HospitalResource.available_quantity).filter(condition), 0)

    in_use = func.coalesce(func.sum(HospitalResource.in_use_quantity).filter(is_bed), 0)
    usable = func.coalesce(func.sum(_usable).filter(is_bed), 0)
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
            occupancy=_float(r[9]),
            last_update=r[10],
            hours_since_update=_float(r[11]),
            stale=bool(r[12]),
        )
        for r in db.execute(stmt)
    ]


@permissions.reads("resources")
def free_icu_beds(db: Session, actor: Actor, *, values: settings.Settings | None = None) -> list[FreeIcuBeds]:
    """Where are free ICU beds now: hospitals in scope with any, fresh counts before stale, then most free first.

    A stale count ranks below every fresh one however many beds it claims: those beds may be gone.
    """
    require_role(db, actor, RESOURCE_READERS, "see free ICU beds")
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
            latitude=_float(r[4]),
            longitude=_float(r[5]),
            free_icu=int(r[6]),
            last_update=r[7],
            hours_since_update=float(r[8]),
            stale=bool(r[9]),
        )
        for r in db.execute(stmt)
    ]


@permissions.reads(RESOURCE_WRITERS)
def resource_choices(db: Session, actor: Actor) -> list[tuple[str, str]]:
    """(id, "Hospital — Resource") of the resources in scope, for the edit form's picker."""
    require_role(db, actor, RESOURCE_WRITERS, "change resource counts")
    stmt = select(HospitalResource.id, Hospital.name, HospitalResource.name).join(
        Hospital, Hospital.id == HospitalResource.hospital_id
    )
    stmt = limit_to_scope(stmt, actor, HospitalResource.hospital_id).order_by(
        Hospital.name, HospitalResource.category, HospitalResource.name, HospitalResource.id
    )
    return [(r[0], f"{r[1]} — {r[2]}") for r in db.execute(stmt)]


def update_quantities(
    db: Session,
    actor: Actor,
    resource_id: str,
    *,
    total: Any,
    available: Any,
    in_use: Any,
    maintenance: Any,
    values: settings.Settings | None = None,
) -> ResourceRow:
    """Set a resource's four counts (they must add up); its status follows them. One audit row."""
    require_role(db, actor, RESOURCE_WRITERS, "change resource counts")
    resource, hospital_name = _lock_resource(db, actor, resource_id)
    new = {
        "total": _quantity("total", total),
        "available": _quantity("available", available),
        "in_use": _quantity("in_use", in_use),
        "maintenance": _quantity("maintenance", maintenance),
    }
    added = new["available"] + new["in_use"] + new["maintenance"]
    if added != new["total"]:
        raise InvalidInput(_sum_refusal(resource, new, added))
    held = _beds_held(db, resource.id)
    if new["in_use"] < held:
        holders = (
            f"a patient admitted at {hospital_name} holds one"
            if held == 1
            else f"{held} patients admitted at {hospital_name} hold one each"
        )
        raise InvalidInput(
            f"{resource.name} in use cannot go below {held}: {holders}. Discharge or transfer a patient first."
        )
    old_counts = _counts(resource)
    new_counts = {
        "total_quantity": new["total"],
        "available_quantity": new["available"],
        "in_use_quantity": new["in_use"],
        "maintenance_quantity": new["maintenance"],
        "status": resource_status(new["total"], new["available"], new["maintenance"]),
    }
    old_values, new_values = audit.changes(old_counts, new_counts)
    if not new_values:
        raise InvalidInput(
            f"Nothing to change: {resource.name} at {hospital_name} already has these counts. "
            "To record that they are still right, confirm the count instead."
        )
    for column, value in new_counts.items():
        setattr(resource, column, value)
    db.flush()
    audit.record(
        db,
        actor,
        action_category=CATEGORY_RESOURCES,
        action_type="resource_updated",
        resource_type="hospital_resource",
        resource_id=resource.id,
        old_values=old_values,
        new_values={**new_values, "name": resource.name},
        concerns_hospital=resource.hospital_id,
    )
    return get_resource(db, actor, resource.id, values=values)


def confirm_count(db: Session, actor: Actor, resource_id: str) -> datetime:
    """The counts are unchanged but checked now: their time moves to now, so they are no longer stale."""
    require_role(db, actor, RESOURCE_WRITERS, "confirm resource counts")
    resource, _ = _lock_resource(db, actor, resource_id)
    previous = resource.updated_at
    confirmed = db.execute(
        update(HospitalResource)
        .where(HospitalResource.id == resource.id)
        .values(updated_at=func.now())
        .returning(HospitalResource.updated_at),
        execution_options={"synchronize_session": "fetch"},
    ).scalar_one()
    audit.record(
        db,
        actor,
        action_category=CATEGORY_RESOURCES,
        action_type="resource_count_confirmed",
        resource_type="hospital_resource",
        resource_id=resource.id,
        old_values={"updated_at": previous},
        new_values={"updated_at": confirmed, "name": resource.name, **_counts(resource)},
        concerns_hospital=resource.hospital_id,
    )
    return confirmed


def get_resource(
    db: Session, actor: Actor, resource_id: str, *, values: settings.Settings | None = None
) -> ResourceRow:
    """One resource as the list shows it; refused (and audited) when it is outside the actor's scope."""
    require_role(db, actor, RESOURCE_READERS, "see resources")
    # Looked up outside the scope first, so another hospital's row is refused (and audited), not "missing".
    row = db.execute(_resource_select(values or settings.current()).where(HospitalResource.id == resource_id)).first()
    if row is None:
        raise NotFound("That resource no longer exists.")
    resource = _resource_row(row)
    require_in_scope(
        db, actor, resource_type="hospital_resource", resource_id=resource_id, row_hospital_id=resource.hospital_id
    )
    return resource


def _low(values: settings.Settings) -> Any:
    return func.coalesce(_free_percent <= values.low_availability.raise_at, false())


def _resource_select(values: settings.Settings) -> Select:
    return select(
        HospitalResource.id,
        HospitalResource.hospital_id,
        Hospital.name,
        HospitalResource.name,
        HospitalResource.category,
        HospitalResource.total_quantity,
        HospitalResource.available_quantity,
        HospitalResource.in_use_quantity,
        HospitalResource.maintenance_quantity,
        HospitalResource.status,
        _utilisation,
        _free_percent,
        HospitalResource.updated_at,
        _hours_since_update,
        _hours_since_update >= literal(values.stale.raise_at),
        _low(values),
    ).join(Hospital, Hospital.id == HospitalResource.hospital_id)


def _resource_query(actor: Actor, values: settings.Settings, *, category: str | None, search: str) -> Select:
    """The list: low ones first, then by category, name and hospital."""
    stmt = _resource_select(values)
    if category is not None:
        stmt = stmt.where(HospitalResource.category == category)
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(HospitalResource.name.ilike(pattern), Hospital.name.ilike(pattern)))
    return limit_to_scope(stmt, actor, HospitalResource.hospital_id).order_by(
        _low(values).desc(), HospitalResource.category, HospitalResource.name, Hospital.name, HospitalResource.id
    )


def _resource_row(r: Any) -> ResourceRow:
    return ResourceRow(
        id=r[0],
        hospital_id=r[1],
        hospital_name=r[2],
        name=r[3],
        category=r[4],
        total=r[5],
        available=r[6],
        in_use=r[7],
        maintenance=r[8],
        status=r[9],
        utilisation=_float(r[10]),
        free_percent=_float(r[11]),
        updated_at=r[12],
        hours_since_update=float(r[13]),
        stale=bool(r[14]),
        low=bool(r[15]),
    )


def _category(category: str | None) -> str | None:
    if category is None or category == "":
        return None
    if category not in RESOURCE_CATEGORIES:
        raise InvalidInput(f"Pick one of the resource categories: {', '.join(RESOURCE_CATEGORIES)}.")
    return category


def _sum_refusal(resource: HospitalResource, new: dict[str, int], added: int) -> str:
    """Why the four counts cannot stand, naming the one field that was changed when only one was."""
    sentence = (
        f"{resource.name}: Free ({new['available']:,}), In use ({new['in_use']:,}) and In maintenance "
        f"({new['maintenance']:,}) add up to {added:,}, not the total of {new['total']:,}"
    )
    stored = {
        "total": resource.total_quantity,
        "available": resource.available_quantity,
        "in_use": resource.in_use_quantity,
        "maintenance": resource.maintenance_quantity,
    }
    changed = [field for field, value in new.items() if value != stored[field]]
    if len(changed) == 1:
        field = changed[0]
        fits = added if field == "total" else new["total"] - (added - new[field])
        if fits >= 0:
            return f"{sentence}. With the other counts as they are, {FORM_WORDS[field]} should be {fits:,}."
    return f"{sentence}: change one of them."


def _quantity(field: str, value: Any) -> int:
    """A count typed into a form: a whole number from 0 to MAX_QUANTITY, or a sentence saying what is wrong."""
    label = QUANTITY_FIELDS[field]
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None:
        shown = str(value).replace("\x00", "")[:20]
        raise InvalidInput(f"{label} must be a whole number from 0 to {MAX_QUANTITY:,}, not {shown!r}.")
    if not 0 <= number <= MAX_QUANTITY:
        raise InvalidInput(f"{label} must be a whole number from 0 to {MAX_QUANTITY:,}, not {number:,}.")
    return number


def _lock_resource(db: Session, actor: Actor, resource_id: str) -> tuple[HospitalResource, str]:
    """The resource locked for the caller's change (two administrators cannot both change it), and its hospital."""
    if not usable_id(resource_id):
        raise NotFound("That resource no longer exists.")
    row = db.execute(
        select(HospitalResource, Hospital.name)
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(HospitalResource.id == resource_id)
        .with_for_update(of=HospitalResource)
    ).first()
    if row is None:
        raise NotFound("That resource no longer exists.")
    resource, hospital_name = row
    require_in_scope(
        db, actor, resource_type="hospital_resource", resource_id=resource.id, row_hospital_id=resource.hospital_id
    )
    return resource, hospital_name


def _beds_held(db: Session, resource_id: str) -> int:
    """How many current admissions hold a unit of this resource."""
    return (
        db.scalar(
            select(func.count()).where(
                HospitalPatient.bed_resource_id == resource_id,
                HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES),
                HospitalPatient.discharge_date.is_(None),
            )
        )
        or 0
    )


def _counts(resource: HospitalResource) -> dict[str, Any]:
    return {
        "total_quantity": resource.total_quantity,
        "available_quantity": resource.available_quantity,
        "in_use_quantity": resource.in_use_quantity,
        "maintenance_quantity": resource.maintenance_quantity,
        "status": resource.status,
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
