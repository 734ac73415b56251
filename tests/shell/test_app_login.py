"""AppTest: signing in and out, wrong passwords, throttling, the 72-byte case, timeouts, deactivation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.domains.people import sessions, sign_in, staff
from dashboard.platform.actors import Actor
from dashboard.shell.gate import DEVICE_KEY, TOKEN_KEY
from db.base import UserRole
from db.models import AuditLog, AuthSession, LoginThrottle
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import ALPHA, APP_FILE, PASSWORD, add_user, age_session, shown

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

# Fixtures shared with the other shell tests.
network = two_hospitals.network
app_env = two_hospitals.app_env

GENERIC = sign_in.GENERIC_FAILURE


def new_app() -> AppTest:
    return AppTest.from_file(APP_FILE, default_timeout=30)


def submit_login(at: AppTest, email: str, password: str) -> AppTest:
    if not at.text_input:
        at.run()
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    return at


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def sidebar_text(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.sidebar.markdown, *at.sidebar.caption])


def test_signed_out_visitor_sees_only_the_login_form(app_env):
    at = new_app().run()
    assert titles(at) == ["Sign in"]
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert not at.metric and not at.dataframe


def test_login_success_shows_overview_with_name_role_and_scope(app_env):
    at = submit_login(new_app(), app_env.emails["ha_a"], PASSWORD)
    assert titles(at) == ["Overview"]
    text = sidebar_text(at)
    assert "Hospital administrator" in text and ALPHA in text and "Beta" not in text
    assert any(b.label == "Log out" for b in at.sidebar.button)
    assert at.session_state[TOKEN_KEY]


def test_wrong_password_and_unknown_email_get_the_same_message(app_env):
    wrong = submit_login(new_app(), app_env.emails["exec_net"], "not-the-password")
    unknown = submit_login(new_app(), "nobody.here@test.healthdash.ng", "not-the-password")
    assert errors(wrong) == [GENERIC]
    assert errors(unknown) == [GENERIC]
    assert titles(wrong) == titles(unknown) == ["Sign in"]


def test_password_over_72_bytes_fails_like_a_wrong_password(app_env):
    long_password = PASSWORD + "é" * 40  # 16 + 80 bytes: bcrypt would silently truncate it
    at = submit_login(new_app(), app_env.emails["comp_a"], long_password)
    assert errors(at) == [GENERIC]
    assert titles(at) == ["Sign in"]


def test_patient_physician_and_agent_get_one_answer_for_right_and_wrong_passwords(app_env):
    for label in ("patient", "physician_a", "agent"):
        right = submit_login(new_app(), app_env.emails[label], PASSWORD)
        wrong = submit_login(new_app(), app_env.emails[label], "not-the-password")
        assert titles(right) == titles(wrong) == ["Sign in"]
        assert errors(right) == errors(wrong) == [GENERIC]
        assert "Patient, physician and agent accounts cannot sign in here" in GENERIC


def test_failures_hold_up_new_tabs_but_not_the_browser_that_signed_in_before(app_env, engine):
    email = add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix="throttle")
    owner = submit_login(new_app(), email, PASSWORD)
    assert titles(owner) == ["Overview"] and owner.session_state[DEVICE_KEY]
    next(b for b in owner.sidebar.button if b.label == "Log out").click().run()
    assert DEVICE_KEY in owner.session_state  # signing out does not make the browser a stranger

    attacker = new_app()
    for _ in range(4):
        submit_login(attacker, email, "wrong-password")
        assert errors(attacker) == [GENERIC]
    submit_login(attacker, email, "wrong-password")
    (held,) = errors(attacker)
    assert held.startswith("Too many failed sign-ins for this email") and "try again in 2 seconds" in held
    # The count is in the database: a brand-new tab is held up too (the wait made longer, as if more
    # guesses had come from elsewhere, so that the test does not race the clock).
    with engine.begin() as conn:
        conn.execute(
            update(LoginThrottle)
            .where(LoginThrottle.email == email)
            .values(locked_until=func.now() + text("interval '5 minutes'"))
        )
    fresh = submit_login(new_app(), email, PASSWORD)
    assert titles(fresh) == ["Sign in"] and "try again in 5 minutes" in errors(fresh)[0]
    # The owner's browser is not: their sign-in works at once, and the count starts again.
    submit_login(owner, email, PASSWORD)
    assert titles(owner) == ["Overview"], errors(owner)
    with Session(engine) as session:
        kinds = session.scalars(select(AuditLog.action_type).where(AuditLog.new_values["email"].astext == email)).all()
        assert session.get(LoginThrottle, email).recent_failures == []
    assert kinds.count("login_failed") == 5 and "login_throttled" in kinds and kinds.count("login_succeeded") == 2


def test_idle_timeout_signs_out_and_clears_session_state(app_env, engine):
    at = submit_login(new_app(), app_env.emails["exec_a"], PASSWORD)
    assert titles(at) == ["Overview"]
    token = at.session_state[TOKEN_KEY]
    at.session_state["scratch"] = "left by a page"
    age_session(engine, token, idle=timedelta(minutes=16))
    at.run()
    assert titles(at) == ["Sign in"]
    assert "15 minutes without activity" in at.info[0].value
    assert TOKEN_KEY not in at.session_state and "scratch" not in at.session_state
    with Session(engine) as session:
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == sessions.hash_token(token)))
    assert row.revoked_reason == "idle_timeout"


def test_absolute_timeout_signs_out(app_env, engine):
    at = submit_login(new_app(), app_env.emails["exec_a"], PASSWORD)
    age_session(engine, at.session_state[TOKEN_KEY], expire=True)
    at.run()
    assert titles(at) == ["Sign in"]
    assert "longest allowed" in at.info[0].value


def test_log_out_revokes_the_session_and_clears_state(app_env, engine):
    at = submit_login(new_app(), app_env.emails["comp_a"], PASSWORD)
    token = at.session_state[TOKEN_KEY]
    next(b for b in at.sidebar.button if b.label == "Log out").click().run()
    assert titles(at) == ["Sign in"]
    assert shown(at.info[0].value) == "You are signed out."
    assert TOKEN_KEY not in at.session_state
    with Session(engine) as session:
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == sessions.hash_token(token)))
    assert row.revoked_reason == "logout"
    # The same token in a new session (a stolen or stale cookie) is refused.
    stale = new_app()
    stale.session_state[TOKEN_KEY] = token
    stale.run()
    assert titles(stale) == ["Sign in"]


def test_deactivation_and_role_change_take_effect_on_the_next_click(app_env, engine):
    email = add_user(engine, app_env, UserRole.COMPLIANCE_OFFICER, app_env.hospital_a, prefix="changing")
    at = submit_login(new_app(), email, PASSWORD)
    assert "Compliance officer" in sidebar_text(at)
    admin = Actor(user_id=app_env.users["admin"], role=UserRole.ADMIN, hospital_id=None)
    with Session(engine) as session:
        token_hash = sessions.hash_token(at.session_state[TOKEN_KEY])
        user_id = session.scalar(select(AuthSession.user_id).where(AuthSession.token_hash == token_hash))
    with Session(engine) as session, session.begin():
        staff.change_role(session, admin, user_id, UserRole.EXECUTIVE, app_env.hospital_a)
    at.run()
    assert "Executive" in sidebar_text(at)
    with Session(engine) as session, session.begin():
        staff.set_active(session, admin, user_id, False)
    at.run()
    assert titles(at) == ["Sign in"]
    assert "deactivated" in at.info[0].value


@pytest.mark.parametrize("label", ["admin", "ha_a", "exec_net", "comp_a"])
def test_each_staff_role_can_sign_in(app_env, label):
    at = submit_login(new_app(), app_env.emails[label], PASSWORD)
    assert titles(at) == ["Overview"], errors(at)


def test_a_visitor_is_not_told_where_the_database_lives(monkeypatch):
    """Database down on first use: a plain sentence on the page, the host and name only in the log."""
    from dashboard.shell import data
    from db.engine import make_engine

    unreachable = make_engine("postgresql://secret_user@127.0.0.1:1/secret_db")
    monkeypatch.setattr(data, "get_engine", lambda: unreachable)
    data.engine.clear()
    try:
        at = AppTest.from_file(APP_FILE, default_timeout=30)
        at.session_state[TOKEN_KEY] = "a-token-from-an-earlier-visit"  # resuming it needs the database
        at.run()
    finally:
        data.engine.clear()
        unreachable.dispose()
    shown_text = " ".join(shown(e.value) for e in at.error)
    assert "cannot be reached right now" in shown_text
    assert "127.0.0.1" not in shown_text and "secret_db" not in shown_text and "secret_user" not in shown_text


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("\x00", "\x00"),
        ("a" * 100_000 + "@test.healthdash.ng", "p" * 100_000),
        ("\u202eng.hsadhtlaeh.tset@nimda", "'; DROP TABLE users; --"),
        ("<script>alert(1)</script>", "[x](javascript:alert(1))"),
        ("   ", "   "),
    ],
    ids=["nul", "huge", "rtl-and-sql", "html-and-markdown", "spaces"],
)
def test_hostile_sign_in_input_gets_a_sentence_not_a_traceback(app_env, email, password):
    at = submit_login(new_app(), email, password)
    assert titles(at) == ["Sign in"]
    (message,) = errors(at)
    assert message in (GENERIC, "Enter your email and password.") or message.startswith("Too many failed")
