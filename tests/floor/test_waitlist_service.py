"""The waitlist service: call-next order, each command's status rules and audit row, scope, bad input,
the waits behind the alerts and charts, and two administrators calling the same queue at once."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from dashboard.domains.floor import waitlist_commands, waitlist_queue, waitlist_waits
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import Hospital, PatientWaitlist, Profile, User
from db.settings import Settings
from tests.fixtures.queue_builders import actor, add_entry, add_hospital, add_patient, audit_rows

VALUES = Settings()  # urgent 15, high 45, medium 90, low 180 minutes; clear at 0.9 of the target


@pytest.fixture
def two(db_session):
    """Hospital A with a mixed Cardiology queue and a Radiology entry; hospital B with its own queue."""
    db = db_session
    a = add_hospital(db, "Lagoon Test Hospital")
    b = add_hospital(db, "Savannah Test Hospital")
    ada = add_patient(db, "Ada", "Obi")
    musa = add_patient(db, "Musa", "Bello")
    ids = {
        "low_200": add_entry(db, a, ada, waited=200, priority="low"),
        "urgent_5": add_entry(db, a, musa, waited=5, priority="urgent"),
        "high_50": add_entry(db, a, ada, waited=50, priority="high"),
        "high_60": add_entry(db, a, musa, waited=60, priority="high"),
        "high_42": add_entry(db, a, ada, waited=42, priority="high"),  # past the clear level (40.5), short of 45
        "medium_30": add_entry(db, a, musa, waited=30, priority="medium"),
        "called": add_entry(db, a, ada, waited=20, priority="urgent", status="called", called_after=12),
        "done": add_entry(db, a, ada, waited=300, priority="low", status="completed", called_after=30),
        "radiology": add_entry(db, a, musa, waited=10, priority="medium", department="Radiology"),
        "b_waiting": add_entry(db, b, ada, waited=500, priority="urgent", department="Oncology"),
    }
    return {
        "a": a,
        "b": b,
        "ids": ids,
        "ha_a": actor(UserRole.HOSPITAL_ADMIN, a, "ha-a"),
        "ha_b": actor(UserRole.HOSPITAL_ADMIN, b, "ha-b"),
        "admin": actor(UserRole.ADMIN, None, "admin"),
    }


def status_of(db, entry_id):
    db.expire_all()
    return db.scalar(select(PatientWaitlist.status).where(PatientWaitlist.id == entry_id))


# --- Reads ------------------------------------------------------------------------------------------


def test_queue_is_in_call_next_order_then_called_patients(db_session, two):
    ids = two["ids"]
    entries = waitlist_queue.queue(db_session, two["ha_a"], department="Cardiology", values=VALUES)
    assert [e.id for e in entries] == [
        ids["urgent_5"],
        ids["high_60"],
        ids["high_50"],
        ids["high_42"],
        ids["medium_30"],
        ids["low_200"],
        ids["called"],
    ]
    assert [e.waiting for e in entries] == [True] * 6 + [False]
    first = entries[0]
    assert (first.patient_name, first.hospital_name, first.department, first.reason) == (
        "Musa Bello",
        "Lagoon Test Hospital",
        "Cardiology",
        "Chest pain review",
    )
    by_id = {e.id: e for e in entries}
    assert by_id[ids["urgent_5"]].waited_minutes == pytest.approx(5)
    assert by_id[ids["urgent_5"]].target_minutes == 15 and not by_id[ids["urgent_5"]].over_target
    assert by_id[ids["high_60"]].over_target and by_id[ids["high_60"]].minutes_over_target == pytest.approx(15)
    assert by_id[ids["low_200"]].over_target and by_id[ids["low_200"]].minutes_over_target == pytest.approx(20)
    near = by_id[ids["high_42"]]
    assert near.near_target and not near.over_target
    # A called patient's wait stopped when they were called.
    assert by_id[ids["called"]].waited_minutes == pytest.approx(12) and by_id[ids["called"]].status == "called"


def test_queue_and_departments_hold_nothing_of_another_hospital(db_session, two):
    everything = waitlist_queue.queue(db_session, two["ha_a"], values=VALUES)
    assert {e.hospital_id for e in everything} == {two["a"]}
    assert two["ids"]["done"] not in {e.id for e in everything}  # completed entries are not in the live queue
    assert waitlist_queue.departments(db_session, two["ha_a"]) == ["Cardiology", "Radiology"]
    assert "Oncology" in waitlist_queue.departments(db_session, two["admin"])
    assert {two["a"], two["b"]} <= {
        e.hospital_id for e in waitlist_queue.queue(db_session, two["admin"], values=VALUES)
    }


def test_looking_at_the_queue_is_audited_once_per_session_and_filter(db_session, two):
    who = two["ha_a"]
    waitlist_queue.queue(db_session, who, department="Cardiology", values=VALUES)
    waitlist_queue.queue(db_session, who, department="Cardiology", values=VALUES)
    rows = audit_rows(db_session, who.user_id, "waitlist_viewed")
    assert len(rows) == 1 and rows[0].new_values == {"department": "Cardiology"}


def test_readers_only(db_session, two):
    executive = actor(UserRole.EXECUTIVE, two["a"], "exec")
    with pytest.raises(NotPermitted):
        waitlist_queue.queue(db_session, executive)
    with pytest.raises(NotPermitted):
        waitlist_commands.call_next(db_session, executive, hospital_id=two["a"], department="Cardiology")
    assert [r.action_type for r in audit_rows(db_session, executive.user_id)] == ["permission_denied"] * 2


def test_queue_summary_per_department_and_priority(db_session, two):
    summary = waitlist_queue.queue_summary(db_session, two["ha_a"], values=VALUES)
    rows = {(s.department, s.priority): s for s in summary}
    assert [(s.department, s.priority) for s in summary] == [
        ("Cardiology", "urgent"),
        ("Cardiology", "high"),
        ("Cardiology", "medium"),
        ("Cardiology", "low"),
        ("Radiology", "medium"),
    ]
    high = rows[("Cardiology", "high")]
    assert (high.waiting, high.longest_wait_minutes, high.over_target) == (3, pytest.approx(60), 2)
    assert (rows[("Cardiology", "urgent")].waiting, rows[("Cardiology", "urgent")].over_target) == (1, 0)
    assert rows[("Cardiology", "low")].over_target == 1


def test_breaches_worst_first_with_the_hysteresis_band(db_session, two):
    ids = two["ids"]
    found = waitlist_queue.breaches(db_session, two["ha_a"], values=VALUES)
    # Over by: low 20, high_60 15, high_50 5; high_42 is 3 short but past the clear level.
    assert [e.id for e in found] == [ids["low_200"], ids["high_60"], ids["high_50"], ids["high_42"]]
    assert [e.over_target for e in found] == [True, True, True, False]
    assert found[-1].near_target and found[-1].minutes_over_target == pytest.approx(-3)
    level = VALUES.wait_target("high")
    assert level.breached(found[-1].waited_minutes, was_raised=True)
    assert not level.breached(found[-1].waited_minutes, was_raised=False)
    network = waitlist_queue.breaches(db_session, two["admin"], values=VALUES)
    assert ids["b_waiting"] in {e.id for e in network}


def test_wait_distribution_buckets_the_day_in_lagos_time(db_session, two):
    db, a = db_session, two["a"]
    patient = add_patient(db, "Chidi", "Eze")
    day = date(2025, 3, 10)
    morning = datetime(2025, 3, 10, 8, 0, tzinfo=LAGOS)
    for waited, priority in ((10, "urgent"), (14, "urgent"), (20, "high"), (45, "high"), (90, "low"), (150, "low")):
        add_entry(db, a, patient, priority=priority, status="completed", created_at=morning, called_after=waited)
    # Called at 23:30 the evening before (Lagos), which is still 9 March: not counted.
    add_entry(
        db, a, patient, priority="urgent", status="completed",
        created_at=datetime(2025, 3, 9, 23, 0, tzinfo=LAGOS), called_after=30,
    )  # fmt: skip
    buckets = waitlist_waits.wait_distribution(db, two["ha_a"], day=day)
    assert len(buckets) == 20  # every priority and bucket, zeros included
    counts = {(b.priority, b.label): b.patients for b in buckets if b.patients}
    assert counts == {
        ("urgent", "0–15 min"): 2,
        ("high", "15–30 min"): 1,
        ("high", "30–60 min"): 1,
        ("low", "60–120 min"): 1,
        ("low", "120+ min"): 1,
    }
    assert waitlist_waits.wait_distribution(db, two["ha_b"], day=day) == [
        b.__class__(b.priority, b.label, b.lower_minutes, b.upper_minutes, 0) for b in buckets
    ]


def test_median_waits_today_and_the_seven_days_before(db_session, two):
    db, a = db_session, two["a"]
    patient = add_patient(db, "Chidi", "Eze")
    today = date(2025, 3, 10)

    def called(day: date, waited: float, hospital=a):
        created = datetime.combine(day, datetime.min.time(), tzinfo=LAGOS) + timedelta(hours=9)
        add_entry(db, hospital, patient, status="completed", created_at=created, called_after=waited)

    for waited in (10, 20, 40):
        called(today, waited)
    called(today - timedelta(days=1), 30)
    called(today - timedelta(days=7), 50)
    called(today - timedelta(days=8), 60)  # called 8 days before: outside the window
    called(today, 999, hospital=two["b"])  # another hospital
    medians = waitlist_waits.median_waits(db, two["ha_a"], today=today)
    assert (medians.today_minutes, medians.today_count) == (pytest.approx(20), 3)
    assert (medians.previous_7_days_minutes, medians.previous_7_days_count) == (pytest.approx(40), 2)
    empty = waitlist_waits.median_waits(db, two["ha_a"], today=date(2020, 1, 1))
    assert (empty.today_minutes, empty.today_count, empty.previous_7_days_minutes) == (None, 0, None)


# --- Call next ----------------------------------------------------------------------------------------


def test_call_next_takes_the_most_urgent_then_longest_waiting(db_session, two):
    ids, who = two["ids"], two["ha_a"]
    first = waitlist_commands.call_next(db_session, who, hospital_id=two["a"], department="Cardiology", values=VALUES)
    second = waitlist_commands.call_next(db_session, who, hospital_id=two["a"], department="Cardiology", values=VALUES)
    assert (first.id, second.id) == (ids["urgent_5"], ids["high_60"])
    assert first.status == "called" and first.called_at is not None and not first.waiting
    assert first.waited_minutes == pytest.approx(5)
    rows = audit_rows(db_session, who.user_id, "waitlist_patient_called")
    assert [r.resource_id for r in rows] == [ids["urgent_5"], ids["high_60"]]
    assert rows[0].old_values == {"status": "waiting"} and rows[0].new_values["status"] == "called"
    assert rows[0].hospital_id == two["a"] and rows[0].action_category == "waitlist"


def test_call_next_on_an_empty_queue_writes_nothing(db_session, two):
    who = two["ha_a"]
    assert waitlist_commands.call_next(db_session, who, hospital_id=two["a"], department="Dermatology") is None
    assert audit_rows(db_session, who.user_id) == []


def test_call_next_on_another_hospitals_queue_is_refused_and_audited(db_session, two):
    who = two["ha_a"]
    with pytest.raises(OutOfScope):
        waitlist_commands.call_next(db_session, who, hospital_id=two["b"], department="Oncology")
    assert status_of(db_session, two["ids"]["b_waiting"]) == "waiting"
    refusal = audit_rows(db_session, who.user_id, "scope_violation")
    assert len(refusal) == 1 and refusal[0].resource_id == two["b"]
    assert audit_rows(db_session, who.user_id, "waitlist_patient_called") == []


def test_an_admin_working_on_one_hospital_cannot_call_anothers_queue(db_session, two):
    admin_on_a = actor(UserRole.ADMIN, two["a"], "admin-a")
    with pytest.raises(OutOfScope):
        waitlist_commands.call_next(db_session, admin_on_a, hospital_id=two["b"], department="Oncology")
    network = two["admin"]
    called = waitlist_commands.call_next(
        db_session, network, hospital_id=two["b"], department="Oncology", values=VALUES
    )
    assert called.id == two["ids"]["b_waiting"]
    assert audit_rows(db_session, network.user_id, "waitlist_patient_called")[0].hospital_id == two["b"]


@pytest.mark.parametrize(
    ("hospital", "department", "error"),
    [
        (None, "Cardiology", InvalidInput),
        ("", "Cardiology", InvalidInput),
        ("no-such-hospital", "Cardiology", NotFound),
        ("bad\x00id", "Cardiology", NotFound),
        ("A", "", InvalidInput),
        ("A", "x" * 500, InvalidInput),
        ("A", "Card\x00iology", InvalidInput),
    ],
)
def test_call_next_bad_input_is_refused(db_session, two, hospital, department, error):
    who = two["admin"]
    hospital_id = two["a"] if hospital == "A" else hospital
    with pytest.raises(error) as caught:
        waitlist_commands.call_next(db_session, who, hospital_id=hospital_id, department=department)
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)
    assert status_of(db_session, two["ids"]["urgent_5"]) == "waiting"
    assert audit_rows(db_session, who.user_id) == []


# --- Complete, cancel, change priority --------------------------------------------------------------------


def test_complete_only_a_called_patient(db_session, two):
    ids, who = two["ids"], two["ha_a"]
    with pytest.raises(InvalidInput, match=r"^Only a called patient can be completed; Ada Obi is still waiting\.$"):
        waitlist_commands.complete(db_session, who, ids["low_200"])
    with pytest.raises(InvalidInput, match="Ada Obi is already completed"):
        waitlist_commands.complete(db_session, who, ids["done"])
    done = waitlist_commands.complete(db_session, who, ids["called"], values=VALUES)
    assert done.status == "completed" and status_of(db_session, ids["called"]) == "completed"
    assert db_session.get(PatientWaitlist, ids["called"]).completed_at is not None
    rows = audit_rows(db_session, who.user_id, "waitlist_entry_completed")
    assert len(rows) == 1 and rows[0].old_values == {"status": "called"}
    assert rows[0].new_values["status"] == "completed" and rows[0].resource_id == ids["called"]
    assert [r.action_type for r in audit_rows(db_session, who.user_id)] == ["waitlist_entry_completed"]


def test_cancel_needs_a_reason_and_a_waiting_or_called_patient(db_session, two):
    ids, who = two["ids"], two["ha_a"]
    for reason in ("", "   ", "x" * 201):
        with pytest.raises(InvalidInput, match="reason"):
            waitlist_commands.cancel(db_session, who, ids["medium_30"], reason=reason)
    with pytest.raises(InvalidInput, match="Only a waiting or called patient can be cancelled; Ada Obi is already"):
        waitlist_commands.cancel(db_session, who, ids["done"], reason="Left")
    assert status_of(db_session, ids["medium_30"]) == "waiting"
    cancelled = waitlist_commands.cancel(db_session, who, ids["medium_30"], reason="  Went home  ", values=VALUES)
    assert cancelled.status == "cancelled"
    waitlist_commands.cancel(db_session, who, ids["called"], reason="Transferred to A&E")
    rows = audit_rows(db_session, who.user_id, "waitlist_entry_cancelled")
    assert [(r.resource_id, r.old_values, r.new_values) for r in rows] == [
        (ids["medium_30"], {"status": "waiting"}, {"status": "cancelled", "reason": "Went home"}),
        (ids["called"], {"status": "called"}, {"status": "cancelled", "reason": "Transferred to A&E"}),
    ]
    assert waitlist_commands.cancel(db_session, who, ids["low_200"], reason="x" * 200).status == "cancelled"


def test_change_priority_while_waiting_reorders_the_queue(db_session, two):
    ids, who = two["ids"], two["ha_a"]
    with pytest.raises(InvalidInput, match="Priority must be one of"):
        waitlist_commands.change_priority(db_session, who, ids["low_200"], priority="critical")
    with pytest.raises(InvalidInput, match="^The priority can only be changed while the patient is waiting; Ada Obi"):
        waitlist_commands.change_priority(db_session, who, ids["called"], priority="low")
    assert audit_rows(db_session, who.user_id) == []
    moved = waitlist_commands.change_priority(db_session, who, ids["low_200"], priority="urgent", values=VALUES)
    assert moved.priority == "urgent" and moved.over_target and moved.target_minutes == 15
    rows = audit_rows(db_session, who.user_id, "waitlist_priority_changed")
    assert [(r.old_values, r.new_values) for r in rows] == [({"priority": "low"}, {"priority": "urgent"})]
    # Waited longest among the urgent ones: called first now.
    called = waitlist_commands.call_next(db_session, who, hospital_id=two["a"], department="Cardiology")
    assert called.id == ids["low_200"]
    # The same priority again changes nothing and writes nothing.
    waitlist_commands.change_priority(db_session, who, ids["medium_30"], priority="medium")
    assert len(audit_rows(db_session, who.user_id, "waitlist_priority_changed")) == 1


@pytest.mark.parametrize(
    "command",
    [
        lambda db, who, entry: waitlist_commands.complete(db, who, entry),
        lambda db, who, entry: waitlist_commands.cancel(db, who, entry, reason="Went home"),
        lambda db, who, entry: waitlist_commands.change_priority(db, who, entry, priority="low"),
    ],
    ids=["complete", "cancel", "change_priority"],
)
def test_commands_on_another_hospitals_entry_are_refused_and_audited(db_session, two, command):
    who, theirs = two["ha_a"], two["ids"]["b_waiting"]
    with pytest.raises(OutOfScope):
        command(db_session, who, theirs)
    db_session.expire_all()
    row = db_session.get(PatientWaitlist, theirs)
    assert (row.status, row.priority) == ("waiting", "urgent")
    assert [(r.action_type, r.resource_id) for r in audit_rows(db_session, who.user_id)] == [
        ("scope_violation", theirs)
    ]
    with pytest.raises(NotFound):
        command(db_session, who, "no-such-entry")
    with pytest.raises(NotFound):
        command(db_session, who, "bad\x00id")


# --- Two administrators at the same moment -----------------------------------------------------------------


@pytest.fixture
def committed_queue(engine):
    """A committed hospital with N waiting patients in one queue; removed afterwards (audit rows stay)."""
    size = 24
    with Session(engine) as db, db.begin():
        hospital = add_hospital(db, "Concurrency Test Hospital")
        patient = add_patient(db, "Queue", "Tester")
        entries = [
            add_entry(db, hospital, patient, waited=size - i, priority=("urgent", "high", "medium", "low")[i % 4])
            for i in range(size)
        ]
    yield hospital, entries
    with Session(engine) as db, db.begin():
        db.execute(delete(PatientWaitlist).where(PatientWaitlist.hospital_id == hospital))
        db.execute(delete(Profile).where(Profile.user_id == patient))
        db.execute(delete(User).where(User.id == patient))
        db.execute(delete(Hospital).where(Hospital.id == hospital))


def test_two_admins_calling_at_once_call_each_patient_exactly_once(engine, committed_queue):
    hospital, entries = committed_queue
    admins = [actor(UserRole.HOSPITAL_ADMIN, hospital, f"racer{i}") for i in range(2)]
    barrier = threading.Barrier(2, timeout=30)
    called: list[list[str | None]] = [[], []]
    errors: list[BaseException] = []

    def keep_calling(index: int) -> None:
        try:
            for round_number in range(len(entries) + 2):
                barrier.wait()  # both press "Call next" at the same moment
                with Session(engine) as db, db.begin():
                    entry = waitlist_commands.call_next(
                        db, admins[index], hospital_id=hospital, department="Cardiology"
                    )
                called[index].append(entry and entry.id)
                barrier.wait()  # both see this round's results before deciding to stop
                if called[0][round_number] is None and called[1][round_number] is None:
                    return
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=keep_calling, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    taken = [e for e in called[0] + called[1] if e is not None]
    assert sorted(taken) == sorted(entries)  # each called exactly once, none skipped
    assert len(taken) == len(entries)
    assert called[0].count(None) >= 1 and called[1].count(None) >= 1
    assert all(any(c) for c in called)  # both administrators did call patients: a real race, not turns
    with Session(engine) as db:
        statuses = db.scalars(select(PatientWaitlist.status).where(PatientWaitlist.hospital_id == hospital)).all()
        assert statuses == ["called"] * len(entries)
        audited = [r.resource_id for who in admins for r in audit_rows(db, who.user_id, "waitlist_patient_called")]
        assert sorted(audited) == sorted(entries)


def test_a_locked_top_entry_is_skipped_not_waited_for(engine, committed_queue):
    hospital, entries = committed_queue
    first_admin, second_admin = (actor(UserRole.HOSPITAL_ADMIN, hospital, f"lock{i}") for i in range(2))
    with Session(engine) as holder, Session(engine) as other:
        holder.begin()
        held = waitlist_commands.call_next(holder, first_admin, hospital_id=hospital, department="Cardiology")
        other.begin()
        # Were the top row waited for instead of skipped, this would fail after 2 seconds, not hang.
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        started = time.monotonic()
        taken = waitlist_commands.call_next(other, second_admin, hospital_id=hospital, department="Cardiology")
        elapsed = time.monotonic() - started
        other.commit()
        holder.rollback()  # the first administrator's call never happened
    assert held is not None and taken is not None and held.id != taken.id
    assert held.priority == "urgent" and taken.priority == "urgent" and elapsed < 1.5
    with Session(engine) as db:
        assert db.scalar(select(PatientWaitlist.status).where(PatientWaitlist.id == held.id)) == "waiting"
        assert db.scalar(select(PatientWaitlist.status).where(PatientWaitlist.id == taken.id)) == "called"


# --- Nothing in a live list happened after now (issue 18) ---------------------------------------------


def test_an_arrival_after_now_is_in_no_list_or_figure_and_is_never_called(db_session, two):
    db, a, who, ids = db_session, two["a"], two["ha_a"], two["ids"]
    patient = add_patient(db, "Later", "Arrival")
    future = add_entry(db, a, patient, waited=-60, priority="urgent")  # "arrives" in an hour
    alone = add_entry(db, a, patient, waited=-30, priority="urgent", department="Dermatology")
    # Called "in 5 minutes" after an arrival in the future: not a wait that has happened.
    add_entry(db, a, patient, waited=-20, status="called", called_after=5)
    assert {future, alone}.isdisjoint(e.id for e in waitlist_queue.queue(db, who, values=VALUES))
    assert all(e.waited_minutes >= 0 for e in waitlist_queue.queue(db, who, values=VALUES))
    summary = {(s.department, s.priority): s.waiting for s in waitlist_queue.queue_summary(db, who, values=VALUES)}
    assert summary[("Cardiology", "urgent")] == 1 and ("Dermatology", "urgent") not in summary
    assert future not in {e.id for e in waitlist_queue.breaches(db, who, values=VALUES)}
    now = waitlist_queue.waiting_now(db, who, values=VALUES)
    assert (now.waiting, now.over_target) == (7, 3)  # the 7 of the fixture; past target: low_200, high_60, high_50
    assert now.longest_wait_minutes == pytest.approx(200)
    assert waitlist_queue.future_arrivals(db, who) == 2
    first = waitlist_commands.call_next(db, who, hospital_id=a, department="Cardiology", values=VALUES)
    assert first.id == ids["urgent_5"]  # not the urgent patient who has not arrived yet
    assert waitlist_commands.call_next(db, who, hospital_id=a, department="Dermatology", values=VALUES) is None
    assert status_of(db, future) == status_of(db, alone) == "waiting"


def test_medians_and_the_distribution_leave_out_a_call_after_now(db_session, two):
    db, a, who = db_session, two["a"], two["ha_a"]
    patient = add_patient(db, "Later", "Arrival")
    today = db.scalar(select(text("(now() AT TIME ZONE 'Africa/Lagos')::date")))
    before = waitlist_waits.median_waits(db, who, today=today)
    buckets = sum(b.patients for b in waitlist_waits.wait_distribution(db, who, day=today))
    add_entry(db, a, patient, waited=-20, status="called", called_after=5)  # arrives and is called later
    add_entry(db, a, patient, waited=10, status="called", called_after=30)  # called 20 minutes from now
    assert waitlist_waits.median_waits(db, who, today=today) == before
    assert sum(b.patients for b in waitlist_waits.wait_distribution(db, who, day=today)) == buckets


def test_waiting_now_is_the_queues_count_and_open_to_every_overview_reader(db_session, two):
    who = two["ha_a"]
    summary = waitlist_queue.queue_summary(db_session, who, values=VALUES)
    now = waitlist_queue.waiting_now(db_session, who, values=VALUES)
    assert now.waiting == sum(s.waiting for s in summary) == 7
    assert now.over_target == sum(s.over_target for s in summary)
    assert now.longest_wait_minutes == pytest.approx(max(s.longest_wait_minutes for s in summary))
    executive = actor(UserRole.EXECUTIVE, two["a"], "exec")
    assert waitlist_queue.waiting_now(db_session, executive, values=VALUES) == now
    assert waitlist_queue.waiting_now(db_session, two["ha_b"], values=VALUES).waiting == 1
    empty = waitlist_queue.waiting_now(
        db_session, actor(UserRole.HOSPITAL_ADMIN, add_hospital(db_session, "Quiet")), values=VALUES
    )
    assert (empty.waiting, empty.over_target, empty.longest_wait_minutes) == (0, 0, None)


# --- What call-next offers ------------------------------------------------------------------------------


def test_call_options_list_departments_with_someone_waiting_and_default_to_the_next_patients(db_session, two):
    db, a, who = db_session, two["a"], two["ha_a"]
    options = waitlist_queue.call_options(db, who)
    assert [(d.department, d.waiting) for d in options.departments] == [("Cardiology", 6), ("Radiology", 1)]
    assert options.next_department == "Cardiology"  # urgent_5 is next
    # An urgent patient in Radiology who has waited longer is now next across the hospital.
    patient = add_patient(db, "Bola", "Ade")
    add_entry(db, a, patient, waited=8, priority="urgent", department="Radiology")
    add_entry(db, a, patient, waited=-30, priority="urgent", department="Dermatology")  # not arrived: not offered
    add_entry(db, a, patient, waited=30, status="called", department="Neurology")  # nobody waiting there
    options = waitlist_queue.call_options(db, who)
    assert [(d.department, d.waiting) for d in options.departments] == [("Cardiology", 6), ("Radiology", 2)]
    assert options.next_department == "Radiology"
    called = waitlist_commands.call_next(db, who, hospital_id=a, department=options.next_department, values=VALUES)
    assert called.department == "Radiology" and called.priority == "urgent"
    # The network's administrator picks a hospital: only that hospital's queue is offered.
    b_options = waitlist_queue.call_options(db, two["admin"], hospital_id=two["b"])
    assert ([(d.department, d.waiting) for d in b_options.departments], b_options.next_department) == (
        [("Oncology", 1)],
        "Oncology",
    )
    assert waitlist_queue.call_options(db, who, hospital_id=two["b"]).departments == []  # scope still applies
    quiet = actor(UserRole.HOSPITAL_ADMIN, add_hospital(db, "Quiet Hospital"), "quiet")
    assert waitlist_queue.call_options(db, quiet) == waitlist_queue.CallOptions([], None)
