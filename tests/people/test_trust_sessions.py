"""Issue 19 point 1: a session that ended stops everything, a fragment's own runs and every command included.

The fragment's own runs are proved in a real browser (tests/browser/test_trust_browser.py); here: the
checks themselves on a real database, the command wrapper every commands.perform write goes
through, and a static check that no page uses a fragment that skips them.
"""

from __future__ import annotations

import ast
import pathlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard.domains.floor import waitlist_commands
from dashboard.domains.people import auth_policy, sessions, staff
from dashboard.kit import commands
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import AuditLog, AuthSession, PatientWaitlist
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import add_user, age_session, page_app, sign_in

network = two_hospitals.network
app_env = two_hospitals.app_env

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLIENT = ClientInfo(session_id=None, ip_address="127.0.0.1", user_agent="pytest")


def session_of(engine, token: str) -> AuthSession:
    with Session(engine) as session:
        return session.scalar(select(AuthSession).where(AuthSession.token_hash == sessions.hash_token(token)))


def actor_of(engine, token: str, role: UserRole, hospital_id: str | None) -> Actor:
    row = session_of(engine, token)
    return Actor(row.user_id, role, hospital_id, ClientInfo(row.id, "127.0.0.1", "pytest"))


def check(engine, session_id: str, *, touch: bool = False):
    with Session(engine) as session, session.begin():
        return sessions.check_session(session, session_id, CLIENT, touch=touch, policy=auth_policy.AuthPolicy())


@pytest.fixture
def queue_entry(app_env, engine):
    """One patient waiting in hospital A's 'Trust' department, removed afterwards."""
    with Session(engine) as session, session.begin():
        entry = PatientWaitlist(
            hospital_id=app_env.hospital_a, patient_id=app_env.users["patient"], department="Trust", reason="t"
        )
        session.add(entry)
        session.flush()
        entry_id = entry.id
    data.clear_cache()
    yield entry_id
    with Session(engine) as session, session.begin():
        session.query(PatientWaitlist).filter(PatientWaitlist.id == entry_id).delete()
    data.clear_cache()


def calls_recorded(engine, entry_id: str) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.resource_id == entry_id))


def test_a_fragment_run_sees_a_sign_out_a_deactivation_and_the_idle_limit(app_env, engine):
    email = add_user(engine, app_env, UserRole.HOSPITAL_ADMIN, app_env.hospital_a, prefix="fragment")
    token = sign_in(engine, email)
    row = session_of(engine, token)
    live = check(engine, row.id)
    assert (live.session_id, live.role, live.hospital_id) == (row.id, UserRole.HOSPITAL_ADMIN, app_env.hospital_a)

    # A timed refresh is not activity: last_seen_at stays, so a page left open still reaches the idle limit.
    age_session(engine, token, idle=timedelta(minutes=5))
    before = session_of(engine, token).last_seen_at
    check(engine, row.id, touch=False)
    assert session_of(engine, token).last_seen_at == before
    check(engine, row.id, touch=True)  # a click inside the fragment is
    assert session_of(engine, token).last_seen_at > before

    age_session(engine, token, idle=timedelta(minutes=16))
    ended = check(engine, row.id)
    assert isinstance(ended, sessions.SessionEnded) and ended.reason == "idle_timeout"
    assert session_of(engine, token).revoked_reason == "idle_timeout"  # ended and audited, as resume would

    # Signed out in another tab, and deactivated by an administrator.
    for end in ("logout", "deactivate"):
        token = sign_in(engine, email)
        row = session_of(engine, token)
        with Session(engine) as session, session.begin():
            if end == "logout":
                sessions.sign_out(session, actor_of(engine, token, UserRole.HOSPITAL_ADMIN, app_env.hospital_a), token)
            else:
                admin = Actor(app_env.users["admin"], UserRole.ADMIN, None)
                staff.set_active(session, admin, row.user_id, False)
        ended = check(engine, row.id)
        assert isinstance(ended, sessions.SessionEnded), end
        assert ended.reason == ("logout" if end == "logout" else "deactivated")
    assert isinstance(check(engine, "no-such-session"), sessions.SessionEnded)
    assert isinstance(check(engine, None), sessions.SessionEnded)


@pytest.mark.parametrize("end", ["logout", "deactivated", "idle", "role_changed"])
def test_a_command_from_an_ended_session_is_refused_in_a_sentence_and_writes_nothing(app_env, engine, queue_entry, end):
    """The write path: commands.perform runs every command inside commands.in_a_live_session."""
    email = add_user(engine, app_env, UserRole.HOSPITAL_ADMIN, app_env.hospital_a, prefix=f"cmd-{end}")
    token = sign_in(engine, email)
    actor = actor_of(engine, token, UserRole.HOSPITAL_ADMIN, app_env.hospital_a)
    admin = Actor(app_env.users["admin"], UserRole.ADMIN, None)
    with Session(engine) as session, session.begin():
        if end == "logout":
            sessions.sign_out(session, actor, token)
        elif end == "deactivated":
            staff.set_active(session, admin, actor.user_id, False)
        elif end == "role_changed":
            staff.change_role(session, admin, actor.user_id, UserRole.EXECUTIVE, app_env.hospital_a)
    if end == "idle":
        age_session(engine, token, idle=timedelta(minutes=16))
    before = calls_recorded(engine, queue_entry)

    guarded = commands.in_a_live_session(waitlist_commands.call_next)
    with pytest.raises(sessions.SessionNoLongerValid) as refused:
        data.write(guarded, actor, hospital_id=app_env.hospital_a, department="Trust")
    assert str(refused.value) in (sessions.SESSION_GONE, sessions.ACCOUNT_CHANGED)
    assert str(refused.value).endswith(".") and "nothing was changed" in str(refused.value)
    with Session(engine) as session:
        assert session.get(PatientWaitlist, queue_entry).status == "waiting"
    assert calls_recorded(engine, queue_entry) == before

    # The same command from a valid session goes through, so the refusal above is the session's doing.
    fresh = add_user(engine, app_env, UserRole.HOSPITAL_ADMIN, app_env.hospital_a, prefix=f"ok-{end}")
    ok = actor_of(engine, sign_in(engine, fresh), UserRole.HOSPITAL_ADMIN, app_env.hospital_a)
    called = data.write(guarded, ok, hospital_id=app_env.hospital_a, department="Trust")
    assert called is not None and called.id == queue_entry
    with Session(engine) as session, session.begin():
        session.execute(update(PatientWaitlist).where(PatientWaitlist.id == queue_entry).values(status="waiting"))


def test_a_command_with_another_sessions_id_or_none_is_refused(app_env, engine, queue_entry):
    token = sign_in(engine, app_env.emails["ha_a"])
    own = actor_of(engine, token, UserRole.HOSPITAL_ADMIN, app_env.hospital_a)
    someone_else = Actor(app_env.users["ha_b"], UserRole.HOSPITAL_ADMIN, app_env.hospital_b, own.client)
    no_session = Actor(own.user_id, own.role, own.hospital_id, ClientInfo(None))
    for actor in (someone_else, no_session):
        with pytest.raises(sessions.SessionNoLongerValid):
            data.write(
                commands.in_a_live_session(waitlist_commands.call_next),
                actor,
                hospital_id=actor.hospital_id,
                department="Trust",
            )


def test_the_waitlist_page_refuses_a_revoked_session_and_shows_the_sign_in_form(app_env, engine, queue_entry):
    token = sign_in(engine, app_env.emails["ha_a"])
    at = page_app("waitlist.py", timeout=30)
    at.session_state[TOKEN_KEY] = token
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Waitlist"]
    with Session(engine) as session, session.begin():
        sessions.sign_out(session, actor_of(engine, token, UserRole.HOSPITAL_ADMIN, app_env.hospital_a), token)
    at.selectbox(key="waitlist_call_department").set_value("Trust")
    at.button(key="waitlist_call_next").click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert any("signed out" in i.value for i in at.info)
    with Session(engine) as session:
        assert session.get(PatientWaitlist, queue_entry).status == "waiting"


def _fragment_decorators(path: pathlib.Path) -> list[str]:
    """Every use of st.fragment or st.dialog (a dialog is a fragment) in a module, as source text."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"fragment", "dialog"}:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_page_uses_a_fragment_that_skips_the_session_check():
    """A fragment's own run skips app.py's check; only gate.live_fragment puts it back."""
    modules = sorted(ROOT.joinpath("dashboard").rglob("*.py"))
    offenders = [use for path in modules if path.name != "gate.py" for use in _fragment_decorators(path)]
    assert offenders == [], "use dashboard.shell.gate.live_fragment instead: " + "; ".join(offenders)
    uses = sum("live_fragment(" in p.read_text() for p in ROOT.joinpath("dashboard", "domains").rglob("*_page.py"))
    assert uses >= 2  # the Waitlist's queue and the Emergencies' watcher


def test_the_flags_the_gate_reads_are_where_streamlit_keeps_them():
    """gate._fragment_only_run and gate._timer_run read Streamlit internals; an upgrade that moves them fails here."""
    import dataclasses

    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    assert "is_auto_rerun" in {f.name for f in dataclasses.fields(RerunData)}
    assert isinstance(ScriptRequests()._rerun_data, RerunData)
    fields = {f.name for f in dataclasses.fields(ScriptRunContext)}
    assert {"fragment_ids_this_run", "script_requests"} <= fields
