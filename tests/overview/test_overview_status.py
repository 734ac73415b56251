"""The Overview says one thing per screen: no all-clear beside a card that needs attention.

Seen in use: "Patients waiting: Needs attention, 1 past target" above a green "Nothing in this scope
breaches a threshold right now", for a role that may not open the Waitlist (so the panel had no
patient's line to show). Each role that opens the Overview is checked with a patient past target.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import HospitalResource, PatientWaitlist
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, shown, sign_in

network = two_hospitals.network
app_env = two_hospitals.app_env

ALL_CLEAR = "Nothing in this scope breaches a threshold right now."
ACCOUNTS = {
    UserRole.ADMIN: "admin",
    UserRole.HOSPITAL_ADMIN: "ha_a",
    UserRole.EXECUTIVE: "exec_a",
    UserRole.COMPLIANCE_OFFICER: "comp_a",
}


@pytest.fixture(scope="module")
def patient_past_target(app_env, engine):
    """An urgent patient who arrived three hours ago and is still waiting, in hospital A.

    Hospital A also gets a fresh, half-free ward, so nothing else in its scope breaches a threshold
    (no stale or missing bed count): the waiting patient is the one thing that needs attention.
    """
    with Session(engine) as session, session.begin():
        ward = HospitalResource(hospital_id=app_env.hospital_a, name="Status ward", category="beds",
                                total_quantity=10, available_quantity=5, in_use_quantity=5)  # fmt: skip
        session.add(ward)
        entry = PatientWaitlist(
            hospital_id=app_env.hospital_a,
            patient_id=app_env.users["patient"],
            department="Status check",
            reason="chest pain",
            priority="urgent",
            created_at=datetime.now(UTC) - timedelta(hours=3),
        )
        session.add(entry)
        session.flush()
        entry_id, ward_id = entry.id, ward.id
    data.clear_cache()
    yield entry_id
    with Session(engine) as session, session.begin():
        session.query(PatientWaitlist).filter(PatientWaitlist.id == entry_id).delete()
        session.query(HospitalResource).filter(HospitalResource.id == ward_id).delete()
    data.clear_cache()


def _overview(engine, app_env, label: str) -> AppTest:
    at = page_app("overview.py", timeout=60)
    at.session_state[TOKEN_KEY] = sign_in(engine, app_env.emails[label])
    return at.run()


@pytest.mark.parametrize("role", [r for r in ACCOUNTS if r is not UserRole.ADMIN])
def test_a_card_needing_attention_is_never_beside_an_all_clear(engine, app_env, patient_past_target, role):
    at = _overview(engine, app_env, ACCOUNTS[role])
    assert not at.exception
    waiting = next(m for m in at.metric if m.label == "Patients waiting")
    assert int(waiting.value) >= 1
    panel = " ".join(m.value for m in at.markdown)
    assert "past target" in " ".join(c.value for c in at.caption)
    assert ALL_CLEAR not in [shown(s.value) for s in at.success], f"{role}: all-clear beside a patient past target"
    assert "**Needs attention**" in panel  # the panel's title, with a line for the waiting patient(s)
