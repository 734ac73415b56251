"""Emergency and ambulance requests located around the hospitals' cities, and their referrals.

Old requests are closed (resolved or cancelled); about one in eight resolved ones went through a
referral to a nearby hospital (db/demo/referrals.py), which then owns it. The last hours hold the
ones still open, at every stage: waiting, handled at home (an ambulance out, or being treated),
referred and waiting for an answer, accepted, with the referral's ambulance on its way, arrived.
Referral ambulances are ambulance_requests rows too, written first; the rest are the hospitals' own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from db.demo.clock import HISTORY_DAYS
from db.demo.copy_writer import CopyWriter
from db.demo.geography import jitter, street_address
from db.demo.identifiers import IdMaker
from db.demo.network import Network
from db.demo.referrals import (
    EMERGENCY_STATUS,
    REFERRAL_COLUMNS,
    Chain,
    Receivers,
    km,
    referral_chain,
    referral_rows,
    suggested_bed,
)

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
# Where an open emergency stands: handled by its own hospital, or along a referral (its target stage).
OPEN_STAGES = (
    ("waiting", 15), ("dispatched", 12), ("in_progress", 15), ("referred", 15), ("accepted", 13),
    ("ambulance", 15), ("arrived", 15),
)  # fmt: skip
REFERRAL_TARGET = {"referred": "referred", "accepted": "accepted", "ambulance": "dispatched", "arrived": "arrived"}
REFERRED_SHARE = 0.12  # of the resolved ones
OPEN_AMBULANCE = (("pending", 25), ("dispatched", 25), ("en_route", 35), ("arrived", 15))
CITY_TRAFFIC_KMH = 22  # Lagos or Kano traffic, sirens or not
OWN_AMBULANCES_KEPT = 2  # referral ambulances never take every ambulance row of the plan


@dataclass
class _Referred:
    """What the emergency pass leaves for the ambulance and referral passes."""

    ambulances: list[tuple] = field(default_factory=list)  # referral ambulance rows, ids already given
    referrals: list[tuple] = field(default_factory=list)


def write_emergencies(network: Network, writer: CopyWriter) -> None:
    referred = _Referred()
    writer.write("emergency_requests", EMERGENCY_COLUMNS, _emergency_requests(network, referred))
    writer.finish("emergency_requests")
    writer.write("ambulance_requests", AMBULANCE_COLUMNS, _ambulance_requests(network, referred.ambulances))
    writer.finish("ambulance_requests")
    writer.write("referrals", REFERRAL_COLUMNS, referred.referrals)
    writer.finish("referrals")


def _emergency_requests(network: Network, referred: _Referred) -> Iterator[tuple]:
    rng = network.rng("emergency_requests")
    chain_rng = network.rng("referrals")
    ids = IdMaker("emergency_requests")
    referral_ids = IdMaker("referrals")
    ambulance_ids = IdMaker("ambulance_requests")
    receivers = Receivers(network)
    clock = network.clock
    now = clock.now
    total = network.plan.emergency_requests
    ambulance_budget = network.plan.ambulance_requests - OWN_AMBULANCES_KEPT
    # Enough open ones to show every stage once even at the smallest scales, then about 1 %.
    open_count = max(len(OPEN_STAGES), round(total * 0.01))
    stages, stage_weights = zip(*OPEN_STAGES, strict=True)
    for number in range(total):
        patient = network.pick_patient(rng)
        home = patient.hospital
        kind, description, weights = rng.choice(EMERGENCY_TYPES)
        severity = rng.choices(SEVERITIES, weights)[0]
        is_open = number >= total - open_count
        if is_open:
            created = now - timedelta(minutes=rng.uniform(3, 240))
            place = number - (total - open_count)
            stage = stages[place] if place < len(stages) else rng.choices(stages, stage_weights)[0]
        else:
            created = clock.between(rng, max(patient.created_at, clock.history_start), now - timedelta(hours=6))
            stage = "resolved" if rng.random() < 0.86 else "cancelled"
            if stage == "resolved" and rng.random() < REFERRED_SHARE:
                stage = "closed"
        latitude, longitude = jitter(rng, home.city.latitude, home.city.longitude, home.city.spread_degrees)
        emergency_id = ids(number)
        chain = None
        if stage in REFERRAL_TARGET or stage == "closed":
            chain = referral_chain(chain_rng, receivers.of(home), created, (latitude, longitude),
                                   REFERRAL_TARGET.get(stage, "closed"), now,
                                   len(referred.ambulances) < ambulance_budget)  # fmt: skip
        hospital, physician = home, None
        if chain is not None:
            status, updated = EMERGENCY_STATUS[chain.stage], chain.last_change
            hospital = chain.receiver or home
            if chain.stage in ("arrived", "closed"):
                physician = rng.choice(hospital.physicians_in("Emergency Medicine"))
            _add_referral_rows(network, referred, chain, referral_ids, ambulance_ids, emergency_id, home, patient,
                               kind, description, severity, (latitude, longitude))  # fmt: skip
        elif is_open:
            status = {"dispatched": "dispatched", "in_progress": "in_progress"}.get(stage, "pending")
            updated = min(now, created + timedelta(minutes=rng.uniform(1, 20)))
        else:
            status = "cancelled" if stage == "cancelled" else "resolved"
            updated = created + timedelta(minutes=rng.uniform(40, 360) if status == "resolved" else rng.uniform(5, 60))
        if physician is None and (
            status in ("in_progress", "resolved") or (status == "dispatched" and rng.random() < 0.5)
        ):
            physician = rng.choice(hospital.physicians_in("Emergency Medicine"))
        index = clock.day_index(created)
        if 0 <= index < HISTORY_DAYS:  # counted where the emergency is now: the receiver once accepted
            network.emergencies_per_day[hospital.index][index] += 1
        yield (
            emergency_id,
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


def _add_referral_rows(network, referred: _Referred, chain: Chain, referral_ids, ambulance_ids, emergency_id, home,
                       patient, kind, description, severity, location) -> None:  # fmt: skip
    bed = suggested_bed(kind, severity)
    note = f"{severity.capitalize()} {kind.replace('_', ' ')}: needs {bed.lower()}"
    live = chain.referrals[-1]
    ambulance_id = None
    if live.dispatched_at is not None:
        ambulance_id = ambulance_ids(len(referred.ambulances))
        to = live.to
        if live.closed_at:
            status, eta = "completed", live.eta_minutes
        elif live.arrived_at:
            status, eta = "arrived", 0
        else:
            status = "en_route" if network.clock.now - live.dispatched_at > timedelta(minutes=3) else "dispatched"
            eta = live.eta_minutes
        referred.ambulances.append((
            ambulance_id, patient.user_id, kind, description, status,
            f"Emergency location ({location[0]:.4f}, {location[1]:.4f})", f"{location[0]:.6f}", f"{location[1]:.6f}",
            f"{to.name}, {to.address}", f"{to.site.latitude:.6f}", f"{to.site.longitude:.6f}", patient.phone, eta,
            to.id, live.dispatched_at, live.last_change,
        ))  # fmt: skip
    rows = referral_rows(network, referral_ids, chain, emergency_id, home, bed, note, ambulance_id,
                         len(referred.referrals))  # fmt: skip
    referred.referrals.extend(rows)


def _ambulance_requests(network: Network, referral_ambulances: list[tuple]) -> Iterator[tuple]:
    """The referrals' ambulances first (their ids come first), then the hospitals' own calls."""
    yield from referral_ambulances
    rng = network.rng("ambulance_requests")
    ids = IdMaker("ambulance_requests")
    clock = network.clock
    total = network.plan.ambulance_requests
    open_count = max(2, round(total * 0.015))
    for number in range(len(referral_ambulances), total):
        patient = network.pick_patient(rng)
        hospital = patient.hospital
        kind, description, _ = rng.choice(EMERGENCY_TYPES)
        is_open = number >= total - open_count
        if is_open:
            created = clock.now - timedelta(minutes=rng.uniform(3, 240))
        else:
            created = clock.between(rng, max(patient.created_at, clock.history_start), clock.now - timedelta(hours=6))
        latitude, longitude = jitter(rng, hospital.city.latitude, hospital.city.longitude, hospital.city.spread_degrees)
        distance = km(latitude, longitude, hospital.site.latitude, hospital.site.longitude)
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
