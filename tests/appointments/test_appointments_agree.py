"""Appointments' cards agree with the list beside them, and the list opens at the next appointment.

The page's cards read `appointment_figures.figures` over the same range as its list (`list_appointments`,
exported whole by `export_appointments`). Here appointments of every status, past and upcoming, at
both clinics and at no hospital, are counted from the list's own rows and must equal the cards'
figures, for every scope and for ranges that cut months. Before issue 18 the rate cards were the
range's last month only, beside a list of the whole range.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from dashboard.domains.appointments import appointment_figures
from dashboard.domains.appointments.appointment_list import export_appointments, list_appointments
from dashboard.platform.dates import LAGOS
from tests.fixtures import two_clinics
from tests.fixtures.two_clinics import add_appointment

clinic = two_clinics.clinic
TODAY = datetime.now(LAGOS).date()

# (hospital, days from today, time, physician, patient, status, consultation type). Times on distinct
# physician slots; past days only for outcomes a past appointment can have, future days open or cancelled.
AROUND_NOW = [
    ("a", -40, "09:00", "dr_ada", "amaka", "completed", "in_person"),
    ("a", -33, "10:00", "dr_bola", "tunde", "no_show", "virtual"),
    ("a", -20, "09:00", "dr_ada", "ngozi", "cancelled", "in_person"),
    ("a", -12, "11:00", "dr_ada", "tunde", "completed", "virtual"),
    ("a", -12, "11:00", "dr_bola", "amaka", "no_show", "in_person"),
    ("a", -5, "08:30", "dr_bola", "ngozi", "completed", "in_person"),
    ("a", -1, "16:00", "dr_ada", "amaka", "cancelled", "virtual"),
    ("a", 1, "09:00", "dr_ada", "tunde", "pending", "in_person"),
    ("a", 3, "10:30", "dr_bola", "ngozi", "confirmed", "virtual"),
    ("a", 8, "08:00", "dr_ada", "amaka", "cancelled", "in_person"),
    ("a", 25, "14:00", "dr_bola", "tunde", "pending", "in_person"),
    ("b", -30, "09:00", "dr_hauwa", "fatima", "no_show", "in_person"),
    ("b", -2, "13:00", "dr_hauwa", "fatima", "completed", "virtual"),
    ("b", 2, "09:00", "dr_hauwa", "amaka", "pending", "in_person"),
    (None, -3, "18:15", "dr_bola", "fatima", "completed", "virtual"),  # another client's, no hospital
    (None, 4, "19:00", "dr_hauwa", "ngozi", "confirmed", "virtual"),
]


@pytest.fixture
def around_now(db_session, clinic):
    made = {}
    for where, days, hhmm, physician, patient, status, kind in AROUND_NOW:
        made[(where, days, physician)] = add_appointment(
            db_session, clinic, where, TODAY + timedelta(days=days), hhmm, physician, patient,
            status=status, consultation_type=kind,
        )  # fmt: skip
    return made


RANGES = [
    (TODAY - timedelta(days=29), TODAY),  # the sidebar's default
    (TODAY - timedelta(days=29), TODAY + timedelta(days=60)),  # with the next 60 days, as the page opens
    (TODAY - timedelta(days=45), TODAY - timedelta(days=6)),
    (TODAY + timedelta(days=1), TODAY + timedelta(days=30)),
    (TODAY - timedelta(days=365), TODAY + timedelta(days=365)),
]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@pytest.mark.parametrize("who", ["admin", "ha_a", "ha_b", "exec_a"])
def test_the_cards_are_counts_over_the_lists_rows_for_the_same_range_and_scope(db_session, clinic, around_now, who):
    actor = clinic.actor(who)
    for start, end in RANGES:
        rows, truncated = export_appointments(db_session, actor, start=start, end=end)
        listed = list_appointments(db_session, actor, start=start, end=end, page_size=10)
        assert not truncated and listed.total == len(rows)
        status = [r.status for r in rows]
        figures = appointment_figures.figures(db_session, actor, start=start, end=end)
        totals, share = figures.totals, figures.share
        assert totals.appointments == len(rows), (who, start, end)
        assert (totals.cancelled, totals.completed, totals.no_show) == (
            status.count("cancelled"), status.count("completed"), status.count("no_show"),
        )  # fmt: skip
        assert totals.cancellation_rate == _share(status.count("cancelled"), len(rows))
        outcomes = status.count("completed") + status.count("no_show")
        assert totals.no_show_rate == _share(status.count("no_show"), outcomes)
        kept = [r for r in rows if r.status != "cancelled"]
        assert (share.virtual, share.total) == (sum(r.virtual for r in kept), len(kept))
        # The per-day chart and the months are the same appointments, day by day.
        assert sum(d.total for d in figures.per_day) == len(rows)
        assert sum(m.appointments for m in figures.monthly) == len(rows)
        for day in figures.per_day:
            on_day = [r.status for r in rows if r.day == day.day]
            assert (day.total, day.cancelled, day.no_show) == (
                len(on_day), on_day.count("cancelled"), on_day.count("no_show"),
            ), (who, day.day)  # fmt: skip


def test_the_figures_by_hand_for_the_page_as_it_opens(db_session, clinic, around_now):
    # Hospital A, the last 30 days and the next 60: 9 appointments (those 33 and 40 days back are out),
    # 3 cancelled; of the past ones 2 completed and 1 no-show.
    totals = appointment_figures.figures(
        db_session, clinic.actor("ha_a"), start=TODAY - timedelta(days=29), end=TODAY + timedelta(days=60)
    ).totals
    assert (totals.appointments, totals.cancelled, totals.completed, totals.no_show) == (9, 3, 2, 1)
    assert totals.cancellation_rate == pytest.approx(3 / 9) and totals.no_show_rate == pytest.approx(1 / 3)


def _order(rows) -> list[tuple[date, str]]:
    return [(r.day, r.time) for r in rows]


def test_the_list_opens_at_the_next_appointment_then_the_past_latest_first(db_session, clinic, around_now):
    actor = clinic.actor("ha_a")
    start, end = TODAY - timedelta(days=29), TODAY + timedelta(days=60)
    first = list_appointments(db_session, actor, start=start, end=end, page_size=3)
    assert _order(first.rows) == [
        (TODAY + timedelta(days=1), "09:00"),
        (TODAY + timedelta(days=3), "10:30"),
        (TODAY + timedelta(days=8), "08:00"),
    ]
    whole = list_appointments(db_session, actor, start=start, end=end, page_size=50)
    assert _order(whole.rows) == [
        (TODAY + timedelta(days=d), t)
        for d, t in [(1, "09:00"), (3, "10:30"), (8, "08:00"), (25, "14:00"), (-1, "16:00"), (-5, "08:30"),
                     (-12, "11:00"), (-12, "11:00"), (-20, "09:00")]
    ]  # fmt: skip
    assert [r.physician_name for r in whole.rows[6:8]] == ["Ada Obi", "Bola Ade"]  # a level slot: by name
    # Paged in SQL page by page, searched or not, and exported: the same order.
    paged = []
    for number in (1, 2, 3, 4, 5):
        paged += list_appointments(db_session, actor, start=start, end=end, page=number, page_size=2).rows
    assert paged == whole.rows
    searched = list_appointments(db_session, actor, start=start, end=end, search="ngozi", page_size=50)
    assert searched.rows == [r for r in whole.rows if r.patient_name.startswith("Ngozi")]
    exported, _ = export_appointments(db_session, actor, start=start, end=end)
    assert exported == whole.rows


def test_an_appointment_earlier_today_is_past_and_a_later_one_upcoming(db_session, clinic):
    now = datetime.now(LAGOS)
    if not (now.hour >= 1 and now.hour <= 22):
        pytest.skip("needs an hour of today on each side of now")
    before, after = f"{now.hour - 1:02d}:00", f"{now.hour + 1:02d}:00"
    add_appointment(db_session, clinic, "a", TODAY, before, "dr_ada", "amaka", status="completed")
    add_appointment(db_session, clinic, "a", TODAY, after, "dr_bola", "tunde")
    add_appointment(db_session, clinic, "a", TODAY - timedelta(days=1), "08:00", "dr_ada", "ngozi")
    rows = list_appointments(db_session, clinic.actor("ha_a"), start=TODAY - timedelta(days=1), end=TODAY)
    assert _order(rows.rows) == [(TODAY, after), (TODAY, before), (TODAY - timedelta(days=1), "08:00")]
