"""Physicians' weekly sessions and leave (migration 0017), and the clinic slots the demo books them in.

Every demo physician works the five weekday mornings (08:00-13:00) and two more half-days: a weekday
afternoon (13:00-17:00) and a weekend morning (the weekend clinic's rota), or, for every third physician, two
weekday afternoons; so each has SESSIONS_PER_PHYSICIAN sessions and the whole grid (08:00 to 16:30) is worked
by someone. Which
days depends on the physician's row number only, so db/demo/appointments.py books the clinic visits inside
them without another draw (`session_slots`), and the Appointments grid shows the demo's bookings in hours.

Leave (proportional to scale, one row a hospital):
- The story: one physician of the largest hospital, the one with the most bookings in the coming days, is on
  leave from tomorrow for LEAVE_DAYS days, recorded after those bookings were made: the Appointments page
  lists them to move (docs/demo-data.md).
- At every other hospital one physician has training or leave recorded after the booking window (past the
  demo's last booking), so the page shows recorded leave and a booking that far ahead is refused, with no clash.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from db.base import UserRole
from db.demo.clock import FUTURE_DAYS
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import HospitalNode, Network, Person
from db.demo.plan import SESSIONS_PER_PHYSICIAN
from db.rules import SLOT_TIMES

SESSION_COLUMNS = ("id", "physician_id", "hospital_id", "weekday", "starts", "ends", "created_by", "created_at",
                   "updated_at")  # fmt: skip
LEAVE_COLUMNS = ("id", "physician_id", "hospital_id", "first_day", "last_day", "kind", "reason", "created_by",
                 "created_at")  # fmt: skip
MORNING, AFTERNOON = ("08:00", "13:00"), ("13:00", "17:00")
LEAVE_DAYS = 5  # the story's leave: tomorrow and the four days after
# The two more half-days by row number: a weekday afternoon and a weekend morning (the weekend clinic's rota,
# Saturday or Sunday), or two weekday afternoons (ISO weekdays).
EXTRA_HALF_DAYS = (
    ((2, AFTERNOON), (6, MORNING)), ((4, AFTERNOON), (7, MORNING)), ((1, AFTERNOON), (3, AFTERNOON)),
    ((3, AFTERNOON), (6, MORNING)), ((5, AFTERNOON), (7, MORNING)), ((2, AFTERNOON), (4, AFTERNOON)),
)  # fmt: skip
LATER_LEAVE = (("training", "Continuing medical education course"), ("leave", "Annual leave"))


def weekly_sessions(physician: Person) -> tuple[tuple[int, str, str], ...]:
    """(ISO weekday, starts, ends) of the physician's sessions: the five mornings and two half-days."""
    mornings = tuple((weekday, *MORNING) for weekday in range(1, 6))
    extra = tuple((weekday, *span) for weekday, span in EXTRA_HALF_DAYS[physician.number % len(EXTRA_HALF_DAYS)])
    assert len(mornings + extra) == SESSIONS_PER_PHYSICIAN  # the plan counts on it
    return mornings + extra


@functools.cache
def _slots_of(extra_index: int) -> tuple[tuple[tuple[str, int], ...], ...]:
    """Per Python weekday (Monday 0), the grid's slots inside the sessions, as ("HH:MM", minutes)."""
    by_day: list[list[tuple[str, int]]] = [[] for _ in range(7)]
    sessions = [(weekday, *MORNING) for weekday in range(1, 6)]
    sessions += [(weekday, *span) for weekday, span in EXTRA_HALF_DAYS[extra_index]]
    for weekday, starts, ends in sessions:
        for slot in SLOT_TIMES:
            if starts <= slot and _plus_half_hour(slot) <= ends:
                by_day[weekday - 1].append((slot, int(slot[:2]) * 60 + int(slot[3:])))
    return tuple(tuple(sorted(day)) for day in by_day)


def _plus_half_hour(slot: str) -> str:
    minutes = int(slot[:2]) * 60 + int(slot[3:]) + 30
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def session_slots(physician: Person, weekday: int) -> tuple[tuple[str, int], ...]:
    """The physician's bookable slots on a Python weekday (Monday 0): empty when they have no session."""
    return _slots_of(physician.number % len(EXTRA_HALF_DAYS))[weekday]


def story_hospital(network: Network) -> HospitalNode:
    """The largest hospital (the other parts of the story pick it the same way)."""
    return max(network.hospitals, key=lambda h: (h.size, -h.index))


def write_physician_hours(network: Network, writer: CopyWriter) -> None:
    clock = network.clock
    session_ids, leave_ids = IdMaker("physician_sessions"), IdMaker("physician_leave")
    set_up = clock.history_start  # the hours were set when the history begins
    sessions, number = [], 0
    for hospital in network.hospitals:
        admin = _admin_of(hospital)
        for physician in hospital.physicians:
            for weekday, starts, ends in weekly_sessions(physician):
                sessions.append((session_ids(number), physician.profile_id, hospital.id, weekday, starts, ends, admin,
                                 set_up, set_up))  # fmt: skip
                number += 1
    writer.write("physician_sessions", SESSION_COLUMNS, sessions)
    writer.write("physician_leave", LEAVE_COLUMNS, _leave(network, leave_ids))
    writer.finish("physician_sessions", "physician_leave")


def _leave(network: Network, ids: IdMaker) -> list[tuple]:
    clock = network.clock
    today: date = clock.as_of  # the demo's Lagos day
    rows = []
    largest = story_hospital(network)
    booked = network.bookings_next_days
    on_leave = max(largest.physicians, key=lambda p: (booked.get(p.profile_id, 0), -p.number))
    recorded = clock.now - timedelta(hours=2)  # this morning, after the bookings were made
    rows.append((ids(0), on_leave.profile_id, largest.id, today + timedelta(days=1), today + timedelta(days=LEAVE_DAYS),
                 "leave", "Family emergency: travelling to Enugu", _admin_of(largest), recorded))  # fmt: skip
    for hospital in network.hospitals:
        if hospital is largest:  # its leave is the story's
            continue
        physician = hospital.physicians[hospital.index % len(hospital.physicians)]
        kind, reason = LATER_LEAVE[hospital.index % len(LATER_LEAVE)]
        first = today + timedelta(days=FUTURE_DAYS + 5 + hospital.index % 10)
        last = first + timedelta(days=2 + hospital.index % 8)
        rows.append((ids(len(rows)), physician.profile_id, hospital.id, first, last, kind, reason, _admin_of(hospital),
                     clock.now - timedelta(days=3)))  # fmt: skip
    return rows


def _admin_of(hospital: HospitalNode) -> str | None:
    admin = hospital.staff.get(UserRole.HOSPITAL_ADMIN)
    return admin.user_id if admin else None
