"""Signing in: an email and a password checked, under the throttle, and a session started.

bcrypt (cost 12) checks every password; an unknown email is checked against a dummy hash so the
time taken does not tell whether an address exists. Failed attempts are slowed down as throttle.py
describes; a right password starts a session (sessions.py) and marks this browser as trusted.
"""

from __future__ import annotations

import enum
import functools
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.people import accounts, throttle
from dashboard.domains.people.auth_policy import AuthPolicy, describe_wait
from dashboard.domains.people.sessions import SignedIn, signed_in, start
from dashboard.platform import audit
from dashboard.platform.actors import ClientInfo
from db.models import Profile, User
from db.passwords import hash_password, verify_password

# Also the answer to a patient's, physician's or agent's right password: a different one would tell
# a guesser that a password of the patient app is right (see `authenticate`).
GENERIC_FAILURE = (
    "That email and password do not match an account that may use this dashboard. Check both and try "
    "again. Patient, physician and agent accounts cannot sign in here."
)


@functools.cache
def _dummy_hash() -> str:
    # Same cost as real hashes, so checking it takes as long as checking a real account.
    return hash_password(secrets.token_urlsafe(16))


class LoginOutcome(enum.StrEnum):
    SUCCESS = "success"
    INVALID = "invalid"
    THROTTLED = "throttled"
    NOT_STAFF = "not_staff"
    INACTIVE = "inactive"
    NO_HOSPITAL = "no_hospital"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    message: str
    token: str | None = None
    signed_in: SignedIn | None = None
    # On success: this browser's device token for the account (the one it brought, or a new one).
    device_token: str | None = None


def authenticate(
    db: Session,
    email: str,
    password: str,
    client: ClientInfo,
    *,
    device_token: str | None = None,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check a sign-in; never raises on user input. The caller commits (throttles, audit, session).

    `device_token` is the one this browser holds from an earlier sign-in, if any (see the module's
    notes on throttling). A held-up attempt is refused before the password is checked, so guessing
    during a wait learns nothing.
    """
    policy = policy or AuthPolicy.from_settings()
    now = now or datetime.now(UTC)
    key = throttle.normalise_email(email)
    password = password or ""
    if not key or not password:
        return LoginResult(LoginOutcome.INVALID, "Enter your email and password.")
    device_token = (device_token or "").strip()[:200] or None

    # A trusted browser is one whose token has a row under this email; a made-up token has none.
    browser = throttle.device_key(key, device_token) if device_token else None
    own_address = throttle.address_key(client.ip_address)
    throttles = throttle.lock(
        db, [key, *([own_address] if own_address else [])], if_present=(browser,) if browser else ()
    )
    device = throttles.get(browser) if browser else None
    account = throttles[key]
    # A trusted browser answers to its own count only, not to its address's or the email's.
    address = throttles.get(own_address) if own_address and device is None else None

    row = db.execute(
        select(User, Profile).outerjoin(Profile, Profile.user_id == User.id).where(func.lower(User.email) == key)
    ).first()
    user, profile = (row[0], row[1]) if row else (None, None)
    user_id = user.id if user else audit.ANONYMOUS_USER
    hospital_id = profile.hospital_id if profile else None

    def log(action_type: str, impact: str = "low", **values) -> None:
        db.add(
            audit.build_row(
                user_id=user_id,
                hospital_id=hospital_id,
                client=client,
                action_category=audit.CATEGORY_AUTH,
                action_type=action_type,
                resource_type="user",
                resource_id=user.id if user else None,
                new_values={"email": key, **values},
                impact_level=impact,
                compliance_relevant=impact != "low",
            )
        )

    # Which waits hold this attempt: a trusted browser only its own; others the address's, and the
    # email's unless the account signed in from this address lately.
    waits = {"browser": throttle.waiting(device, now), "address": throttle.waiting(address, now)}
    if device is None and not throttle.known_address(db, user, client.ip_address, policy, now):
        waits["email"] = throttle.waiting(account, now)
    held_by, wait = max(waits.items(), key=lambda item: item[1])
    if wait > timedelta(0):
        log("login_throttled", "medium", held_by=held_by, wait_seconds=math.ceil(wait.total_seconds()))
        return _held_up(held_by, wait)

    password_ok = verify_password(password, user.password if user else _dummy_hash())
    # A patient's, physician's or agent's right password takes the wrong password's path (counted,
    # same answer, same work): the dashboard must not confirm passwords of the patient app, where
    # accounts are many and a guessed one opens medical records. Only the audit row tells them apart.
    not_staff = password_ok and not accounts.is_staff(profile)
    if not password_ok or not_staff:
        counts: dict[str, int] = {}
        waits = {}
        for name, counter in (("browser", device), ("address", address), ("email", account)):
            if counter is not None and (device is None or counter is device):
                counts[f"failures_{name}"], waits[name] = throttle.record_failure(counter, policy, now)
        held_by, wait = max(waits.items(), key=lambda item: item[1])
        log(
            "login_refused_role" if not_staff else "login_failed",
            "medium" if user else "low",
            **counts,
            wait_seconds=math.ceil(wait.total_seconds()),
        )
        if wait > timedelta(0):
            return _held_up(held_by, wait)
        return LoginResult(LoginOutcome.INVALID, GENERIC_FAILURE)

    # The right password: the email's count starts again (the address's does not: one good account
    # must not launder a guesser's failures on others from the same address).
    throttle.clear(device, now)
    throttle.clear(account, now)
    refusal = accounts.refusal(profile)
    if refusal is not None:  # a staff account that is deactivated or has no hospital: the owner is told why
        log(f"login_refused_{refusal.reason}", "medium")
        return LoginResult(LoginOutcome(refusal.reason), refusal.message)

    session, token = start(db, user, client, policy, now)
    device_token = throttle.trust_browser(db, key, device_token, now)
    client = ClientInfo(session.id, client.ip_address, client.user_agent)
    log("login_succeeded")
    return LoginResult(
        LoginOutcome.SUCCESS,
        "",
        token=token,
        signed_in=signed_in(db, session, user, profile),
        device_token=device_token,
    )


def _held_up(held_by: str, wait: timedelta) -> LoginResult:
    return LoginResult(LoginOutcome.THROTTLED, throttle.WAIT_MESSAGES[held_by].format(wait=describe_wait(wait)))
