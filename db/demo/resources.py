"""A hospital's resources: beds by ward, equipment, medication, staff on duty, supplies, ambulances.

Bed counts are not drawn here: a bed resource's "in use" is the number of current admissions
holding it, which the ward simulation (db/demo/wards.py) settles first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from db.demo.identifiers import demo_id
from db.demo.network import HospitalNode, Network
from db.demo.plan import RESOURCES_PER_HOSPITAL
from db.rules import (
    BED_CATEGORY,
    CONSUMABLE_CATEGORIES,
    GENERAL_WARD_BEDS,
    ICU_BEDS,
    MATERNITY_BEDS,
    PAEDIATRIC_BEDS,
    resource_status,
)

RESOURCE_COLUMNS = (
    "id", "hospital_id", "name", "category", "total_quantity", "available_quantity", "in_use_quantity",
    "maintenance_quantity", "status", "created_at", "updated_at",
)  # fmt: skip
ISOLATION_BEDS = "Isolation beds"

# (category, name, quantity at a size-1.0 hospital, share usually in maintenance). A size-1.0 hospital
# runs 21 beds: the demo's ~100 registered patients and ~150 ward-desk patients a hospital can fill
# that many at a real occupancy and length of stay; a teaching hospital (size up to 3) runs up to ~65.
RESOURCE_CATALOGUE = (
    ("beds", GENERAL_WARD_BEDS, 12, 0.02),
    ("beds", MATERNITY_BEDS, 3, 0.02),
    ("beds", PAEDIATRIC_BEDS, 3, 0.02),
    ("beds", ICU_BEDS, 2, 0.05),
    ("beds", ISOLATION_BEDS, 1, 0.05),
    ("equipment", "Ventilators", 2, 0.15),
    ("equipment", "Oxygen concentrators", 6, 0.12),
    ("equipment", "Patient monitors", 8, 0.08),
    ("equipment", "Ultrasound scanners", 2, 0.1),
    ("equipment", "X-ray machines", 1, 0.15),
    ("equipment", "Dialysis machines", 2, 0.15),
    ("medication", "Artemether-lumefantrine (courses)", 400, 0.0),
    ("medication", "Insulin (vials)", 120, 0.0),
    ("medication", "Oxytocin (ampoules)", 200, 0.0),
    ("staff", "Nurses on duty", 14, 0.0),
    ("staff", "Doctors on call", 5, 0.0),
    ("oxygen", "Oxygen cylinders", 20, 0.1),
    ("blood", "Blood units (O+)", 25, 0.0),
    ("supplies", "PPE kits", 300, 0.0),
    ("ambulances", "Ambulances", 2, 0.2),
)
BED_POSITIONS = {name: p for p, (category, name, _, _) in enumerate(RESOURCE_CATALOGUE) if category == BED_CATEGORY}


def resource_id(hospital: HospitalNode, position: int) -> str:
    """The id of a hospital's resource at `position` of RESOURCE_CATALOGUE."""
    return demo_id("hospital_resources", hospital.index * RESOURCES_PER_HOSPITAL + position)


def draw_capacity(rng, hospital: HospitalNode, position: int) -> tuple[int, int]:
    """(total, in maintenance) of one resource of a hospital's size."""
    _, _, base, maintenance_share = RESOURCE_CATALOGUE[position]
    total = max(1, round(base * hospital.size * rng.uniform(0.8, 1.2)))
    return total, min(total - 1, round(total * maintenance_share * rng.uniform(0, 2)))


def resource_row(hospital: HospitalNode, position: int, total: int, in_use: int, maintenance: int,
                 created: datetime, updated: datetime) -> tuple:  # fmt: skip
    category, name, _, _ = RESOURCE_CATALOGUE[position]
    available = total - in_use - maintenance
    return (
        resource_id(hospital, position), hospital.id, name, category, total, available, in_use, maintenance,
        resource_status(total, available, maintenance), created, updated,
    )  # fmt: skip


def resource_drawer(network: Network) -> Callable[[HospitalNode, dict[int, tuple]], list[tuple]]:
    """Draws one hospital's non-bed resources and writes the bed rows the wards settled, in catalogue order.

    `beds` maps a bed position to (total, in use, maintenance, last admission or discharge).
    """
    from db.demo.supplies import stock_left  # it reads this module's catalogue, so it is imported here

    rng = network.rng("hospital_resources")
    now = network.clock.now

    def draw(hospital: HospitalNode, beds: dict[int, tuple]) -> list[tuple]:
        rows = []
        for position, (category, _, _, _) in enumerate(RESOURCE_CATALOGUE):
            created = hospital.joined_at + timedelta(days=rng.uniform(0, 3))
            counted = now - timedelta(minutes=rng.randint(5, 12 * 60))  # the ward or store counted this morning
            if position in beds:
                total, in_use, maintenance, last_change = beds[position]
                rows.append(resource_row(hospital, position, total, in_use, maintenance, created,
                                         max(last_change, counted, created)))  # fmt: skip
                continue
            total, maintenance = draw_capacity(rng, hospital, position)
            usable = total - maintenance
            share = rng.uniform(0.3, 0.7) if category in CONSUMABLE_CATEGORIES else rng.uniform(0.4, 0.9)
            if rng.random() < 0.08:  # a stock-out: the shortages a dashboard should show
                share = rng.uniform(0.9, 1.0)
            in_use = min(usable, max(0, round(usable * share)))
            if category in CONSUMABLE_CATEGORIES:  # in stock: what its 90 days of use and deliveries left
                total = stock_left(network, hospital, position) + in_use + maintenance
            rows.append(resource_row(hospital, position, total, in_use, maintenance, created, max(counted, created)))
        return rows

    return draw
