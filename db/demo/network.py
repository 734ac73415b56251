"""The skeleton every generator hangs rows on: hospitals and people, held in memory.

At scale 50 this is about 1,000 hospitals and 117,000 people, a few tens of megabytes; the large
tables (appointments, messages, metrics) are streamed and never held here. Each generator draws
from its own random stream (`network.rng("appointments")`), so adding a column to one table never
changes the rows of another.
"""

from __future__ import annotations

import bisect
import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.base import UserRole
from db.demo.clock import HISTORY_DAYS, DemoClock
from db.demo.geography import UNVERIFIED_STATE, City, HospitalSite, hospital_sites, phone_number, street_address
from db.demo.identifiers import IdMaker
from db.demo.logins import DEMO_EMAIL_DOMAIN, HOSPITAL_STAFF_ROLES, NETWORK_STAFF_ROLES
from db.demo.names import ascii_slug, draw_name
from db.demo.plan import AGENTS_PER_HOSPITAL, PHYSICIANS_PER_HOSPITAL, DemoPlan

CORE_SPECIALIZATIONS = (
    "General Practice",
    "Emergency Medicine",
    "Internal Medicine",
    "Paediatrics",
    "Obstetrics and Gynaecology",
)
OTHER_SPECIALIZATIONS = (
    "Cardiology",
    "General Surgery",
    "Orthopaedics",
    "Ophthalmology",
    "Otorhinolaryngology (ENT)",
    "Dermatology",
    "Psychiatry",
    "Neurology",
    "Nephrology",
    "Oncology",
    "Radiology",
    "Family Medicine",
    "Urology",
    "Endocrinology",
    "Anaesthesiology",
    "Public Health",
)
# Consultation fee range in naira; specialists charge more, and experience moves a fee up the range.
FEE_RANGES = {
    "General Practice": (5_000, 12_000),
    "Family Medicine": (6_000, 15_000),
    "Emergency Medicine": (8_000, 20_000),
    "Public Health": (5_000, 10_000),
}
SPECIALIST_FEE_RANGE = (15_000, 50_000)
PENDING_SHARE = 0.18
SUBSCRIPTION_PLANS = (("basic", 0.6), ("premium", 0.25), ("family", 0.15))


@dataclass(slots=True, eq=False)
class Person:
    number: int  # row number in users and profiles
    user_id: str
    profile_id: str
    role: UserRole
    first_name: str
    last_name: str
    gender: str
    email: str
    phone: str
    city: City
    address: str
    hospital: HospitalNode | None
    created_at: datetime
    date_of_birth: datetime | None
    specialization: str | None = None
    license_number: str | None = None
    years_of_experience: int | None = None
    fee_kobo: int = 0
    subscription_plan: str | None = None
    email_verified: bool = True
    is_active: bool = True  # a few patients closed their accounts: no bookings after that
    is_child: bool = False  # under 18 on the as_of day: sees paediatricians, has parents as contacts
    # Registered at a ward's desk when admitted, not through the app: an account and a profile, nothing else.
    desk_registered: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(slots=True, eq=False)
class HospitalNode:
    index: int
    id: str
    site: HospitalSite
    verification_status: str
    joined_at: datetime
    size: float  # 1.0 is a typical 120-bed hospital; drives beds, revenue and queues
    occupancy: float  # usual share of beds in use
    satisfaction: float  # usual patient rating out of 5
    wait_minutes: float  # usual outpatient wait
    address: str
    phone: str
    physicians: list[Person] = field(default_factory=list)
    agents: list[Person] = field(default_factory=list)
    staff: dict[UserRole, Person] = field(default_factory=dict)
    patients: list[Person] = field(default_factory=list)  # the app's patients whose home hospital this is
    desk_patients: list[Person] = field(default_factory=list)  # registered at the ward desk (Person.desk_registered)

    @property
    def name(self) -> str:
        return self.site.name

    @property
    def city(self) -> City:
        return self.site.city

    def physicians_in(self, specialization: str) -> list[Person]:
        return [p for p in self.physicians if p.specialization == specialization] or self.physicians


@dataclass(eq=False)
class Network:
    plan: DemoPlan
    clock: DemoClock
    seed: int
    password_hash: str
    hospitals: list[HospitalNode] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)  # every user, in row order
    network_staff: dict[UserRole, Person] = field(default_factory=dict)
    # Filled while appointments, emergencies and wards are written, read by the finances and the daily
    # metrics, so that "daily_appointments", "emergency_count" and "bed_occupancy_rate" equal what the
    # tables hold and revenue follows the activity.
    appointments_per_day: list[list[int]] = field(default_factory=list)
    emergencies_per_day: list[list[int]] = field(default_factory=list)
    occupancy_per_day: list[list[float]] = field(default_factory=list)  # percent of usable beds held
    usual_activity: dict[int, tuple[float, float, int]] = field(default_factory=dict)  # db.demo.money._usual
    # Booked (pending or confirmed) appointments per physician profile in the days the story's leave covers,
    # counted while appointments are written (db/demo/physician_hours.py sends the busiest one on leave).
    bookings_next_days: dict[str, int] = field(default_factory=dict)

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.seed}/{stream}")

    @functools.cached_property
    def patients(self) -> list[Person]:  # read only once build_network has finished
        return [p for p in self.people if p.role is UserRole.PATIENT and not p.desk_registered]

    def pick_patient(self, rng: random.Random, *, bookable: bool = False) -> Person:
        """A patient drawn in proportion to their membership time inside the history window.

        A uniform draw would give someone who joined last week as many appointments and chats as a
        member of a year, crammed into a few days. `bookable` extends active members' time to the
        end of the booking window (closed accounts stop at now).
        """
        weights = self._bookable_weights if bookable else self._history_weights
        return self.patients[bisect.bisect(weights, rng.random() * weights[-1])]

    def _membership_weights(self, bookable: bool) -> list[float]:
        clock = self.clock
        cumulative, total = [], 0.0
        for patient in self.patients:
            end = clock.horizon if bookable and patient.is_active else clock.now
            total += max(3600.0, (end - max(patient.created_at, clock.history_start)).total_seconds())
            cumulative.append(total)
        return cumulative

    @functools.cached_property
    def _history_weights(self) -> list[float]:
        return self._membership_weights(bookable=False)

    @functools.cached_property
    def _bookable_weights(self) -> list[float]:
        return self._membership_weights(bookable=True)

    @property
    def physicians(self) -> list[Person]:
        return [p for h in self.hospitals for p in h.physicians]

    def share_by_size(self, total: int, minimum: int = 1) -> list[int]:
        """Split `total` rows over the hospitals in proportion to their size (largest remainder)."""
        weights = [h.size for h in self.hospitals]
        spare = max(0, total - minimum * len(weights))
        exact = [spare * w / sum(weights) for w in weights]
        shares = [int(x) for x in exact]
        by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
        for i in by_remainder[: spare - sum(shares)]:
            shares[i] += 1
        return [minimum + s for s in shares]

    @property
    def verified_hospitals(self) -> list[HospitalNode]:
        return [h for h in self.hospitals if h.verification_status == "verified"]

    @property
    def staff(self) -> list[Person]:
        return list(self.network_staff.values()) + [p for h in self.hospitals for p in h.staff.values()]


def build_network(plan: DemoPlan, clock: DemoClock, seed: int, password_hash: str) -> Network:
    network = Network(plan=plan, clock=clock, seed=seed, password_hash=password_hash)
    _add_hospitals(network)
    people = _PeopleFactory(network)
    for role, prefix in NETWORK_STAFF_ROLES:
        network.network_staff[role] = people.staff(role, f"{prefix}@{DEMO_EMAIL_DOMAIN}", None)
    for hospital in network.hospitals:
        for role, prefix in HOSPITAL_STAFF_ROLES:
            email = f"{prefix}.{hospital.site.slug}@{DEMO_EMAIL_DOMAIN}"
            hospital.staff[role] = people.staff(role, email, hospital)
        specializations = _specializations(people.rng)
        hospital.physicians = [people.physician(hospital, s) for s in specializations]
        hospital.agents = [people.agent(hospital) for _ in range(AGENTS_PER_HOSPITAL)]
    weights = [h.size for h in network.hospitals]
    for _ in range(plan.patients):
        hospital = people.rng.choices(network.hospitals, weights)[0]
        hospital.patients.append(people.patient(hospital))
    for hospital in network.hospitals:  # every hospital needs patients for its queues and wards
        if not hospital.patients:
            hospital.patients.append(people.patient(hospital))
    # Last, so every app patient keeps the row number (and id) it had before wards had desk patients.
    for hospital, count in zip(network.hospitals, network.share_by_size(plan.desk_patients), strict=True):
        hospital.desk_patients = [people.desk_patient(hospital) for _ in range(count)]
    days = HISTORY_DAYS + 1
    network.appointments_per_day = [[0] * days for _ in network.hospitals]
    network.emergencies_per_day = [[0] * days for _ in network.hospitals]
    network.occupancy_per_day = [[0.0] * days for _ in network.hospitals]
    return network


def _add_hospitals(network: Network) -> None:
    rng = network.rng("hospitals")
    ids = IdMaker("hospitals")
    clock = network.clock
    sites = hospital_sites(network.plan.hospitals)
    statuses = ["pending" if rng.random() < PENDING_SHARE else "verified" for _ in sites]
    statuses[0] = "verified"  # the first hospital's logins are the ones the docs walk through
    if len(sites) > 1 and "pending" not in statuses:
        statuses[-1] = "pending"  # the verification queue is never empty
    # One state's hospitals all wait to be verified: the states map shows a state with none verified.
    statuses = [
        "pending" if site.city.state == UNVERIFIED_STATE else status
        for site, status in zip(sites, statuses, strict=True)
    ]
    for site, status in zip(sites, statuses, strict=True):
        teaching = "Teaching" in site.name
        size = min(3.0, max(0.4, rng.lognormvariate(0.0, 0.35) * (1.6 if teaching else 1.0)))
        if status == "pending":  # joined recently and awaits the network's verification: days to weeks
            joined_at = clock.days_ago(rng, 10, 50)
        else:
            joined_at = clock.days_ago(rng, HISTORY_DAYS + 60, HISTORY_DAYS * 4)
        network.hospitals.append(
            HospitalNode(
                index=site.index,
                id=ids(site.index),
                site=site,
                verification_status=status,
                joined_at=joined_at,
                size=round(size, 3),
                occupancy=rng.uniform(0.55, 0.9),
                satisfaction=rng.uniform(3.5, 4.6),
                wait_minutes=rng.uniform(25, 95),
                address=street_address(rng, site.city),
                phone=phone_number(rng),
            )
        )


def _specializations(rng: random.Random) -> list[str]:
    extra = PHYSICIANS_PER_HOSPITAL - len(CORE_SPECIALIZATIONS)
    return list(CORE_SPECIALIZATIONS) + rng.sample(OTHER_SPECIALIZATIONS, extra)


class _PeopleFactory:
    """Creates Person records in row order, from one random stream."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.rng = network.rng("people")
        self.user_ids = IdMaker("users")
        self.profile_ids = IdMaker("profiles")

    def _person(self, role: UserRole, email: str | None, hospital: HospitalNode | None, **extra) -> Person:
        rng = self.rng
        number = len(self.network.people)
        city = hospital.city if hospital else self.network.hospitals[0].city
        gender = "female" if rng.random() < 0.52 else "male"
        first, last = draw_name(rng, city.region, gender)
        created_at = extra.pop("created_at", None) or self._staff_joined(hospital)
        person = Person(
            number=number,
            user_id=self.user_ids(number),
            profile_id=self.profile_ids(number),
            role=role,
            first_name=first,
            last_name=last,
            gender=gender,
            email=email or "",
            phone=phone_number(rng),
            city=city,
            address=street_address(rng, city),
            hospital=hospital,
            created_at=created_at,
            date_of_birth=extra.pop("date_of_birth", None) or self._birth(20 if role is UserRole.PATIENT else 26),
            **extra,
        )
        if not email:
            person.email = self._email(person)
        self.network.people.append(person)
        return person

    def _email(self, person: Person) -> str:
        prefix = {UserRole.PHYSICIAN: "dr.", UserRole.AGENT: "agent."}.get(person.role, "")
        local = f"{prefix}{ascii_slug(person.first_name)}.{ascii_slug(person.last_name)}.{person.number}"
        return f"{local}@{DEMO_EMAIL_DOMAIN}"

    def _birth(self, minimum_age: int) -> datetime:
        age_days = int(self.rng.uniform(minimum_age, 70) * 365.25)
        moment = self.network.clock.now - timedelta(days=age_days)
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    def _staff_joined(self, hospital: HospitalNode | None) -> datetime:
        clock = self.network.clock
        earliest = hospital.joined_at if hospital else clock.now - timedelta(days=HISTORY_DAYS * 3)
        latest = min(clock.now - timedelta(days=2), earliest + timedelta(days=14))
        return clock.between(self.rng, earliest, max(latest, earliest + timedelta(hours=1)))

    def staff(self, role: UserRole, email: str, hospital: HospitalNode | None) -> Person:
        return self._person(role, email, hospital)

    def physician(self, hospital: HospitalNode, specialization: str) -> Person:
        rng = self.rng
        years = rng.randint(2, 32)
        low, high = FEE_RANGES.get(specialization, SPECIALIST_FEE_RANGE)
        fee = low + (high - low) * min(1.0, years / 30) * rng.uniform(0.6, 1.0)
        fee_naira = int(round(fee / 500) * 500)
        return self._person(
            UserRole.PHYSICIAN,
            None,
            hospital,
            specialization=specialization,
            license_number=f"MDCN/R/{rng.randint(10_000, 99_999)}",
            years_of_experience=years,
            fee_kobo=fee_naira * 100,
            date_of_birth=self._birth(24 + years),
        )

    def agent(self, hospital: HospitalNode) -> Person:
        return self._person(UserRole.AGENT, None, hospital)

    def patient(self, hospital: HospitalNode) -> Person:
        rng = self.rng
        clock = self.network.clock
        # Sign-ups accelerate towards as_of (the network is growing), never before the hospital joined.
        earliest = max(hospital.joined_at, clock.now - timedelta(days=HISTORY_DAYS * 3))
        span = (clock.now - timedelta(hours=6) - earliest).total_seconds()
        created_at = clock.now - timedelta(hours=6) - timedelta(seconds=int(span * rng.random() ** 1.6))
        is_child = rng.random() < 0.2  # registered by a parent
        if is_child:
            age_days = int(rng.uniform(0.2, 17) * 365.25)
            birth = (clock.now - timedelta(days=age_days)).replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            age_days = int(min(95.0, 18 + rng.expovariate(1 / 17)) * 365.25)
            birth = (clock.now - timedelta(days=age_days)).replace(hour=0, minute=0, second=0, microsecond=0)
        plans, weights = zip(*SUBSCRIPTION_PLANS, strict=True)
        return self._person(
            UserRole.PATIENT,
            None,
            hospital,
            created_at=created_at,
            date_of_birth=birth,
            subscription_plan=rng.choices(plans, weights)[0],
            email_verified=rng.random() < 0.9,
            is_active=rng.random() < 0.97,
            is_child=is_child,
        )

    def desk_patient(self, hospital: HospitalNode) -> Person:
        """Someone admitted to the hospital's wards who never signed up to the app (no wallet, no chats)."""
        rng = self.rng
        clock = self.network.clock
        earliest = max(hospital.joined_at, clock.now - timedelta(days=HISTORY_DAYS * 3))
        created_at = clock.between(rng, earliest, clock.now - timedelta(days=1))
        is_child = rng.random() < 0.2
        years = rng.uniform(0.1, 17) if is_child else min(95.0, 18 + rng.expovariate(1 / 22))
        birth = (clock.now - timedelta(days=int(years * 365.25))).replace(hour=0, minute=0, second=0, microsecond=0)
        return self._person(
            UserRole.PATIENT, None, hospital, created_at=created_at, date_of_birth=birth, email_verified=False,
            is_child=is_child, desk_registered=True,
        )  # fmt: skip


def pick_physician(rng: random.Random, hospital: HospitalNode, patient: Person) -> Person:
    """A physician of `hospital` suited to the patient: paediatricians for children, often O&G for women."""
    if patient.is_child and rng.random() < 0.6:
        return rng.choice(hospital.physicians_in("Paediatrics"))
    if patient.gender == "female" and rng.random() < 0.2:
        return rng.choice(hospital.physicians_in("Obstetrics and Gynaecology"))
    return rng.choice(hospital.physicians)
