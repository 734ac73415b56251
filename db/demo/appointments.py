"""Appointments, and for the virtual ones their consultation session and video room.

Appointments are the largest table after the daily metrics (over a million at scale 50), so they
are written in batches: each batch's appointments, then the sessions of its virtual ones, then
their rooms, so every foreign key points at a row already written.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from db.demo.amounts import naira
from db.demo.clock import HISTORY_DAYS
from db.demo.copy_writer import CopyWriter
from db.demo.draws import lookup_table, weighted
from db.demo.identifiers import IdMaker
from db.demo.network import Network, pick_physician
from db.demo.physician_hours import LEAVE_DAYS, session_slots
from db.rules import SLOT_TIMES, slot_times

APPOINTMENT_COLUMNS = (
    "id", "patient_id", "physician_id", "hospital_id", "agent_id", "appointment_date", "appointment_time",
    "appointment_type", "consultation_type", "status", "notes", "meeting_link", "created_at", "updated_at",
)  # fmt: skip
SESSION_COLUMNS = (
    "id", "appointment_id", "patient_id", "physician_id", "session_type", "status", "started_at", "ended_at",
    "duration_minutes", "consultation_rate", "payment_status", "created_at", "updated_at",
)  # fmt: skip
ROOM_COLUMNS = (
    "id", "session_id", "room_token", "room_status", "patient_joined", "physician_joined", "created_at", "updated_at",
)  # fmt: skip
APPOINTMENT_BATCH = 20_000
APPOINTMENT_TYPES = (("consultation", 55), ("follow_up", 25), ("check_up", 10), ("procedure", 7), ("emergency", 3))
APPOINTMENT_NOTES = (
    "Bring previous lab results",
    "Patient prefers a female physician",
    "Follow-up after discharge",
    "Interpreter needed (Hausa)",
    "Interpreter needed (Yoruba)",
    "Fasting blood sample required",
    "Referred by community agent",
)
SESSION_TYPES = (("video", 70), ("audio", 20), ("text", 10))
MEET_URL = "https://meet.demo.healthdash.ng/r/"


def _slots(times: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Slots as ("HH:MM", minutes after midnight)."""
    return tuple((t, int(t[:2]) * 60 + int(t[3:])) for t in times)


# Clinic visits start on the dashboard's booking grid, so its day grid counts them as booked slots; video
# calls keep the grid's half hours and also run before and after clinic hours, where the grid shows
# them as "outside the slots". Clinic visits, and video calls in clinic hours, fall inside the physician's
# weekly sessions (db/demo/physician_hours.py); the early and evening calls are outside any session.
IN_PERSON_SLOTS = _slots(SLOT_TIMES)  # 08:00 to 16:30
GRID = frozenset(SLOT_TIMES)
VIRTUAL_SLOTS = _slots(slot_times(time(7, 0), time(21, 0)))  # 07:00 to 20:30


def write_appointments(network: Network, writer: CopyWriter) -> None:
    # Scale 50 runs this loop a million times: bound methods, precomputed tables and integer days
    # (db.demo.clock) took it from ~45 to ~16 microseconds per appointment.
    rng = network.rng("appointments")
    random, randint, choice = rng.random, rng.randint, rng.choice
    ids = IdMaker("appointments")
    session_ids = IdMaker("consultation_sessions")
    room_ids = IdMaker("consultation_rooms")
    clock = network.clock
    now, horizon = clock.now, clock.horizon
    closing_day = clock.day_index(now) - 1  # closed accounts: nothing from today on
    last_bookable_day = clock.day_index(horizon)
    verified = network.verified_hospitals
    type_table = lookup_table(APPOINTMENT_TYPES)
    session_types, session_weights = weighted(SESSION_TYPES)
    per_day = network.appointments_per_day
    two_hours, one_hour, five_minutes = timedelta(hours=2), timedelta(hours=1), timedelta(minutes=5)
    soon, three_days = timedelta(days=2), timedelta(days=3)
    total = network.plan.appointments
    session_number = 0
    # Every physician's (day, slot) already booked: the no-double-booking index (migration 0006)
    # refuses a second booking of one, cancelled or not, so none is drawn twice.
    taken: set[int] = set()
    today, bookings_ahead = clock.day_index(now), network.bookings_next_days
    for start in range(0, total, APPOINTMENT_BATCH):
        appointments, sessions, rooms = [], [], []
        for number in range(start, min(total, start + APPOINTMENT_BATCH)):
            patient = network.pick_patient(rng, bookable=True)
            while not patient.is_active and patient.created_at > now - three_days:
                patient = network.pick_patient(rng, bookable=True)
            hospital = patient.hospital
            if verified and random() < 0.15:  # a referral or a second opinion elsewhere in the network
                hospital = choice(verified)
            physician = pick_physician(rng, hospital, patient)
            virtual = random() < 0.16
            earliest = max(patient.created_at, hospital.joined_at, clock.history_start) + two_hours
            # Closed accounts book nothing new: their appointments all lie in the past.
            last_day = last_bookable_day if patient.is_active else closing_day
            day = randint(min(clock.day_index(earliest), last_day), last_day)
            slots = VIRTUAL_SLOTS if virtual else IN_PERSON_SLOTS
            slot, minutes = choice(slots)
            in_hours = not virtual or slot in GRID  # a clinic visit, or a video call in clinic hours
            if in_hours:  # inside the physician's weekly sessions (db/demo/physician_hours.py)
                day = _working_day(clock, physician, day, last_day)
                slot, minutes = choice(session_slots(physician, clock.weekday(day)))
            if clock.lagos_moment(day, minutes) < earliest and day < last_day:
                day += 1
                if in_hours:
                    day = _working_day(clock, physician, day, last_day)
                    slot, minutes = choice(session_slots(physician, clock.weekday(day)))
            if _slot_key(physician, day, minutes) in taken:
                slots_on = (lambda d, p=physician: session_slots(p, clock.weekday(d))) if in_hours else None
                day, slot, minutes = _free_slot(rng, taken, physician, slots, day, last_day, slots_on=slots_on)
            taken.add(_slot_key(physician, day, minutes))
            moment = clock.lagos_moment(day, minutes)
            booked = moment - timedelta(hours=rng.uniform(1, 21 * 24))
            booked = min(max(booked, earliest - one_hour), now - five_minutes, moment - five_minutes)
            draw = random()
            if moment <= now:  # a visit due at the very moment of "now" has its outcome too
                # Video calls are missed less often than clinic visits (no travel, no queue).
                if draw < 0.09:
                    status = "cancelled"
                    updated = clock.between(rng, booked, moment)
                elif draw < (0.15 if virtual else 0.2):
                    status, updated = "no_show", moment + one_hour
                else:
                    status, updated = "completed", moment + timedelta(minutes=randint(20, 90))
                # The Overview's "appointments today" leaves cancelled ones out; the daily metric does too.
                if day < HISTORY_DAYS and status != "cancelled":
                    per_day[hospital.index][day] += 1
            else:
                status = "confirmed" if draw < (0.75 if moment - now < soon else 0.45) else "pending"
                updated = booked if status == "pending" else clock.between(rng, booked, now)
                if today < day <= today + LEAVE_DAYS:  # the days the story's leave covers
                    bookings_ahead[physician.profile_id] = bookings_ahead.get(physician.profile_id, 0) + 1
            if updated > now:
                updated = now
            agent = choice(hospital.agents) if random() < 0.1 else None
            appointment_id = ids(number)
            token = f"{rng.getrandbits(64):016x}{number:x}" if virtual else None
            appointments.append(
                (
                    appointment_id,
                    patient.user_id,
                    physician.profile_id,
                    hospital.id,
                    agent.profile_id if agent else None,
                    moment,
                    slot,
                    type_table[int(random() * 100)],
                    "virtual" if virtual else "in_person",
                    status,
                    choice(APPOINTMENT_NOTES) if random() < 0.12 else None,
                    MEET_URL + token if token else None,
                    booked,
                    updated,
                )
            )
            if virtual:
                session, room = _consultation(
                    rng, session_types, session_weights, session_ids(session_number), room_ids(session_number),
                    appointment_id, token, patient, physician, moment, status, booked, updated,
                )  # fmt: skip
                sessions.append(session)
                rooms.append(room)
                session_number += 1
        writer.write("appointments", APPOINTMENT_COLUMNS, appointments)
        writer.write("consultation_sessions", SESSION_COLUMNS, sessions)
        writer.write("consultation_rooms", ROOM_COLUMNS, rooms)
    writer.finish("appointments", "consultation_sessions", "consultation_rooms")


def _slot_key(physician, day: int, minutes: int) -> int:
    """One int per physician, day and slot: a million of them fit in a set of modest size."""
    return (physician.number * 4096 + day) * 1440 + minutes


def _working_day(clock, physician, day: int, last_day: int) -> int:
    """`day`, or the next day the physician has a session (the previous one past `last_day`)."""
    for candidate in (*range(day, min(day + 7, last_day + 1)), *range(day - 1, day - 8, -1)):
        if session_slots(physician, clock.weekday(candidate)):
            return candidate
    return day


def _free_slot(
    rng, taken: set[int], physician, slots, day: int, last_day: int, *, slots_on=None
) -> tuple[int, str, int]:
    """Another slot of the physician on `day` (a few draws, then in order), else on the next days.

    `slots_on(day)`, when given, are the slots of that day (the physician's sessions); else `slots` every day.

    A physician has about one booking every four or five days against 18 clinic slots a day, so a
    clash is rare and the first redraw nearly always settles it; the scan only makes "never" certain.
    Days after `last_day` are not used (a closed account books nothing after it), so the scan goes back
    from there instead.
    """
    slots_of = slots_on or (lambda _day: slots)
    for _ in range(8):
        if not slots_of(day):
            break
        slot, minutes = rng.choice(slots_of(day))
        if _slot_key(physician, day, minutes) not in taken:
            return day, slot, minutes
    for candidate in [*range(day, last_day + 1), *range(day - 1, -1, -1)]:
        for slot, minutes in slots_of(candidate):
            if _slot_key(physician, candidate, minutes) not in taken:
                return candidate, slot, minutes
    raise RuntimeError(f"physician {physician.profile_id} has no free slot left in the demo's booking window")


def _consultation(
    rng, session_types, session_weights, session_id, room_id, appointment_id, token, patient, physician,
    moment: datetime, status: str, booked: datetime, updated: datetime,
) -> tuple[tuple, tuple]:  # fmt: skip
    """The session and room of a virtual appointment, in states that match the appointment's."""
    started = ended = duration = None
    if status == "completed":
        # A call that began minutes before the demo's "now" has lasted only until now.
        started = min(moment + timedelta(minutes=rng.randint(0, 8)), max(moment, updated - timedelta(minutes=1)))
        ended = min(started + timedelta(minutes=rng.randint(8, 40)), updated)
        duration = round((ended - started).total_seconds() / 60)
        session_status, payment, room_status, joined = "completed", "paid", "completed", (True, True)
    elif status == "no_show":  # the doctor waited in the room; no-shows are not refunded
        session_status, payment, room_status, joined = "cancelled", "paid", "completed", (False, True)
    elif status == "cancelled":
        session_status, room_status, joined = "cancelled", "completed", (False, False)
        payment = "refunded" if rng.random() < 0.8 else "failed"
    else:
        session_status, room_status, joined = "scheduled", "waiting", (False, False)
        payment = "paid" if status == "confirmed" and rng.random() < 0.7 else "pending"
    last = max(updated, ended) if ended else updated
    session = (
        session_id, appointment_id, patient.user_id, physician.profile_id,
        rng.choices(session_types, session_weights)[0], session_status, started, ended, duration,
        naira(physician.fee_kobo), payment, booked, last,
    )  # fmt: skip
    room = (room_id, session_id, token, room_status, joined[0], joined[1], booked, last)
    return session, room
