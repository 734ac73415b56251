"""The Overview's appointment comparison: month to date against the same days of last month."""

from __future__ import annotations

from datetime import date, datetime, time

from dashboard.domains.overview import overview
from dashboard.domains.overview.overview import LAGOS
from dashboard.platform.actors import Actor
from db.base import UserRole
from db.models import Appointment, User
from tests.fixtures import two_hospitals

network = two_hospitals.network


def _book(db, network, day: date, status: str = "confirmed") -> None:
    physician = db.get(User, network.users["physician_a"]).profile
    db.add(
        Appointment(
            patient_id=network.users["patient"],
            physician_id=physician.id,
            hospital_id=network.hospital_a,
            appointment_date=datetime.combine(day, time(10), tzinfo=LAGOS),
            appointment_time="10:00",
            status=status,
        )
    )
    db.flush()


def test_month_to_date_is_compared_with_the_same_days_of_last_month(db_session, network):
    for day in (
        date(2025, 2, 3),  # last month, within the first 10 days: compared
        date(2025, 2, 10),  # last month, day 10: compared
        date(2025, 2, 11),  # last month, after day 10: not compared
        date(2025, 3, 1),  # this month
        date(2025, 3, 10),  # today
        date(2025, 3, 11),  # booked for tomorrow: not yet this month's to date
    ):
        _book(db_session, network, day)
    _book(db_session, network, date(2025, 3, 2), status="cancelled")
    actor = Actor(network.users["ha_a"], UserRole.HOSPITAL_ADMIN, network.hospital_a)
    counts = overview.overview_counts(db_session, actor, today=date(2025, 3, 10))
    assert (counts.appointments_this_month, counts.appointments_last_month) == (2, 2)


def test_a_long_month_is_compared_with_all_of_a_short_one(db_session, network):
    for day in (date(2025, 2, 28), date(2025, 3, 31)):
        _book(db_session, network, day)
    actor = Actor(network.users["ha_a"], UserRole.HOSPITAL_ADMIN, network.hospital_a)
    counts = overview.overview_counts(db_session, actor, today=date(2025, 3, 31))
    assert (counts.appointments_this_month, counts.appointments_last_month) == (1, 1)
