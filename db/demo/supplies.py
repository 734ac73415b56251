"""Consumables' stock history (migration 0018): 90 days of daily use and deliveries, ending at today's stock.

Each consumable of each hospital (medication, blood, oxygen, supplies: db.rules.CONSUMABLE_CATEGORIES) is
followed day by day: a weekday-heavy use drawn around its usual rate (its hospital's size times the rate
below), and a delivery ordered whenever the stock falls to two lead times and a few days of use, arriving
within the lead time. The stock the last day leaves is the resource's available count (db/demo/resources.py
reads it from `stock_left`), so "available = what the history leaves" holds for every consumable.

The story: at the largest hospital the O+ blood delivery did not come. Its last order was lost, nothing
arrived in the last ten days, and its stock now lasts about two days at its burn rate, under blood's
three-day lead time: the supply running out that the Resources page and the Overview name.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import HospitalNode, Network
from db.demo.plan import SUPPLY_HISTORY_DAYS
from db.demo.resources import RESOURCE_CATALOGUE, resource_id
from db.rules import CONSUMABLE_CATEGORIES
from db.settings import Settings

MOVEMENT_COLUMNS = (
    "id", "resource_id", "hospital_id", "kind", "used_quantity", "received_quantity", "stock_after",
    "recorded_at", "recorded_by", "note",
)  # fmt: skip
CONSUMABLE_POSITIONS = tuple(p for p, (c, *_) in enumerate(RESOURCE_CATALOGUE) if c in CONSUMABLE_CATEGORIES)
# Units used a day at a size-1.0 hospital.
DAILY_USE = {
    "Artemether-lumefantrine (courses)": 9.0,
    "Insulin (vials)": 2.5,
    "Oxytocin (ampoules)": 4.0,
    "Oxygen cylinders": 3.0,
    "Blood units (O+)": 1.6,
    "PPE kits": 12.0,
}
STORY_SUPPLY = "Blood units (O+)"
STORY_QUIET_DAYS = 10  # no delivery of the story's supply in its last ten days
BURN_WINDOW_DAYS = 28  # as dashboard/domains/floor/supply_burn.py measures the burn rate
DELIVERED_BY = {
    "medication": "Delivery from the state central medical store",
    "blood": "Units from the NBTS blood bank",
    "oxygen": "Cylinders refilled at the oxygen plant",
    "supplies": "Delivery from the supplier",
}
RECORDED_AT = time(18, 0)  # the day's use is entered when the store closes


@dataclass(frozen=True)
class SupplyDay:
    day: date
    used: int
    received: int
    stock: int  # at the end of the day


def largest_hospital(network: Network) -> HospitalNode:
    return max(network.hospitals, key=lambda h: (h.size, -h.index))


def _poisson(rng, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:  # a normal approximation where Knuth's method would loop long
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _history(network: Network, hospital: HospitalNode, position: int) -> tuple[SupplyDay, ...]:
    """One consumable's days, drawn once per build: the resources step reads its end, this step writes it all."""
    # Kept on the network (a build's one object; not hashable, so no lru_cache), dropped with it.
    drawn = network.__dict__.setdefault("_supply_histories", {})
    if (hospital.index, position) not in drawn:
        drawn[(hospital.index, position)] = _draw(network, hospital, position)
    return drawn[(hospital.index, position)]


def _draw(network: Network, hospital: HospitalNode, position: int) -> tuple[SupplyDay, ...]:
    category, name, _, _ = RESOURCE_CATALOGUE[position]
    rng = network.rng(f"supply_usage/{hospital.index}/{position}")
    rate = DAILY_USE[name] * hospital.size * rng.uniform(0.8, 1.2)
    lead = Settings().restock_lead_days(category)
    reorder_at, order = rate * (2 * lead + 4), max(1, round(rate * (lead + 30)))
    now = network.clock.now.astimezone(LAGOS)
    today = now.date()
    story = name == STORY_SUPPLY and hospital is largest_hospital(network)
    quiet_from = SUPPLY_HISTORY_DAYS - STORY_QUIET_DAYS if story else SUPPLY_HISTORY_DAYS
    stock, arriving = round(rate * (2 * lead + 20)), {}
    days: list[list] = []
    for i in range(SUPPLY_HISTORY_DAYS):
        day = today - timedelta(days=SUPPLY_HISTORY_DAYS - 1 - i)
        received = arriving.pop(i, 0) if i < quiet_from else 0
        stock += received
        share = 1.0 if day < today else (now.hour * 60 + now.minute) / (24 * 60)  # today is not over yet
        used = min(stock, _poisson(rng, rate * share * (1.15 if day.weekday() < 5 else 0.6)))
        stock -= used
        if stock <= reorder_at and not arriving:
            arriving[i + max(1, round(lead * rng.uniform(0.5, 1.0)))] = order
        days.append([day, used, received, stock])
    if story:
        _run_down(days, quiet_from)
    return tuple(SupplyDay(*d) for d in days)


def _run_down(days: list[list], quiet_from: int) -> None:
    """The story's supply: the delivery before the quiet days leaves just enough for about two days at the end.

    Its burn rate is the last 28 days' use over 28; the stock left is set to 2.5 times that, rounded down,
    so the whole days it lasts are 2 (under blood's 3-day lead time) whatever the draws were.
    """
    first = quiet_from - 1  # the last day a delivery came
    for _ in range(5):  # the delivery changes nothing the burn rate counts, so this settles at once
        burn = sum(d[1] for d in days[-BURN_WINDOW_DAYS:]) / BURN_WINDOW_DAYS
        target = max(1, math.floor(2.5 * burn))
        needed = target + sum(d[1] for d in days[quiet_from:])  # at the end of `first`
        before = days[first - 1][3] if first > 0 else 0
        days[first][2] = max(0, needed + days[first][1] - before)
        days[first][1] = max(0, before + days[first][2] - needed)  # too much in stock: more was used that day
        stock = before
        for d in days[first:]:
            stock += d[2] - d[1]
            d[3] = stock
        if math.floor(stock / burn) == 2 if burn else True:
            return


def stock_left(network: Network, hospital: HospitalNode, position: int) -> int:
    """What a consumable's history leaves in stock now: its resource's available count."""
    return _history(network, hospital, position)[-1].stock


def write_supply_usage(network: Network, writer: CopyWriter) -> None:
    writer.write("resource_stock_movements", MOVEMENT_COLUMNS, _movements(network))
    writer.finish("resource_stock_movements")


def _movements(network: Network) -> Iterator[tuple]:
    ids = IdMaker("resource_stock_movements")
    number = 0
    now = network.clock.now
    for hospital in network.hospitals:
        for position in CONSUMABLE_POSITIONS:
            category = RESOURCE_CATALOGUE[position][0]
            for d in _history(network, hospital, position):
                at = min(datetime.combine(d.day, RECORDED_AT, tzinfo=LAGOS), now - timedelta(minutes=20))
                yield (
                    ids(number), resource_id(hospital, position), hospital.id, "delivery" if d.received else "usage",
                    d.used, d.received, d.stock, at, None, DELIVERED_BY[category] if d.received else None,
                )  # fmt: skip
                number += 1
