"""Users and profiles, patients' emergency contacts, and the community agents' caseloads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from db.base import UserRole
from db.demo.amounts import naira
from db.demo.copy_writer import CopyWriter
from db.demo.geography import phone_number, street_address
from db.demo.identifiers import IdMaker
from db.demo.names import ascii_slug, draw_name
from db.demo.network import Network

USER_COLUMNS = (
    "id", "email", "password", "email_verified", "email_verification_token", "reset_password_token",
    "reset_password_expires", "created_at", "updated_at",
)  # fmt: skip
PROFILE_COLUMNS = (
    "id", "user_id", "first_name", "last_name", "phone", "date_of_birth", "gender", "address", "city", "state",
    "country", "role", "specialization", "license_number", "years_of_experience", "consultation_rate", "is_active",
    "hospital_id", "subscription_plan", "created_at", "updated_at",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "patient_id", "name", "relationship", "phone", "email", "address", "is_primary", "created_at", "updated_at",
)  # fmt: skip
ASSIGNMENT_COLUMNS = ("id", "patient_id", "agent_id", "status", "assigned_at", "completed_at", "notes")
ASSISTED_COLUMNS = (
    "id", "patient_id", "agent_id", "assistance_type", "description", "status", "notes", "last_interaction_at",
    "appointment_booking_count", "created_at", "updated_at",
)  # fmt: skip

ADULT_RELATIONSHIPS = ("Spouse", "Spouse", "Brother", "Sister", "Son", "Daughter", "Friend", "Cousin", "Uncle", "Aunt")
CHILD_RELATIONSHIPS = ("Mother", "Mother", "Father", "Guardian", "Aunt", "Uncle")
ASSIGNMENT_NOTES = (
    "Follow up on missed antenatal visits",
    "Help with NHIA enrolment paperwork",
    "Home visit after discharge",
    "Medication adherence check-ins for hypertension",
    "Coordinate transport to clinic appointments",
    "Support with wallet top-ups and payments",
    "Diabetes foot-care education",
    "Childhood immunisation reminders",
)
ASSISTANCE = (
    ("appointment_booking", "Books and reschedules clinic and video appointments"),
    ("registration", "Registered the patient on the app and verified their phone number"),
    ("medication_reminder", "Weekly calls to check medication supply and adherence"),
    ("transport_coordination", "Arranges transport to the hospital for appointments"),
    ("health_education", "Explains test results and care plans in the patient's language"),
    ("wallet_support", "Helps top up the wallet at a partner agent point"),
)


def write_people(network: Network, writer: CopyWriter) -> None:
    writer.write("users", USER_COLUMNS, _users(network))
    writer.finish("users")
    writer.write("profiles", PROFILE_COLUMNS, _profiles(network))
    writer.finish("profiles")
    writer.write("emergency_contacts", CONTACT_COLUMNS, _emergency_contacts(network))
    writer.finish("emergency_contacts")
    writer.write("agent_assignments", ASSIGNMENT_COLUMNS, _agent_assignments(network))
    writer.finish("agent_assignments")
    writer.write("agent_assisted_patients", ASSISTED_COLUMNS, _agent_assisted_patients(network))
    writer.finish("agent_assisted_patients")


def _users(network: Network) -> Iterator[tuple]:
    rng = network.rng("users")
    for person in network.people:
        if person.email_verified:
            verified = person.created_at + timedelta(minutes=rng.randint(2, 240))
            verified = min(verified, network.clock.now)
            token = None
        else:
            verified, token = None, f"{rng.getrandbits(128):032x}"
        yield (
            person.user_id,
            person.email,
            network.password_hash,  # one bcrypt hash for every demo account, see db.demo.build
            verified,
            token,
            None,
            None,
            person.created_at,
            verified or person.created_at,
        )


def _profiles(network: Network) -> Iterator[tuple]:
    for person in network.people:
        hospital = person.hospital
        # Patients belong to no hospital: hospital_id scopes staff, physicians and agents.
        hospital_id = hospital.id if hospital is not None and person.role is not UserRole.PATIENT else None
        yield (
            person.profile_id,
            person.user_id,
            person.first_name,
            person.last_name,
            person.phone,
            person.date_of_birth,
            person.gender,
            person.address,
            person.city.name,
            person.city.state,
            "Nigeria",
            person.role.value,
            person.specialization,
            person.license_number,
            person.years_of_experience,
            naira(person.fee_kobo),
            person.is_active,
            hospital_id,
            person.subscription_plan,
            person.created_at,
            person.created_at,
        )


def _emergency_contacts(network: Network) -> Iterator[tuple]:
    rng = network.rng("emergency_contacts")
    ids = IdMaker("emergency_contacts")
    number = 0
    for patient in network.patients:
        relationships = CHILD_RELATIONSHIPS if patient.is_child else ADULT_RELATIONSHIPS
        for position in range(1 if rng.random() < 0.5 else 2):
            relationship = rng.choice(relationships)
            gender = "female" if relationship in ("Mother", "Sister", "Daughter", "Aunt") else "male"
            if relationship in ("Spouse", "Friend", "Cousin", "Guardian"):
                gender = rng.choice(("female", "male"))
            first, last = draw_name(rng, patient.city.region, gender)
            if relationship not in ("Spouse", "Friend", "Guardian"):
                last = patient.last_name
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@example.ng" if rng.random() < 0.4 else None
            address = patient.address if relationship in ("Spouse", "Mother", "Father") else None
            created = patient.created_at + timedelta(minutes=rng.randint(5, 600))
            created = min(created, network.clock.now)
            yield (
                ids(number),
                patient.profile_id,
                f"{first} {last}",
                relationship,
                phone_number(rng),
                email,
                address or (street_address(rng, patient.city) if rng.random() < 0.3 else None),
                position == 0,
                created,
                created,
            )
            number += 1


def _agent_assignments(network: Network) -> Iterator[tuple]:
    rng = network.rng("agent_assignments")
    ids = IdMaker("agent_assignments")
    clock = network.clock
    for number in range(network.plan.agent_assignments):
        patient = network.pick_patient(rng)
        agent = rng.choice(patient.hospital.agents)
        assigned = clock.between(rng, max(patient.created_at, clock.history_start), clock.now)
        age_days = (clock.now - assigned).days
        draw = rng.random()
        if age_days > 60:
            status = "completed" if draw < 0.8 else ("cancelled" if draw < 0.9 else "active")
        else:
            status = "active" if draw < 0.7 else ("completed" if draw < 0.95 else "cancelled")
        completed = None
        if status == "completed":
            completed = min(assigned + timedelta(days=rng.uniform(1, 45)), clock.now)
        yield ids(number), patient.user_id, agent.profile_id, status, assigned, completed, rng.choice(ASSIGNMENT_NOTES)


def _agent_assisted_patients(network: Network) -> Iterator[tuple]:
    rng = network.rng("agent_assisted_patients")
    ids = IdMaker("agent_assisted_patients")
    clock = network.clock
    for number in range(network.plan.agent_assisted_patients):
        patient = network.pick_patient(rng)
        agent = rng.choice(patient.hospital.agents)
        kind, description = rng.choice(ASSISTANCE)
        created = clock.between(rng, max(patient.created_at, clock.history_start), clock.now)
        last_interaction = clock.between(rng, created, clock.now)
        idle_days = (clock.now - last_interaction).days
        status = "active" if idle_days < 45 else ("completed" if rng.random() < 0.6 else "inactive")
        bookings = rng.randint(1, 9) if kind == "appointment_booking" else rng.randint(0, 2)
        yield (
            ids(number),
            patient.user_id,
            agent.profile_id,
            kind,
            description,
            status,
            f"Prefers calls in the {rng.choice(('morning', 'afternoon', 'evening'))}" if rng.random() < 0.5 else None,
            last_interaction,
            bookings,
            created,
            last_interaction,
        )
