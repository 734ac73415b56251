"""Issue 19 point 6 through the app: a 100,000-character `?hospital=` link is recorded, bounded, once."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.platform import audit
from dashboard.shell.gate import TOKEN_KEY
from db.models import AuditLog
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import APP_FILE, PASSWORD

network = two_hospitals.network
app_env = two_hospitals.app_env


def signed_in(email: str) -> AppTest:
    at = AppTest.from_file(APP_FILE, default_timeout=30).run()
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert at.session_state[TOKEN_KEY], [e.value for e in at.error]
    return at


def test_a_huge_hospital_link_is_refused_and_recorded_cut_to_size(app_env, engine, caplog):
    at = signed_in(app_env.emails["ha_a"])  # a hospital administrator: another hospital's link is refused, audited
    at.query_params["hospital"] = "h" * 100_000
    with caplog.at_level(logging.WARNING):
        at.run()
    assert not at.exception
    assert any("This link named another hospital" in w.value for w in at.warning)
    with Session(engine) as session:
        rows = session.scalars(
            select(AuditLog).where(AuditLog.user_id == app_env.users["ha_a"], AuditLog.action_type == "scope_violation")
        ).all()
        longest = session.scalar(select(func.max(func.length(AuditLog.resource_id))))
    (row,) = [r for r in rows if r.resource_id.startswith("hhh")]
    assert len(row.resource_id) <= audit.MAX_ID_CHARS and "100,000 characters" in row.resource_id
    assert longest <= audit.MAX_ID_CHARS
    assert all(len(r.getMessage()) <= audit.MAX_LOG_CHARS for r in caplog.records)
    assert any("100,000 characters" in r.getMessage() for r in caplog.records)
