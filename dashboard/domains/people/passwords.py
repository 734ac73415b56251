"""Passwords: the rules a new one meets, and a user changing their own.

An administrator's reset of another account's password is an account command (staff.reset_password).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from dashboard.domains.people import sessions, throttle
from dashboard.domains.people.auth_policy import AuthPolicy
from dashboard.platform import audit
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from db.models import AuthSession, User
from db.passwords import MAX_PASSWORD_BYTES, PasswordTooLong, hash_password, verify_password

MIN_PASSWORD_CHARS = 8


@dataclass(frozen=True)
class PasswordChange:
    """The outcome of a password change: a new token for this browser, or why it was refused."""

    token: str | None
    refusal: str = ""


def validate_new_password(password: str, repeated: str | None = None) -> None:
    """Raise InvalidInput with a sentence saying what to change."""
    if repeated is not None and password != repeated:
        raise InvalidInput("The two new passwords are not the same. Type the new password twice.")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"Choose a password of at least {MIN_PASSWORD_CHARS} characters.")
    if not password.strip():
        raise InvalidInput("A password of only spaces is easy to guess. Choose one with letters, digits or signs.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise InvalidInput(str(PasswordTooLong()))


def change_own_password(
    db: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    repeated: str,
    *,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> PasswordChange:
    """Change the actor's own password.

    On success every session of the user is revoked (a stolen cookie dies with the old password)
    and the result carries a fresh token for this browser. A new password that breaks the rules
    raises InvalidInput (nothing is written). A wrong current password is a counted attempt, like a
    failed sign-in: it is returned as a refusal, not raised, so the caller commits the count and
    its audit row.
    """
    policy = policy or AuthPolicy.from_settings()
    now = now or datetime.now(UTC)
    user = db.get(User, actor.user_id, with_for_update=True)
    if user is None:
        raise NotFound("Your account no longer exists.")
    validate_new_password(new_password, repeated)
    if not verify_password(current_password or "", user.password):
        if _count_wrong_current_password(db, actor, user, policy, now):
            return PasswordChange(
                None,
                "Too many wrong current passwords. For safety you are signed out everywhere, and signing in "
                "to this account again is slowed down for a while.",
            )
        return PasswordChange(None, "Your current password is not right. Type it again.")
    if verify_password(new_password, user.password):
        raise InvalidInput("The new password is the same as the current one. Choose a different one.")
    user.password = hash_password(new_password)
    # The new session ends when the old one would have: a password change must not extend the
    # absolute limit, which counts from the sign-in.
    current = db.get(AuthSession, actor.client.session_id) if actor.client.session_id else None
    expires_at = current.expires_at if current is not None and current.user_id == user.id else None
    sessions.revoke_user_sessions(db, user.id, "password_changed", now=now)
    session, token = sessions.start(db, user, actor.client, policy, now, expires_at=expires_at)
    audit.record(
        db,
        actor,
        action_category=audit.CATEGORY_AUTH,
        action_type="password_changed",
        resource_type="user",
        resource_id=user.id,
        new_values={"new_session_id": session.id},
        impact_level="medium",
        compliance_relevant=True,
    )
    return PasswordChange(token)


def _count_wrong_current_password(db: Session, actor: Actor, user: User, policy: AuthPolicy, now: datetime) -> bool:
    """A wrong current password counts like a failed sign-in, on the email and on the address.

    Someone at an unattended, signed-in browser could otherwise guess the password without limit.
    When the email's count reaches the limit every session of the account ends, this one included,
    and every browser's trust in it is withdrawn, so the guesser, now signed out, meets the waits of
    an unfamiliar browser. Returns True then.
    """
    key = throttle.normalise_email(user.email)
    own_address = throttle.address_key(actor.client.ip_address)
    throttles = throttle.lock(db, [key, *([own_address] if own_address else [])])
    failures, wait = throttle.record_failure(throttles[key], policy, now)
    if own_address:
        throttle.record_failure(throttles[own_address], policy, now)
    locked = wait > timedelta(0)
    details = {"failures_email": failures}
    if locked:
        sessions.revoke_user_sessions(db, user.id, "password_guesses", now=now)
        throttle.forget_trusted_browsers(db, key)
        details["wait_seconds"] = math.ceil(wait.total_seconds())
    audit.record(
        db,
        actor,
        action_category=audit.CATEGORY_AUTH,
        action_type="account_locked" if locked else "password_change_failed",
        resource_type="user",
        resource_id=user.id,
        new_values=details,
        impact_level="high" if locked else "medium",
        compliance_relevant=True,
    )
    return locked

