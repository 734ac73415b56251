"""Hospitals and their day to day: resources, admissions (hospital_patients) and the waitlist."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.documents import HOSPITAL_DOCUMENT_TYPES, hospital_document_id
from db.demo.identifiers import IdMaker, demo_id
from db.demo.logins import DEMO_EMAIL_DOMAIN
from db.demo.network import HospitalNode, Network, Person
from db.demo.plan import RESOURCES_PER_HOSPITAL
from db.rules import GENERAL_WARD_BEDS, ICU_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS, resource_status

HOSPITAL_COLUMNS = (
    "id", "name", "address", "phone", "email", "city", "state", "latitude", "longitude", "is_active",
    "verification_status", "verification_documents", "security_settings", "created_at", "updated_at",
)  # fmt: skip
RESOURCE_COLUMNS = (
    "id", "hospital_id", "name", "category", "total_quantity", "available_quantity", "in_use_quantity",
    "maintenance_quantity", "status", "created_at", "updated_at",
)  # fmt: skip
ADMISSION_COLUMNS = (
    "id", "hospital_id", "patient_id", "assigned_physician_id", "status", "admission_date", "discharge_date",
    "room_number", "notes", "created_at", "updated_at", "bed_resource_id",
)  # fmt: skip
BED_COLUMN = ADMISSION_COLUMNS.index("bed_resource_id")
WAITLIST_COLUMNS = (
    "id", "hospital_id", "patient_id", "department", "reason", "priority", "status", "estimated_wait_time",
    "called_at", "completed_at", "created_at", "updated_at",
)  # fmt: skip

# (category, name, quantity at a size-1.0 hospital, share usually in maintenance)
RESOURCE_CATALOGUE = (
    ("beds", GENERAL_WARD_BEDS, 70, 0.02),
    ("beds", MATERNITY_BEDS, 18, 0.02),
    ("beds", PAEDIATRIC_BEDS, 14, 0.02),
    ("beds", ICU_BEDS, 6, 0.05),
    ("beds", "Isolation beds", 4, 0.05),
    ("equipment", "Ventilators", 4, 0.15),
    ("equipment", "Oxygen concentrators", 12, 0.12),
    ("equipment", "Patient monitors", 16, 0.08),
    ("equipment", "Ultrasound scanners", 3, 0.1),
    ("equipment", "X-ray machines", 2, 0.15),
    ("equipment", "Dialysis machines", 3, 0.15),
    ("medication", "Artemether-lumefantrine (courses)", 400, 0.0),
    ("medication", "Insulin (vials)", 120, 0.0),
    ("medication", "Oxytocin (ampoules)", 200, 0.0),
    ("staff", "Nurses on duty", 42, 0.0),
    ("staff", "Doctors on call", 10, 0.0),
    ("supplies", "Oxygen cylinders", 30, 0.1),
    ("supplies", "Blood units (O+)", 25, 0.0),
    ("supplies", "PPE kits", 300, 0.0),
    ("ambulances", "Ambulances", 3, 0.2),
)

ADMISSION_REASONS = (
    # (reason, specialization of the assigned physician, ward prefix)
    ("Severe malaria", "Internal Medicine", "A"),
    ("Labour and delivery", "Obstetrics and Gynaecology", "M"),
    ("Pre-eclampsia monitoring", "Obstetrics and Gynaecology", "M"),
    ("Hypertensive crisis", "Internal Medicine", "A"),
    ("Community-acquired pneumonia", "Internal Medicine", "A"),
    ("Sickle cell crisis", "Internal Medicine", "A"),
    ("Diabetic ketoacidosis", "Internal Medicine", "A"),
    ("Road traffic injuries", "Emergency Medicine", "A"),
    ("Typhoid fever", "Internal Medicine", "A"),
    ("Gastroenteritis with dehydration", "Paediatrics", "P"),
    ("Neonatal jaundice", "Paediatrics", "P"),
    ("Post-operative care after appendectomy", "General Surgery", "S"),
    ("Stroke", "Internal Medicine", "ICU"),
)
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
# The bed resource a ward's patients hold, by the ward prefix of their room.
WARD_BEDS = {"A": GENERAL_WARD_BEDS, "S": GENERAL_WARD_BEDS, "M": MATERNITY_BEDS, "P": PAEDIATRIC_BEDS, "ICU": ICU_BEDS}
# About one current admission in 15 is still waiting for a bed (admitted from the emergency desk).
WAITING_FOR_BED_SHARE = 1 / 15
# Hospitals drawn before their rows are written: a batch holds its admissions (~150 a hospital) in memory.
HOSPITAL_BATCH = 100
PRIORITIES = (("low", 25), ("medium", 45), ("high", 22), ("urgent", 8))
PRIORITY_WAIT_MINUTES = {"urgent": (5, 15), "high": (15, 40), "medium": (30, 90), "low": (60, 180)}


def write_hospitals(network: Network, writer: CopyWriter) -> None:
    writer.write("hospitals", HOSPITAL_COLUMNS, _hospitals(network))
    writer.finish("hospitals")


def write_hospital_operations(network: Network, writer: CopyWriter) -> None:
    # A current admission holds a bed, so a hospital's bed counts are settled only once its admissions
    # are drawn; admissions point at their bed resource, so each batch writes resources first.
    draw_resources = _resource_drawer(network)
    draw_admissions = _admission_drawer(network)
    counts = network.share_by_size(network.plan.admissions)
    for start in range(0, len(network.hospitals), HOSPITAL_BATCH):
        resource_rows: list[tuple] = []
        admission_rows: list[tuple] = []
        for hospital, count in zip(
            network.hospitals[start : start + HOSPITAL_BATCH], counts[start : start + HOSPITAL_BATCH], strict=True
        ):
            admissions = draw_admissions(hospital, count)
            beds_held = Counter(row[BED_COLUMN] for row in admissions if row[BED_COLUMN] is not None)
            resource_rows.extend(draw_resources(hospital, beds_held))
            admission_rows.extend(admissions)
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
            hospital.city.state,
            f"{hospital.site.latitude:.6f}",
            f"{hospital.site.longitude:.6f}",
            True,
            hospital.verification_status,
            json.dumps(documents),
            json.dumps(security),
            hospital.joined_at,
            min(updated, clock.now),
        )


def resource_id(hospital: HospitalNode, position: int) -> str:
    """The id of a hospital's resource at `position` of RESOURCE_CATALOGUE."""
    return demo_id("hospital_resources", hospital.index * RESOURCES_PER_HOSPITAL + position)


def _resource_drawer(network: Network) -> Callable[[HospitalNode, Counter[str]], list[tuple]]:
    """Draws one hospital's resources at a time, in hospital order, from one random stream."""
    rng = network.rng("hospital_resources")
    ids = IdMaker("hospital_resources")
    clock = network.clock

    def draw(hospital: HospitalNode, beds_held: Counter[str]) -> list[tuple]:
        rows = []
        for position, (category, name, base, maintenance_share) in enumerate(RESOURCE_CATALOGUE):
            total = max(1, round(base * hospital.size * rng.uniform(0.8, 1.2)))
            maintenance = min(total, round(total * maintenance_share * rng.uniform(0, 2)))
            usable = total - maintenance
            if category == "beds":
                share = hospital.occupancy + rng.uniform(-0.08, 0.1)
            elif category in ("medication", "supplies"):
                share = rng.uniform(0.3, 0.7)
            else:
                share = rng.uniform(0.4, 0.9)
            if rng.random() < 0.08:  # a stock-out or a full ward: the shortages a dashboard should show
                share = rng.uniform(0.9, 1.0)
            in_use = min(usable, max(0, round(usable * share)))
            number = hospital.index * RESOURCES_PER_HOSPITAL + position
            # Every bed a current admission holds is in use; a ward fuller than its beds gets more beds.
            in_use = max(in_use, beds_held[ids(number)])
            total = max(total, in_use + maintenance)
            available = total - in_use - maintenance
            rows.append(
                (
                    ids(number),
                    hospital.id,
                    name,
                    category,
                    total,
                    available,
                    in_use,
                    maintenance,
                    resource_status(total, available, maintenance),
                    hospital.joined_at + timedelta(days=rng.uniform(0, 3)),
                    clock.now - timedelta(minutes=rng.randint(5, 48 * 60)),
                )
            )
        return rows

    return draw


def _patient_since(rng, hospital: HospitalNode, moment) -> Person:
    """A patient of `hospital` already registered at `moment` (the earliest one when none is)."""
    for _ in range(8):
        patient = rng.choice(hospital.patients)
        if patient.created_at <= moment:
            return patient
    return min(hospital.patients, key=lambda p: p.created_at)


def _admission_drawer(network: Network) -> Callable[[HospitalNode, int], list[tuple]]:
    """Draws one hospital's `count` admissions at a time, in hospital order, from one random stream."""
    rng = network.rng("hospital_patients")
    ids = IdMaker("hospital_patients")
    clock = network.clock
    bed_positions = {name: position for position, (_, name, _, _) in enumerate(RESOURCE_CATALOGUE)}
    numbers = itertools.count()

    def draw(hospital: HospitalNode, count: int) -> list[tuple]:
        rows = []
        in_hospital: set[str] = set()  # a patient is admitted once at a time (migration 0007)
        current = max(1, round(count * 0.05))  # every ward has someone in it today
        for position in range(count):
            reason, specialization, ward = rng.choice(ADMISSION_REASONS)
            stay = timedelta(days=min(30.0, rng.lognormvariate(math.log(3), 0.7)))
            if position < current:
                admitted = clock.now - timedelta(days=rng.uniform(0.1, min(10.0, stay.days + 1)))
            else:
                earliest = max(hospital.joined_at, clock.history_start)
                admitted = clock.between(rng, earliest, clock.now - timedelta(hours=2))
            patient = _patient_since(rng, hospital, admitted)
            for _ in range(8):  # someone not in hospital already, if the draw allows
                if patient.user_id not in in_hospital:
                    break
                patient = _patient_since(rng, hospital, admitted)
            admitted = max(admitted, patient.created_at + timedelta(minutes=30))
            discharged = admitted + stay
            if (position < current or discharged >= clock.now) and patient.user_id not in in_hospital:
                status, discharged = "admitted", None
                in_hospital.add(patient.user_id)
            else:
                # A stay that would overlap the patient's current one ended before today instead.
                discharged = min(discharged, clock.now - timedelta(minutes=30))
                if discharged < admitted:
                    admitted = discharged - timedelta(hours=6)
                status = "transferred" if rng.random() < 0.07 else "discharged"
            physician = rng.choice(hospital.physicians_in(specialization))
            room = f"{ward}{rng.randint(1, 4)}-{rng.randint(1, 30):02d}"
            note = reason if status != "transferred" else f"{reason}; transferred for specialist care"
            bed = None
            if status == "admitted":
                if rng.random() < WAITING_FOR_BED_SHARE:
                    room = None  # no bed, no room yet: the ward's waiting-for-bed list
                else:
                    bed = resource_id(hospital, bed_positions[WARD_BEDS[ward]])
            rows.append(
                (
                    ids(next(numbers)),
                    hospital.id,
                    patient.user_id,
                    physician.profile_id,
                    status,
                    admitted,
                    discharged,
                    room,
                    note,
                    admitted,
                    discharged or admitted,
                    bed,
                )
            )
        return rows

    return draw


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
        current = max(2, round(count * 0.04))  # the queue forming this morning
        pace = hospital.wait_minutes / 60
        for position in range(count):
            department = rng.choices(departments, department_weights)[0]
            priority = rng.choices(priorities, priority_weights)[0]
            if department == "Emergency" and priority in ("low", "medium"):
                priority = rng.choice(("high", "urgent"))
            low, high = PRIORITY_WAIT_MINUTES[priority]
            estimate = max(1, round(rng.uniform(low, high) * pace))
            if position < current:
                created = clock.now - timedelta(minutes=rng.uniform(5, 270))
                draw = rng.random()
                status = "waiting" if draw < 0.7 else ("called" if draw < 0.85 else "in_progress")
                called = completed = None
                if status != "waiting":
                    called = min(clock.now, created + timedelta(minutes=rng.uniform(0.5, 1.2) * estimate))
            else:
                created = _clinic_moment(rng, clock, hospital, department)
                actual = timedelta(minutes=estimate * rng.uniform(0.6, 1.8))
                draw = rng.random()
                status = "completed" if draw < 0.82 else ("cancelled" if draw < 0.9 else "no_show")
                called = None if status == "cancelled" else created + actual
                completed = called + timedelta(minutes=rng.uniform(8, 45)) if status == "completed" else None
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


def _clinic_moment(rng, clock, hospital: HospitalNode, department: str):
    """A past arrival in the last 90 days, in clinic hours except at the emergency desk."""
    earliest = max(hospital.joined_at, clock.now - timedelta(days=90))
    day = clock.between(rng, earliest, clock.now - timedelta(days=1)).astimezone(LAGOS)
    hour = rng.uniform(0, 24) if department == "Emergency" else rng.uniform(7.5, 16)
    moment = day.replace(hour=int(hour), minute=int(hour % 1 * 60), second=rng.randint(0, 59), microsecond=0)
    return moment.astimezone(clock.now.tzinfo)
