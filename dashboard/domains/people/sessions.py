"""Server-side sessions: started at sign-in, re-read on every run, ended when a rule says so.

A signed-in browser holds a random token in a cookie; the database keeps only its SHA-256 hash with
the session's expiry, and every run re-reads the user's role, hospital and active flag through
`resume`, so a change takes effect on the user's next click. A session ends when it is signed out,
idle past `idle_timeout`, older than `absolute_timeout`, or its account stops being a dashboard
account (accounts.refusal); a command from a session that has ended writes nothing
(`require_live_session`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashboard.domains.people import accounts
from dashboard.domains.people.auth_policy import AuthPolicy, describe_minutes
from dashboard.platform import audit
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import ServiceError
from dashboard.platform.inputs import usable_id
from db.base import UserRole
from db.models import AuthSession, Hospital, Profile, User

# Touch last_seen_at at most this often: the idle limit is in minutes, a write per click is waste.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


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
class SessionEnded:
    """Why a session is no longer valid; `message` is empty when there is nothing to tell."""

    reason: str
    message: str


def signed_in(db: Session, session: AuthSession, user: User, profile: Profile) -> SignedIn:
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


def start(
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
    refusal = accounts.refusal(profile)
    if refusal is not None:
        return {"inactive": "deactivated", "no_hospital": "no_hospital"}.get(refusal.reason, "not_staff")
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


def _ended(
    db: Session, session: AuthSession, profile: Profile | None, client: ClientInfo, policy: AuthPolicy, now: datetime,
    *, touch: bool,
) -> SessionEnded | None:  # fmt: skip
    """The one judgement of `resume` and `check_session`: why the session has ended (ending it now if
    a rule says so), or None when it is live (its activity then noted, when `touch`)."""
    if session.revoked_at is not None:
        return SessionEnded(session.revoked_reason or "revoked", ended_message(session.revoked_reason or "", policy))
    reason = _end_reason(session, profile, policy, now)
    if reason is not None:
        _end(db, session, profile, client, reason, now)
        return SessionEnded(reason, ended_message(reason, policy))
    if touch and now - session.last_seen_at >= LAST_SEEN_RESOLUTION:
        session.last_seen_at = now
    return None


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
    return _ended(db, session, profile, client, policy, now, touch=True) or signed_in(db, session, user, profile)


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
    ended = _ended(db, session, profile, client, policy, now, touch=touch)
    return ended or LiveSession(session.id, session.user_id, profile.role, profile.hospital_id)


def valid_session_id(
    db: Session, token: str, *, policy: AuthPolicy | None = None, now: datetime | None = None
) -> str | None:
    """The id of the session a cookie's token belongs to while it is valid, else None; writes nothing.

    For a request that is not a page run (a download, dashboard/shell/web_security.MediaGate): the same
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


