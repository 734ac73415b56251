"""The resources of the actor's scope: totals per category, the list, its export, and the ones running low.

Percentages are 0–100, like the thresholds of `settings` they are compared with. A resource's
"usable" units are its total less those in maintenance; its free percent is the available share of
them. Counts are typed in by hospital staff, so every figure carries its age: a count older than
the `stale` level is flagged and ranked below fresh ones. Beds have their own module (`beds`), the
changes of a count theirs (`resource_commands`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Select, case, cast, false, func, literal, or_, select
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope
from db import settings
from db.models import Hospital, HospitalResource
from db.vocab import RESOURCE_CATEGORIES

# Shared with `beds`: what "usable" and "the count's age" mean is said once.
USABLE = HospitalResource.total_quantity - HospitalResource.maintenance_quantity
HOURS_SINCE_UPDATE = cast(func.extract("epoch", func.now() - HospitalResource.updated_at), Float) / 3600.0
# A resource with nothing usable (all of it in maintenance) has 0 % free: it is as short as it gets.
# One with no units at all is not stocked, so it has no free percent and raises no alert.
_free_percent = case(
    (HospitalResource.total_quantity == 0, None),
    (USABLE == 0, 0.0),
    else_=100.0 * HospitalResource.available_quantity / cast(USABLE, Float),
)
_utilisation = 100.0 * HospitalResource.in_use_quantity / cast(func.nullif(USABLE, 0), Float)


def fraction(percent: float | None) -> float | None:
    """A 0–100 percent as the 0–1 fraction a table's `percent` column shows."""
    return None if percent is None else percent / 100


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

    @property
    def use(self) -> float | None:
        return fraction(self.utilisation)

    @property
    def shares(self) -> tuple[float, float, float]:
        """Percent (0–100) of its units free, in use and in maintenance; zeros when it has no units."""
        if not self.total:
            return 0.0, 0.0, 0.0
        return tuple(100 * part / self.total for part in (self.available, self.in_use, self.maintenance))


@dataclass(frozen=True)
class StaleCounts:
    """How many resource counts are stale, of how many, over the categories of a summary."""

    stale: int
    resources: int

    @classmethod
    def of(cls, summary: list[CategorySummary]) -> StaleCounts:
        return cls(sum(c.stale for c in summary), sum(c.resources for c in summary))


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

    @property
    def use(self) -> float | None:
        return fraction(self.utilisation)

    @property
    def standing(self) -> str:
        """Its status as the list shows it: "low" outranks what the counts alone say."""
        return "low" if self.low else self.status


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


@permissions.reads("resources", "see resources")
def category_summary(db: Session, actor: Actor, *, values: settings.Settings | None = None) -> list[CategorySummary]:
    """Totals per category (beds, equipment, ...), in the order of db.vocab.RESOURCE_CATEGORIES."""
    usable = func.sum(USABLE)
    stale_hours = (values or settings.current()).stale.raise_at
    stmt = select(
        HospitalResource.category,
        func.count(),
        func.sum(HospitalResource.total_quantity),
        func.sum(HospitalResource.available_quantity),
        func.sum(HospitalResource.in_use_quantity),
        func.sum(HospitalResource.maintenance_quantity),
        100.0 * func.sum(HospitalResource.in_use_quantity) / cast(func.nullif(usable, 0), Float),
        func.count().filter(literal(stale_hours) <= HOURS_SINCE_UPDATE),
    )
    # Active hospitals only, as every bed figure (`beds.bed_totals`): a closed hospital's beds are nobody's.
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
            utilisation=as_float(r[6]),
            stale=r[7],
        )
        for r in rows
    ]


@permissions.reads("resources", "see resources")
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
    stmt = _resource_query(actor, values or settings.current(), category=_category(category), search=search)
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([_resource_row(r) for r in rows], total, page, page_size)


@permissions.reads("resources", "export resources")
def export_resources(
    db: Session,
    actor: Actor,
    *,
    category: str | None = None,
    search: str = "",
    values: settings.Settings | None = None,
) -> tuple[list[ResourceRow], bool]:
    """The list as it shows, every row up to paging.EXPORT_LIMIT, and whether the limit cut it short; audited."""
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


@permissions.reads("resources", "see resource alerts")
def low_availability_alerts(
    db: Session, actor: Actor, *, values: settings.Settings | None = None
) -> list[ResourceAlert]:
    """Resources whose free percent is at or below the clear level of `low_availability`, worst first.

    Those at or below the raise level are alerts now; those between the two levels are alerts only
    if they were raised before (hysteresis), which the page knows and this query does not.
    """
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
            USABLE,
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


@permissions.reads("resources", "see resources")
def get_resource(
    db: Session, actor: Actor, resource_id: str, *, values: settings.Settings | None = None
) -> ResourceRow:
    """One resource as the list shows it; refused (and audited) when it is outside the actor's scope."""
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
        HOURS_SINCE_UPDATE,
        literal(values.stale.raise_at) <= HOURS_SINCE_UPDATE,
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
        utilisation=as_float(r[10]),
        free_percent=as_float(r[11]),
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


def as_float(value: Any) -> float | None:
    return None if value is None else float(value)
