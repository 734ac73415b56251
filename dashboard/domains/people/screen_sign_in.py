"""A ward screen signs in with its secret, and is checked again on every run and every refresh.

The device's credential is its screen's id and secret (the pairing link, ward_screens.create_screen).
Pairing (`pair`) compares the secret's hash with the stored one in constant time (hmac.compare_digest,
against a dummy hash for an unknown screen, so the time taken does not tell whether a screen exists) and
is throttled like sign-in (throttle.py): every wrong or revoked key delays the address and the screen's
id, 2^k seconds once the free failures are spent. The audit rows name the screen, never the key.

After pairing the device holds only the hash (`check_screen` re-reads the screen by its primary key on
every run and refresh: revoked means disconnected at once). The screen reads as its hospital's scope
through the ward view's figure reads alone; the router refuses it every other page (`refuse_page`), and
its actor has no staff session, so every command refuses it as well (sessions.require_live_session).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.people import throttle
from dashboard.domains.people.auth_policy import AuthPolicy, describe_wait
from dashboard.domains.people.sessions import hash_token
from dashboard.platform import audit
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import NotPermitted
from dashboard.platform.inputs import usable_id
from db.base import UserRole
from db.models import Hospital, WardScreen

WRONG_KEY = (
    "This pairing link is not valid: it may be mistyped or cut short. Ask an administrator for the screen's "
    "link in Users & roles."
)
DISCONNECTED = "This screen was disconnected; ask an administrator to pair it again."
HELD_UP = "Too many wrong pairing links from here; try again in {wait}."
THROTTLE_PREFIX = "SCREEN "  # upper case: a normalised (lower-cased) email can never collide with it
USER_PREFIX = "screen:"  # the audit trail's "user" for what a screen does: the screen, named by its id
SEEN_RESOLUTION = timedelta(minutes=1)  # last_seen_at is for people ("seen 2 minutes ago"): no write per refresh
_DUMMY_HASH = hash_token("not a screen")


@dataclass(frozen=True)
class Paired:
    """A screen allowed to show its view on this run."""

    screen_id: str
    name: str
    hospital_id: str
    hospital_name: str
    department: str | None
    key_hash: str  # what the device keeps after pairing; the secret itself is let go

    def actor(self, client: ClientInfo) -> Actor:
        # Its hospital's scope for the view's reads. The session id names no staff session: every command
        # (kit/commands.in_a_live_session) refuses it before writing anything.
        return Actor(
            user_id=USER_PREFIX + self.screen_id,
            role=UserRole.HOSPITAL_ADMIN,
            hospital_id=self.hospital_id,
            client=ClientInfo(USER_PREFIX + self.screen_id, client.ip_address, client.user_agent),
        )


@dataclass(frozen=True)
class Refused:
    message: str


def _paired(db: Session, screen: WardScreen) -> Paired:
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == screen.hospital_id)) or "This hospital"
    return Paired(screen.id, screen.name, screen.hospital_id, hospital_name, screen.department, screen.key_hash)


def _seen(screen: WardScreen, now: datetime) -> None:
    if screen.last_seen_at is None or now - screen.last_seen_at >= SEEN_RESOLUTION:
        screen.last_seen_at = now


def _log(
    db: Session, client: ClientInfo, action: str, screen: WardScreen | None, impact: str = "low", *,
    acting: bool = True, **values,
) -> None:  # fmt: skip
    """A sign-in row (no staff user acts): by the screen when its key was right, else by nobody, about the screen."""
    db.add(
        audit.build_row(
            user_id=USER_PREFIX + screen.id if screen and acting else audit.ANONYMOUS_USER,
            hospital_id=screen.hospital_id if screen else None,
            client=client,
            action_category=audit.CATEGORY_AUTH,
            action_type=action,
            resource_type="ward_screen",
            resource_id=screen.id if screen else None,
            new_values={"screen": screen.name if screen else None, **values},
            impact_level=impact,
            compliance_relevant=impact != "low",
        )
    )


def pair(
    db: Session,
    screen_id: str,
    key: str,
    client: ClientInfo,
    *,
    resumed: bool = False,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> Paired | Refused:
    """Sign a device in as a screen from its id and secret (a pairing link, or the cookie of an earlier pairing).

    Never raises on what the link holds; the caller commits (throttles, audit, last seen).
    """
    policy = policy or AuthPolicy.from_settings()
    now = now or datetime.now(UTC)
    screen_id = (screen_id or "").replace("\x00", "").strip()[:100]
    keys = [THROTTLE_PREFIX + screen_id, *filter(None, [throttle.address_key(client.ip_address)])]
    counters = throttle.lock(db, keys)
    wait = max(throttle.waiting(c, now) for c in counters.values())
    screen = db.scalar(select(WardScreen).where(WardScreen.id == screen_id)) if usable_id(screen_id) else None
    if wait > timedelta(0):
        _log(db, client, "screen_pairing_throttled", screen, "medium", acting=False,
             wait_seconds=int(wait.total_seconds()) + 1)  # fmt: skip
        return Refused(HELD_UP.format(wait=describe_wait(wait)))
    right = hmac.compare_digest(screen.key_hash if screen else _DUMMY_HASH, hash_token(key or ""))
    if not right or screen.revoked_at is not None:
        wait = max(throttle.record_failure(c, policy, now)[1] for c in counters.values())
        _log(db, client, "screen_pairing_refused", screen, "medium", acting=right,
             reason="disconnected" if right else "wrong_key")  # fmt: skip
        if wait > timedelta(0):
            return Refused(HELD_UP.format(wait=describe_wait(wait)))
        return Refused(DISCONNECTED if right else WRONG_KEY)
    throttle.clear(counters[THROTTLE_PREFIX + screen_id], now)  # the address keeps its count, as at sign-in
    _seen(screen, now)
    _log(db, client, "screen_resumed" if resumed else "screen_paired", screen)
    return _paired(db, screen)


def check_screen(
    db: Session, screen_id: str, key_hash: str, client: ClientInfo, *, now: datetime | None = None
) -> Paired | Refused:
    """The per-run check of a paired device: one read by the screen's key; revoked or re-keyed ends it."""
    screen = db.get(WardScreen, screen_id) if usable_id(screen_id) else None
    if screen is None or not hmac.compare_digest(screen.key_hash, key_hash or "") or screen.revoked_at is not None:
        return Refused(DISCONNECTED)
    _seen(screen, now or datetime.now(UTC))
    return _paired(db, screen)


def refuse_page(db: Session, actor: Actor, page_title: str) -> None:
    """A screen asked for a page other than its view: refused in a sentence, and the attempt audited."""
    audit.record_refusal(
        db, actor, action_type="permission_denied", resource_type="ward_screen",
        resource_id=actor.user_id.removeprefix(USER_PREFIX), detail={"attempted": f"open the {page_title} page"},
    )  # fmt: skip
    raise NotPermitted(
        f"This screen shows only its ward view, not {page_title}. Staff sign in to the dashboard on their own device."
    )
