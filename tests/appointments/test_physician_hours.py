"""Physicians' weekly hours and leave (migration 0017): what a booking is offered, what is refused, the override.

On the two clinics of tests/fixtures/two_clinics.py (Ada Obi and Bola Ade at hospital A, Hauwa Sani at B),
in the test's rolled-back transaction; the row-level security test runs as a role held to the policies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from dashboard.domains.appointments import booking, changes, hours, hours_commands, schedule
from dashboard.domains.appointments.schedule import BOOKED, BOOKED_OUTSIDE, FREE, OFF, ON_LEAVE
from dashboard.domains.appointments.slots import SLOT_TIMES
from dashboard.platform.dates import LAGOS, span_text
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db.models import Appointment, AuditLog, PhysicianLeave, PhysicianSession
from db.roles import APP_TABLES
from db.row_scope import apply_scope
from tests.fixtures import two_clinics
from tests.fixtures.two_clinics import HOSPITAL_A, HOSPITAL_B

clinic = two_clinics.clinic
TODAY = datetime.now(LAGOS).date()
DAY = TODAY + timedelta(days=10)  # bookable, and the same weekday as DAY + 7
WEEKDAY = DAY.isoweekday()
WEEKDAY_NAME = hours.WEEKDAYS[WEEKDAY - 1]


def day_text(day) -> str:
    return f"{day.day} {day:%b %Y}"


def add_session(db, clinic, who="ha_a", *, physician="dr_ada", where="a", weekday=WEEKDAY, starts="08:00",
                ends="12:00"):  # fmt: skip
    return hours_commands.add_session(
        db, clinic.actor(who), hospital_id=clinic.hospital(where), physician_id=clinic.physician(physician),
        weekday=weekday, starts=starts, ends=ends,
    )  # fmt: skip


def record_leave(db, clinic, who="ha_a", *, physician="dr_ada", where="a", first=DAY + timedelta(days=7),
                 last=DAY + timedelta(days=9), kind="leave", reason="Annual leave", **extra):  # fmt: skip
    return hours_commands.record_leave(
        db, clinic.actor(who), hospital_id=clinic.hospital(where), physician_id=clinic.physician(physician),
        first_day=first, last_day=last, kind=kind, reason=reason, **extra,
    )  # fmt: skip


def book(db, clinic, who="ha_a", *, day=DAY, at="10:00", patient="amaka", physician="dr_ada", **extra):
    return booking.book(
        db, clinic.actor(who), hospital_id=clinic.hospital_a, patient_id=clinic.patient(patient),
        physician_id=clinic.physician(physician), day=day, time=at, appointment_type="consultation",
        consultation_type="in_person", **extra,
    )  # fmt: skip


def appointments(db) -> int:
    return db.scalar(select(func.count()).select_from(Appointment))


def audit_rows(db, action_type):
    return db.scalars(select(AuditLog).where(AuditLog.action_type == action_type)).all()


# --- what a booking is offered -------------------------------------------------------------------------


def test_a_physician_who_keeps_no_hours_is_bookable_at_every_time_on_the_grid(db_session, clinic):
    """Hospitals that keep no hours in the dashboard are not blocked: every free slot is offered."""
    week = schedule.schedule(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a, start=DAY)
    assert week.offered(clinic.physician("dr_ada"), DAY) == SLOT_TIMES
    assert not week.hours_of(clinic.physician("dr_ada")).keeps_hours
    assert book(db_session, clinic, at="16:30").time == "16:30"


def test_slots_are_offered_only_inside_a_session_and_outside_leave(db_session, clinic):
    add_session(db_session, clinic, starts="08:00", ends="10:00")
    add_session(db_session, clinic, starts="14:00", ends="15:15")  # the 14:30 slot ends at 15:00; 15:00 would not fit
    record_leave(db_session, clinic)
    book(db_session, clinic, at="08:30")
    ada = clinic.physician("dr_ada")
    week = schedule.schedule(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a, start=DAY, days=7)
    assert week.offered(ada, DAY) == ("08:00", "09:00", "09:30", "14:00", "14:30")
    assert week.first_free(ada, DAY) == "08:00"
    assert week.offered(ada, DAY + timedelta(days=1)) == ()  # no session on that weekday
    assert week.offered(clinic.physician("dr_bola"), DAY) == SLOT_TIMES  # Bola keeps no hours
    states = dict(zip(SLOT_TIMES, week.day_states(DAY)[0], strict=True))
    assert (states["08:00"], states["08:30"], states["10:00"], states["14:30"]) == (FREE, BOOKED, OFF, FREE)
    assert week.in_hours_a_day()[0][0] == 5 + 1  # five free and the booked one
    on_leave = schedule.schedule(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a,
                                 start=DAY + timedelta(days=7))  # fmt: skip
    assert on_leave.offered(ada, DAY + timedelta(days=7)) == ()
    assert set(on_leave.day_states(DAY + timedelta(days=7))[0]) == {ON_LEAVE}


def test_a_booking_outside_the_hours_is_refused_in_a_sentence_and_writes_nothing(db_session, clinic):
    add_session(db_session, clinic, starts="08:00", ends="12:00")
    before = appointments(db_session)
    with pytest.raises(InvalidInput) as refused:
        book(db_session, clinic, at="14:00")
    assert str(refused.value) == (
        f"Dr. Ada Obi works at {HOSPITAL_A} on {WEEKDAY_NAME}s 08:00\u201312:00, and the 30-minute slot at 14:00 on "
        f"{day_text(DAY)} is outside those hours. Pick a time inside their hours, or tick \u201cBook outside their "
        "hours\u201d and give a reason."
    )
    with pytest.raises(InvalidInput, match=r"^Dr\. Ada Obi works at .* 08:00–11:45, and the 30-minute slot at 11:30"):
        add_session(db_session, clinic, starts="08:00", ends="11:45", weekday=WEEKDAY % 7 + 1)  # another day: fine
        book(db_session, clinic, day=DAY + timedelta(days=1), at="11:30")  # 11:30-12:00 ends after 11:45
    record_leave(db_session, clinic)
    with pytest.raises(InvalidInput) as away:
        book(db_session, clinic, day=DAY + timedelta(days=7), at="09:00")
    assert str(away.value).startswith(
        f"Dr. Ada Obi is away (leave) from {day_text(DAY + timedelta(days=7))} to {day_text(DAY + timedelta(days=9))}, "
        f"so 09:00 on {day_text(DAY + timedelta(days=7))} cannot be booked."
    )
    assert appointments(db_session) == before


def test_an_override_needs_an_administrator_and_a_reason_and_is_audited_with_the_booking(db_session, clinic):
    add_session(db_session, clinic, starts="08:00", ends="12:00")
    before = appointments(db_session)
    with pytest.raises(InvalidInput, match=r"Give a reason for booking outside Dr\. Ada Obi's hours"):
        book(db_session, clinic, at="14:00", override=True, override_reason="   ")
    assert appointments(db_session) == before and audit_rows(db_session, "appointment_outside_hours_override") == []
    row = book(db_session, clinic, at="14:00", override=True, override_reason="Urgent review after discharge")
    assert row.time == "14:00"
    [override] = audit_rows(db_session, "appointment_outside_hours_override")
    [booked] = [r for r in audit_rows(db_session, "appointment_booked") if r.resource_id == row.appointment_id]
    assert override.resource_id == row.appointment_id and override.hospital_id == clinic.hospital_a
    assert override.new_values["reason"] == "Urgent review after discharge"
    assert "outside those hours" in override.new_values["outside_hours"]
    assert override.created_at == booked.created_at  # now(): the same transaction as the booking
    # The grid shows it as a booking outside the hours, so it stands out.
    week = schedule.schedule(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a, start=DAY)
    assert week.day_states(DAY)[0][SLOT_TIMES.index("14:00")] == BOOKED_OUTSIDE
    assert [s.time for s in week.booked_outside()] == ["14:00"]
    # Inside the hours the tick changes nothing: no override is recorded.
    book(db_session, clinic, at="09:00", patient="tunde", override=True, override_reason="not needed")
    assert len(audit_rows(db_session, "appointment_outside_hours_override")) == 1


def test_rescheduling_follows_the_same_rule(db_session, clinic):
    add_session(db_session, clinic, starts="08:00", ends="12:00")
    row = book(db_session, clinic, at="09:00")
    with pytest.raises(InvalidInput, match="is outside those hours. Pick a time inside their hours"):
        changes.reschedule(db_session, clinic.actor("ha_a"), row.appointment_id, day=DAY, time="15:00")
    with pytest.raises(InvalidInput, match="Give a reason"):
        changes.reschedule(db_session, clinic.actor("ha_a"), row.appointment_id, day=DAY, time="15:00", override=True)
    moved = changes.reschedule(db_session, clinic.actor("admin"), row.appointment_id, day=DAY, time="15:00",
                               override=True, override_reason="Patient can only come after work")  # fmt: skip
    assert moved.time == "15:00"
    [override] = audit_rows(db_session, "appointment_outside_hours_override")
    assert override.new_values["reason"] == "Patient can only come after work"


# --- leave that clashes with bookings ------------------------------------------------------------------


def test_leave_lists_the_booked_appointments_it_clashes_with_until_each_is_moved(db_session, clinic):
    first = book(db_session, clinic, at="09:00")
    second = book(db_session, clinic, at="11:00", patient="tunde")
    cancelled = book(db_session, clinic, at="12:00", patient="ngozi")
    changes.cancel(db_session, clinic.actor("ha_a"), cancelled.appointment_id, reason="Patient travelled")
    book(db_session, clinic, at="09:00", physician="dr_bola", patient="fatima")  # Bola is not on leave
    leave_id = record_leave(db_session, clinic, first=DAY, last=DAY + timedelta(days=2), reason="Conference")
    clashes = hours_commands.leave_clashes(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a)
    listed = [(c.appointment.patient_name, c.appointment.time) for c in clashes]
    assert listed == [("Amaka Eze", "09:00"), ("Tunde Bakare", "11:00")]
    assert clashes[0].leave_label == f"Leave {span_text(DAY, DAY + timedelta(days=2), year=True)}"
    [recorded] = audit_rows(db_session, "physician_leave_recorded")
    assert recorded.resource_id == leave_id and recorded.new_values["booked_appointments_in_it"] == 2
    # Moving one with the ordinary reschedule takes it off the list; a move into the leave is refused.
    with pytest.raises(InvalidInput, match="is away"):
        changes.reschedule(db_session, clinic.actor("ha_a"), first.appointment_id, day=DAY + timedelta(days=1),
                           time="10:00")  # fmt: skip
    changes.reschedule(db_session, clinic.actor("ha_a"), first.appointment_id, day=DAY + timedelta(days=3),
                       time="10:00")  # fmt: skip
    left = hours_commands.leave_clashes(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a)
    assert [c.appointment.appointment_id for c in left] == [second.appointment_id]
    # B's administrator sees none of A's clashes, and cannot ask for them.
    with pytest.raises(OutOfScope):
        hours_commands.leave_clashes(db_session, clinic.actor("ha_b"), hospital_id=clinic.hospital_a)
    hours_commands.withdraw_leave(db_session, clinic.actor("ha_a"), leave_id)
    assert hours_commands.leave_clashes(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a) == []


# --- setting hours: bad input, scope, overlap ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"weekday": 0}, "Pick the day of the week of the session."),
        ({"starts": "8:00"}, "Enter the session's start time as HH:MM on the quarter hour, e.g. 08:00 or 13:30."),
        ({"ends": "12:10"}, "Enter the session's end time as HH:MM on the quarter hour, e.g. 08:00 or 13:30."),
        ({"starts": "13:00", "ends": "08:00"},
         f"A session must end after it starts: 13:00 to 08:00 on {WEEKDAY_NAME}s does not. Pick a later end time."),
        ({"starts": "11:00", "ends": "14:00"},
         f"Dr. Ada Obi already has a session on {WEEKDAY_NAME}s (08:00\u201312:00) that overlaps 11:00\u201314:00. "
         "Change the times, or remove that session first."),
    ],
)  # fmt: skip
def test_a_bad_session_is_refused_in_a_sentence(db_session, clinic, fields, sentence):
    add_session(db_session, clinic)
    before = db_session.scalar(select(func.count()).select_from(PhysicianSession))
    with pytest.raises(InvalidInput) as refused:
        add_session(db_session, clinic, **fields)
    assert str(refused.value) == sentence
    assert db_session.scalar(select(func.count()).select_from(PhysicianSession)) == before


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"kind": "holiday"}, "Pick the kind of absence: leave, away, training or sick leave."),
        ({"first": DAY + timedelta(days=3), "last": DAY},
         f"The last day ({day_text(DAY)}) is before the first ({day_text(DAY + timedelta(days=3))}). "
         "Pick a last day on or after the first."),
        ({"first": None}, "Pick the first day of the absence."),
        ({"reason": "x" * 201}, "The reason can be at most 200 characters; this has 201. Shorten it."),
    ],
)  # fmt: skip
def test_bad_leave_is_refused_in_a_sentence(db_session, clinic, fields, sentence):
    with pytest.raises(InvalidInput) as refused:
        record_leave(db_session, clinic, **fields)
    assert str(refused.value) == sentence
    assert db_session.scalar(select(func.count()).select_from(PhysicianLeave)) == 0


def test_overlapping_leave_and_every_hospital_leave_by_a_hospital_admin_are_refused(db_session, clinic):
    record_leave(db_session, clinic)
    with pytest.raises(InvalidInput, match=r"^Dr\. Ada Obi is already away from .* Withdraw that absence first"):
        record_leave(db_session, clinic, first=DAY + timedelta(days=9), last=DAY + timedelta(days=12))
    with pytest.raises(NotPermitted, match="Only a network administrator can record an absence at every hospital"):
        record_leave(db_session, clinic, first=DAY, last=DAY, every_hospital=True)
    network = record_leave(db_session, clinic, "admin", first=DAY, last=DAY, kind="training", every_hospital=True)
    assert db_session.get(PhysicianLeave, network).hospital_id is None
    with pytest.raises(NotPermitted):
        hours_commands.withdraw_leave(db_session, clinic.actor("ha_a"), network)


def test_another_hospitals_physician_and_sessions_are_refused(db_session, clinic):
    with pytest.raises(OutOfScope):
        add_session(db_session, clinic, physician="dr_hauwa", where="b")
    with pytest.raises(InvalidInput, match=f"That doctor is not a physician of {HOSPITAL_A}"):
        add_session(db_session, clinic, physician="dr_hauwa", where="a")
    with pytest.raises(OutOfScope):
        record_leave(db_session, clinic, physician="dr_hauwa", where="b")
    with pytest.raises(NotPermitted, match=r"Your role \(Executive\) cannot set physicians' hours"):
        add_session(db_session, clinic, "exec_a")
    hauwa = add_session(db_session, clinic, "ha_b", physician="dr_hauwa", where="b")
    with pytest.raises(OutOfScope):
        hours_commands.remove_session(db_session, clinic.actor("ha_a"), hauwa)
    with pytest.raises(OutOfScope):
        hours_commands.physician_hours(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_b,
                                       physician_id=clinic.physician("dr_hauwa"))  # fmt: skip


def test_removing_a_session_is_audited_and_frees_the_weekday(db_session, clinic):
    session_id = add_session(db_session, clinic, starts="08:00", ends="09:00")
    with pytest.raises(InvalidInput):
        book(db_session, clinic, at="10:00")
    hours_commands.remove_session(db_session, clinic.actor("ha_a"), session_id)
    [removed] = audit_rows(db_session, "physician_session_removed")
    assert removed.old_values["starts"] == "08:00" and removed.resource_id == session_id
    assert book(db_session, clinic, at="10:00").time == "10:00"  # no sessions left: unrestricted again
    assert hours_commands.physician_hours(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a,
                                          physician_id=clinic.physician("dr_ada")).hours.sessions == ()  # fmt: skip


def test_the_database_refuses_overlapping_sessions_even_across_hospitals(db_session, clinic):
    """The trigger of migration 0017, for other clients of the database: a doctor is in one place at a time."""
    ada = clinic.physician("dr_ada")
    db_session.add(PhysicianSession(physician_id=ada, hospital_id=clinic.hospital_a, weekday=1, starts="08:00",
                                    ends="12:00"))  # fmt: skip
    db_session.flush()
    with pytest.raises(IntegrityError) as refused, db_session.begin_nested():
        db_session.add(PhysicianSession(physician_id=ada, hospital_id=clinic.hospital_b, weekday=1, starts="11:30",
                                        ends="13:00"))  # fmt: skip
        db_session.flush()
    assert refused.value.orig.sqlstate == "23P01"
    with pytest.raises(IntegrityError, match="ends_after_starts"), db_session.begin_nested():
        db_session.add(PhysicianSession(physician_id=ada, hospital_id=clinic.hospital_a, weekday=2, starts="12:00",
                                        ends="08:00"))  # fmt: skip
        db_session.flush()


# --- row-level security, as the dashboard's role -------------------------------------------------------


def test_row_level_security_holds_sessions_and_leave_to_the_hospital_in_scope(db_session, clinic):
    add_session(db_session, clinic)
    add_session(db_session, clinic, "ha_b", physician="dr_hauwa", where="b")
    record_leave(db_session, clinic)
    record_leave(db_session, clinic, "ha_b", physician="dr_hauwa", where="b")
    record_leave(db_session, clinic, "admin", first=DAY, last=DAY, kind="away", every_hospital=True)
    role = f"hd_hours_{clinic.hospital_a[:8].lower()}".replace("-", "_")
    db_session.execute(text(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS"))
    for table in ("physician_sessions", "physician_leave", "profiles"):  # the app role's grants (db/roles.py)
        db_session.execute(text(f"GRANT {', '.join(APP_TABLES[table])} ON {table} TO {role}"))
    db_session.execute(text(f"SET LOCAL ROLE {role}"))
    try:
        apply_scope(db_session, clinic.hospital_a)
        sessions = db_session.scalars(select(PhysicianSession.hospital_id)).all()
        leave = db_session.execute(select(PhysicianLeave.physician_id, PhysicianLeave.hospital_id)).all()
        assert sessions == [clinic.hospital_a]
        ada = clinic.physician("dr_ada")
        # A's own leave, and Ada's network-wide absence (her hospital is A); nothing of Hauwa's at B.
        assert sorted(leave, key=str) == sorted([(ada, clinic.hospital_a), (ada, None)], key=str)
        with pytest.raises(Exception, match="row-level security"), db_session.begin_nested():
            db_session.add(PhysicianSession(physician_id=clinic.physician("dr_hauwa"), hospital_id=clinic.hospital_b,
                                            weekday=3, starts="08:00", ends="09:00"))  # fmt: skip
            db_session.flush()
        with pytest.raises(Exception, match="row-level security"), db_session.begin_nested():
            db_session.add(PhysicianLeave(physician_id=ada, hospital_id=None, first_day=DAY, last_day=DAY))
            db_session.flush()
        apply_scope(db_session, clinic.hospital_b)
        assert db_session.scalars(select(PhysicianSession.hospital_id)).all() == [clinic.hospital_b]
        assert db_session.scalars(select(PhysicianLeave.hospital_id)).all() == [clinic.hospital_b]
        db_session.execute(text("SELECT set_config('healthdash.scope', '', true)"))
        assert db_session.scalar(select(func.count()).select_from(PhysicianSession)) == 0  # no scope: nothing
    finally:
        db_session.execute(text("RESET ROLE"))
    assert HOSPITAL_B  # both clinics took part
