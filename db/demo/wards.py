"""Wards: every stay in every bed of the last WARD_DAYS days, so beds are held by patients.

Each usable bed of a ward is followed through time: a stay (a lognormal length of stay for the
ward), then an empty spell (cleaning, a quiet night), then the next stay, and so on until now, with
gaps drawn so that the bed is occupied about the ward's target share of the time. A bed already
occupied when the window opens carries a stay that began before it. So:

- every stay is one hospital_patients row; a stay still running at "now" is a current admission
  ("admitted", no discharge date) holding that bed, and the bed resource's in_use is exactly the
  number of them (available = total - in use - maintenance);
- about one current admission in 15 more is still waiting for a bed (no bed, no room);
- admissions and discharges per day, the census and lengths of stay all come from the same stays,
  and the daily "bed_occupancy_rate" metric of those days is the census at the end of each Lagos day.

Patients are the hospital's app patients and the patients its ward desk registered (db/demo/network.py):
children go to the paediatric ward, women to maternity, and a patient is admitted again only some
days after the last discharge, never while still in (migration 0007: one open admission each).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.demo.clock import HISTORY_DAYS
from db.demo.network import HospitalNode, Network, Person
from db.demo.resources import BED_POSITIONS, ISOLATION_BEDS, RESOURCE_CATALOGUE, draw_capacity, resource_id
from db.rules import GENERAL_WARD_BEDS, ICU_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS

ADMISSION_COLUMNS = (
    "id", "hospital_id", "patient_id", "assigned_physician_id", "status", "admission_date", "discharge_date",
    "room_number", "notes", "created_at", "updated_at", "bed_resource_id",
)  # fmt: skip
WARD_DAYS = 60
READMISSION_GAP = timedelta(days=21)
CLEANING = timedelta(hours=2)  # a bed is never taken again the minute it is freed
# About one current admission in 15 is still waiting for a bed (admitted from the emergency desk).
WAITING_FOR_BED_SHARE = 1 / 15

ADMISSION_REASONS = (
    # (reason, specialization of the assigned physician, ward prefix of the room)
    ("Severe malaria", "Internal Medicine", "A"),
    ("Hypertensive crisis", "Internal Medicine", "A"),
    ("Community-acquired pneumonia", "Internal Medicine", "A"),
    ("Sickle cell crisis", "Internal Medicine", "A"),
    ("Diabetic ketoacidosis", "Internal Medicine", "A"),
    ("Road traffic injuries", "Emergency Medicine", "A"),
    ("Typhoid fever", "Internal Medicine", "A"),
    ("Post-operative care after appendectomy", "General Surgery", "S"),
    ("Labour and delivery", "Obstetrics and Gynaecology", "M"),
    ("Pre-eclampsia monitoring", "Obstetrics and Gynaecology", "M"),
    ("Gastroenteritis with dehydration", "Paediatrics", "P"),
    ("Neonatal jaundice", "Paediatrics", "P"),
    ("Severe malaria in a child", "Paediatrics", "P"),
    ("Stroke", "Internal Medicine", "ICU"),
    ("Respiratory failure", "Internal Medicine", "ICU"),
    ("Suspected Lassa fever", "Internal Medicine", "ISO"),
    ("Cholera", "Internal Medicine", "ISO"),
    ("Pulmonary tuberculosis", "Internal Medicine", "ISO"),
)
# The bed resource a ward's patients hold, by the ward prefix of their room.
WARD_BEDS = {
    "A": GENERAL_WARD_BEDS, "S": GENERAL_WARD_BEDS, "M": MATERNITY_BEDS, "P": PAEDIATRIC_BEDS, "ICU": ICU_BEDS,
    "ISO": ISOLATION_BEDS,
}  # fmt: skip
# Median length of stay in days per bed resource (lognormal, sigma 0.6); who is admitted there.
STAY_MEDIAN_DAYS = {GENERAL_WARD_BEDS: 4, MATERNITY_BEDS: 2, PAEDIATRIC_BEDS: 3, ICU_BEDS: 5, ISOLATION_BEDS: 8}
STAY_SIGMA = 0.6
LONGEST_STAY_DAYS = 40
WARD_PATIENTS = {MATERNITY_BEDS: "women", PAEDIATRIC_BEDS: "children", GENERAL_WARD_BEDS: "adults"}


@dataclass(slots=True)
class _Stay:
    position: int  # bed resource, by catalogue position; None while waiting for a bed
    unit: int  # which bed of the ward
    start: datetime
    end: datetime | None  # None: still in hospital at "now"


@dataclass(frozen=True)
class HospitalWards:
    resource_beds: dict[int, tuple]  # bed position -> (total, in use, maintenance, last admission or discharge)
    admissions: list[tuple]  # hospital_patients rows without ids (ADMISSION_COLUMNS[1:])


def ward_drawer(network: Network) -> Callable[[HospitalNode], HospitalWards]:
    """Draws one hospital's wards at a time, in hospital order, from one random stream."""
    rng = network.rng("wards")
    clock = network.clock
    now = clock.now
    reasons_by_bed: dict[str, list[tuple]] = {}
    for reason in ADMISSION_REASONS:
        reasons_by_bed.setdefault(WARD_BEDS[reason[2]], []).append(reason)

    def stay_length(name: str) -> timedelta:
        days = min(LONGEST_STAY_DAYS, rng.lognormvariate(math.log(STAY_MEDIAN_DAYS[name]), STAY_SIGMA))
        return timedelta(days=max(days, 0.25))

    def draw(hospital: HospitalNode) -> HospitalWards:
        opened = max(now - timedelta(days=WARD_DAYS), hospital.joined_at + timedelta(days=1))
        stays: list[_Stay] = []
        resource_beds: dict[int, tuple] = {}
        for name, position in BED_POSITIONS.items():
            total, maintenance = draw_capacity(rng, hospital, position)
            occupancy = min(0.97, max(0.3, hospital.occupancy + rng.uniform(-0.08, 0.1)))
            if rng.random() < 0.08:  # a full ward: the shortage a dashboard should show
                occupancy = 0.97
            mean_stay = STAY_MEDIAN_DAYS[name] * math.exp(STAY_SIGMA**2 / 2)
            mean_gap = max(CLEANING.total_seconds() / 86400, mean_stay * (1 - occupancy) / occupancy)
            for unit in range(total - maintenance):
                if rng.random() < occupancy:  # occupied when the window opens, by a stay that began before it
                    length = stay_length(name)
                    start = max(opened - length * rng.random(), hospital.joined_at + timedelta(hours=1))
                else:
                    length, start = None, opened + timedelta(days=rng.expovariate(1 / mean_gap))
                while start < now:
                    length = length or stay_length(name)
                    end = start + length
                    stays.append(_Stay(position, unit, start, end if end <= now else None))
                    start = end + CLEANING + timedelta(days=rng.expovariate(1 / mean_gap))
                    length = None
            resource_beds[position] = (total, maintenance)
        current = sum(stay.end is None for stay in stays)
        for _ in range(current):
            if rng.random() < WAITING_FOR_BED_SHARE:
                stays.append(_Stay(-1, 0, now - timedelta(hours=rng.uniform(0.5, 10)), None))
        stays.sort(key=lambda s: (s.start, s.position, s.unit))
        admissions, kept, held, last_change = _admit(rng, network, hospital, stays, reasons_by_bed)
        _record_occupancy(network, hospital, [s for s in kept if s.position >= 0], opened, resource_beds)
        beds = {
            position: (total, held.get(position, 0), maintenance, last_change.get(position, hospital.joined_at))
            for position, (total, maintenance) in resource_beds.items()
        }
        return HospitalWards(beds, admissions)

    return draw


def _patient_pools(hospital: HospitalNode) -> dict[str, list[Person]]:
    everyone = hospital.patients + hospital.desk_patients
    return {
        "children": [p for p in everyone if p.is_child],
        "women": [p for p in everyone if not p.is_child and p.gender == "female"],
        "adults": [p for p in everyone if not p.is_child],
        "anyone": everyone,
    }


def _admit(rng, network: Network, hospital: HospitalNode, stays: list[_Stay], reasons_by_bed) -> tuple:
    """Gives each stay (in time order) a patient free to come in, a physician, a room; drops the few with none."""
    clock = network.clock
    pools = _patient_pools(hospital)
    bed_ids = {position: resource_id(hospital, position) for position in BED_POSITIONS.values()}  # slow to make
    free_from: dict[int, datetime] = {}  # Person.number -> earliest next admission
    rows: list[tuple] = []
    kept: list[_Stay] = []
    held: dict[int, int] = {}
    last_change: dict[int, datetime] = {}
    for stay in stays:
        bed_name = RESOURCE_CATALOGUE[stay.position][1] if stay.position >= 0 else None
        reason, specialization, ward = rng.choice(reasons_by_bed[bed_name or GENERAL_WARD_BEDS])
        pool = pools[WARD_PATIENTS.get(bed_name or "", "anyone")] or pools["anyone"]
        patient = _free_patient(rng, pool, free_from, stay.start)
        if patient is None:
            continue  # nobody could come in: the bed stays empty
        kept.append(stay)
        free_from[patient.number] = (stay.end or clock.horizon) + READMISSION_GAP
        physician = rng.choice(hospital.physicians_in(specialization))
        if stay.end is None:
            status, note = "admitted", reason
        elif rng.random() < 0.07:
            status, note = "transferred", f"{reason}; transferred for specialist care"
        else:
            status, note = "discharged", reason
        bed = room = None
        if stay.position >= 0:
            bed = bed_ids[stay.position]
            room = f"{ward}{stay.unit // 6 + 1}-{stay.unit % 6 + 1:02d}"
            if stay.end is None:
                held[stay.position] = held.get(stay.position, 0) + 1
            moved = stay.end or stay.start
            last_change[stay.position] = max(last_change.get(stay.position, moved), moved)
        rows.append((hospital.id, patient.user_id, physician.profile_id, status, stay.start, stay.end, room, note,
                     stay.start, stay.end or stay.start, bed))  # fmt: skip
    return rows, kept, held, last_change


def _free_patient(rng, pool: list[Person], free_from: dict[int, datetime], moment: datetime) -> Person | None:
    def free(person: Person) -> bool:
        return person.created_at + timedelta(minutes=30) <= moment and free_from.get(person.number, moment) <= moment

    for _ in range(12):
        person = rng.choice(pool)
        if free(person):
            return person
    offset = rng.randrange(len(pool))
    return next((p for p in pool[offset:] + pool[:offset] if free(p)), None)


def _record_occupancy(network: Network, hospital: HospitalNode, stays: list[_Stay], opened: datetime,
                      resource_beds: dict[int, tuple]) -> None:  # fmt: skip
    """Percent of usable beds held at the end of each Lagos day: the census for the ward window, before it
    a slow random walk around the hospital's usual occupancy (the history imported when wards went live)."""
    clock = network.clock
    rng = network.rng(f"bed_occupancy/{hospital.index}")
    usable = sum(total - maintenance for total, maintenance in resource_beds.values())
    first = clock.day_index(opened) + 1  # the first whole day whose every stay is in the window
    census = [0] * (HISTORY_DAYS + 1)
    for stay in stays:
        last = HISTORY_DAYS if stay.end is None else clock.day_index(stay.end)
        for day in range(max(first, clock.day_index(stay.start)), min(last, HISTORY_DAYS)):
            census[day] += 1
    series = network.occupancy_per_day[hospital.index]
    drift = 0.0
    for day in range(HISTORY_DAYS):
        if day >= first and usable:
            series[day] = 100.0 * census[day] / usable
            continue
        # A slow random walk keeps occupancy from jumping day to day as real wards do not.
        drift = max(-0.2, min(0.2, drift * 0.9 + rng.gauss(0, 0.02)))
        month = (clock.history_start + timedelta(days=day)).month
        season = 0.06 if month in (7, 8, 9, 10) else 0.0
        series[day] = max(0.2, min(0.99, hospital.occupancy + season + drift)) * 100
