"""The demo's supplies (db/demo/supplies.py), drawn without a database: each consumable's 90 days chain from
day to day, end at its resource's available count, and the largest hospital's O+ blood runs out within its
lead time while the network's other consumables mostly last longer than theirs."""

from __future__ import annotations

import math
from datetime import date

from db.demo import supplies
from db.demo.clock import DemoClock
from db.demo.network import build_network
from db.demo.plan import SUPPLY_HISTORY_DAYS, plan_for
from db.demo.resources import RESOURCE_CATALOGUE, resource_drawer
from db.settings import Settings

AS_OF = date(2026, 3, 15)


def _burn(days) -> float:
    return sum(d.used for d in days[-supplies.BURN_WINDOW_DAYS :]) / supplies.BURN_WINDOW_DAYS


def test_each_history_chains_and_ends_at_the_resources_available_count():
    network = build_network(plan_for(0.5), DemoClock(AS_OF), 2026, "not-a-hash")
    draw = resource_drawer(network)
    for hospital in network.hospitals:
        rows = draw(hospital, {})
        for position in supplies.CONSUMABLE_POSITIONS:
            days = supplies._history(network, hospital, position)
            assert len(days) == SUPPLY_HISTORY_DAYS and days[-1].day == AS_OF
            for before, day in zip(days, days[1:], strict=False):
                assert day.stock == before.stock + day.received - day.used >= 0
            available = rows[position][5]
            assert available == days[-1].stock == supplies.stock_left(network, hospital, position)


def test_the_largest_hospitals_blood_runs_out_within_its_lead_time_and_few_others_do():
    network = build_network(plan_for(1), DemoClock(AS_OF), 2026, "not-a-hash")
    largest = supplies.largest_hospital(network)
    below = []
    for hospital in network.hospitals:
        for position in supplies.CONSUMABLE_POSITIONS:
            category, name, _, _ = RESOURCE_CATALOGUE[position]
            days = supplies._history(network, hospital, position)
            burn = _burn(days)
            if burn and math.floor(days[-1].stock / burn) < Settings().restock_lead_days(category):
                below.append((hospital.index, name))
            if hospital is largest and name == supplies.STORY_SUPPLY:
                assert math.floor(days[-1].stock / burn) == 2
                assert all(d.received == 0 for d in days[-supplies.STORY_QUIET_DAYS :])
    assert (largest.index, supplies.STORY_SUPPLY) in below
    assert len(below) <= 3, below  # the story stands out: the network's other stores are ordered in time
