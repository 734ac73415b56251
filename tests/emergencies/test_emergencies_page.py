"""AppTest of the Emergencies page, as each role: the desk refers, the receiving hospital answers.

The two-hospital network of shell_fixtures gains coordinates (Alpha in Ibadan, Beta in Abeokuta),
ICU beds at Beta and one located critical emergency at Alpha, for this module only. The referral
made through the desk's form is answered through Beta's page; each step is checked in the database.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.models import AmbulanceRequest, AuditLog, EmergencyRequest, Hospital, HospitalResource
from db.models.emergency import Referral
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, shown, sign_in

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env

ACCOUNTS = ("admin", "ha_a", "ha_b", "exec_a", "exec_net", "comp_a")


@pytest.fixture(scope="module")
def dispatch(app_env, engine):
    with Session(engine) as session, session.begin():
        for hospital, lat, lon in ((app_env.hospital_a, "7.3775", "3.9470"), (app_env.hospital_b, "7.1475", "3.3619")):
            session.execute(update(Hospital).where(Hospital.id == hospital)
                            .values(latitude=Decimal(lat), longitude=Decimal(lon)))  # fmt: skip
        beds = HospitalResource(hospital_id=app_env.hospital_b, name="ICU beds", category="beds", total_quantity=5,
                                available_quantity=3, in_use_quantity=2)  # fmt: skip
        emergency = EmergencyRequest(patient_id=app_env.users["patient"], emergency_type="cardiac",
                                     severity="critical", hospital_id=app_env.hospital_a,
                                     location_latitude=Decimal("7.3000"),
                                     location_longitude=Decimal("3.9000"))  # fmt: skip
        session.add_all([beds, emergency])
        session.flush()
        ids = {"emergency": emergency.id, "beds": beds.id}
    data.clear_cache()
    yield ids
    with Session(engine) as session, session.begin():
        ambulances = session.scalars(select(Referral.ambulance_request_id).where(
            Referral.emergency_request_id == ids["emergency"])).all()  # fmt: skip
        session.execute(delete(Referral).where(Referral.emergency_request_id == ids["emergency"]))
        session.execute(delete(AmbulanceRequest).where(AmbulanceRequest.id.in_([a for a in ambulances if a])))
        session.execute(delete(EmergencyRequest).where(EmergencyRequest.id == ids["emergency"]))
        session.execute(delete(HospitalResource).where(HospitalResource.id == ids["beds"]))
        session.execute(update(Hospital).where(Hospital.id.in_([app_env.hospital_a, app_env.hospital_b]))
                        .values(latitude=None, longitude=None))  # fmt: skip
    data.clear_cache()


@pytest.fixture(scope="module")
def tokens(app_env, engine, dispatch):
    return {label: sign_in(engine, app_env.emails[label]) for label in ACCOUNTS}


def page(token: str) -> AppTest:
    at = page_app("emergencies.py", timeout=30)
    at.session_state[TOKEN_KEY] = token
    return at.run()


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_the_desk_sees_the_map_and_refers_to_the_nearest_hospital_that_accepts(tokens, dispatch, engine, app_env):
    at = page(tokens["admin"])
    assert not at.exception, at.exception
    decks = at.get("deck_gl_json_chart")
    assert decks
    spec = json.loads(decks[0].proto.json)
    assert spec["mapStyle"] == "__MAP_STYLE__"  # no basemap fetched
    assert {"nigeria-outline", "state-capitals", "hospitals", "emergencies"} <= {
        layer["id"] for layer in spec["layers"]
    }
    at.selectbox(key="emergencies_pick").set_value(dispatch["emergency"]).run()
    nearest = next(d.value for d in at.dataframe if "Distance" in d.value.columns)
    assert nearest["Hospital"].iloc[0] == two_hospitals.BETA  # the only one with an ICU bed and a location
    assert nearest["Free ICU beds"].iloc[0] == "3"
    at.button(key=next(k for k in (b.key for b in at.button) if k and "FormSubmitter" in k and "refer" in k)).click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Referred" in shown(s.value) for s in at.success)
    with Session(engine) as session:
        referral = session.scalars(select(Referral).where(Referral.emergency_request_id == dispatch["emergency"])).one()
        assert (referral.status, referral.to_hospital_id) == ("pending", app_env.hospital_b)
        assert (
            session.scalar(select(AuditLog.action_type).where(AuditLog.resource_id == referral.id)) == "referral_made"
        )


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _table(at: AppTest, *columns: str):
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _waiting(statuses) -> int:
    return sum(1 for s in statuses if s.startswith(("Waiting", "Not answered")))


def test_while_a_referral_waits_each_hospital_counts_the_referrals_its_inbox_shows(tokens, dispatch):
    # Alpha sent it and has nothing to answer: its card used to count it (1) beside an empty inbox.
    alpha = page(tokens["ha_a"])
    assert not alpha.exception, alpha.exception
    assert _metric(alpha, "Referrals awaiting an answer") == "0"
    assert not [b for b in alpha.button if b.label == "Accept"]
    beta = page(tokens["ha_b"])
    assert _metric(beta, "Referrals awaiting an answer") == "1"
    assert len([b for b in beta.button if b.label == "Accept"]) == 1
    desk = page(tokens["admin"])
    desk.selectbox(key="emergencies_pick").set_value(dispatch["emergency"]).run()
    table = _table(desk, "To", "Status", "Ambulance ETA")
    history = _table(desk, "Hospital", "Status", "Reason declined")
    assert _metric(desk, "Referrals awaiting an answer") == str(_waiting(table["Status"])) == "1"
    assert list(history["Status"]) == [s for s in table["Status"] if s.startswith("Waiting")]
    assert "Withdraw the waiting referral" in _buttons(desk)
    # One definition of "open": the card is the open list's count.
    assert _metric(desk, "Open emergencies") == str(len(_table(desk, "Severity", "Waiting", "Referral")))


def test_the_receiving_hospital_declines_only_with_a_reason_then_accepts(tokens, dispatch, engine, app_env):
    with Session(engine) as session:
        referral = session.scalars(select(Referral).where(Referral.emergency_request_id == dispatch["emergency"])).one()
    at = page(tokens["ha_b"])
    assert not at.exception, at.exception
    assert f"Referrals to {two_hospitals.BETA}" in [s.value for s in at.subheader]
    at.button(key=f"emergencies_decline_{referral.id}").click().run()
    assert any("Say why the referral is declined" in shown(e.value) for e in at.error)
    with Session(engine) as session:
        assert session.get(Referral, referral.id).status == "pending"  # nothing written
    at.button(key=f"emergencies_accept_{referral.id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        accepted = session.get(Referral, referral.id)
        assert accepted.status == "accepted" and accepted.answered_at is not None
        assert session.get(EmergencyRequest, dispatch["emergency"]).hospital_id == app_env.hospital_b
    # Alpha's administrator cannot answer it: the inbox is Beta's alone.
    other = page(tokens["ha_a"])
    assert not other.exception
    assert f"emergencies_accept_{referral.id}" not in [b.key for b in other.button]


def test_readers_get_no_commands_and_compliance_is_turned_away(tokens):
    for label in ("exec_a", "exec_net"):
        at = page(tokens[label])
        assert not at.exception, (label, at.exception)
        assert at.get("deck_gl_json_chart")
        assert not [b for b in _buttons(at) if b in ("Send referral", "Accept", "Decline", "Save")], label
    compliance = page(tokens["comp_a"])
    assert not compliance.title and any("cannot open the Emergencies page" in e.value for e in compliance.error)


def test_a_hospital_admin_sees_its_own_emergencies_and_the_one_it_handed_over(tokens, app_env):
    at = page(tokens["ha_a"])
    assert not at.exception
    rows = next(d.value for d in at.dataframe if "Severity" in d.value.columns)
    # Alpha's two from the shell, and the one referred to Beta (now Beta's, read through the referral);
    # none of Beta's own three.
    assert len(rows) == 3
    beta = rows[rows["Hospital"] == two_hospitals.BETA]
    assert list(beta["Referral"]) == [f"Accepted · {two_hospitals.BETA}"]
    assert "Dispatch" not in [s.value for s in at.subheader]  # the desk's panel is network-wide only


def test_after_the_accept_every_panel_of_the_page_says_accepted(tokens, dispatch):
    desk = page(tokens["admin"])
    desk.selectbox(key="emergencies_pick").set_value(dispatch["emergency"]).run()
    assert not desk.exception, desk.exception
    table = _table(desk, "To", "Status", "Ambulance ETA")
    history = _table(desk, "Hospital", "Status", "Reason declined")
    assert list(table["Status"]) == list(history["Status"]) == ["Accepted"]
    assert "Withdraw the waiting referral" not in _buttons(desk)
    assert _metric(desk, "Referrals awaiting an answer") == str(_waiting(table["Status"])) == "0"
    assert f"Accepted · {two_hospitals.BETA}" in list(_table(desk, "Severity", "Waiting", "Referral")["Referral"])
    # Accepted: said before the form, which now asks why before referring again.
    assert any(f"{two_hospitals.BETA} accepted this patient at" in shown(w.value) for w in desk.warning)
    assert "Refer again" in _buttons(desk)
    beta = page(tokens["ha_b"])
    assert _metric(beta, "Referrals awaiting an answer") == "0" and "Accept" not in _buttons(beta)
    assert list(_table(beta, "Patient", "Status", "Ambulance ETA")["Status"]) == ["Accepted"]
    assert "Ambulance dispatched" in _buttons(beta)


def test_a_dispatched_emergency_is_referred_again_only_with_a_reason(tokens, dispatch, engine, app_env):
    with Session(engine) as session:
        referral = session.scalars(select(Referral).where(Referral.emergency_request_id == dispatch["emergency"])).one()
    beta = page(tokens["ha_b"])
    beta.button(key=f"emergencies_inbox_dispatch_{referral.id}").click().run()
    assert not beta.exception and not beta.error, [e.value for e in beta.error]
    desk = page(tokens["admin"])
    desk.selectbox(key="emergencies_pick").set_value(dispatch["emergency"]).run()
    assert any(shown(w.value).startswith(f"Ambulance dispatched to {two_hospitals.BETA} at ") for w in desk.warning)
    assert list(_table(desk, "Hospital", "Status", "Reason declined")["Status"]) == ["Dispatched"]
    refer = next(k for k in (b.key for b in desk.button) if k and "FormSubmitter" in k and "refer" in k)
    desk.button(key=refer).click().run()  # no reason given; Alpha is the only other hospital
    assert any("say why" in shown(e.value) for e in desk.error), [e.value for e in desk.error]
    with Session(engine) as session:
        assert session.get(Referral, referral.id).status == "dispatched"  # nothing written
