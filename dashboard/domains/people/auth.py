"""Sign-in, throttling, server-side sessions and passwords.

bcrypt (cost 12) checks every password; an unknown email is checked against a dummy hash so the
time taken does not tell whether an address exists. A signed-in browser holds a random token in a
cookie; the database keeps only its SHA-256 hash with the session's expiry, and every run re-reads
the user's role, hospital and active flag through `resume`, so a change takes effect on the user's
next click.

Failed sign-ins slow the guesser down instead of locking the account (which anyone could do to
anyone by typing wrong passwords). Failures are counted in the database (login_throttles), so
every app process agrees, under three keys:

- the client address: every failure from it, whatever the email. After `free_failures` of them
  each further attempt from that address waits 2, 4, 8 … seconds, up to `max_wait`.
- the email: failures on it from browsers it has no trust in, whatever their address. The same
  progressive wait holds up attempts on that email from such browsers, so a guesser spreading
  attempts over many addresses is slowed too.
- a trusted browser: a browser that signed in to the account holds a device token (a cookie,
  only its hash is stored, tied to that email). It is exempt from the address's and the email's
  waits and has a counter of its own. An address from which the account signed in within
  `known_address_for` is exempt from the email's wait (not from its own).

So an attacker's failures from address A hold up A, and new browsers on that email, but never the
owner at a browser or address they have signed in from before. Addresses alone are not trusted
for the address wait because they are shared (a hospital behind one NAT): a failing address
slows everyone at it except browsers holding a device token.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from dashboard.platform import audit, settings
from dashboard.platform.actors import STAFF_ROLES, Actor, ClientInfo
from dashboard.platform.errors import InvalidInput, NotFound, ServiceError
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.base import UserRole
from db.models import AuthSession, Hospital, LoginThrottle, Profile, User
from db.passwords import MAX_PASSWORD_BYTES, PasswordTooLong, hash_password, verify_password

MIN_PASSWORD_CHARS = 8
MAX_EMAIL_CHARS = 320
# Touch last_seen_at at most this often: the idle limit is in minutes, a write per click is waste.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)

# Also the answer to a patient's, physician's or agent's right password: a different one would tell
# a guesser that a password of the patient app is right (see `authenticate`).
GENERIC_FAILURE = (
    "That email and password do not match an account that may use this dashboard. Check both and try "
    "again. Patient, physician and agent accounts cannot sign in here."
)


@dataclass(frozen=True)
class AuthPolicy:
    free_failures: int = 5
    max_wait: timedelta = timedelta(minutes=15)
    failure_memory: timedelta = timedelta(hours=24)
    known_address_for: timedelta = timedelta(days=30)
    idle_timeout: timedelta = timedelta(minutes=15)
    absolute_timeout: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, values: settings.Settings | None = None) -> AuthPolicy:
        """The sign-in limits of the settings (HEALTHDASH_IDLE_TIMEOUT_MINUTES, HEALTHDASH_SIGN_IN_… and so on)."""
        values = values or settings.current()
        return cls(
            free_failures=int(values.sign_in_free_failures),
            max_wait=timedelta(minutes=values.sign_in_max_wait_minutes),
            failure_memory=timedelta(hours=values.sign_in_memory_hours),
            known_address_for=timedelta(days=values.sign_in_known_address_days),
            idle_timeout=timedelta(minutes=values.idle_timeout_minutes),
            absolute_timeout=timedelta(hours=values.session_max_hours),
        )

    def wait_after(self, failures: int) -> timedelta:
        """How long the next attempt waits after `failures` remembered failures: 2^k seconds, capped."""
        if failures < self.free_failures:
            return timedelta(0)
        exponent = min(failures - self.free_failures + 1, 30)  # 2^30 s is far past any cap
        return min(self.max_wait, timedelta(seconds=2**exponent))


def describe_minutes(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def describe_wait(delta: timedelta) -> str:
    """A wait in words, rounded up: '30 seconds', '1 minute', '15 minutes'."""
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} second" + ("s" if seconds != 1 else "")
    minutes = math.ceil(seconds / 60)
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
    THROTTLED = "throttled"
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
    # On success: this browser's device token for the account (the one it brought, or a new one).
    device_token: str | None = None


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


def profile_is_not_staff(profile: Profile | None) -> bool:
    return profile is None or profile.role not in STAFF_ROLES


ADDRESS_PREFIX = "ADDRESS "
DEVICE_PREFIX = "DEVICE "


def address_key(ip_address: str | None) -> str | None:
    # Upper case: a normalised (lower-cased) email can never be typed to collide with it.
    address = (ip_address or "").replace("\x00", "").strip()[:100]
    return f"{ADDRESS_PREFIX}{address}" if address else None


def device_key(email: str, device_token: str) -> str:
    """The trust row of one browser for one email; only a hash of the browser's token is kept."""
    return f"{DEVICE_PREFIX}{email} {hash_token(device_token)}"


def _lock_throttles(db: Session, keys: list[str], *, if_present: tuple[str, ...] = ()) -> dict[str, LoginThrottle]:
    """The throttle rows of `keys` (made when missing) and of `if_present` (never made), locked.

    All in one statement ordered by key, so every caller takes the locks in the same order and two
    sign-ins cannot deadlock.
    """
    db.execute(pg_insert(LoginThrottle).values([{"email": k} for k in sorted(set(keys))]).on_conflict_do_nothing())
    # FOR UPDATE: two tabs or two app processes failing at once must both be counted.
    rows = db.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.email.in_([*keys, *if_present]))
        .order_by(LoginThrottle.email)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.email: row for row in rows}


def _record_failure(throttle: LoginThrottle, policy: AuthPolicy, now: datetime) -> tuple[int, timedelta]:
    """Remember a failure; the next attempt under this key waits. Returns (failures remembered, wait)."""
    # Keep the array short: past the cap more history changes nothing.
    keep = policy.free_failures + 40
    recent = [t for t in (throttle.recent_failures or []) if t > now - policy.failure_memory][-keep:] + [now]
    wait = policy.wait_after(len(recent))
    throttle.recent_failures = recent
    throttle.locked_until = now + wait if wait else None
    throttle.updated_at = now
    return len(recent), wait


def _clear(throttle: LoginThrottle | None, now: datetime) -> None:
    if throttle is not None:
        throttle.recent_failures = []
        throttle.locked_until = None
        throttle.updated_at = now


def _waiting(throttle: LoginThrottle | None, now: datetime) -> timedelta:
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= now:
        return timedelta(0)
    return throttle.locked_until - now


def _known_address(db: Session, user: User | None, ip_address: str | None, policy: AuthPolicy, now: datetime) -> bool:
    """Whether the account signed in from this address lately (its sessions record where from)."""
    if user is None or not ip_address:
        return False
    return bool(
        db.scalar(
            select(
                exists().where(
                    AuthSession.user_id == user.id,
                    AuthSession.ip_address == ip_address,
                    AuthSession.created_at > now - policy.known_address_for,
                )
            )
        )
    )


def _trust_browser(db: Session, email: str, device_token: str | None, now: datetime) -> str:
    """Remember that this browser signed in to `email`; returns its device token (a new one if it had none)."""
    token = device_token or secrets.token_urlsafe(32)
    db.execute(
        pg_insert(LoginThrottle)
        .values(email=device_key(email, token), recent_failures=[], locked_until=None, updated_at=now)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.email], set_={"recent_failures": [], "locked_until": None, "updated_at": now}
        )
    )
    return token


def forget_trusted_browsers(db: Session, email: str) -> int:
    """Withdraw every browser's trust for `email` (its password was guessed at, or reset)."""
    prefix = f"{DEVICE_PREFIX}{normalise_email(email)} "
    stmt = delete(LoginThrottle).where(func.starts_with(LoginThrottle.email, prefix))
    return db.execute(stmt.execution_options(synchronize_session=False)).rowcount


_WAIT_MESSAGES = {
    "address": "Too many failed attempts from here; try again in {wait}.",
    "email": "Too many failed sign-ins for this email from unfamiliar browsers; try again in {wait}. "
    "A browser that has signed in to this account before is not held up.",
    "browser": "Too many failed attempts from this browser; try again in {wait}.",
}


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
    now = _now(now)
    key = normalise_email(email)
    password = password or ""
    if not key or not password:
        return LoginResult(LoginOutcome.INVALID, "Enter your email and password.")
    device_token = (device_token or "").strip()[:200] or None

    # A trusted browser is one whose token has a row under this email; a made-up token has none.
    browser = device_key(key, device_token) if device_token else None
    own_address = address_key(client.ip_address)
    throttles = _lock_throttles(
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
    waits = {"browser": _waiting(device, now), "address": _waiting(address, now)}
    if device is None and not _known_address(db, user, client.ip_address, policy, now):
        waits["email"] = _waiting(account, now)
    held_by, wait = max(waits.items(), key=lambda item: item[1])
    if wait > timedelta(0):
        log("login_throttled", "medium", held_by=held_by, wait_seconds=math.ceil(wait.total_seconds()))
        return LoginResult(LoginOutcome.THROTTLED, _WAIT_MESSAGES[held_by].format(wait=describe_wait(wait)))

    password_ok = verify_password(password, user.password if user else _dummy_hash())
    # A patient's, physician's or agent's right password takes the wrong password's path (counted,
    # same answer, same work): the dashboard must not confirm passwords of the patient app, where
    # accounts are many and a guessed one opens medical records. Only the audit row tells them apart.
    not_staff = password_ok and profile_is_not_staff(profile)
    if not password_ok or not_staff:
        counts: dict[str, int] = {}
        waits = {}
        for name, throttle in (("browser", device), ("address", address), ("email", account)):
            if throttle is not None and (device is None or throttle is device):
                counts[f"failures_{name}"], waits[name] = _record_failure(throttle, policy, now)
        held_by, wait = max(waits.items(), key=lambda item: item[1])
        log(
            "login_refused_role" if not_staff else "login_failed",
            "medium" if user else "low",
            **counts,
            wait_seconds=math.ceil(wait.total_seconds()),
        )
        if wait > timedelta(0):
            return LoginResult(LoginOutcome.THROTTLED, _WAIT_MESSAGES[held_by].format(wait=describe_wait(wait)))
        return LoginResult(LoginOutcome.INVALID, GENERIC_FAILURE)

    # The right password: the email's count starts again (the address's does not: one good account
    # must not launder a guesser's failures on others from the same address).
    _clear(device, now)
    _clear(account, now)
    refusal = _staff_refusal(profile)
    if refusal is not None:  # a staff account that is deactivated or has no hospital: the owner is told why
        log(f"login_refused_{refusal[0]}", "medium")
        return LoginResult(*refusal)

    session, token = _start_session(db, user, client, policy, now)
    device_token = _trust_browser(db, key, device_token, now)
    client = ClientInfo(session.id, client.ip_address, client.user_agent)
    log("login_succeeded")
    return LoginResult(
        LoginOutcome.SUCCESS,
        "",
        token=token,
        signed_in=_signed_in(db, session, user, profile),
        device_token=device_token,
    )


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


def _end_reason(session: AuthSession, profile: Profile | None, policy: AuthPolicy, now: datetime) -> str | None:
    """Why a session that is not revoked must end now (timed out, deactivated, no longer staff), or None."""
    if now >= session.expires_at:
        return "absolute_timeout"
    if now - session.last_seen_at > policy.idle_timeout:
        return "idle_timeout"
    refusal = _staff_refusal(profile)
    if refusal is not None:
        return {LoginOutcome.INACTIVE: "deactivated", LoginOutcome.NO_HOSPITAL: "no_hospital"}.get(
            refusal[0], "not_staff"
        )
    return None


def _end(
    db: Session, session: AuthSession, profile: Profile | None, client: ClientInfo, reason: str, now: datetime
) -> None:
    session.revoked_at = now
    session.revoked_reason = reason
    db.add(
        audit.build_row(
            user_id=session.user_id,
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
    reason = _end_reason(session, profile, policy, now)
    if reason is not None:
        _end(db, session, profile, client, reason, now)
        return SessionEnded(reason, ended_message(reason, policy))
    if now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.last_seen_at = now
    return _signed_in(db, session, user, profile)


@dataclass(frozen=True)
class LiveSession:
    """What `check_session` confirms: the session is valid, and whose it is now."""

    session_id: str
    user_id: str
    role: UserRole
    hospital_id: str | None


class SessionNoLongerValid(ServiceError):
    """A command came from a session that has ended (signed out, timed out, deactivated) or whose role changed."""


SESSION_GONE = "Your sign-in has ended, so nothing was changed. Sign in again to continue."
ACCOUNT_CHANGED = (
    "An administrator changed your account just now, so nothing was changed. Check the page and try again."
)


def _session_row(db: Session, session_id: str | None) -> tuple[AuthSession, Profile | None] | None:
    # One indexed read (the session's primary key), cheap enough for every fragment run and command.
    if not usable_id(session_id):
        return None
    row = db.execute(
        select(AuthSession, Profile)
        .outerjoin(Profile, Profile.user_id == AuthSession.user_id)
        .where(AuthSession.id == session_id)
    ).first()
    return (row[0], row[1]) if row else None


def check_session(
    db: Session,
    session_id: str | None,
    client: ClientInfo,
    *,
    touch: bool,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> LiveSession | SessionEnded:
    """`resume` for a run that is not a whole page: a fragment's own run (dashboard/shell/gate.py).

    The same rules as `resume` (revoked, idle, absolute limit, deactivated, no longer staff), by the
    session's id. A session that must end is ended and audited here, as `resume` would. `touch` is
    False for a fragment's timed refresh: a page left open is not activity, so the idle limit still
    ends it; a click inside the fragment is.
    """
    policy = policy or AuthPolicy.from_settings()
    now = _now(now)
    found = _session_row(db, session_id)
    if found is None:
        return SessionEnded("unknown", "")
    session, profile = found
    if session.revoked_at is not None:
        return SessionEnded(session.revoked_reason or "revoked", ended_message(session.revoked_reason or "", policy))
    reason = _end_reason(session, profile, policy, now)
    if reason is not None:
        _end(db, session, profile, client, reason, now)
        return SessionEnded(reason, ended_message(reason, policy))
    if touch and now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.last_seen_at = now
    return LiveSession(session.id, session.user_id, profile.role, profile.hospital_id)


def valid_session_id(
    db: Session, token: str, *, policy: AuthPolicy | None = None, now: datetime | None = None
) -> str | None:
    """The id of the session a cookie's token belongs to while it is valid, else None; writes nothing.

    For a request that is not a page run (a download, dashboard/web_security.MediaGate): the same
    rules as `resume`, one indexed read, and no activity recorded (a download does not keep a
    session alive on its own; ending one is left to its next page run).
    """
    policy = policy or AuthPolicy.from_settings()
    row = db.execute(
        select(AuthSession, Profile)
        .outerjoin(Profile, Profile.user_id == AuthSession.user_id)
        .where(AuthSession.token_hash == hash_token(token or ""))
    ).first()
    if row is None or row[0].revoked_at is not None or _end_reason(row[0], row[1], policy, _now(now)) is not None:
        return None
    return row[0].id


def require_live_session(db: Session, actor: Actor, *, policy: AuthPolicy | None = None) -> None:
    """Refuse a command (SessionNoLongerValid) unless the actor's session is valid and their role unchanged.

    Run in the command's own transaction, first (dashboard/kit/commands.py), so a command from
    a page opened before a sign-out, a deactivation or the idle limit writes nothing. Nothing is
    written here either: the command's rollback would undo it; the next page run ends the session.
    """
    policy = policy or AuthPolicy.from_settings()
    found = _session_row(db, actor.client.session_id)
    if found is None:
        raise SessionNoLongerValid(SESSION_GONE)
    session, profile = found
    if (
        session.revoked_at is not None
        or session.user_id != actor.user_id
        or _end_reason(session, profile, policy, _now(None)) is not None
    ):
        raise SessionNoLongerValid(SESSION_GONE)
    # A role or hospital changed since the page was drawn: its actor no longer says what they may do.
    # (An ADMIN's actor carries the working scope they chose, not their profile's hospital.)
    moved = actor.role is not UserRole.ADMIN and profile.hospital_id != actor.hospital_id
    if profile.role is not actor.role or moved:
        raise SessionNoLongerValid(ACCOUNT_CHANGED)


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
    """A wrong current password counts like a failed sign-in, on the email and on the address.

    Someone at an unattended, signed-in browser could otherwise guess the password without limit.
    When the email's count reaches the limit every session of the account ends, this one included,
    and every browser's trust in it is withdrawn, so the guesser, now signed out, meets the waits of
    an unfamiliar browser. Returns True then.
    """
    key = normalise_email(user.email)
    own_address = address_key(actor.client.ip_address)
    throttles = _lock_throttles(db, [key, *([own_address] if own_address else [])])
    failures, wait = _record_failure(throttles[key], policy, now)
    if own_address:
        _record_failure(throttles[own_address], policy, now)
    locked = wait > timedelta(0)
    details = {"failures_email": failures}
    if locked:
        revoke_user_sessions(db, user.id, "password_guesses", now=now)
        forget_trusted_browsers(db, key)
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


def lock_account_in_scope(db: Session, actor: Actor, user_id: str) -> tuple[User, Profile]:
    """An account's user and profile rows, locked for the caller's change, if they are in the actor's scope.

    A missing account is NotFound; one in another hospital is refused and the refusal audited.
    """
    if not usable_id(user_id):  # a hand-made request's id; no account has one PostgreSQL cannot store
        raise NotFound("That account no longer exists.")
    row = db.execute(
        select(User, Profile).join(Profile, Profile.user_id == User.id).where(User.id == user_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("That account no longer exists.")
    user, profile = row
    require_in_scope(db, actor, resource_type="user", resource_id=user_id, row_hospital_id=profile.hospital_id)
    return user, profile


def reset_password(db: Session, actor: Actor, user_id: str, new_password: str, *, now: datetime | None = None) -> None:
    """ADMIN only: set another user's password, end their sessions, lift the email's wait, forget its browsers."""
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
    # Whoever knew the old password may hold a trusted browser; trust starts again from the new one.
    forget_trusted_browsers(db, user.email)
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
