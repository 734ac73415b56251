"""Emergency and ambulance requests, located around the hospitals' cities.

Old requests are closed (resolved, completed or cancelled); the last hours hold the ones still
open, so the live map always has something on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

from db.demo.clock import HISTORY_DAYS
from db.demo.copy_writer import CopyWriter
from db.demo.geography import jitter, street_address
from db.demo.identifiers import IdMaker
from db.demo.network import Network

EMERGENCY_COLUMNS = (
    "id", "patient_id", "emergency_type", "description", "status", "severity", "location_latitude",
    "location_longitude", "hospital_id", "assigned_physician_id", "created_at", "updated_at",
)  # fmt: skip
AMBULANCE_COLUMNS = (
    "id", "patient_id", "emergency_type", "description", "status", "pickup_address", "pickup_latitude",
    "pickup_longitude", "destination_address", "destination_latitude", "destination_longitude", "contact_phone",
    "ambulance_eta", "assigned_hospital_id", "created_at", "updated_at",
)  # fmt: skip

# (type, description, severity weights low/medium/high/critical)
EMERGENCY_TYPES = (
    ("road_traffic_accident", "Okada collision, leg injury and bleeding", (5, 30, 40, 25)),
    ("obstetric_emergency", "Heavy bleeding in late pregnancy", (0, 15, 45, 40)),
    ("cardiac", "Chest pain spreading to the left arm", (0, 15, 40, 45)),
    ("stroke", "Sudden weakness on one side and slurred speech", (0, 10, 40, 50)),
    ("severe_malaria", "High fever, confusion and vomiting", (10, 40, 35, 15)),
    ("respiratory_distress", "Severe difficulty breathing", (5, 30, 40, 25)),
    ("burns", "Burns from a kerosene stove", (15, 40, 30, 15)),
    ("snake_bite", "Snake bite on the foot, swelling fast", (5, 30, 45, 20)),
    ("seizure", "Child having a convulsion with fever", (5, 35, 40, 20)),
    ("fall_injury", "Fall from height, back pain", (25, 45, 20, 10)),
    ("poisoning", "Suspected food poisoning, several family members", (20, 45, 25, 10)),
)
SEVERITIES = ("low", "medium", "high", "critical")
OPEN_EMERGENCY = (("pending", 30), ("dispatched", 30), ("in_progress", 40))
OPEN_AMBULANCE = (("pending", 25), ("dispatched", 25), ("en_route", 35), ("arrived", 15))
CITY_TRAFFIC_KMH = 22  # Lagos or Kano traffic, sirens or not


def write_emergencies(network: Network, writer: CopyWriter) -> None:
    writer.write("emergency_requests", EMERGENCY_COLUMNS, _emergency_requests(network))
    writer.finish("emergency_requests")
    writer.write("ambulance_requests", AMBULANCE_COLUMNS, _ambulance_requests(network))
    writer.finish("ambulance_requests")


def _when(rng, network: Network, patient, is_open: bool):
    clock = network.clock
    if is_open:
        return clock.now - timedelta(minutes=rng.uniform(3, 240))
    return clock.between(rng, max(patient.created_at, clock.history_start), clock.now - timedelta(hours=6))


def _emergency_requests(network: Network) -> Iterator[tuple]:
    rng = network.rng("emergency_requests")
    ids = IdMaker("emergency_requests")
    clock = network.clock
    total = network.plan.emergency_requests
    open_count = max(2, round(total * 0.01))
    for number in range(total):
        patient = network.pick_patient(rng)
        hospital = patient.hospital
        kind, description, weights = rng.choice(EMERGENCY_TYPES)
        severity = rng.choices(SEVERITIES, weights)[0]
        is_open = number >= total - open_count
        created = _when(rng, network, patient, is_open)
        if is_open:
            status = rng.choices(*zip(*OPEN_EMERGENCY, strict=True))[0]
            updated = min(clock.now, created + timedelta(minutes=rng.uniform(1, 20)))
        else:
            status = "resolved" if rng.random() < 0.86 else "cancelled"
            updated = created + timedelta(minutes=rng.uniform(40, 360) if status == "resolved" else rng.uniform(5, 60))
        physician = None
        if status in ("in_progress", "resolved") or (status == "dispatched" and rng.random() < 0.5):
            physician = rng.choice(hospital.physicians_in("Emergency Medicine"))
        latitude, longitude = jitter(rng, hospital.city.latitude, hospital.city.longitude, hospital.city.spread_degrees)
        index = clock.day_index(created)
        if 0 <= index < HISTORY_DAYS:
            network.emergencies_per_day[hospital.index][index] += 1
        yield (
            ids(number),
            patient.user_id,
            kind,
            description,
            status,
            severity,
            f"{latitude:.6f}",
            f"{longitude:.6f}",
            hospital.id,
            physician.profile_id if physician else None,
            created,
            updated,
        )


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    d_lat, d_lon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(d_lat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lon / 2) ** 2
    )
    return 2 * 6371 * math.asin(min(1.0, math.sqrt(a)))


def _ambulance_requests(network: Network) -> Iterator[tuple]:
    rng = network.rng("ambulance_requests")
    ids = IdMaker("ambulance_requests")
    clock = network.clock
    total = network.plan.ambulance_requests
    open_count = max(2, round(total * 0.015))
    for number in range(total):
        patient = network.pick_patient(rng)
        hospital = patient.hospital
        kind, description, _ = rng.choice(EMERGENCY_TYPES)
        is_open = number >= total - open_count
        created = _when(rng, network, patient, is_open)
        latitude, longitude = jitter(rng, hospital.city.latitude, hospital.city.longitude, hospital.city.spread_degrees)
        distance = _distance_km(latitude, longitude, hospital.site.latitude, hospital.site.longitude)
        eta = max(4, round(distance / CITY_TRAFFIC_KMH * 60 + rng.uniform(3, 12)))
        if is_open:
            status = rng.choices(*zip(*OPEN_AMBULANCE, strict=True))[0]
            updated = min(clock.now, created + timedelta(minutes=rng.uniform(1, eta)))
        else:
            status = "completed" if rng.random() < 0.85 else "cancelled"
            updated = created + timedelta(minutes=eta + rng.uniform(20, 90) if status == "completed" else 10)
        yield (
            ids(number),
            patient.user_id,
            kind,
            description,
            status,
            street_address(rng, hospital.city),
            f"{latitude:.6f}",
            f"{longitude:.6f}",
            f"{hospital.name}, {hospital.address}",
            f"{hospital.site.latitude:.6f}",
            f"{hospital.site.longitude:.6f}",
            patient.phone,
            eta,
            hospital.id,
            created,
            updated,
        )
