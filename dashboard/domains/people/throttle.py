"""Failed sign-ins slow the guesser down instead of locking the account.

Locking would let anyone lock anyone out by typing wrong passwords. Failures are counted in the
database (login_throttles), so every app process agrees, under three keys:

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

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from dashboard.domains.people.auth_policy import AuthPolicy
from dashboard.domains.people.sessions import hash_token
from db.models import AuthSession, LoginThrottle, User

MAX_EMAIL_CHARS = 320
ADDRESS_PREFIX = "ADDRESS "
DEVICE_PREFIX = "DEVICE "

WAIT_MESSAGES = {
    "address": "Too many failed attempts from here; try again in {wait}.",
    "email": "Too many failed sign-ins for this email from unfamiliar browsers; try again in {wait}. "
    "A browser that has signed in to this account before is not held up.",
    "browser": "Too many failed attempts from this browser; try again in {wait}.",
}


def normalise_email(email: str) -> str:
    # PostgreSQL text cannot hold NUL; a pasted one must fail like a wrong address, not crash sign-in.
    return (email or "").replace("\x00", "").strip().lower()[:MAX_EMAIL_CHARS]


def address_key(ip_address: str | None) -> str | None:
    # Upper case: a normalised (lower-cased) email can never be typed to collide with it.
    address = (ip_address or "").replace("\x00", "").strip()[:100]
    return f"{ADDRESS_PREFIX}{address}" if address else None


def device_key(email: str, device_token: str) -> str:
    """The trust row of one browser for one email; only a hash of the browser's token is kept."""
    return f"{DEVICE_PREFIX}{email} {hash_token(device_token)}"


def lock(db: Session, keys: list[str], *, if_present: tuple[str, ...] = ()) -> dict[str, LoginThrottle]:
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


def record_failure(throttle: LoginThrottle, policy: AuthPolicy, now: datetime) -> tuple[int, timedelta]:
    """Remember a failure; the next attempt under this key waits. Returns (failures remembered, wait)."""
    # Keep the array short: past the cap more history changes nothing.
    keep = policy.free_failures + 40
    recent = [t for t in (throttle.recent_failures or []) if t > now - policy.failure_memory][-keep:] + [now]
    wait = policy.wait_after(len(recent))
    throttle.recent_failures = recent
    throttle.locked_until = now + wait if wait else None
    throttle.updated_at = now
    return len(recent), wait


def clear(throttle: LoginThrottle | None, now: datetime) -> None:
    if throttle is not None:
        throttle.recent_failures = []
        throttle.locked_until = None
        throttle.updated_at = now


def waiting(throttle: LoginThrottle | None, now: datetime) -> timedelta:
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= now:
        return timedelta(0)
    return throttle.locked_until - now


def known_address(db: Session, user: User | None, ip_address: str | None, policy: AuthPolicy, now: datetime) -> bool:
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


def trust_browser(db: Session, email: str, device_token: str | None, now: datetime) -> str:
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


def lift_email_wait(db: Session, email: str) -> None:
    """Forget the failures counted on `email` (a new password makes them moot); addresses keep theirs."""
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == normalise_email(email))
        .values(recent_failures=[], locked_until=None)
    )
