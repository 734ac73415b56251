"""Sign-in throttling on a real database: guessers are slowed, owners are never locked out.

Failed sign-ins hold up the address they come from (whatever the email), and the email from
unfamiliar browsers (whatever the address), by 2, 4, 8 … seconds up to a cap. A browser holding a
device token from an earlier sign-in of the account answers to its own count only; an address the
account signed in from lately is exempt from the email's wait. Time is passed in (`now`), so the
waits are checked exactly without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dashboard.domains.people import auth_policy, sessions, sign_in, staff, throttle
from dashboard.domains.people.sign_in import LoginOutcome
from dashboard.platform.actors import Actor, ClientInfo
from db import settings
from db.base import UserRole
from db.models import AuditLog, LoginThrottle
from db.settings import SettingsError
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import PASSWORD

network = two_hospitals.network

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# Two free failures (the default is five, tested in test_auth_service.py), then 2, 4, 8 … seconds up to 15
# minutes: every wrong password is a bcrypt check, so the fewer the faster.
POLICY = auth_policy.AuthPolicy(free_failures=2)
ATTACKER = "203.0.113.66"
OWNER_DESK = "198.51.100.10"


def attempt(db, email, password, ip, at, device=None, policy=POLICY):
    client = ClientInfo(session_id="browser-throttle", ip_address=ip, user_agent="pytest")
    return sign_in.authenticate(db, email, password, client, device_token=device, policy=policy, now=at)


def fail_repeatedly(db, email, ip, times, start, policy=POLICY):
    """`times` wrong passwords, each as soon as the previous wait allows; returns the last result and its time."""
    moment, result = start, None
    for failures in range(1, times + 1):
        result = attempt(db, email, "wrong-guess", ip, moment, policy=policy)
        assert result.outcome in (LoginOutcome.INVALID, LoginOutcome.THROTTLED), result.message
        if failures < times:
            moment += policy.wait_after(failures) + timedelta(milliseconds=1)
    return result, moment


def row(db, key):
    return db.scalar(select(LoginThrottle).where(LoginThrottle.email == key).execution_options(populate_existing=True))


def test_an_attackers_failures_from_one_address_do_not_stop_the_owner_at_another(db_session, network):
    email = network.emails["admin"]
    # The network administrator signed in from their desk yesterday.
    assert attempt(db_session, email, PASSWORD, OWNER_DESK, T0 - timedelta(days=1)).outcome is LoginOutcome.SUCCESS
    last, moment = fail_repeatedly(db_session, email, ATTACKER, 5, T0)
    assert last.outcome is LoginOutcome.THROTTLED
    # The attacker is held up even with the right password (it is not even checked)...
    held = attempt(db_session, email, PASSWORD, ATTACKER, moment + timedelta(seconds=1))
    assert held.outcome is LoginOutcome.THROTTLED and held.message.startswith("Too many failed attempts from here")
    # ...while the owner, at an address the account signed in from, is not held up at all.
    owner = attempt(db_session, email, PASSWORD, OWNER_DESK, moment + timedelta(seconds=1))
    assert owner.outcome is LoginOutcome.SUCCESS, owner.message


def test_an_address_is_held_up_progressively_whatever_email_it_tries(db_session, network):
    policy = auth_policy.AuthPolicy(free_failures=2, max_wait=timedelta(seconds=30))
    emails = ["nobody.one@test.healthdash.ng", network.emails["exec_a"]]
    moment, messages = T0, []
    for failure in range(1, 7):
        result = attempt(db_session, emails[failure % 2], "wrong-guess", ATTACKER, moment, policy=policy)
        messages.append(result.message)
        moment += policy.wait_after(failure)
    assert messages[:1] == [sign_in.GENERIC_FAILURE]
    waits = ["2 seconds", "4 seconds", "8 seconds", "16 seconds", "30 seconds"]  # 32 s capped at 30
    assert messages[1:] == [f"Too many failed attempts from here; try again in {w}." for w in waits]

    # During the wait an attempt is refused before the password is checked, counted nowhere, and audited.
    early = moment - timedelta(seconds=10)
    started = time.process_time()  # this process's CPU, not the wall clock a busy machine stretches
    refused = attempt(db_session, network.emails["comp_a"], PASSWORD, ATTACKER, early, policy=policy)
    assert time.process_time() - started < 0.1  # no bcrypt (a quarter second of CPU): a held-up guess learns nothing
    assert refused.message == "Too many failed attempts from here; try again in 10 seconds."
    assert len(row(db_session, throttle.address_key(ATTACKER)).recent_failures) == 6
    throttled = db_session.scalar(
        select(AuditLog).where(
            AuditLog.action_type == "login_throttled", AuditLog.new_values["email"].astext == network.emails["comp_a"]
        )
    )
    assert throttled.new_values["held_by"] == "address" and throttled.ip_address == ATTACKER
    failed = db_session.scalars(
        select(AuditLog).where(AuditLog.action_type == "login_failed", AuditLog.ip_address == ATTACKER)
    ).all()
    assert len(failed) == 6 and max(f.new_values["failures_address"] for f in failed) == 6
    # Once the wait is over, the address may try again.
    later = attempt(db_session, network.emails["comp_a"], PASSWORD, ATTACKER, moment, policy=policy)
    assert later.outcome is LoginOutcome.SUCCESS


def test_the_email_wait_spans_addresses_but_not_a_browser_that_signed_in_before(db_session, network):
    email = network.emails["exec_a"]
    first = attempt(db_session, email, PASSWORD, OWNER_DESK, T0 - timedelta(days=3))
    device = first.device_token
    assert device and sessions.hash_token(device) in row(db_session, throttle.device_key(email, device)).email
    # A guesser spreads failures over several addresses: no address is held up, the email is.
    for n in range(2):
        result = attempt(db_session, email, "wrong-guess", f"192.0.2.{n + 1}", T0 + timedelta(seconds=n))
    assert result.message.startswith("Too many failed sign-ins for this email from unfamiliar browsers")
    fresh = attempt(db_session, email, PASSWORD, "192.0.2.99", T0 + timedelta(seconds=2))
    assert fresh.outcome is LoginOutcome.THROTTLED and "try again in 1 second" in fresh.message
    made_up = attempt(db_session, email, PASSWORD, "192.0.2.99", T0 + timedelta(seconds=2), device="made-up-token")
    assert made_up.outcome is LoginOutcome.THROTTLED  # a token earns trust only by a sign-in
    # The owner's browser, from an address never seen before (a hotel, a phone), is not held up.
    owner = attempt(db_session, email, PASSWORD, "192.0.2.200", T0 + timedelta(seconds=2), device=device)
    assert owner.outcome is LoginOutcome.SUCCESS, owner.message
    assert owner.device_token == device


def test_a_familiar_address_is_exempt_from_the_email_wait(db_session, network):
    email = network.emails["comp_a"]
    attempt(db_session, email, PASSWORD, OWNER_DESK, T0 - timedelta(days=29))
    for n in range(2):
        attempt(db_session, email, "wrong-guess", f"192.0.2.{n + 10}", T0 + timedelta(seconds=n))
    assert row(db_session, email).locked_until > T0 + timedelta(seconds=2)  # unfamiliar browsers wait
    owner = attempt(db_session, email, PASSWORD, OWNER_DESK, T0 + timedelta(seconds=2))
    assert owner.outcome is LoginOutcome.SUCCESS, owner.message
    assert row(db_session, email).recent_failures == []  # the account's count starts again


def test_an_address_older_than_the_familiar_period_is_not_exempt(db_session, network):
    email = network.emails["ha_a"]
    attempt(db_session, email, PASSWORD, OWNER_DESK, T0 - timedelta(days=31))
    for n in range(2):
        attempt(db_session, email, "wrong-guess", f"192.0.2.{n + 20}", T0 + timedelta(seconds=n))
    held = attempt(db_session, email, PASSWORD, OWNER_DESK, T0 + timedelta(seconds=2))
    assert held.outcome is LoginOutcome.THROTTLED


def test_a_trusted_browser_answers_to_a_count_of_its_own(db_session, network):
    email = network.emails["exec_net"]
    device = attempt(db_session, email, PASSWORD, OWNER_DESK, T0 - timedelta(days=1)).device_token
    results = [
        attempt(db_session, email, "wrong-guess", OWNER_DESK, T0 + timedelta(seconds=n), device=device)
        for n in range(2)
    ]
    assert results[0].message == sign_in.GENERIC_FAILURE
    assert results[1].message == "Too many failed attempts from this browser; try again in 2 seconds."
    # Its failures are its own: neither the address nor the email was counted.
    assert row(db_session, throttle.address_key(OWNER_DESK)).recent_failures == []
    assert row(db_session, email).recent_failures == []


def test_a_password_reset_lifts_the_email_wait_and_forgets_trusted_browsers(db_session, network):
    email = network.emails["ha_b"]
    device = attempt(db_session, email, PASSWORD, OWNER_DESK, T0 - timedelta(days=1)).device_token
    for n in range(2):
        attempt(db_session, email, "wrong-guess", f"192.0.2.{n + 40}", T0 + timedelta(seconds=n))
    assert attempt(db_session, email, PASSWORD, "192.0.2.90", T0 + timedelta(seconds=2)).outcome is (
        LoginOutcome.THROTTLED
    )
    admin = Actor(user_id=network.users["admin"], role=UserRole.ADMIN, hospital_id=None)
    staff.reset_password(db_session, admin, network.users["ha_b"], "fresh-password-9", now=T0 + timedelta(seconds=2))
    assert row(db_session, throttle.device_key(email, device)) is None
    fresh = attempt(db_session, email, "fresh-password-9", "192.0.2.90", T0 + timedelta(seconds=2))
    assert fresh.outcome is LoginOutcome.SUCCESS, fresh.message


def test_a_held_up_real_account_and_unknown_email_look_alike(db_session, network):
    real, ghost = network.emails["exec_a"], "ghost.throttle@test.healthdash.ng"
    _, moment = fail_repeatedly(db_session, ghost, ATTACKER, 2, T0)
    during = moment + timedelta(seconds=1)
    answers = [attempt(db_session, e, "wrong-guess", ATTACKER, during) for e in (real, ghost)]
    assert answers[0].outcome is answers[1].outcome is LoginOutcome.THROTTLED
    assert answers[0].message == answers[1].message


def test_the_count_lives_in_the_database_so_processes_and_tabs_agree(engine):
    """Five attempts at once, each in its own transaction (as from five app processes): all five count."""
    email, ip = "parallel.guess@test.healthdash.ng", "203.0.113.150"
    barrier = threading.Barrier(5)
    outcomes, errors = [], []

    def guess() -> None:
        try:
            barrier.wait(timeout=10)
            with Session(engine) as session, session.begin():
                outcomes.append(attempt(session, email, "wrong-guess", ip, T0, policy=auth_policy.AuthPolicy()).outcome)
        except Exception as exc:  # noqa: BLE001 (reported below, with the thread's exception)
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert sorted(outcomes) == sorted([LoginOutcome.INVALID] * 4 + [LoginOutcome.THROTTLED])
        with Session(engine) as session:
            counts = {key: len(row(session, key).recent_failures) for key in (email, throttle.address_key(ip))}
            assert counts == {email: 5, throttle.address_key(ip): 5}
            # A new "process" (another session) is held up by what the others counted.
            held = attempt(
                session, email, PASSWORD, "203.0.113.151", T0 + timedelta(seconds=1), policy=auth_policy.AuthPolicy()
            )
            assert held.outcome is LoginOutcome.THROTTLED
            session.rollback()
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(LoginThrottle).where(LoginThrottle.email.in_([email, throttle.address_key(ip)])))


def test_an_email_cannot_be_typed_to_hit_an_address_count(db_session):
    # Addresses are kept under an upper-case key; whatever is typed as an email is lower-cased.
    typed = throttle.address_key(ATTACKER)
    attempt(db_session, typed, "wrong-guess", "192.0.2.60", T0)
    assert row(db_session, throttle.address_key(ATTACKER)) is None
    assert row(db_session, throttle.normalise_email(typed)) is not None


def test_the_sign_in_limits_are_settings():
    values = settings.build(
        {
            "HEALTHDASH_SIGN_IN_FREE_FAILURES": "3",
            "HEALTHDASH_SIGN_IN_MAX_WAIT_MINUTES": "2",
            "HEALTHDASH_SIGN_IN_MEMORY_HOURS": "6",
            "HEALTHDASH_SIGN_IN_KNOWN_ADDRESS_DAYS": "7",
        }
    )
    policy = auth_policy.AuthPolicy.from_settings(values)
    assert (policy.free_failures, policy.max_wait, policy.failure_memory, policy.known_address_for) == (
        3,
        timedelta(minutes=2),
        timedelta(hours=6),
        timedelta(days=7),
    )
    assert [policy.wait_after(n).total_seconds() for n in (2, 3, 4, 8, 50)] == [0, 2, 4, 64, 120]
    with pytest.raises(SettingsError, match="whole number"):
        settings.build({"HEALTHDASH_SIGN_IN_FREE_FAILURES": "2.5"})
    with pytest.raises(SettingsError, match="more than zero"):
        settings.build({"HEALTHDASH_SIGN_IN_MAX_WAIT_MINUTES": "0"})


def test_failures_older_than_the_memory_are_forgotten(db_session):
    email = "forgetful@test.healthdash.ng"
    policy = auth_policy.AuthPolicy()
    for n in range(4):
        attempt(db_session, email, "wrong-guess", None, T0 + timedelta(minutes=n), policy=policy)
    result = attempt(
        db_session, email, "wrong-guess", None, T0 + timedelta(hours=24, minutes=1, seconds=30), policy=policy
    )
    assert result.message == sign_in.GENERIC_FAILURE  # two of the four aged out: three remembered
    assert (
        db_session.scalar(select(func.cardinality(LoginThrottle.recent_failures)).where(LoginThrottle.email == email))
        == 3
    )
