"""Hospitals and their day to day: resources, admissions (hospital_patients, db/demo/wards.py) and the waitlist.

RESOURCE_CATALOGUE, resource_id and WARD_BEDS are read from here by other modules and tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

from db.demo.bed_board import with_story_beds
from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.documents import HOSPITAL_DOCUMENT_TYPES, hospital_document_id
from db.demo.identifiers import IdMaker
from db.demo.logins import DEMO_EMAIL_DOMAIN
from db.demo.network import HospitalNode, Network, Person
from db.demo.resources import RESOURCE_CATALOGUE, RESOURCE_COLUMNS, resource_drawer, resource_id
from db.demo.wards import ADMISSION_COLUMNS, WARD_BEDS, ward_drawer

__all__ = ["RESOURCE_CATALOGUE", "WARD_BEDS", "resource_id", "write_hospital_operations", "write_hospitals"]

HOSPITAL_COLUMNS = (
    "id", "name", "address", "phone", "email", "city", "state", "latitude", "longitude", "is_active",
    "verification_status", "verification_documents", "security_settings", "created_at", "updated_at", "lga",
)  # fmt: skip
WAITLIST_COLUMNS = (
    "id", "hospital_id", "patient_id", "department", "reason", "priority", "status", "estimated_wait_time",
    "called_at", "completed_at", "created_at", "updated_at",
)  # fmt: skip

DEPARTMENTS = (
    # (department, reasons, weight)
    ("General Outpatient", ("Fever and headache", "Persistent cough", "Body pains", "Follow-up visit"), 30),
    ("Emergency", ("Chest pain", "Difficulty breathing", "Injury from a fall", "High fever in a child"), 12),
    ("Antenatal Clinic", ("Routine antenatal check", "Swollen feet", "Ultrasound review"), 12),
    ("Paediatrics", ("Child with diarrhoea", "Immunisation", "Child with fever"), 12),
    ("Laboratory", ("Blood test", "Malaria test", "Blood sugar test"), 10),
    ("Pharmacy", ("Prescription refill", "Collect medication"), 10),
    ("Cardiology", ("Blood pressure review", "Palpitations"), 5),
    ("Radiology", ("X-ray", "Ultrasound scan"), 5),
    ("Eye Clinic", ("Blurred vision", "Eye pain"), 4),
)
# Hospitals drawn before their rows are written: a batch holds its admissions (~250 a hospital) in memory.
HOSPITAL_BATCH = 100
# Today's share of a hospital's waitlist rows (at least TODAY_MINIMUM, the last of them still waiting), who
# arrived in the last QUEUE_MINUTES; the clinics open at CLINIC_OPENS_HOUR, the emergency desk never closes.
TODAY_SHARE = 0.06
TODAY_MINIMUM = 2
QUEUE_MINUTES = 300
CLINIC_OPENS_HOUR = 7
PRIORITIES = (("low", 25), ("medium", 45), ("high", 22), ("urgent", 8))
PRIORITY_WAIT_MINUTES = {"urgent": (5, 15), "high": (15, 40), "medium": (30, 90), "low": (60, 180)}


def write_hospitals(network: Network, writer: CopyWriter) -> None:
    writer.write("hospitals", HOSPITAL_COLUMNS, _hospitals(network))
    writer.finish("hospitals")


def write_hospital_operations(network: Network, writer: CopyWriter) -> None:
    # A bed resource's in-use count is its current admissions, and admissions point at their bed
    # resource, so each batch settles its wards first and writes resources before admissions.
    draw_wards = ward_drawer(network)
    draw_resources = resource_drawer(network)
    ids = IdMaker("hospital_patients")
    number = 0
    for start in range(0, len(network.hospitals), HOSPITAL_BATCH):
        resource_rows: list[tuple] = []
        admission_rows: list[tuple] = []
        for hospital in network.hospitals[start : start + HOSPITAL_BATCH]:
            wards = draw_wards(hospital)
            resource_rows.extend(draw_resources(hospital, with_story_beds(network, hospital, wards.resource_beds)))
            for row in wards.admissions:
                admission_rows.append((ids(number), *row))
                number += 1
        writer.write("hospital_resources", RESOURCE_COLUMNS, resource_rows)
        writer.write("hospital_patients", ADMISSION_COLUMNS, admission_rows)
    writer.finish("hospital_resources", "hospital_patients")
    writer.write("patient_waitlist", WAITLIST_COLUMNS, _waitlist(network))
    writer.finish("patient_waitlist")


def _hospitals(network: Network) -> Iterator[tuple]:
    rng = network.rng("hospital_rows")
    clock = network.clock
    for hospital in network.hospitals:
        verified = hospital.verification_status == "verified"
        documents = [
            {
                "type": kind,
                "document_id": hospital_document_id(network, hospital, position),
                "status": "verified" if verified else "pending",
            }
            for position, kind in enumerate(HOSPITAL_DOCUMENT_TYPES)
        ]
        security = {
            "mfa_required": rng.random() < 0.7,
            "session_timeout_minutes": rng.choice((15, 30, 60)),
            "password_rotation_days": rng.choice((60, 90, 180)),
            "ip_allowlist_enabled": rng.random() < 0.3,
        }
        updated = hospital.joined_at + timedelta(days=rng.uniform(3, 20)) if verified else hospital.joined_at
        yield (
            hospital.id,
            hospital.name,
            hospital.address,
            hospital.phone,
            f"info.{hospital.site.slug}@{DEMO_EMAIL_DOMAIN}",
            hospital.city.name,
            hospital.site.state,
            f"{hospital.site.latitude:.6f}",
            f"{hospital.site.longitude:.6f}",
            True,
            hospital.verification_status,
            json.dumps(documents),
            json.dumps(security),
            hospital.joined_at,
            min(updated, clock.now),
            hospital.site.lga,
        )


def _patient_since(rng, hospital: HospitalNode, moment) -> Person:
    """A patient of `hospital` already registered at `moment` (the earliest one when none is)."""
    for _ in range(8):
        patient = rng.choice(hospital.patients)
        if patient.created_at <= moment:
            return patient
    return min(hospital.patients, key=lambda p: p.created_at)


def _waitlist(network: Network) -> Iterator[tuple]:
    rng = network.rng("patient_waitlist")
    ids = IdMaker("patient_waitlist")
    clock = network.clock
    departments = [d for d, _, _ in DEPARTMENTS]
    department_weights = [w for _, _, w in DEPARTMENTS]
    reasons = {d: r for d, r, _ in DEPARTMENTS}
    priorities, priority_weights = zip(*PRIORITIES, strict=True)
    number = 0
    for hospital, count in zip(network.hospitals, network.share_by_size(network.plan.waitlist_entries), strict=True):
        today = max(TODAY_MINIMUM, round(count * TODAY_SHARE))
        pace = hospital.wait_minutes / 60
        for position in range(count):
            department = rng.choices(departments, department_weights)[0]
            # The last arrivals of the day's queue came in minutes ago and are still waiting.
            latest_arrivals = today - TODAY_MINIMUM <= position < today
            if position < today:
                department, created = _arrival_today(rng, clock, department, latest_arrivals)
            else:
                created = _clinic_moment(rng, clock, hospital, department)
            priority = rng.choices(priorities, priority_weights)[0]
            if department == "Emergency" and priority in ("low", "medium"):
                priority = rng.choice(("high", "urgent"))
            low, high = PRIORITY_WAIT_MINUTES[priority]
            estimate = max(1, round(rng.uniform(low, high) * pace))
            if position < today:
                status, called, completed = _seen_today(rng, clock, created, estimate, latest_arrivals)
            else:
                actual = timedelta(minutes=estimate * rng.uniform(0.6, 1.8))
                draw = rng.random()
                status = "completed" if draw < 0.82 else ("cancelled" if draw < 0.9 else "no_show")
                called = None if status == "cancelled" else created + actual
                completed = called + timedelta(minutes=rng.uniform(8, 45)) if status == "completed" else None
                # An evening arrival at the emergency desk of a build made after midnight: all of it in the past.
                overshoot = (completed or called or created) - (clock.now - timedelta(minutes=1))
                if overshoot > timedelta(0):
                    created, called = created - overshoot, called and called - overshoot
                    completed = completed and completed - overshoot
            patient = _patient_since(rng, hospital, created)
            yield (
                ids(number),
                hospital.id,
                patient.user_id,
                department,
                rng.choice(reasons[department]),
                priority,
                status,
                estimate,
                called,
                completed,
                created,
                completed or called or created,
            )
            number += 1


def _arrival_today(rng, clock, department: str, latest: bool) -> tuple[str, datetime]:
    """(department, arrival) of today's queue: clinics from their opening, the emergency desk round the clock."""
    now = clock.now
    earliest = now - timedelta(minutes=QUEUE_MINUTES)
    if latest:
        earliest = now - timedelta(minutes=20)
    opening = clock.today_midnight + timedelta(hours=CLINIC_OPENS_HOUR)
    if department != "Emergency" and now - max(earliest, opening) < timedelta(minutes=10):
        department = "Emergency"  # before the clinics open only the emergency desk has a queue
    if department != "Emergency":
        earliest = max(earliest, opening)
    return department, clock.between(rng, earliest, now - timedelta(minutes=1))


def _seen_today(rng, clock, created: datetime, estimate: int, waiting: bool) -> tuple:
    """(status, called, completed) of one of today's arrivals by what its wait would have reached by now."""
    now = clock.now
    called = created + timedelta(minutes=estimate * rng.uniform(0.6, 1.6))
    if waiting or called >= now:
        return "waiting", None, None
    done = called + timedelta(minutes=rng.uniform(8, 45))
    if done <= now:
        return "completed", called, done
    return ("called" if now - called < timedelta(minutes=5) else "in_progress"), called, None


def _clinic_moment(rng, clock, hospital: HospitalNode, department: str):
    """A past arrival in the last 90 days, in clinic hours except at the emergency desk."""
    earliest = max(hospital.joined_at, clock.now - timedelta(days=90))
    day = clock.between(rng, earliest, clock.now - timedelta(days=1)).astimezone(LAGOS)
    hour = rng.uniform(0, 24) if department == "Emergency" else rng.uniform(7.5, 16)
    moment = day.replace(hour=int(hour), minute=int(hour % 1 * 60), second=rng.randint(0, 59), microsecond=0)
    return moment.astimezone(clock.now.tzinfo)
