"""Supplies that say when they run out: each consumable's burn rate, days left, run-out date and its history.

A consumable (db.rules.CONSUMABLE_CATEGORIES) is used up; its stock history (`resource_stock_movements`,
migration 0018) says how fast. Everything here is computed in SQL for the actor's scope:

- burn rate: the units used in the last BURN_WINDOW_DAYS Lagos days (today included), divided by those
  days, or by the days since its first record when its history is shorter;
- days left: the whole days the stock in hand lasts at that rate (rounded down), and the run-out date
  that many days after today (Lagos);
- below its lead time: fewer days left than a delivery takes (settings `restock_lead_<category>_days`),
  the alert the Resources page and the Overview both raise. A supply with no use recorded has no rate
  and no run-out date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, Integer, and_, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from dashboard.domains.floor.resource_list import get_resource
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import limit_to_scope
from db import settings
from db.models import Hospital, HospitalResource, ResourceStockMovement
from db.rules import CONSUMABLE_CATEGORIES

BURN_WINDOW_DAYS = 28
HISTORY_DAYS = 90  # the chart of one supply
M = ResourceStockMovement

# What a supply's standing is called, most urgent first (the table sorts by it).
OUT_OF_STOCK, ORDER_NOW, ENOUGH, NO_USE = "out_of_stock", "order_now", "enough", "no_use_recorded"


@dataclass(frozen=True)
class Supply:
    id: str
    hospital_id: str
    hospital_name: str
    name: str
    category: str
    stock: int  # the available count: what is in hand to use
    used_in_window: int  # units used over `history_days`
    history_days: int | None  # days the burn rate averages over (None: no history at all)
    burn_per_day: float | None  # None: no history; 0.0: history but nothing used
    days_left: int | None  # whole days the stock lasts at the burn rate; None when nothing is being used
    runs_out_on: date | None
    lead_days: float
    below_lead_time: bool

    @property
    def status(self) -> str:
        if self.below_lead_time:
            return OUT_OF_STOCK if self.stock == 0 else ORDER_NOW
        return ENOUGH if self.days_left is not None else NO_USE

    @property
    def runs_out_words(self) -> str:
        """ "in about 2 days (9 Dec)", the way the table and the alert say it."""
        if self.days_left is None or self.runs_out_on is None:
            return "not at the current rate"
        if self.days_left == 0:
            return "today"
        return f"in about {self.days_left:,} day{'s' if self.days_left != 1 else ''} ({self.runs_out_on:%-d %b})"


@dataclass(frozen=True)
class DayPoint:
    day: date
    used: int
    received: int
    stock: int  # at the end of the day


def lagos_today() -> date:
    return datetime.now(LAGOS).date()


def _lead_case(values: settings.Settings) -> Any:
    """The lead time of each consumable category, from the settings, as one SQL expression."""
    return case(
        *[(HospitalResource.category == c, literal(values.restock_lead_days(c))) for c in CONSUMABLE_CATEGORIES],
        else_=literal(values.restock_lead_supplies_days),
    )


def _supplies_query(actor: Actor, values: settings.Settings, today: date) -> Any:
    start, end = lagos_midnight(today - timedelta(days=BURN_WINDOW_DAYS - 1)), lagos_midnight(today + timedelta(1))
    own = M.resource_id == HospitalResource.id
    used = (
        select(func.coalesce(func.sum(M.used_quantity), 0))
        .where(own, M.recorded_at >= start, M.recorded_at < end)
        .correlate(HospitalResource)
        .scalar_subquery()
    )
    first = (
        select(func.min(M.recorded_at)).where(own, M.recorded_at < end).correlate(HospitalResource).scalar_subquery()
    )
    inner = (
        select(
            HospitalResource.id,
            HospitalResource.hospital_id,
            Hospital.name.label("hospital_name"),
            HospitalResource.name,
            HospitalResource.category,
            HospitalResource.available_quantity.label("stock"),
            used.label("used"),
            cast(func.timezone("Africa/Lagos", first), Date).label("first_day"),
            _lead_case(values).label("lead_days"),
        )
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(Hospital.is_active, HospitalResource.category.in_(CONSUMABLE_CATEGORIES))
    )
    # MATERIALIZED: the columns below name `used` and `first_day` several times each; inlined, every mention ran its
    # correlated subquery again for every supply (1.85 s network-wide at scale 50, 6,000 supplies).
    inner = limit_to_scope(inner, actor, HospitalResource.hospital_id).cte("supplies").prefix_with("MATERIALIZED")
    # date - date is a whole number of days in PostgreSQL.
    # LEAST ignores a NULL, so a supply with no history at all is kept apart first.
    days = case(
        (inner.c.first_day.is_(None), None),
        else_=func.least(BURN_WINDOW_DAYS, cast(literal(today, Date) - inner.c.first_day, Integer) + 1),
    )
    burn = cast(inner.c.used, Float) / days
    days_left = case((burn > 0, cast(func.floor(inner.c.stock / burn), Integer)), else_=None)
    below = and_(days_left.is_not(None), days_left < inner.c.lead_days)
    return select(
        inner.c.id,
        inner.c.hospital_id,
        inner.c.hospital_name,
        inner.c.name,
        inner.c.category,
        inner.c.stock,
        inner.c.used,
        days,
        burn,
        days_left,
        inner.c.lead_days,
        func.coalesce(below, False),
    ).order_by(
        func.coalesce(below, False).desc(),
        days_left.asc().nulls_last(),
        inner.c.hospital_name,
        inner.c.name,
        inner.c.id,
    )


def _supply(r: Any, today: date) -> Supply:
    days_left = None if r[9] is None else int(r[9])
    return Supply(
        id=r[0],
        hospital_id=r[1],
        hospital_name=r[2],
        name=r[3],
        category=r[4],
        stock=int(r[5]),
        used_in_window=int(r[6]),
        history_days=None if r[7] is None else int(r[7]),
        burn_per_day=None if r[8] is None else float(r[8]),
        days_left=days_left,
        runs_out_on=None if days_left is None else today + timedelta(days=days_left),
        lead_days=float(r[10]),
        below_lead_time=bool(r[11]),
    )


@permissions.reads("resources", "see supplies")
def supplies(
    db: Session, actor: Actor, *, today: date | None = None, values: settings.Settings | None = None
) -> list[Supply]:
    """Every consumable in scope with its burn rate and run-out date: those below their lead time first,
    then by days left (soonest first), those with no use recorded last."""
    today = today or lagos_today()
    return [_supply(r, today) for r in db.execute(_supplies_query(actor, values or settings.current(), today))]


@permissions.reads("resources", "see supply alerts")
def running_out(
    db: Session, actor: Actor, *, today: date | None = None, values: settings.Settings | None = None
) -> list[Supply]:
    """The consumables whose stock lasts fewer days than a delivery takes: the alerts, soonest first."""
    return [s for s in supplies(db, actor, today=today, values=values) if s.below_lead_time]


@permissions.reads("resources", "see a supply's history")
def history(
    db: Session, actor: Actor, resource_id: str, *, days: int = HISTORY_DAYS, today: date | None = None
) -> list[DayPoint]:
    """One consumable's last `days` Lagos days: used, received and the stock at each day's end, from its
    first record in that window on (a day with no record keeps the day before's stock)."""
    resource = get_resource(db, actor, resource_id)  # refused, and audited, outside the actor's scope
    if resource.category not in CONSUMABLE_CATEGORIES:
        raise InvalidInput(f"{resource.name} is not used up like a supply, so it has no usage history.")
    today = today or lagos_today()
    first = today - timedelta(days=days - 1)
    day = cast(func.timezone("Africa/Lagos", M.recorded_at), Date)
    rows = db.execute(
        select(
            day,
            func.sum(M.used_quantity),
            func.sum(M.received_quantity),
            func.array_agg(aggregate_order_by(M.stock_after, M.recorded_at.desc(), M.id.desc()))[1],
        )
        .where(
            M.resource_id == resource.id,
            M.recorded_at >= lagos_midnight(first),
            M.recorded_at < lagos_midnight(today + timedelta(1)),
        )
        .group_by(day)
        .order_by(day)
    ).all()
    if not rows:
        return []
    recorded = {r[0]: r for r in rows}
    points, stock, current = [], 0, rows[0][0]
    while current <= today:  # at most `days` points: the gaps filled here, not read from the table
        row = recorded.get(current)
        stock = int(row[3]) if row else stock
        points.append(DayPoint(current, int(row[1]) if row else 0, int(row[2]) if row else 0, stock))
        current += timedelta(days=1)
    return points
