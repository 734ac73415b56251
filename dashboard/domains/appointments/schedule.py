"""A hospital's day or week: its active physicians and their booked slots, and what is free.

The page draws its grid and its booking form's free times from a `Schedule`; which slot is taken,
how many a day and what the first free time is are worked out here, not on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.appointments import hours as working_hours
from dashboard.domains.appointments import words
from dashboard.domains.appointments.records import (
    READERS,
    RESOURCE_TYPE,
    PatientProfile,
    PhysicianProfile,
    lagos_day,
    not_cancelled,
    patient_name,
    physician_name,
)
from dashboard.domains.appointments.slots import SLOT_TIMES
from dashboard.platform import audit, people
from dashboard.platform.actors import Actor
from dashboard.platform.dates import lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_role
from db.base import UserRole
from db.models import Appointment, Profile, User

MAX_SCHEDULE_DAYS = 7
# A grid cell's state, for the day grid's shading (the page's legend names them in this order).
OFF, FREE, BOOKED, BOOKED_OUTSIDE, ON_LEAVE = range(5)


@dataclass(frozen=True)
class PhysicianChoice:
    physician_id: str  # the profile id
    name: str
    specialization: str | None

    @property
    def label(self) -> str:
        return f"Dr. {self.name} — {self.specialization}" if self.specialization else f"Dr. {self.name}"


@dataclass(frozen=True)
class ScheduleSlot:
    appointment_id: str
    physician_id: str
    physician_name: str
    day: date
    time: str
    on_grid: bool  # False for a time another client booked off SLOT_TIMES (a quarter past, the evening)
    status: str  # pending, confirmed, completed or no_show: a cancelled appointment frees its slot
    patient_name: str
    appointment_type: str
    virtual: bool

    @property
    def summary(self) -> str:
        """Who holds the slot, and how when it is not a confirmed visit: "Amaka Eze (video, pending)"."""
        status = "" if self.status == "confirmed" else words.status_label(self.status).lower()
        extras = ", ".join(part for part in ("video" if self.virtual else "", status) if part)
        return self.patient_name + (f" ({extras})" if extras else "")


@dataclass(frozen=True)
class Schedule:
    """A hospital's booked slots for `days`; a grid cell (physician, day, time) with no slot is free."""

    hospital_id: str
    hospital_name: str
    days: tuple[date, ...]
    slot_times: tuple[str, ...]  # SLOT_TIMES
    physicians: list[PhysicianChoice]  # the hospital's active physicians, in name order
    slots: list[ScheduleSlot]  # by day, time and physician name
    hours: dict[str, working_hours.Hours] = field(default_factory=dict)  # sessions, and leave in the shown days

    def hours_of(self, physician_id: str) -> working_hours.Hours:
        return self.hours.get(physician_id) or working_hours.Hours(physician_id)

    def bookable(self, physician_id: str, day: date, slot_time: str) -> bool:
        """Inside the physician's hours and outside their leave (a physician who keeps no hours: any time)."""
        return self.hours_of(physician_id).bookable(day, slot_time)

    def offered(self, physician_id: str, day: date) -> tuple[str, ...]:
        """The free times on the grid that the booking form offers: inside the hours, not taken."""
        taken = self.taken(physician_id, day)
        return tuple(t for t in self.slot_times if t not in taken and self.bookable(physician_id, day, t))

    def state(self, physician_id: str, day: date, slot_time: str, slot: ScheduleSlot | None) -> int:
        inside = self.bookable(physician_id, day, slot_time)
        if slot is not None:
            return BOOKED if inside else BOOKED_OUTSIDE
        if self.hours_of(physician_id).leave_on(day) is not None:
            return ON_LEAVE
        return FREE if inside else OFF

    def day_states(self, day: date) -> list[list[int]]:
        """A row per physician, a cell per time: off (outside hours), free, booked, booked outside hours, leave."""
        grid = self.day_grid(day)
        return [
            [self.state(p.physician_id, day, t, s) for t, s in zip(self.slot_times, row, strict=True)]
            for p, row in zip(self.physicians, grid, strict=True)
        ]

    def in_hours_a_day(self) -> list[list[int]]:
        """A row per physician, a cell per day: how many slots of the day lie inside their hours (0 on leave)."""
        return [
            [sum(1 for t in self.slot_times if self.bookable(p.physician_id, d, t)) for d in self.days]
            for p in self.physicians
        ]

    def week_cells(self) -> list[list[tuple[int, str, str]]]:
        """A row per physician, a cell per day: (state, label, words): "3/10" booked of the slots in their hours,
        "Off" (no session that day), "Leave", or a day with a booking outside their hours."""
        outside = {(s.physician_id, s.day) for s in self.booked_outside()}
        cells = []
        for p, booked_row, inside_row in zip(self.physicians, self.booked_a_day(), self.in_hours_a_day(), strict=True):
            row = []
            for day, booked, slots in zip(self.days, booked_row, inside_row, strict=True):
                away = self.hours_of(p.physician_id).leave_on(day)
                if away is not None:
                    row.append((ON_LEAVE, "Leave", away.label + (f"; {booked} booked to move" if booked else "")))
                elif (p.physician_id, day) in outside:
                    row.append((BOOKED_OUTSIDE, f"{booked}/{slots}", f"{booked} booked, some outside their hours"))
                elif slots == 0 and not booked:
                    row.append((OFF, "Off", "no session that day"))
                else:
                    words = f"{booked} booked, {max(slots - booked, 0)} free in their hours"
                    row.append((BOOKED if booked >= slots else FREE, f"{booked}/{slots}", words))
            cells.append(row)
        return cells

    def booked_outside(self) -> list[ScheduleSlot]:
        """Booked slots on the grid that lie outside their physician's hours or in their leave."""
        return [s for s in self.slots if s.on_grid and not self.bookable(s.physician_id, s.day, s.time)]

    def slot(self, physician_id: str, day: date, slot_time: str) -> ScheduleSlot | None:
        return next(
            (s for s in self.slots if s.physician_id == physician_id and s.day == day and s.time == slot_time), None
        )

    def is_free(self, physician_id: str, day: date, slot_time: str) -> bool:
        return self.slot(physician_id, day, slot_time) is None

    def taken(self, physician_id: str, day: date) -> frozenset[str]:
        """The physician's booked times that day."""
        return frozenset(s.time for s in self.slots if s.physician_id == physician_id and s.day == day)

    def first_free(self, physician_id: str, day: date) -> str | None:
        """The earliest free time inside the physician's hours that day, None when none is left."""
        return next(iter(self.offered(physician_id, day)), None)

    def day_grid(self, day: date) -> list[list[ScheduleSlot | None]]:
        """A row per physician, a cell per time on the grid: the slot booked there, or None when free."""
        cells = {(s.physician_id, s.time): s for s in self.slots if s.day == day}
        return [[cells.get((p.physician_id, t)) for t in self.slot_times] for p in self.physicians]

    def booked_a_day(self) -> list[list[int]]:
        """A row per physician, a cell per day: how many appointments they hold that day."""
        booked: dict[tuple[str, date], int] = {}
        for s in self.slots:
            booked[(s.physician_id, s.day)] = booked.get((s.physician_id, s.day), 0) + 1
        return [[booked.get((p.physician_id, d), 0) for d in self.days] for p in self.physicians]

    @property
    def on_grid(self) -> int:
        return sum(1 for s in self.slots if s.on_grid)

    @property
    def off_grid(self) -> int:
        """Booked by other clients at other times (evening video calls)."""
        return len(self.slots) - self.on_grid

    @property
    def grid_size(self) -> int:
        """The slots of the shown days on the grid, booked or free."""
        return len(self.physicians) * len(self.slot_times) * len(self.days)


def schedule(db: Session, actor: Actor, *, hospital_id: str, start: date, days: int = 1) -> Schedule:
    """A hospital's day (`days`=1) or week (up to 7): its active physicians and their booked slots.

    It names patients, so it is audited and never cached: the role is checked here, not by `permissions.reads`.
    """
    require_role(db, actor, READERS, "see the appointment schedule")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    if not isinstance(start, date):
        raise InvalidInput("Pick the first day to show.")
    start = start.date() if isinstance(start, datetime) else start
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_SCHEDULE_DAYS:
        raise InvalidInput(f"Show from 1 to {MAX_SCHEDULE_DAYS} days of the schedule.")
    physicians = _active_physicians(db, hospital_id)
    stmt = (
        select(
            Appointment.id,
            Appointment.physician_id,
            physician_name,
            lagos_day,
            Appointment.appointment_time,
            Appointment.status,
            patient_name,
            Appointment.appointment_type,
            Appointment.consultation_type,
        )
        .join(PhysicianProfile, PhysicianProfile.id == Appointment.physician_id)
        .join(User, User.id == Appointment.patient_id)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .where(
            Appointment.hospital_id == hospital_id,
            not_cancelled,
            PhysicianProfile.hospital_id == hospital_id,
            PhysicianProfile.is_active,
            Appointment.appointment_date >= lagos_midnight(start),
            Appointment.appointment_date < lagos_midnight(start + timedelta(days=days)),
        )
    )
    stmt = limit_to_scope(stmt, actor, Appointment.hospital_id).order_by(
        lagos_day, Appointment.appointment_time, physician_name, Appointment.id
    )
    slots = [
        ScheduleSlot(
            appointment_id=r[0],
            physician_id=r[1],
            physician_name=r[2],
            day=r[3],
            time=r[4],
            on_grid=r[4] in SLOT_TIMES,
            status=r[5],
            patient_name=r[6],
            appointment_type=r[7],
            virtual=r[8] == "virtual",
        )
        for r in db.execute(stmt)
    ]
    audit.record_read(
        db,
        actor,
        action_type="appointment_schedule_viewed",
        resource_type=RESOURCE_TYPE,
        values={"hospital_id": hospital_id, "start": start, "days": days},
    )
    shown = tuple(start + timedelta(days=i) for i in range(days))
    return Schedule(
        hospital_id=hospital_id,
        hospital_name=hospital_name,
        days=shown,
        slot_times=SLOT_TIMES,
        physicians=physicians,
        slots=slots,
        hours=working_hours.hours_of(db, hospital_id, [p.physician_id for p in physicians], shown[0], shown[-1]),
    )


def _active_physicians(db: Session, hospital_id: str) -> list[PhysicianChoice]:
    name = people.name_or("(no name)")
    stmt = (
        select(Profile.id, name, Profile.specialization)
        .where(Profile.role == UserRole.PHYSICIAN, Profile.hospital_id == hospital_id, Profile.is_active)
        .order_by(name, Profile.id)
    )
    return [PhysicianChoice(*r) for r in db.execute(stmt)]
