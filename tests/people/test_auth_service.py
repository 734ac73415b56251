"""Sign-in, lockout, sessions, password change and reset (domains/people) on a real database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dashboard.domains.people import auth_policy, passwords, sessions, sign_in, staff
from dashboard.domains.people.sign_in import LoginOutcome
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db import settings
from db.base import UserRole
from db.models import AuditLog, AuthSession, LoginThrottle, User
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import PASSWORD

network = two_hospitals.network

CLIENT = ClientInfo(session_id="browser-test", ip_address="10.0.0.7", user_agent="pytest")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def login(db, email, password=PASSWORD, now=T0):
    return sign_in.authenticate(db, email, password, CLIENT, policy=auth_policy.AuthPolicy(), now=now)


def actor_for(network, label, role, hospital=None):
    return Actor(user_id=network.users[label], role=role, hospital_id=hospital, client=CLIENT)


def test_success_creates_a_hashed_session_and_audits_it(db_session, network):
    result = login(db_session, network.emails["ha_a"].upper())  # emails match case-insensitively
    assert result.outcome is LoginOutcome.SUCCESS
    assert result.signed_in.hospital_id == network.hospital_a
    row = db_session.get(AuthSession, result.signed_in.session_id)
    assert row.token_hash == sessions.hash_token(result.token) and result.token not in row.token_hash
    assert row.expires_at == T0 + timedelta(hours=12)
    audit_row = db_session.scalar(select(AuditLog).where(AuditLog.session_id == row.id))
    assert audit_row.action_type == "login_succeeded" and audit_row.ip_address == "10.0.0.7"
    assert audit_row.user_agent == "pytest" and audit_row.hospital_id == network.hospital_a


def test_wrong_password_and_unknown_email_fail_alike(db_session, network):
    wrong = login(db_session, network.emails["ha_a"], "wrong")
    unknown = login(db_session, "ghost@test.healthdash.ng", "wrong")
    assert (
        (wrong.outcome, wrong.message)
        == (unknown.outcome, unknown.message)
        == (
            LoginOutcome.INVALID,
            sign_in.GENERIC_FAILURE,
        )
    )


def test_unknown_email_still_spends_bcrypt_time(db_session, network):
    sign_in._dummy_hash()  # made once per process; not part of the timing
    started = time.perf_counter()
    login(db_session, "ghost2@test.healthdash.ng", "whatever")
    assert time.perf_counter() - started > 0.05  # a bcrypt cost-12 check, not an early return


def test_password_over_72_bytes_is_a_plain_failure(db_session, network):
    result = login(db_session, network.emails["ha_a"], PASSWORD + "x" * 80)
    assert result.outcome is LoginOutcome.INVALID


def test_five_failures_hold_up_the_next_attempt_instead_of_locking_the_account(db_session, network):
    email = network.emails["exec_a"]
    for second in range(4):
        assert login(db_session, email, "bad", now=T0 + timedelta(seconds=second)).outcome is LoginOutcome.INVALID
    held = login(db_session, email, "bad", now=T0 + timedelta(seconds=4))
    assert held.outcome is LoginOutcome.THROTTLED and "try again in 2 seconds" in held.message
    still = login(db_session, email, PASSWORD, now=T0 + timedelta(seconds=5))
    assert still.outcome is LoginOutcome.THROTTLED and "try again in 1 second." in still.message
    # A wait of seconds, not a lockout of fifteen minutes: the right password works once it is over.
    assert login(db_session, email, PASSWORD, now=T0 + timedelta(seconds=6)).outcome is LoginOutcome.SUCCESS


def test_failures_older_than_the_memory_do_not_count(db_session, network):
    email = network.emails["comp_a"]
    for minute in (0, 1, 2, 3):
        login(db_session, email, "bad", now=T0 + timedelta(minutes=minute))
    # A day and four minutes on, the memory starts after minute 4: this is failure 1.
    result = login(db_session, email, "bad", now=T0 + timedelta(days=1, minutes=4))
    assert result.outcome is LoginOutcome.INVALID
    throttle = db_session.get(LoginThrottle, email)
    assert throttle.recent_failures == [T0 + timedelta(days=1, minutes=4)]


def test_unknown_emails_are_held_up_too(db_session):
    for second in range(5):
        result = login(db_session, "ghost3@test.healthdash.ng", "bad", now=T0 + timedelta(seconds=second))
    assert result.outcome is LoginOutcome.THROTTLED


@pytest.mark.parametrize("label", ["patient", "physician_a", "agent"])
def test_non_staff_accounts_get_the_wrong_passwords_answer_so_no_password_is_confirmed(db_session, network, label):
    """Issue 19 point 5: the right password of a patient-app account must not be told from a wrong one."""
    # Other modules sharing the network may have counted failures on these accounts already.
    earlier = db_session.get(LoginThrottle, network.emails[label])
    counted = len(earlier.recent_failures or []) if earlier is not None else 0
    right = login(db_session, network.emails[label], PASSWORD, now=T0)
    wrong = login(db_session, network.emails[label], "not-the-password", now=T0 + timedelta(seconds=1))
    assert (
        (right.outcome, right.message)
        == (wrong.outcome, wrong.message)
        == (
            LoginOutcome.INVALID,
            sign_in.GENERIC_FAILURE,
        )
    )
    assert right.token is None and right.signed_in is None
    assert (
        db_session.scalar(
            select(func.count()).select_from(AuthSession).where(AuthSession.user_id == network.users[label])
        )
        == 0
    )
    # Counted like a wrong password (a count that a right password cleared would be an oracle too) …
    assert len(db_session.get(LoginThrottle, network.emails[label]).recent_failures) == counted + 2
    # … and told apart only in the audit trail, which the guesser cannot read.
    kinds = db_session.scalars(
        select(AuditLog.action_type).where(AuditLog.user_id == network.users[label]).order_by(AuditLog.created_at)
    ).all()
    assert kinds[-2:] == ["login_refused_role", "login_failed"]


def test_resume_rereads_role_and_enforces_idle_and_absolute_limits(db_session, network):
    result = login(db_session, network.emails["exec_net"])
    policy = auth_policy.AuthPolicy()
    kept = sessions.resume(db_session, result.token, CLIENT, policy=policy, now=T0 + timedelta(minutes=14))
    assert isinstance(kept, sessions.SignedIn)
    ended = sessions.resume(db_session, result.token, CLIENT, policy=policy, now=T0 + timedelta(minutes=30))
    assert isinstance(ended, sessions.SessionEnded) and ended.reason == "idle_timeout"
    # Revoked now: even a later, in-time check is refused.
    assert isinstance(sessions.resume(db_session, result.token, CLIENT, policy=policy, now=T0), sessions.SessionEnded)

    other = login(db_session, network.emails["exec_net"])
    moment = T0
    for _ in range(60):  # active all day, never idle: the 12-hour limit still ends it
        moment += timedelta(minutes=14)
        outcome = sessions.resume(db_session, other.token, CLIENT, policy=policy, now=moment)
        if isinstance(outcome, sessions.SessionEnded):
            break
    assert outcome.reason == "absolute_timeout" and moment >= T0 + timedelta(hours=12)


def test_idle_limit_is_configurable():
    values = settings.build({"HEALTHDASH_IDLE_TIMEOUT_MINUTES": "5", "HEALTHDASH_SESSION_MAX_HOURS": "2"})
    policy = auth_policy.AuthPolicy.from_settings(values)
    assert policy.idle_timeout == timedelta(minutes=5) and policy.absolute_timeout == timedelta(hours=2)
    assert auth_policy.AuthPolicy.from_settings(settings.build({})) == auth_policy.AuthPolicy()  # one set of defaults


def test_change_own_password_requires_current_and_revokes_other_sessions(db_session, network):
    first = login(db_session, network.emails["comp_a"])
    second = login(db_session, network.emails["comp_a"])
    actor = first.signed_in.actor(CLIENT)
    refused = passwords.change_own_password(db_session, actor, "wrong", "new-password-1", "new-password-1", now=T0)
    assert refused.token is None and "current password is not right" in refused.refusal
    with pytest.raises(InvalidInput, match="72 bytes"):
        passwords.change_own_password(db_session, actor, PASSWORD, "é" * 40, "é" * 40, now=T0)
    with pytest.raises(InvalidInput, match="not the same"):
        passwords.change_own_password(db_session, actor, PASSWORD, "new-password-1", "new-password-2", now=T0)
    token = passwords.change_own_password(db_session, actor, PASSWORD, "new-password-1", "new-password-1", now=T0).token
    for old in (first.token, second.token):
        ended = sessions.resume(db_session, old, CLIENT, now=T0)
        assert isinstance(ended, sessions.SessionEnded) and ended.reason == "password_changed"
    assert isinstance(sessions.resume(db_session, token, CLIENT, now=T0), sessions.SignedIn)
    assert login(db_session, network.emails["comp_a"], "new-password-1").outcome is LoginOutcome.SUCCESS
    changed = db_session.scalar(
        select(AuditLog).where(AuditLog.action_type == "password_changed", AuditLog.user_id == actor.user_id)
    )
    assert "password" not in (changed.new_values or {}) and "password" not in (changed.old_values or {})


def test_admin_reset_ends_sessions_and_lifts_the_wait(db_session, network):
    email = network.emails["ha_b"]
    session = login(db_session, email)
    for second in range(5):
        login(db_session, email, "bad", now=T0 + timedelta(seconds=second))
    admin = actor_for(network, "admin", UserRole.ADMIN)
    staff.reset_password(db_session, admin, network.users["ha_b"], "fresh-password-9", now=T0)
    assert isinstance(sessions.resume(db_session, session.token, CLIENT, now=T0), sessions.SessionEnded)
    # From another address: this one's own failures still hold it up for a moment (a reset is about the account).
    elsewhere = ClientInfo(session_id="browser-test", ip_address="10.0.0.8", user_agent="pytest")
    assert sign_in.authenticate(
        db_session, email, "fresh-password-9", elsewhere, policy=auth_policy.AuthPolicy(), now=T0 + timedelta(seconds=5)
    ).outcome is (LoginOutcome.SUCCESS)
    user = db_session.get(User, network.users["ha_b"])
    assert user.password.startswith("$2b$12$")


def test_reset_refused_for_non_admins_and_out_of_scope(db_session, network):
    hospital_admin = actor_for(network, "ha_a", UserRole.HOSPITAL_ADMIN, network.hospital_a)
    with pytest.raises(NotPermitted):
        staff.reset_password(db_session, hospital_admin, network.users["exec_a"], "whatever-123")
    scoped_admin = actor_for(network, "admin", UserRole.ADMIN, network.hospital_a)
    with pytest.raises(OutOfScope):
        staff.reset_password(db_session, scoped_admin, network.users["ha_b"], "whatever-123")


def test_sign_out_revokes(db_session, network):
    result = login(db_session, network.emails["admin"])
    sessions.sign_out(db_session, result.signed_in.actor(CLIENT), result.token, now=T0)
    ended = sessions.resume(db_session, result.token, CLIENT, now=T0)
    assert isinstance(ended, sessions.SessionEnded) and ended.reason == "logout"
    assert "another tab" in ended.message  # what a second tab of that browser shows on its next click


def test_deactivated_user_cannot_sign_in(db_session, network):
    user = db_session.get(User, network.users["exec_a"])
    user.profile.is_active = False
    db_session.flush()
    result = login(db_session, network.emails["exec_a"])
    assert result.outcome is LoginOutcome.INACTIVE


def test_a_72_byte_password_is_checked_whole_and_one_byte_more_never_matches(db_session, network):
    exact = "p" * 71 + "9"  # 72 bytes: the most bcrypt reads
    admin = actor_for(network, "admin", UserRole.ADMIN)
    staff.reset_password(db_session, admin, network.users["comp_a"], exact, now=T0)
    assert login(db_session, network.emails["comp_a"], exact).outcome is LoginOutcome.SUCCESS
    # bcrypt would silently ignore byte 73 on; a longer password must not pass for its first 72 bytes.
    longer = login(db_session, network.emails["comp_a"], exact + "x")
    assert (longer.outcome, longer.message) == (LoginOutcome.INVALID, sign_in.GENERIC_FAILURE)
    assert login(db_session, network.emails["comp_a"], exact[:-1] + "8").outcome is LoginOutcome.INVALID


def test_a_nul_character_in_the_email_is_a_plain_audited_failure(db_session, network):
    result = login(db_session, "ghost\x00@test.healthdash.ng", "whatever")
    assert (result.outcome, result.message) == (LoginOutcome.INVALID, sign_in.GENERIC_FAILURE)
    failed = db_session.scalar(
        select(AuditLog).where(
            AuditLog.action_type == "login_failed", AuditLog.new_values["email"].astext == "ghost@test.healthdash.ng"
        )
    )
    assert failed is not None


def test_an_admin_cannot_reset_their_own_password_without_the_current_one(db_session, network):
    admin = actor_for(network, "admin", UserRole.ADMIN)
    with pytest.raises(InvalidInput, match="My account"):
        staff.reset_password(db_session, admin, network.users["admin"], "fresh-password-9", now=T0)
    assert login(db_session, network.emails["admin"]).outcome is LoginOutcome.SUCCESS


def test_a_password_change_keeps_the_sign_in_s_absolute_limit(db_session, network):
    first = login(db_session, network.emails["exec_a"])
    actor = first.signed_in.actor(CLIENT)
    later = T0 + timedelta(hours=3)
    change = passwords.change_own_password(db_session, actor, PASSWORD, "new-password-1", "new-password-1", now=later)
    token = change.token
    renewed = sessions.resume(db_session, token, CLIENT, now=later)
    assert isinstance(renewed, sessions.SignedIn)
    assert renewed.expires_at == first.signed_in.expires_at == T0 + timedelta(hours=12)


def test_wrong_current_passwords_count_like_failed_sign_ins_and_end_every_session(db_session, network):
    # An unattended signed-in browser must not let anyone guess the password without limit.
    email = network.emails["exec_net"]
    first, other = login(db_session, email), login(db_session, email)
    actor = first.signed_in.actor(CLIENT)
    for attempt in range(1, 5):
        refused = passwords.change_own_password(
            db_session, actor, f"guess-{attempt}", "new-password-1", "new-password-1", now=T0
        )
        assert refused.token is None and "not right" in refused.refusal
        assert isinstance(sessions.resume(db_session, other.token, CLIENT, now=T0), sessions.SignedIn)
    refused = passwords.change_own_password(db_session, actor, "guess-5", "new-password-1", "new-password-1", now=T0)
    assert "signed out everywhere" in refused.refusal
    for token in (first.token, other.token):
        ended = sessions.resume(db_session, token, CLIENT, now=T0)
        assert isinstance(ended, sessions.SessionEnded) and ended.reason == "password_guesses" and ended.message
    # The guesser's browser lost its trust, and its address counted the guesses: held up, even with the right password.
    again = sign_in.authenticate(
        db_session, email, PASSWORD, CLIENT, device_token=first.device_token, policy=auth_policy.AuthPolicy(), now=T0
    )
    assert again.outcome is LoginOutcome.THROTTLED
    actions = db_session.scalars(
        select(AuditLog.action_type).where(AuditLog.user_id == actor.user_id).order_by(AuditLog.created_at)
    ).all()
    assert actions.count("password_change_failed") == 4 and "account_locked" in actions


def test_a_password_of_spaces_is_refused(db_session, network):
    with pytest.raises(InvalidInput, match="only spaces"):
        passwords.validate_new_password(" " * 12)
