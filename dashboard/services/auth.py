"""Sign-in, lockout, server-side sessions and passwords.

bcrypt (cost 12) checks every password; an unknown email is checked against a dummy hash so the
time taken does not tell whether an address exists. Failed sign-ins are counted per email in the
database (login_throttles): 5 within 15 minutes lock that email for 15 minutes, whichever browser
tab they come from. A signed-in browser holds a random token in a cookie; the database keeps only
its SHA-256 hash with the session's expiry, and every run re-reads the user's role, hospital and
active flag through `resume`, so a change takes effect on the user's next click.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from dashboard.services import audit, settings
from dashboard.services.actors import STAFF_ROLES, Actor, ClientInfo
from dashboard.services.errors import InvalidInput, NotFound
from dashboard.services.scope import require_in_scope, require_role
from db.base import UserRole
from db.models import AuthSession, Hospital, LoginThrottle, Profile, User
from db.passwords import MAX_PASSWORD_BYTES, PasswordTooLong, hash_password, verify_password

MIN_PASSWORD_CHARS = 8
MAX_EMAIL_CHARS = 320
# Touch last_seen_at at most this often: the idle limit is in minutes, a write per click is waste.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)

GENERIC_FAILURE = "That email and password do not match an account. Check both and try again."


@dataclass(frozen=True)
class AuthPolicy:
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    idle_timeout: timedelta = timedelta(minutes=15)
    absolute_timeout: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, values: settings.Settings | None = None) -> AuthPolicy:
        """The sign-in limits of the settings (HEALTHDASH_IDLE_TIMEOUT_MINUTES, HEALTHDASH_SESSION_MAX_HOURS)."""
        values = values or settings.current()
        return cls(
            idle_timeout=timedelta(minutes=values.idle_timeout_minutes),
            absolute_timeout=timedelta(hours=values.session_max_hours),
        )


def describe_minutes(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


@functools.cache
def _dummy_hash() -> str:
    # Same cost as real hashes, so checking it takes as long as checking a real account.
    return hash_password(secrets.token_urlsafe(16))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def normalise_email(email: str) -> str:
    # PostgreSQL text cannot hold NUL; a pasted one must fail like a wrong address, not crash sign-in.
    return (email or "").replace("\x00", "").strip().lower()[:MAX_EMAIL_CHARS]


class LoginOutcome(enum.StrEnum):
    SUCCESS = "success"
    INVALID = "invalid"
    LOCKED = "locked"
    NOT_STAFF = "not_staff"
    INACTIVE = "inactive"
    NO_HOSPITAL = "no_hospital"


@dataclass(frozen=True)
class SignedIn:
    """A valid session, as re-read from the database on this run."""

    session_id: str
    user_id: str
    email: str
    name: str
    role: UserRole
    hospital_id: str | None
    hospital_name: str | None
    expires_at: datetime

    def actor(self, client: ClientInfo) -> Actor:
        # An ADMIN starts network-wide; a working scope is chosen later (scope.with_working_scope).
        hospital = None if self.role is UserRole.ADMIN else self.hospital_id
        return Actor(
            user_id=self.user_id,
            role=self.role,
            hospital_id=hospital,
            client=ClientInfo(self.session_id, client.ip_address, client.user_agent),
        )


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    message: str
    token: str | None = None
    signed_in: SignedIn | None = None


@dataclass(frozen=True)
class SessionEnded:
    """Why a session is no longer valid; `message` is empty when there is nothing to tell."""

    reason: str
    message: str


def _staff_refusal(profile: Profile | None) -> tuple[LoginOutcome, str] | None:
    if profile is None or profile.role not in STAFF_ROLES:
        return (
            LoginOutcome.NOT_STAFF,
            "Patient, physician and agent accounts cannot sign in to this dashboard. It is for hospital "
            "administrators, executives and compliance officers.",
        )
    if not profile.is_active:
        return (
            LoginOutcome.INACTIVE,
            "This account has been deactivated. Ask your network administrator to reactivate it.",
        )
    if profile.role is UserRole.HOSPITAL_ADMIN and profile.hospital_id is None:
        return (
            LoginOutcome.NO_HOSPITAL,
            "This hospital administrator account is not linked to a hospital yet. Ask your network "
            "administrator to link it.",
        )
    return None


def _lock_throttle(db: Session, email: str) -> LoginThrottle:
    db.execute(pg_insert(LoginThrottle).values(email=email).on_conflict_do_nothing())
    # FOR UPDATE: two tabs failing at once must both be counted.
    return db.execute(
        select(LoginThrottle)
        .where(LoginThrottle.email == email)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _record_failure(throttle: LoginThrottle, policy: AuthPolicy, now: datetime) -> tuple[int, bool]:
    """Count a failure in the email's window; at the limit pause sign-in. Returns (failures, locked)."""
    recent = [t for t in (throttle.recent_failures or []) if t > now - policy.failure_window] + [now]
    throttle.updated_at = now
    locked = len(recent) >= policy.max_failures
    throttle.recent_failures = [] if locked else recent
    if locked:
        throttle.locked_until = now + policy.lockout
    return len(recent), locked


def _signed_in(db: Session, session: AuthSession, user: User, profile: Profile) -> SignedIn:
    hospital_name = (
        db.scalar(select(Hospital.name).where(Hospital.id == profile.hospital_id)) if profile.hospital_id else None
    )
    return SignedIn(
        session_id=session.id,
        user_id=user.id,
        email=user.email,
        name=profile.full_name,
        role=profile.role,
        hospital_id=profile.hospital_id,
        hospital_name=hospital_name,
        expires_at=session.expires_at,
    )


def _start_session(
    db: Session,
    user: User,
    client: ClientInfo,
    policy: AuthPolicy,
    now: datetime,
    *,
    expires_at: datetime | None = None,
) -> tuple[AuthSession, str]:
    token = secrets.token_urlsafe(32)
    session = AuthSession(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at or now + policy.absolute_timeout,
        ip_address=client.ip_address,
        user_agent=(client.user_agent or None) and client.user_agent[:500],
    )
    db.add(session)
    db.flush()
    return session, token


def authenticate(
    db: Session,
    email: str,
    password: str,
    client: ClientInfo,
    *,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check a sign-in; never raises on user input. The caller commits (throttle, audit, session)."""
    policy = policy or AuthPolicy.from_settings()
    now = _now(now)
    key = normalise_email(email)
    password = password or ""
    if not key or not password:
        return LoginResult(LoginOutcome.INVALID, "Enter your email and password.")

    throttle = _lock_throttle(db, key)
    row = db.execute(
        select(User, Profile).outerjoin(Profile, Profile.user_id == User.id).where(func.lower(User.email) == key)
    ).first()
    user, profile = (row[0], row[1]) if row else (None, None)
    password_ok = verify_password(password, user.password if user else _dummy_hash())
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

    if throttle.locked_until is not None and throttle.locked_until > now:
        log("login_refused_locked", "medium")
        return LoginResult(
            LoginOutcome.LOCKED,
            "Too many failed sign-ins for this email. Sign-in is paused; try again in "
            f"{describe_minutes(throttle.locked_until - now)}.",
        )

    if not password_ok:
        failures, locked = _record_failure(throttle, policy, now)
        log("login_failed", "medium" if user else "low", failures_in_window=failures)
        if locked:
            log("account_locked", "high", locked_until=throttle.locked_until)
            return LoginResult(
                LoginOutcome.LOCKED,
                f"Too many failed sign-ins for this email. Sign-in is paused for {describe_minutes(policy.lockout)}.",
            )
        return LoginResult(LoginOutcome.INVALID, GENERIC_FAILURE)

    throttle.recent_failures = []
    throttle.locked_until = None
    throttle.updated_at = now
    refusal = _staff_refusal(profile)
    if refusal is not None:
        log("login_refused_role" if refusal[0] is LoginOutcome.NOT_STAFF else f"login_refused_{refusal[0]}", "medium")
        return LoginResult(*refusal)

    session, token = _start_session(db, user, client, policy, now)
    client = ClientInfo(session.id, client.ip_address, client.user_agent)
    log("login_succeeded")
    return LoginResult(LoginOutcome.SUCCESS, "", token=token, signed_in=_signed_in(db, session, user, profile))


_ENDED_MESSAGES = {
    # Seen by the other tabs of a browser that signed out in one of them.
    "logout": "This browser signed out (perhaps in another tab or window). Sign in again to continue.",
    "idle_timeout": "You were signed out after {idle} without activity. Sign in again to continue.",
    "absolute_timeout": "You have been signed in for {absolute}, the longest allowed. Sign in again to continue.",
    "deactivated": "Your account has been deactivated, so you were signed out.",
    "not_staff": "Your role no longer allows access to this dashboard, so you were signed out.",
    "no_hospital": "Your account is no longer linked to a hospital, so you were signed out.",
    "password_changed": "Your password was changed, so this sign-in ended. Sign in with the new password.",
    "password_reset": "An administrator reset your password, so you were signed out. Sign in with the new password.",
    "password_guesses": "Too many wrong current passwords were typed on My account, so you were signed out "
    "everywhere and sign-in for this account is paused for a while.",
}


def ended_message(reason: str, policy: AuthPolicy) -> str:
    template = _ENDED_MESSAGES.get(reason, "")
    return template.format(
        idle=describe_minutes(policy.idle_timeout), absolute=describe_minutes(policy.absolute_timeout)
    )


def resume(
    db: Session,
    token: str,
    client: ClientInfo,
    *,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> SignedIn | SessionEnded:
    """Validate a session token on every run, re-reading role, hospital and active flag."""
    policy = policy or AuthPolicy.from_settings()
    now = _now(now)
    row = db.execute(
        select(AuthSession, User, Profile)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(AuthSession.token_hash == hash_token(token or ""))
    ).first()
    if row is None:
        return SessionEnded("unknown", "")
    session, user, profile = row
    if session.revoked_at is not None:
        return SessionEnded(session.revoked_reason or "revoked", ended_message(session.revoked_reason or "", policy))

    reason = None
    if now >= session.expires_at:
        reason = "absolute_timeout"
    elif now - session.last_seen_at > policy.idle_timeout:
        reason = "idle_timeout"
    else:
        refusal = _staff_refusal(profile)
        if refusal is not None:
            reason = {LoginOutcome.INACTIVE: "deactivated", LoginOutcome.NO_HOSPITAL: "no_hospital"}.get(
                refusal[0], "not_staff"
            )
    if reason is not None:
        session.revoked_at = now
        session.revoked_reason = reason
        db.add(
            audit.build_row(
                user_id=user.id,
                hospital_id=profile.hospital_id if profile else None,
                client=ClientInfo(session.id, client.ip_address, client.user_agent),
                action_category=audit.CATEGORY_AUTH,
                action_type="session_ended",
                resource_type="session",
                resource_id=session.id,
                new_values={"reason": reason},
            )
        )
        db.flush()
        return SessionEnded(reason, ended_message(reason, policy))

    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.last_seen_at = now
    return _signed_in(db, session, user, profile)


def sign_out(db: Session, actor: Actor, token: str, *, now: datetime | None = None) -> None:
    """Revoke this browser's session and audit the sign-out."""
    now = _now(now)
    session = db.scalar(select(AuthSession).where(AuthSession.token_hash == hash_token(token or "")))
    if session is None or session.revoked_at is not None:
        return
    session.revoked_at = now
    session.revoked_reason = "logout"
    audit.record(
        db,
        actor,
        action_category=audit.CATEGORY_AUTH,
        action_type="logout",
        resource_type="session",
        resource_id=session.id,
    )


def revoke_user_sessions(
    db: Session, user_id: str, reason: str, *, now: datetime | None = None, keep_session_id: str | None = None
) -> int:
    stmt = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(now), revoked_reason=reason)
    )
    if keep_session_id is not None:
        stmt = stmt.where(AuthSession.id != keep_session_id)
    return db.execute(stmt.execution_options(synchronize_session=False)).rowcount


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
    now = _now(now)
    user = db.get(User, actor.user_id, with_for_update=True)
    if user is None:
        raise NotFound("Your account no longer exists.")
    validate_new_password(new_password, repeated)
    if not verify_password(current_password or "", user.password):
        if _count_wrong_current_password(db, actor, user, policy, now):
            return PasswordChange(
                None,
                "Too many wrong current passwords. For safety you are signed out everywhere and sign-in "
                f"for this account is paused for {describe_minutes(policy.lockout)}.",
            )
        return PasswordChange(None, "Your current password is not right. Type it again.")
    if verify_password(new_password, user.password):
        raise InvalidInput("The new password is the same as the current one. Choose a different one.")
    user.password = hash_password(new_password)
    # The new session ends when the old one would have: a password change must not extend the
    # absolute limit, which counts from the sign-in.
    current = db.get(AuthSession, actor.client.session_id) if actor.client.session_id else None
    expires_at = current.expires_at if current is not None and current.user_id == user.id else None
    revoke_user_sessions(db, user.id, "password_changed", now=now)
    session, token = _start_session(db, user, actor.client, policy, now, expires_at=expires_at)
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
    """A wrong current password counts like a failed sign-in of the account; returns True when that locked it.

    Someone at an unattended, signed-in browser could otherwise guess the password without limit. At
    the limit the account's sign-in is paused and every session of it ends, this one included.
    """
    throttle = _lock_throttle(db, normalise_email(user.email))
    failures, locked = _record_failure(throttle, policy, now)
    details = {"failures_in_window": failures}
    if locked:
        revoke_user_sessions(db, user.id, "password_guesses", now=now)
        details["locked_until"] = throttle.locked_until
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


def lock_account_in_scope(db: Session, actor: Actor, user_id: str) -> tuple[User, Profile]:
    """An account's user and profile rows, locked for the caller's change, if they are in the actor's scope.

    A missing account is NotFound; one in another hospital is refused and the refusal audited.
    """
    row = db.execute(
        select(User, Profile).join(Profile, Profile.user_id == User.id).where(User.id == user_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("That account no longer exists.")
    user, profile = row
    require_in_scope(db, actor, resource_type="user", resource_id=user_id, row_hospital_id=profile.hospital_id)
    return user, profile


def reset_password(db: Session, actor: Actor, user_id: str, new_password: str, *, now: datetime | None = None) -> None:
    """ADMIN only: set another user's password, end their sessions and lift any lockout."""
    require_role(db, actor, {UserRole.ADMIN}, "reset passwords")
    if user_id == actor.user_id:
        # A reset skips the current-password check; an unattended session must not change its own password.
        raise InvalidInput("To change your own password, use My account: it asks for your current password.")
    user, profile = lock_account_in_scope(db, actor, user_id)
    validate_new_password(new_password)
    user.password = hash_password(new_password)
    revoke_user_sessions(db, user.id, "password_reset", now=now)
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == normalise_email(user.email))
        .values(recent_failures=[], locked_until=None)
    )
    audit.record(
        db,
        actor,
        action_category=audit.CATEGORY_USERS,
        action_type="password_reset",
        resource_type="user",
        resource_id=user.id,
        new_values={"email": user.email},
        concerns_hospital=profile.hospital_id,
        impact_level="high",
        compliance_relevant=True,
    )
