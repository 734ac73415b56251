"""Appointments: the list and schedule in scope, figures by hand, booking that cannot double-book, status actions.

Also the schema addition they rest on (migration 0006's partial unique index on a physician's slot)
and the demo builder's slot picker, which keeps the demo clear of that index.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.appointments import (
    appointment_figures,
    appointment_list,
    booking,
    changes,
    records,
    schedule,
)
from dashboard.domains.appointments.slots import SLOT_TIMES
from dashboard.platform import people
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, day_series
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from dashboard.platform.scope import limit_to_scope
from db import migrate
from db.base import UserRole
from db.demo.appointments import IN_PERSON_SLOTS, _free_slot, _slot_key
from db.engine import make_engine
from db.errors import CommandError
from db.models import Appointment, AuditLog, ConsultationRoom, ConsultationSession, Hospital, Notification
from db.vocab import APPOINTMENT_STATUSES
from tests.fixtures import two_clinics, valid_rows
from tests.fixtures.two_clinics import HISTORY_END, HISTORY_START, HOSPITAL_A, HOSPITAL_B, add_appointment, lagos_moment

clinic = two_clinics.clinic
TODAY = datetime.now(LAGOS).date()
DAY = TODAY + timedelta(days=10)  # a bookable day, well within the year ahead


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def written(db, clinic) -> tuple[int, int, int, int, int]:
    """(appointments, notifications to the clinic's people, sessions, rooms, audit rows of changes).

    A refused command changes none. A refusal is itself audited on its own connection (category
    "security"); that row is meant to stay.
    """
    users = list(clinic.users.values())
    return (
        db.scalar(select(func.count()).select_from(Appointment)),
        db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id.in_(users))),
        db.scalar(select(func.count()).select_from(ConsultationSession)),
        db.scalar(select(func.count()).select_from(ConsultationRoom)),
        db.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action_category != "security", AuditLog.action_category != "data_access")
        ),
    )


def refusals(engine, user_id):
    with Session(engine) as session:
        return session.scalars(
            select(AuditLog.action_type).where(AuditLog.user_id == user_id, AuditLog.action_category == "security")
        ).all()


def audit_rows(db, user_id, action_type):
    return db.scalars(select(AuditLog).where(AuditLog.user_id == user_id, AuditLog.action_type == action_type)).all()


def notifications(db, user_id) -> list[Notification]:
    return db.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.created_at)
    ).all()


def book(db, clinic, who="ha_a", *, where="a", physician="dr_ada", patient="amaka", day=DAY, at="10:00", **extra):
    values = {"appointment_type": "consultation", "consultation_type": "in_person", **extra}
    return booking.book(
        db,
        clinic.actor(who),
        hospital_id=clinic.hospital(where),
        patient_id=clinic.patient(patient),
        physician_id=clinic.physician(physician),
        day=day,
        time=at,
        **values,
    )


# --- The schema addition --------------------------------------------------------------------------------


def test_the_slot_index_is_unique_partial_and_keyed_on_the_lagos_day(db_session):
    definition = db_session.scalar(
        text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_appointments_physician_slot'")
    )
    assert definition.startswith("CREATE UNIQUE INDEX uq_appointments_physician_slot ON public.appointments")
    assert "timezone('Africa/Lagos'::text, appointment_date))::date" in definition
    assert "(physician_id," in definition and "appointment_time)" in definition
    assert definition.endswith("WHERE (status <> 'cancelled'::text)")


def _raw(db, values, **overrides):
    row = {**values, "id": f"raw-{random.getrandbits(40):x}", **overrides}
    valid_rows.insert(db, "appointments", row)
    return row


def test_a_raw_insert_of_a_taken_slot_fails_and_a_cancelled_appointment_frees_it(db_session):
    first = valid_rows.create(db_session, "appointments", appointment_date="2026-11-26T10:00:00+01:00")
    with pytest.raises(IntegrityError, match="uq_appointments_physician_slot"), db_session.begin_nested():
        _raw(db_session, first)
    # A client that stamps the slot's day at midnight still takes the same slot: the index keys on the Lagos day.
    with pytest.raises(IntegrityError, match="uq_appointments_physician_slot"), db_session.begin_nested():
        _raw(db_session, first, appointment_date="2026-11-26T00:00:00+01:00")
    # 23:30 UTC on the 25th is already the 26th in Lagos; 22:30 UTC on the 26th is still the 26th.
    with pytest.raises(IntegrityError), db_session.begin_nested():
        _raw(db_session, first, appointment_date="2026-11-25T23:30:00+00:00")
    _raw(db_session, first, appointment_date="2026-11-26T23:30:00+00:00")  # the 27th in Lagos: free
    _raw(db_session, first, appointment_time="10:30")  # another time: free
    _raw(db_session, first, status="cancelled")  # a cancelled booking takes no slot
    db_session.execute(text("UPDATE appointments SET status = 'cancelled' WHERE id = :id"), {"id": first["id"]})
    _raw(db_session, first)  # the slot is free again
    with pytest.raises(IntegrityError), db_session.begin_nested():
        _raw(db_session, first, status="completed")  # any status but cancelled holds it


def test_the_upgrade_refuses_existing_clashes_with_a_sentence_and_changes_nothing(fresh_database):
    engine = make_engine(fresh_database)
    try:
        migrate.upgrade(engine, "0005")
        with Session(engine) as db, db.begin():
            first = valid_rows.create(db, "appointments")
            clash = _raw(db, first)
            _raw(db, first, status="cancelled")  # cancelled: not a clash
        with pytest.raises(CommandError) as refused:
            migrate.upgrade(engine)
        message = str(refused.value)
        assert message.startswith("Cannot add the no-double-booking index: 1 physician slot(s)")
        assert "(2 appointments in all)" in message and "run the upgrade again" in message
        assert migrate.current_revision(engine) == "0005"
        with Session(engine) as db, db.begin():
            assert db.scalar(text("SELECT count(*) FROM appointments")) == 3  # nothing cancelled or deleted
            db.execute(text("UPDATE appointments SET status = 'cancelled' WHERE id = :id"), {"id": clash["id"]})
        migrate.upgrade(engine, "0006")
        assert migrate.current_revision(engine) == "0006"
        migrate.downgrade(engine, "0005")
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT to_regclass('uq_appointments_physician_slot')")) is None
    finally:
        engine.dispose()


def test_the_demo_slot_picker_never_hands_out_a_taken_slot():
    class Doctor:
        number, profile_id = 7, "doctor-7"

    doctor, rng = Doctor(), random.Random(1)
    taken = {_slot_key(doctor, 10, minutes) for _, minutes in IN_PERSON_SLOTS[:-1]}
    assert _free_slot(rng, taken, doctor, IN_PERSON_SLOTS, 10, 20) == (10, *IN_PERSON_SLOTS[-1])
    taken.add(_slot_key(doctor, 10, IN_PERSON_SLOTS[-1][1]))  # day 10 is full: the next day
    assert _free_slot(rng, taken, doctor, IN_PERSON_SLOTS, 10, 20)[0] == 11
    full = {_slot_key(doctor, d, m) for d in range(5, 8) for _, m in IN_PERSON_SLOTS}
    assert _free_slot(rng, full, doctor, IN_PERSON_SLOTS, 6, 7)[0] == 4  # past the last day: earlier days
    other = type("Other", (), {"number": 8, "profile_id": "doctor-8"})()
    assert _slot_key(other, 10, 600) not in taken


# --- The list and the export --------------------------------------------------------------------------------


def test_the_list_of_a_hospital_admin_holds_their_hospital_latest_first_when_all_are_past(db_session, clinic):
    page = appointment_list.list_appointments(
        db_session, clinic.actor("ha_a"), start=HISTORY_START, end=HISTORY_END, page_size=50
    )
    ids = {v: k for k, v in clinic.appointments.items()}
    # All in 2013, so all past: the latest first; level slots (a4, a5) by physician name.
    assert [ids[r.appointment_id] for r in page.rows] == ["a7", "a6", "a8", "a4", "a5", "a3", "a2", "a1"]
    assert page.total == 8 and {r.hospital_name for r in page.rows} == {HOSPITAL_A}
    first = page.rows[-1]
    assert (first.patient_name, first.physician_name, first.day, first.time) == (
        "Amaka Eze",
        "Ada Obi",
        date(2013, 3, 3),
        "09:00",
    )
    assert (first.appointment_type, first.consultation_type, first.virtual, first.status, first.notes) == (
        "consultation",
        "in_person",
        False,
        "completed",
        "Bring previous lab results",
    )
    late = page.rows[2]
    assert (late.day, late.time) == (date(2013, 4, 1), "00:30")  # 23:30 UTC on 31 March: the Lagos day counts
    assert page.rows[5].virtual is True
    other = appointment_list.list_appointments(db_session, clinic.actor("ha_b"), start=HISTORY_START, end=HISTORY_END)
    assert [ids[r.appointment_id] for r in other.rows] == ["b3", "b2", "b1"]


def test_the_list_filters_searches_and_pages(db_session, clinic):
    actor = clinic.actor("ha_a")
    ids = {v: k for k, v in clinic.appointments.items()}

    def labels(**filters):
        page = appointment_list.list_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END, **filters)
        return [ids[r.appointment_id] for r in page.rows]

    assert labels(search="amaka") == ["a7", "a5", "a1"]
    assert labels(search="EZE") == ["a7", "a5", "a1"]
    assert labels(search="tunde.") == ["a6", "a8", "a2"]  # by email (tunde.<hex>@floor.healthdash.ng)
    assert labels(search="100%") == []
    assert labels(status="cancelled") == ["a6", "a3"]
    assert labels(consultation_type="virtual") == ["a4", "a3"]
    assert labels(physician_id=clinic.physician("dr_bola")) == ["a8", "a5", "a3"]
    assert labels(physician_id=clinic.physician("dr_hauwa")) == []  # B's physician: nothing of B shows
    second = appointment_list.list_appointments(
        db_session, actor, start=HISTORY_START, end=HISTORY_END, page=2, page_size=3
    )
    assert (second.total, second.page, second.first, second.last, second.page_count) == (8, 2, 4, 6, 3)
    april = appointment_list.list_appointments(db_session, actor, start=date(2013, 4, 1), end=date(2013, 4, 30))
    assert [ids[r.appointment_id] for r in april.rows] == ["a7", "a6", "a8"]
    march = appointment_list.list_appointments(db_session, actor, start=date(2013, 3, 1), end=date(2013, 3, 31))
    assert [ids[r.appointment_id] for r in march.rows] == ["a4", "a5", "a3", "a2", "a1"]
    with pytest.raises(InvalidInput, match="Pick a status"):
        labels(status="maybe")
    with pytest.raises(InvalidInput, match="start date is after the end date"):
        appointment_list.list_appointments(db_session, actor, start=HISTORY_END, end=HISTORY_START)


def test_the_network_admin_sees_both_hospitals_and_the_read_is_audited(db_session, clinic):
    actor = clinic.actor("admin")
    page = appointment_list.list_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END, search="fatima")
    assert [(r.hospital_name, r.time) for r in page.rows] == [(HOSPITAL_B, "14:00"), (HOSPITAL_B, "09:00")]
    both = appointment_list.list_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END)
    assert both.total == 11
    viewed = audit_rows(db_session, actor.user_id, "appointment_list_viewed")
    assert len(viewed) == 2 and viewed[0].new_values["search"] == "fatima"


def test_the_export_is_the_list_unpaged_and_audited(db_session, clinic):
    actor = clinic.actor("exec_a")
    rows_out, truncated = appointment_list.export_appointments(
        db_session, actor, start=HISTORY_START, end=HISTORY_END, status="completed"
    )
    assert [r.time for r in rows_out] == ["08:00", "00:30", "11:00", "11:00", "09:00"] and truncated is False
    [exported] = audit_rows(db_session, actor.user_id, "appointments_exported")
    assert exported.new_values["rows"] == 5 and exported.new_values["status"] == "completed"
    assert exported.hospital_id == clinic.hospital_a and exported.impact_level == "medium"


def test_compliance_officers_cannot_read_appointments(db_session, engine, clinic):
    actor = clinic.actor("comp_a")
    for read in (
        lambda: appointment_list.list_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END),
        lambda: appointment_list.export_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END),
        lambda: appointment_figures.figures(db_session, actor, start=HISTORY_START, end=HISTORY_END),
        lambda: schedule.schedule(db_session, actor, hospital_id=clinic.hospital_a, start=DAY),
    ):
        with pytest.raises(NotPermitted, match=r"Your role \(Compliance officer\) cannot"):
            read()
    assert refusals(engine, actor.user_id).count("permission_denied") == 4


# --- Figures, by hand ---------------------------------------------------------------------------------------


def test_the_days_by_status_count_every_lagos_day_with_quiet_days_as_zeros(db_session, clinic):
    days = appointment_figures.figures(db_session, clinic.actor("ha_a"), start=HISTORY_START, end=HISTORY_END).per_day
    assert len(days) == 61 and days[0].day == HISTORY_START and days[-1].day == HISTORY_END
    busy = {d.day: (d.pending, d.confirmed, d.cancelled, d.completed, d.no_show, d.total) for d in days if d.total}
    assert busy == {
        date(2013, 3, 3): (0, 0, 1, 1, 1, 3),
        date(2013, 3, 5): (0, 0, 0, 2, 0, 2),
        date(2013, 4, 1): (0, 0, 1, 1, 0, 2),
        date(2013, 4, 2): (0, 0, 0, 1, 0, 1),
    }
    network = appointment_figures.figures(
        db_session, clinic.actor("admin"), start=HISTORY_START, end=HISTORY_END
    ).per_day
    network_busy = {d.day: (d.completed, d.no_show, d.pending, d.total) for d in network if d.total}
    assert network_busy[date(2013, 3, 3)] == (2, 1, 0, 4)
    assert network_busy[date(2013, 3, 4)] == (0, 1, 0, 1) and network_busy[date(2013, 4, 10)] == (0, 0, 1, 1)
    assert sum(d.total for d in network) == 11


def test_months_and_the_virtual_share_by_hand(db_session, clinic):
    ha_a = clinic.actor("ha_a")
    months = appointment_figures.figures(db_session, ha_a, start=date(2013, 2, 10), end=HISTORY_END).monthly
    assert [(m.month, m.appointments, m.cancelled, m.completed, m.no_show) for m in months] == [
        (date(2013, 2, 1), 0, 0, 0, 0),
        (date(2013, 3, 1), 5, 1, 3, 1),
        (date(2013, 4, 1), 3, 1, 2, 0),
    ]
    assert months[0].cancellation_rate is None and months[0].no_show_rate is None
    assert months[1].cancellation_rate == pytest.approx(1 / 5) and months[1].no_show_rate == pytest.approx(1 / 4)
    assert months[2].cancellation_rate == pytest.approx(1 / 3) and months[2].no_show_rate == 0
    # Nearly the longest range a service takes (three years, platform/dates.py): no month skipped.
    long = appointment_figures.figures(db_session, ha_a, start=date(2013, 1, 31), end=date(2015, 12, 1))
    assert len(long.monthly) == 36 and long.monthly[-1].month == date(2015, 12, 1)
    share = appointment_figures.figures(db_session, clinic.actor("ha_a"), start=HISTORY_START, end=HISTORY_END).share
    assert (share.virtual, share.in_person, share.total) == (1, 5, 6)  # cancelled ones left out
    assert share.virtual_share == pytest.approx(1 / 6)
    network = appointment_figures.figures(db_session, clinic.actor("admin"), start=HISTORY_START, end=HISTORY_END).share
    assert (network.virtual, network.in_person, network.total) == (2, 7, 9)
    empty = appointment_figures.figures(db_session, clinic.actor("ha_a"), start=date(2012, 1, 1), end=date(2012, 1, 2))
    assert (empty.share.total, empty.share.virtual_share) == (0, None)
    assert (empty.totals.appointments, empty.totals.cancellation_rate, empty.totals.no_show_rate) == (0, None, None)


def test_the_range_rates_cover_the_whole_range_not_its_last_month(db_session, clinic):
    # ha_a over March and April: 8 appointments, 2 cancelled, 5 completed, 1 no-show. The page used to
    # show April's rates alone (1 of 3 cancelled, no no-shows) beside a list of all eight.
    totals = appointment_figures.figures(db_session, clinic.actor("ha_a"), start=HISTORY_START, end=HISTORY_END).totals
    assert (totals.appointments, totals.cancelled, totals.completed, totals.no_show) == (8, 2, 5, 1)
    assert totals.cancellation_rate == pytest.approx(2 / 8) and totals.no_show_rate == pytest.approx(1 / 6)
    assert (totals.start, totals.end) == (HISTORY_START, HISTORY_END)


def test_busiest_physicians_by_hand(db_session, clinic):
    loads = appointment_figures.busiest_physicians(
        db_session, clinic.actor("ha_a"), start=HISTORY_START, end=HISTORY_END
    )
    assert [(p.physician_name, p.appointments, p.completed, p.no_show, p.virtual) for p in loads] == [
        ("Ada Obi", 3, 2, 1, 1),
        ("Bola Ade", 2, 2, 0, 0),
        ("Kunle Ojo", 1, 1, 0, 0),
    ]
    assert loads[0].specialization == "Cardiology" and {p.hospital_name for p in loads} == {HOSPITAL_A}
    top = appointment_figures.busiest_physicians(
        db_session, clinic.actor("admin"), start=HISTORY_START, end=HISTORY_END, limit=1
    )
    assert [(p.physician_name, p.appointments, p.hospital_name) for p in top] == [("Ada Obi", 3, HOSPITAL_A)]


def test_figures_are_marked_for_the_cache_with_the_readers():
    for service in (appointment_figures.figures, appointment_figures.busiest_physicians):
        assert service.required_roles == {UserRole.ADMIN, UserRole.HOSPITAL_ADMIN, UserRole.EXECUTIVE}
    # Reads that show patient names are audited instead, and never cached.
    assert not hasattr(appointment_list.list_appointments, "required_roles")
    assert not hasattr(schedule.schedule, "required_roles")


# --- Schedule and choices ----------------------------------------------------------------------------------


def test_the_schedule_of_a_week_shows_booked_slots_of_active_physicians(db_session, clinic):
    booked = book(db_session, clinic, at="10:00", consultation_type="virtual")
    add_appointment(db_session, clinic, "a", DAY + timedelta(days=2), "08:30", "dr_bola", "tunde", status="confirmed")
    add_appointment(db_session, clinic, "a", DAY, "11:15", "dr_bola", "ngozi")  # off the grid (another client)
    add_appointment(db_session, clinic, "a", DAY, "12:00", "dr_ada", "tunde", status="cancelled")  # frees the slot
    add_appointment(db_session, clinic, "a", DAY, "13:00", "dr_kunle", "tunde")  # a physician who left
    add_appointment(db_session, clinic, "a", DAY + timedelta(days=7), "09:00", "dr_ada", "tunde")  # after the week
    add_appointment(db_session, clinic, "b", DAY, "09:00", "dr_hauwa", "fatima")  # hospital B
    week = schedule.schedule(db_session, clinic.actor("ha_a"), hospital_id=clinic.hospital_a, start=DAY, days=7)
    assert week.hospital_name == HOSPITAL_A and week.days == tuple(DAY + timedelta(days=i) for i in range(7))
    assert week.slot_times == SLOT_TIMES and SLOT_TIMES[0] == "08:00" and SLOT_TIMES[-1] == "16:30"
    assert len(SLOT_TIMES) == 18
    assert [(p.name, p.specialization) for p in week.physicians] == [
        ("Ada Obi", "Cardiology"),
        ("Bola Ade", "Paediatrics"),
    ]
    assert [(s.day, s.time, s.physician_name, s.patient_name, s.status, s.virtual, s.on_grid) for s in week.slots] == [
        (DAY, "10:00", "Ada Obi", "Amaka Eze", "pending", True, True),
        (DAY, "11:15", "Bola Ade", "Ngozi Okeke", "pending", False, False),
        (DAY + timedelta(days=2), "08:30", "Bola Ade", "Tunde Bakare", "confirmed", False, True),
    ]
    assert week.slots[0].appointment_id == booked.appointment_id
    assert not week.is_free(clinic.physician("dr_ada"), DAY, "10:00") and week.is_free(
        clinic.physician("dr_ada"), DAY, "12:00"
    )
    one_day = schedule.schedule(
        db_session, clinic.actor("admin"), hospital_id=clinic.hospital_a, start=DAY + timedelta(days=2)
    )
    assert [s.time for s in one_day.slots] == ["08:30"] and one_day.days == (DAY + timedelta(days=2),)
    assert audit_rows(db_session, clinic.users["ha_a"], "appointment_schedule_viewed")


def test_the_schedule_refuses_another_hospital_and_odd_lengths(db_session, engine, clinic):
    actor = clinic.actor("ha_a")
    with pytest.raises(OutOfScope):
        schedule.schedule(db_session, actor, hospital_id=clinic.hospital_b, start=DAY)
    assert "scope_violation" in refusals(engine, actor.user_id)
    for days in (0, 8, "7"):
        with pytest.raises(InvalidInput, match="Show from 1 to 7 days"):
            schedule.schedule(db_session, actor, hospital_id=clinic.hospital_a, start=DAY, days=days)
    with pytest.raises(NotFound):
        schedule.schedule(db_session, actor, hospital_id="no-such-hospital", start=DAY)


def test_find_patients_finds_active_patients_only_and_is_audited(db_session, engine, clinic):
    actor = clinic.actor("ha_a")
    found = booking.find_patients(db_session, actor, "amaka")
    assert [(p.name, p.user_id) for p in found] == [("Amaka Eze", clinic.patient("amaka"))]
    assert booking.find_patients(db_session, actor, "Kemi") == []  # an agent
    assert booking.find_patients(db_session, actor, "Closed Account") == []  # closed account
    with pytest.raises(InvalidInput, match="at least 2 characters"):  # too short to search
        booking.find_patients(db_session, actor, "a")
    assert audit_rows(db_session, actor.user_id, "appointment_patient_search")
    with pytest.raises(NotPermitted):
        booking.find_patients(db_session, clinic.actor("exec_a"), "amaka")


# --- Booking ------------------------------------------------------------------------------------------------


def test_booking_in_person_writes_the_appointment_a_notification_and_one_audit_row(db_session, clinic):
    before = written(db_session, clinic)
    row = book(db_session, clinic, at="10:00", appointment_type="follow_up", notes="  Bring the X-ray  ")
    assert (row.patient_name, row.physician_name, row.hospital_name, row.day, row.time) == (
        "Amaka Eze",
        "Ada Obi",
        HOSPITAL_A,
        DAY,
        "10:00",
    )
    assert (row.status, row.appointment_type, row.consultation_type, row.virtual, row.notes) == (
        "pending",
        "follow_up",
        "in_person",
        False,
        "Bring the X-ray",
    )
    stored = db_session.get(Appointment, row.appointment_id)
    assert stored.appointment_date == lagos_moment(DAY, "10:00") and stored.hospital_id == clinic.hospital_a
    after = written(db_session, clinic)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2], after[4] - before[4]) == (1, 1, 0, 1)
    [note] = notifications(db_session, clinic.patient("amaka"))
    assert note.title == "Appointment booked" and note.type == "info" and note.read is False
    assert note.message == (f"Your follow-up with Dr. Ada Obi is booked for 10:00 on {day_text(DAY)}, at {HOSPITAL_A}.")
    [entry] = audit_rows(db_session, clinic.users["ha_a"], "appointment_booked")
    assert entry.resource_id == row.appointment_id and entry.hospital_id == clinic.hospital_a
    assert entry.new_values["time"] == "10:00" and entry.new_values["day"] == DAY.isoformat()
    assert entry.new_values["consultation_session_id"] is None


def test_a_network_admins_booking_is_on_the_hospitals_trail(db_session, clinic):
    row = book(db_session, clinic, "admin", where="b", physician="dr_hauwa", patient="fatima", at="16:30")
    [entry] = audit_rows(db_session, clinic.users["admin"], "appointment_booked")
    assert entry.hospital_id == clinic.hospital_b and row.hospital_name == HOSPITAL_B


def test_a_virtual_booking_opens_a_session_and_a_room_with_an_unguessable_token(db_session, clinic):
    first = book(db_session, clinic, at="10:00", consultation_type="virtual")
    second = book(db_session, clinic, at="10:30", consultation_type="virtual", patient="tunde")
    assert first.virtual is True
    sessions = {
        s.appointment_id: s
        for s in db_session.scalars(
            select(ConsultationSession).where(
                ConsultationSession.appointment_id.in_([first.appointment_id, second.appointment_id])
            )
        )
    }
    session = sessions[first.appointment_id]
    assert (session.patient_id, session.physician_id, session.status, session.session_type, session.payment_status) == (
        clinic.patient("amaka"),
        clinic.physician("dr_ada"),
        "scheduled",
        "video",
        "pending",
    )
    assert session.consultation_rate == 15000
    tokens = [sessions[a].room.room_token for a in (first.appointment_id, second.appointment_id)]
    assert len(set(tokens)) == 2 and all(len(t) >= 40 for t in tokens)
    assert sessions[first.appointment_id].room.room_status == "waiting"
    [note] = notifications(db_session, clinic.patient("amaka"))
    assert (
        note.message
        == f"Your consultation with Dr. Ada Obi is booked for 10:00 on {day_text(DAY)}, a video consultation."
    )
    [entry] = audit_rows(db_session, clinic.users["ha_a"], "appointment_booked")[:1]
    assert entry.new_values["consultation_session_id"] in {session.id, sessions[second.appointment_id].id}


def _refusal_cases(clinic):
    past = TODAY - timedelta(days=1)
    far = TODAY + timedelta(days=366)
    return [
        (
            dict(at="10:15"),
            InvalidInput,
            f"Dr. Ada Obi can be booked every 30 minutes from 08:00, and 10:15 on {day_text(DAY)} is not one of "
            "those times. Pick a time such as 10:00.",
        ),
        (
            dict(at="07:30"),
            InvalidInput,
            f"Dr. Ada Obi sees patients from 08:00 to 17:00, and 07:30 on {day_text(DAY)} is outside those hours. "
            "Pick a time from 08:00 to 16:30.",
        ),
        (dict(at="17:00"), InvalidInput, "outside those hours"),
        (dict(at="16:45"), InvalidInput, "is not one of those times. Pick a time such as 16:30."),
        (dict(at="10am"), InvalidInput, "Enter the time of the appointment as HH:MM, for example 10:00."),
        (dict(at="24:00"), InvalidInput, "as HH:MM"),
        (
            dict(day=past),
            InvalidInput,
            f"{day_text(past)} has passed, so Dr. Ada Obi cannot be booked at 10:00 that day. "
            "Pick today or a later date.",
        ),
        (
            dict(day=far),
            InvalidInput,
            f"Dr. Ada Obi cannot be booked on {day_text(far)}, more than a year ahead. "
            f"Pick a date up to {day_text(TODAY + timedelta(days=365))}.",
        ),
        (dict(day=datetime.now(UTC)), InvalidInput, "Pick the day of the appointment."),
        (
            dict(physician="dr_kunle"),
            InvalidInput,
            f"Dr. Kunle Ojo is no longer active at {HOSPITAL_A}. Pick another physician.",
        ),
        (
            dict(physician="dr_hauwa"),
            InvalidInput,
            f"That doctor is not a physician of {HOSPITAL_A}. Pick one of its physicians.",
        ),
        (dict(physician="amaka"), InvalidInput, "not a physician of"),  # a patient's profile id
        (dict(patient="agent"), InvalidInput, "Kemi Agent is not registered as a patient. Pick a patient account."),
        (dict(patient="dr_bola"), InvalidInput, "Bola Ade is not registered as a patient"),
        (dict(appointment_type="massage"), InvalidInput, "Pick the kind of appointment"),
        (dict(consultation_type="telepathy"), InvalidInput, "Pick whether the appointment is in person or virtual."),
        (dict(notes="x" * 1001), InvalidInput, "The notes can be at most 1,000 characters"),
    ]


def test_every_refusal_has_its_sentence_and_writes_nothing(db_session, clinic):
    for overrides, error, sentence in _refusal_cases(clinic):
        before = written(db_session, clinic)
        values = {"consultation_type": "virtual", **overrides}  # a virtual booking would write the most
        with pytest.raises(error) as refused:
            book(db_session, clinic, **values)
        message = str(refused.value)
        assert message == sentence or (len(sentence) < 60 and sentence in message), (overrides, message)
        assert written(db_session, clinic) == before, overrides


def test_a_patient_who_does_not_exist_is_not_found(db_session, clinic):
    before = written(db_session, clinic)
    with pytest.raises(NotFound, match="That patient no longer exists"):
        booking.book(
            db_session,
            clinic.actor("ha_a"),
            hospital_id=clinic.hospital_a,
            patient_id="no-such-user",
            physician_id=clinic.physician("dr_ada"),
            day=DAY,
            time="10:00",
            appointment_type="consultation",
            consultation_type="in_person",
        )
    assert written(db_session, clinic) == before


def test_a_taken_slot_is_refused_in_plain_words_and_a_cancelled_one_is_free(db_session, clinic):
    first = book(db_session, clinic, at="10:00", consultation_type="virtual")
    before = written(db_session, clinic)
    with pytest.raises(InvalidInput) as refused:
        book(db_session, clinic, at="10:00", patient="tunde", consultation_type="virtual")
    assert (
        str(refused.value) == f"Dr. Ada Obi already has an appointment at 10:00 on {day_text(DAY)}. Pick another time."
    )
    assert written(db_session, clinic) == before
    book(db_session, clinic, at="10:00", physician="dr_bola", patient="tunde")  # another physician: free
    changes.cancel(db_session, clinic.actor("ha_a"), first.appointment_id, reason="Patient travelled")
    again = book(db_session, clinic, at="10:00", patient="tunde")
    assert again.time == "10:00" and again.physician_name == "Ada Obi"


def test_a_slot_taken_at_another_hospital_or_stamped_at_midnight_is_taken_too(db_session, clinic):
    # Another client wrote the slot with appointment_date at the Lagos midnight; the slot is still taken.
    stored = add_appointment(db_session, clinic, "a", DAY, "10:00", "dr_ada", "tunde")
    db_session.get(Appointment, stored).appointment_date = lagos_moment(DAY, "00:00")
    db_session.flush()
    with pytest.raises(InvalidInput, match="already has an appointment at 10:00"):
        book(db_session, clinic, at="10:00")


def test_an_executive_cannot_book_and_a_hospital_admin_cannot_book_for_another_hospital(db_session, engine, clinic):
    before = written(db_session, clinic)
    with pytest.raises(NotPermitted, match=r"Your role \(Executive\) cannot book appointments."):
        book(db_session, clinic, "exec_a")
    assert "permission_denied" in refusals(engine, clinic.users["exec_a"])
    with pytest.raises(OutOfScope, match="another hospital, outside your scope"):
        book(db_session, clinic, "ha_a", where="b", physician="dr_hauwa", patient="fatima")
    assert "scope_violation" in refusals(engine, clinic.users["ha_a"])
    assert written(db_session, clinic) == before
    with pytest.raises(NotFound, match="That hospital no longer exists"):
        booking.book(
            db_session,
            clinic.actor("admin"),
            hospital_id="no\x00such",
            patient_id=clinic.patient("amaka"),
            physician_id=clinic.physician("dr_ada"),
            day=DAY,
            time="10:00",
            appointment_type="consultation",
            consultation_type="in_person",
        )


def test_booking_a_year_ahead_is_allowed_and_today_past_slots_are_not(db_session, clinic):
    last = TODAY + timedelta(days=365)
    assert book(db_session, clinic, day=last, at="16:30").day == last
    now = datetime.now(LAGOS)
    passed = [t for t in SLOT_TIMES if (int(t[:2]), int(t[3:])) < (now.hour, now.minute)]
    if passed:
        with pytest.raises(InvalidInput) as refused:
            book(db_session, clinic, day=TODAY, at=passed[0])
        assert str(refused.value) == (
            f"{passed[0]} on {day_text(TODAY)} has already passed. Pick a later time for Dr. Ada Obi."
        )
    upcoming = [t for t in SLOT_TIMES if (int(t[:2]), int(t[3:])) > (now.hour, now.minute + 1)]
    if upcoming:
        assert book(db_session, clinic, day=TODAY, at=upcoming[-1]).day == TODAY


# --- Status actions -----------------------------------------------------------------------------------------


def test_confirm_then_the_status_rules_hold(db_session, engine, clinic):
    actor = clinic.actor("ha_a")
    row = book(db_session, clinic, at="11:00")
    confirmed = changes.confirm(db_session, actor, row.appointment_id)
    assert confirmed.status == "confirmed"
    [entry] = audit_rows(db_session, actor.user_id, "appointment_confirmed")
    assert entry.old_values == {"status": "pending"} and entry.new_values["status"] == "confirmed"
    messages = [n.message for n in notifications(db_session, clinic.patient("amaka"))]
    assert messages[-1] == f"Your appointment with Dr. Ada Obi at 11:00 on {day_text(DAY)} is confirmed."
    with pytest.raises(InvalidInput) as refused:
        changes.confirm(db_session, actor, row.appointment_id)
    assert str(refused.value) == (
        "Only a pending appointment can be confirmed; Amaka Eze's appointment with Dr. Ada Obi at 11:00 on "
        f"{day_text(DAY)} is confirmed."
    )
    with pytest.raises(InvalidInput) as refused:
        changes.complete(db_session, actor, row.appointment_id)
    assert str(refused.value) == (
        f"Amaka Eze's appointment with Dr. Ada Obi at 11:00 on {day_text(DAY)} has not started yet: "
        "it can be completed once it has begun."
    )
    with pytest.raises(InvalidInput, match="has not started yet"):
        changes.mark_no_show(db_session, actor, row.appointment_id)


def test_cancel_needs_a_reason_cancels_the_session_and_closes_the_appointment(db_session, clinic):
    actor = clinic.actor("ha_a")
    row = book(db_session, clinic, at="11:30", consultation_type="virtual")
    for reason in ("", "   ", None):
        with pytest.raises(InvalidInput, match="Give a reason for cancelling the appointment."):
            changes.cancel(db_session, actor, row.appointment_id, reason=reason)
    before = written(db_session, clinic)
    cancelled = changes.cancel(db_session, actor, row.appointment_id, reason="Doctor on leave")
    assert cancelled.status == "cancelled"
    after = written(db_session, clinic)
    assert (after[0] - before[0], after[1] - before[1], after[4] - before[4]) == (0, 1, 1)
    session = db_session.scalar(
        select(ConsultationSession).where(ConsultationSession.appointment_id == row.appointment_id)
    )
    assert session.status == "cancelled" and session.room.room_status == "completed"
    note = notifications(db_session, clinic.patient("amaka"))[-1]
    assert (note.title, note.type) == ("Appointment cancelled", "warning")
    assert (
        note.message == f"Your appointment with Dr. Ada Obi at 11:30 on {day_text(DAY)} is cancelled: Doctor on leave"
    )
    [entry] = audit_rows(db_session, actor.user_id, "appointment_cancelled")
    assert entry.old_values == {"status": "pending"}
    assert (
        entry.new_values["reason"] == "Doctor on leave"
        and entry.new_values["consultation_session_status"] == "cancelled"
    )
    for command in (
        lambda: changes.complete(db_session, actor, row.appointment_id),
        lambda: changes.mark_no_show(db_session, actor, row.appointment_id),
        lambda: changes.confirm(db_session, actor, row.appointment_id),
        lambda: changes.cancel(db_session, actor, row.appointment_id, reason="again"),
        lambda: changes.reschedule(db_session, actor, row.appointment_id, day=DAY, time="12:00"),
    ):
        with pytest.raises(
            InvalidInput, match=r"; Amaka Eze's appointment with Dr. Ada Obi at 11:30 on .* was cancelled\.$"
        ):
            command()


def test_complete_and_no_show_once_the_time_has_come(db_session, clinic):
    actor = clinic.actor("ha_a")
    yesterday = TODAY - timedelta(days=1)
    done = add_appointment(
        db_session, clinic, "a", yesterday, "09:00", "dr_ada", "amaka", status="confirmed",
        consultation_type="virtual", with_session=True,
    )  # fmt: skip
    missed = add_appointment(db_session, clinic, "a", yesterday, "09:30", "dr_ada", "tunde")
    completed = changes.complete(db_session, actor, done)
    assert completed.status == "completed"
    session = db_session.scalar(select(ConsultationSession).where(ConsultationSession.appointment_id == done))
    assert session.status == "completed" and session.room.room_status == "completed"
    assert changes.mark_no_show(db_session, actor, missed).status == "no_show"
    [entry] = audit_rows(db_session, actor.user_id, "appointment_no_show")
    assert entry.old_values == {"status": "pending"} and entry.new_values["status"] == "no_show"
    with pytest.raises(
        InvalidInput, match="Only a pending or confirmed appointment can be cancelled; .* is already completed"
    ):
        changes.cancel(db_session, actor, done, reason="late")
    with pytest.raises(InvalidInput, match="can be marked as a no-show; .* is already completed"):
        changes.mark_no_show(db_session, actor, done)
    with pytest.raises(InvalidInput, match="can be completed; .* was marked as a no-show"):
        changes.complete(db_session, actor, missed)
    assert notifications(db_session, clinic.patient("amaka")) == []  # completing tells the patient nothing


def test_reschedule_moves_the_slot_with_every_booking_check(db_session, clinic):
    actor = clinic.actor("ha_a")
    row = book(db_session, clinic, at="09:00")
    book(db_session, clinic, at="14:00", patient="tunde")
    changes.confirm(db_session, actor, row.appointment_id)
    new_day = DAY + timedelta(days=1)
    before = written(db_session, clinic)
    with pytest.raises(InvalidInput) as refused:
        changes.reschedule(db_session, actor, row.appointment_id, day=DAY, time="14:00")
    assert (
        str(refused.value) == f"Dr. Ada Obi already has an appointment at 14:00 on {day_text(DAY)}. Pick another time."
    )
    with pytest.raises(InvalidInput, match="is already at that time"):
        changes.reschedule(db_session, actor, row.appointment_id, day=DAY, time="09:00")
    with pytest.raises(InvalidInput, match="has passed"):
        changes.reschedule(db_session, actor, row.appointment_id, day=TODAY - timedelta(days=3), time="09:00")
    with pytest.raises(InvalidInput, match="not one of those times"):
        changes.reschedule(db_session, actor, row.appointment_id, day=new_day, time="09:10")
    assert written(db_session, clinic) == before
    moved = changes.reschedule(db_session, actor, row.appointment_id, day=new_day, time="15:30")
    assert (moved.day, moved.time, moved.status) == (new_day, "15:30", "confirmed")
    assert db_session.get(Appointment, row.appointment_id).appointment_date == lagos_moment(new_day, "15:30")
    note = notifications(db_session, clinic.patient("amaka"))[-1]
    assert note.message == (
        f"Your appointment with Dr. Ada Obi has moved from 09:00 on {day_text(DAY)} to 15:30 on {day_text(new_day)}."
    )
    [entry] = audit_rows(db_session, actor.user_id, "appointment_rescheduled")
    assert entry.old_values == {"day": DAY.isoformat(), "time": "09:00"}
    assert entry.new_values["day"] == new_day.isoformat() and entry.new_values["time"] == "15:30"
    book(db_session, clinic, at="09:00", patient="ngozi")  # the old slot is free again


def test_a_physician_who_left_cannot_take_a_rescheduled_appointment(db_session, clinic):
    stored = add_appointment(db_session, clinic, "a", DAY, "09:00", "dr_kunle", "amaka")
    with pytest.raises(InvalidInput, match="Dr. Kunle Ojo is no longer active"):
        changes.reschedule(db_session, clinic.actor("ha_a"), stored, day=DAY, time="10:00")


def test_commands_on_another_hospitals_appointment_are_refused_and_audited(db_session, engine, clinic):
    actor = clinic.actor("ha_a")
    foreign = clinic.appointments["b3"]
    before = written(db_session, clinic)
    for command in (
        lambda: changes.confirm(db_session, actor, foreign),
        lambda: changes.cancel(db_session, actor, foreign, reason="no"),
        lambda: changes.complete(db_session, actor, foreign),
        lambda: changes.mark_no_show(db_session, actor, foreign),
        lambda: changes.reschedule(db_session, actor, foreign, day=DAY, time="10:00"),
    ):
        with pytest.raises(OutOfScope):
            command()
    assert refusals(engine, actor.user_id).count("scope_violation") == 5
    assert written(db_session, clinic) == before
    with pytest.raises(NotFound, match="That appointment no longer exists."):
        changes.confirm(db_session, actor, "no-such-appointment")
    with pytest.raises(NotPermitted):
        changes.cancel(db_session, clinic.actor("exec_a"), clinic.appointments["a1"], reason="x")


# --- Two administrators, one slot --------------------------------------------------------------------------


def _race_booking(engine, made, patient_id, day, barrier, results, index):
    actor = Actor(f"race-admin-{index}", UserRole.HOSPITAL_ADMIN, made.hospital_id)
    try:
        with Session(engine) as db:
            barrier.wait()
            try:
                booking.book(
                    db,
                    actor,
                    hospital_id=made.hospital_id,
                    patient_id=patient_id,
                    physician_id=made.physician_id,
                    day=day,
                    time="10:00",
                    appointment_type="consultation",
                    consultation_type="virtual",
                )
                db.commit()
                results[index] = "booked"
            except InvalidInput as exc:
                db.rollback()
                results[index] = str(exc)
    except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in the thread
        results[index] = repr(exc)


def _race_outcome(engine, made):
    with Session(engine) as db:
        booked = db.scalars(select(Appointment).where(Appointment.hospital_id == made.hospital_id)).all()
        notes = db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id.in_(made.patients)))
        sessions = db.scalar(
            select(func.count())
            .select_from(ConsultationSession)
            .where(ConsultationSession.appointment_id.in_([a.id for a in booked]))
        )
    return booked, notes, sessions


def test_two_admins_booking_one_slot_at_once_exactly_one_wins(engine):
    day = TODAY + timedelta(days=20)
    with two_clinics.committed_clinic(engine, patients=2) as made:
        barrier = threading.Barrier(2, timeout=30)
        results: list[str | None] = [None, None]
        threads = [
            threading.Thread(target=_race_booking, args=(engine, made, made.patients[i], day, barrier, results, i))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        sentence = f"Dr. Ada Obi already has an appointment at 10:00 on {day_text(day)}. Pick another time."
        assert sorted(results) == sorted(["booked", sentence]), results
        booked, notes, sessions = _race_outcome(engine, made)
        assert len(booked) == 1 and notes == 1 and sessions == 1


def test_the_index_decides_when_both_checks_pass_before_either_commits(engine):
    """The first booking is written but not committed when the second checks the slot: the check sees it
    free, the insert waits on the index, and once the first commits it fails with the same sentence."""
    day = TODAY + timedelta(days=21)
    with two_clinics.committed_clinic(engine, patients=2) as made:
        results: list[str | None] = [None, None]
        with Session(engine) as first:
            actor = Actor("race-admin-first", UserRole.ADMIN, None)
            booking.book(
                first,
                actor,
                hospital_id=made.hospital_id,
                patient_id=made.patients[0],
                physician_id=made.physician_id,
                day=day,
                time="10:00",
                appointment_type="consultation",
                consultation_type="virtual",
            )
            barrier = threading.Barrier(1)
            racer = threading.Thread(
                target=_race_booking, args=(engine, made, made.patients[1], day, barrier, results, 1)
            )
            racer.start()
            racer.join(timeout=2)
            assert racer.is_alive()  # waiting on the index for the first booking's transaction
            first.commit()
            racer.join(timeout=30)
        assert results[1] == f"Dr. Ada Obi already has an appointment at 10:00 on {day_text(day)}. Pick another time."
        booked, notes, sessions = _race_outcome(engine, made)
        assert len(booked) == 1 and booked[0].patient_id == made.patients[0] and notes == 1 and sessions == 1


# --- The page's fast reads give the straightforward queries' figures ------------------------------------------


def _statements(db):
    """Count the statements `db` sends inside a `with` block (a list, filled as they run)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        sent: list[str] = []
        bind = db.connection()

        def note(conn, cursor, statement, parameters, context, executemany):
            sent.append(statement)

        event.listen(bind, "before_cursor_execute", note)
        try:
            yield sent
        finally:
            event.remove(bind, "before_cursor_execute", note)

    return counting()


def _straight_page(db, actor, *, page=1, page_size=50, **filters):
    """The list as it was first written: the full joined query, counted whole and paged (paging.fetch_page)."""
    from dashboard.platform.paging import fetch_page

    start, end = filters.pop("start", HISTORY_START), filters.pop("end", HISTORY_END)
    stmt = appointment_list._listing(
        actor, start, end, filters.get("physician_id"), filters.get("status"), filters.get("consultation_type"), ""
    )
    found, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return [records.AppointmentRow(*r) for r in found], total, page


def test_the_list_without_search_counts_and_pages_like_the_full_query(db_session, clinic):
    # A booking with no hospital (another client's) and two more in a slot already held at both hospitals,
    # so the page boundaries fall inside runs of appointments level on day and time.
    add_appointment(db_session, clinic, None, date(2013, 3, 3), "09:00", "dr_bola", "fatima")
    add_appointment(db_session, clinic, "b", date(2013, 3, 5), "11:00", "dr_hauwa", "tunde", status="cancelled")
    cases = [
        {}, {"status": "completed"}, {"consultation_type": "virtual"}, {"physician_id": clinic.physician("dr_ada")},
        {"start": date(2013, 4, 1), "end": date(2013, 4, 30)}, {"start": date(2012, 1, 1), "end": date(2012, 1, 2)},
    ]  # fmt: skip
    for who in ("admin", "ha_a", "ha_b", "exec_a"):
        actor = clinic.actor(who)
        for filters in cases:
            for page_size in (1, 2, 3, 50):
                for page in (1, 2, 3, 4, 99):  # 99: past the end, shown as the last page
                    expected_rows, expected_total, expected_page = _straight_page(
                        db_session, actor, page=page, page_size=page_size, **dict(filters)
                    )
                    got = appointment_list.list_appointments(
                        db_session, actor, start=filters.get("start", HISTORY_START),
                        end=filters.get("end", HISTORY_END), page=page, page_size=page_size,
                        **{k: v for k, v in filters.items() if k not in ("start", "end")},
                    )  # fmt: skip
                    assert (got.rows, got.total, got.page) == (expected_rows, expected_total, expected_page), (
                        who, filters, page_size, page,
                    )  # fmt: skip


def test_the_list_without_search_never_joins_names_to_count(db_session, clinic):
    actor = clinic.actor("admin")
    with _statements(db_session) as sent:
        appointment_list.list_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END)
    count = next(s for s in sent if "count(*)" in s)
    assert "profiles" not in count and "users" not in count and "hospitals" not in count
    with _statements(db_session) as sent:
        appointment_list.list_appointments(db_session, actor, start=HISTORY_START, end=HISTORY_END, search="amaka")
    assert "patient_profile" in next(s for s in sent if "count(*)" in s)  # searching by name needs the names


def _straight_per_day(db, actor, *, start, end) -> list[appointment_figures.DayByStatus]:
    """Appointments per Lagos day by status as first written: a day series joined to a GROUP BY of the days."""
    series, day = day_series(start, end)
    counts = limit_to_scope(
        select(
            records.lagos_day.label("day"),
            *[func.count().filter(Appointment.status == s).label(s) for s in APPOINTMENT_STATUSES],
            func.count().label("total"),
        )
        .where(*records.dated_within(start, end))
        .group_by(records.lagos_day),
        actor,
        Appointment.hospital_id,
    ).subquery()
    stmt = (
        select(day, *[func.coalesce(counts.c[s], 0) for s in (*APPOINTMENT_STATUSES, "total")])
        .select_from(series)
        .outerjoin(counts, counts.c.day == day)
        .order_by(day)
    )
    return [appointment_figures.DayByStatus(*r) for r in db.execute(stmt)]


def test_figures_in_one_pass_are_the_per_day_figures(db_session, clinic):
    add_appointment(
        db_session, clinic, None, date(2013, 3, 31), "23:30", "dr_bola", "fatima", consultation_type="virtual"
    )
    ranges = [(HISTORY_START, HISTORY_END), (date(2013, 2, 10), HISTORY_END), (date(2013, 3, 5), date(2013, 3, 5)),
              (date(2012, 1, 1), date(2012, 1, 2)), (date(2013, 1, 31), date(2014, 2, 1))]  # fmt: skip
    for who in ("admin", "ha_a", "ha_b", "exec_a"):
        actor = clinic.actor(who)
        for start, end in ranges:
            with _statements(db_session) as sent:
                got = appointment_figures.figures(db_session, actor, start=start, end=end)
            assert len(sent) == 1
            assert got.per_day == _straight_per_day(db_session, actor, start=start, end=end)
            # The months, the share and the range's totals against the list: test_appointments_agree.py.
    with pytest.raises(InvalidInput, match="start date is after the end date"):
        appointment_figures.figures(db_session, clinic.actor("admin"), start=HISTORY_END, end=HISTORY_START)


def test_busiest_physicians_counted_first_then_named_is_the_straightforward_ranking(db_session, clinic):
    # Level counts across hospitals, so the name order decides who makes the cut.
    add_appointment(db_session, clinic, "b", date(2013, 3, 6), "09:00", "dr_hauwa", "ngozi", status="completed")
    add_appointment(
        db_session, clinic, None, date(2013, 3, 7), "09:00", "dr_bola", "fatima", consultation_type="virtual"
    )
    physician_name = people.name_or("(no name)", records.PhysicianProfile)
    for who in ("admin", "ha_a", "ha_b"):
        actor = clinic.actor(who)
        for limit in (1, 2, 3, 4, 10):
            booked = func.count()
            straight = (
                select(
                    Appointment.physician_id, physician_name, records.PhysicianProfile.specialization,
                    Hospital.name, booked, func.count().filter(Appointment.status == "completed"),
                    func.count().filter(Appointment.status == "no_show"),
                    func.count().filter(Appointment.consultation_type == "virtual"),
                )
                .join(records.PhysicianProfile, records.PhysicianProfile.id == Appointment.physician_id)
                .outerjoin(Hospital,
                           Hospital.id == records.PhysicianProfile.hospital_id)
                .where(*records.dated_within(HISTORY_START, HISTORY_END), Appointment.status != "cancelled")
                .group_by(Appointment.physician_id, physician_name, records.PhysicianProfile.specialization,
                          Hospital.name)
                .order_by(booked.desc(), physician_name, Appointment.physician_id)
                .limit(limit)
            )  # fmt: skip
            if not actor.network_wide:
                straight = straight.where(Appointment.hospital_id == actor.hospital_id)
            expected = [appointment_figures.PhysicianLoad(*r) for r in db_session.execute(straight)]
            got = appointment_figures.busiest_physicians(
                db_session, actor, start=HISTORY_START, end=HISTORY_END, limit=limit
            )
            assert got == expected, (who, limit)
