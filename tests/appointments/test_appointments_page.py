"""AppTest of the Appointments page: book through the form, be refused the same slot, see it in the day.

The shell's two-hospital network has one physician in hospital A; booking tomorrow at 16:30 (a
slot the shell's fixtures leave free) tells the patient in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import Appointment, ConsultationRoom, ConsultationSession, Notification, Profile
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, shown, sign_in

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env
LAGOS = ZoneInfo("Africa/Lagos")


@pytest.fixture(scope="module")
def tokens(app_env, engine):
    data.clear_cache()
    labels = {UserRole.HOSPITAL_ADMIN: "ha_a", UserRole.EXECUTIVE: "exec_a", UserRole.COMPLIANCE_OFFICER: "comp_a"}
    return {role: sign_in(engine, app_env.emails[label]) for role, label in labels.items()}


def page(token: str) -> AppTest:
    at = page_app("appointments.py", timeout=30)
    at.session_state[TOKEN_KEY] = token
    return at.run()


def _book(at: AppTest, search: str, day, time: str) -> AppTest:
    at.text_input(key="appointments_patient_0_search").input(search).run()
    at.date_input(key="appointments_date_0").set_value(day).run()
    time_box = next(s for s in at.selectbox if s.key.startswith("appointments_time_"))
    time_box.set_value(time).run()
    at.button(key="appointments_book").click().run()
    return at


def test_book_through_the_form_then_the_same_slot_is_refused(tokens, app_env, engine):
    tomorrow = datetime.now(LAGOS).date() + timedelta(days=1)
    patient_email = app_env.emails["patient"]
    at = _book(page(tokens[UserRole.HOSPITAL_ADMIN]), patient_email, tomorrow, "16:30")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("The patient has been told" in shown(s.value) for s in at.success)
    with Session(engine) as session:
        physician = session.scalars(select(Profile.id).where(Profile.user_id == app_env.users["physician_a"])).one()
        booked = session.scalars(
            select(Appointment).where(Appointment.physician_id == physician, Appointment.appointment_time == "16:30")
        ).all()
        told = session.scalars(
            select(Notification).where(Notification.user_id == app_env.users["patient"])
        ).all()
    try:
        assert len(booked) == 1 and booked[0].hospital_id == app_env.hospital_a
        assert any("16:30" in (n.message or "") for n in told)
        # The same physician, day and time again: one plain sentence, nothing written.
        again = _book(page(tokens[UserRole.HOSPITAL_ADMIN]), patient_email, tomorrow, "16:30")
        assert any("already has an appointment at 16:30" in shown(e.value) for e in again.error), [
            e.value for e in again.error
        ]
        with Session(engine) as session:
            slot = (Appointment.physician_id == physician, Appointment.appointment_time == "16:30")
            assert len(session.scalars(select(Appointment.id).where(*slot)).all()) == 1
    finally:
        with Session(engine) as session, session.begin():
            ids = [b.id for b in booked]
            session.execute(delete(Notification).where(Notification.user_id == app_env.users["patient"]))
            of_these = ConsultationSession.appointment_id.in_(ids)
            sessions = list(session.scalars(select(ConsultationSession.id).where(of_these)))
            session.execute(delete(ConsultationRoom).where(ConsultationRoom.session_id.in_(sessions)))
            session.execute(delete(ConsultationSession).where(ConsultationSession.appointment_id.in_(ids)))
            session.execute(delete(Appointment).where(Appointment.id.in_(ids)))
        data.clear_cache()


def test_executives_read_the_page_without_forms_and_compliance_cannot_open_it(tokens):
    reader = page(tokens[UserRole.EXECUTIVE])
    assert not reader.exception and [t.value for t in reader.title] == ["Appointments"]
    assert not any("Book an appointment" in e.label for e in reader.expander)
    assert reader.get("plotly_chart")  # the day's grid at least
    refused = page(tokens[UserRole.COMPLIANCE_OFFICER])
    assert not refused.title and any("cannot open the Appointments page" in shown(e.value) for e in refused.error)


def test_the_cards_count_the_same_appointments_as_the_list_beside_them(tokens, app_env, engine):
    # Hospital A holds two appointments today (the shell's); add three 10 days back, one of each outcome,
    # and one 20 days ahead: the page opens on the last 30 days and the next 60, cards and list alike.
    today = datetime.now(LAGOS).date()
    added = []
    with Session(engine) as session, session.begin():
        physician = session.scalars(select(Profile.id).where(Profile.user_id == app_env.users["physician_a"])).one()
        for day, hhmm, status in ((today - timedelta(days=10), "09:00", "cancelled"),
                                  (today - timedelta(days=10), "09:30", "no_show"),
                                  (today - timedelta(days=10), "10:00", "completed"),
                                  (today + timedelta(days=20), "11:00", "pending")):  # fmt: skip
            appointment = Appointment(
                patient_id=app_env.users["patient"], physician_id=physician, hospital_id=app_env.hospital_a,
                appointment_date=datetime(day.year, day.month, day.day, 12, tzinfo=LAGOS), appointment_time=hhmm,
                status=status,
            )  # fmt: skip
            session.add(appointment)
            session.flush()
            added.append(appointment.id)
    data.clear_cache()
    try:
        at = page(tokens[UserRole.EXECUTIVE])
        assert not at.exception and not at.error, [e.value for e in at.error]
        cards = {m.label: m.value for m in at.metric}
        # 6 appointments, 1 cancelled; 1 no-show of the 2 with an outcome. (The month alone read 0.0%
        # cancelled whenever the cancellation fell in last month, and the count left the coming one out.)
        assert cards["Appointments"] == "6"
        assert cards["Cancellation rate"] == "16.7%" and cards["No-show rate"] == "50.0%"
        captions = " ".join(c.value for c in at.caption)
        shown = f"{today - timedelta(days=29):%-d %b %Y} – {today + timedelta(days=60):%-d %b %Y}"
        assert f"Appointments dated {shown}" in captions and "the same appointments as the list below" in captions
        assert "Upcoming appointments first" in captions
        listed = next(t.value for t in at.dataframe if "Patient" in t.value.columns)
        assert len(listed) == 6
        assert listed["Date"].iloc[0] in (f"{today:%-d %b %Y}", f"{today + timedelta(days=20):%-d %b %Y}")
        assert listed["Date"].iloc[-1] == f"{today - timedelta(days=10):%-d %b %Y}"  # the oldest last
        # The range alone: the coming appointment leaves the cards and the list together.
        at.toggle(key="appointments_upcoming").set_value(False).run()
        cards = {m.label: m.value for m in at.metric}
        assert cards["Appointments"] == "5" and cards["Cancellation rate"] == "20.0%"
        assert len(next(t.value for t in at.dataframe if "Patient" in t.value.columns)) == 5
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(Appointment).where(Appointment.id.in_(added)))
        data.clear_cache()
