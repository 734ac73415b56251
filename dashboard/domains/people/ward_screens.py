"""Ward screens, as administrators manage them: list, create (the pairing link, shown once) and revoke.

A network administrator manages every hospital's screens, a hospital administrator their own hospital's
(permissions "ward_screens"). Creating a screen makes its secret here and hands it back once, inside the
pairing link; only its SHA-256 hash is stored (db/models/screens.py), and neither the audit row nor the
log ever holds it. Revoking ends the screen's view at its next refresh (screen_sign_in.check_screen).
Each command is one transaction with its audit row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.people.sessions import hash_token
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_in_scope, require_role
from db.models import Hospital, WardScreen
from db.models.screens import NAME_MAX

MANAGERS = permissions.writers("ward_screens")
LISTED_AT_MOST = 500  # a network has a few screens a ward; more than this is a mistake worth seeing
_audit = audit.Recorder(audit.CATEGORY_USERS, "ward_screen", impact="medium", compliance_relevant=True)


@dataclass(frozen=True)
class ScreenRow:
    screen_id: str
    name: str
    hospital_id: str
    hospital_name: str
    department: str | None
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    @property
    def shows(self) -> str:
        return f"{self.department} waiting, the hospital's beds" if self.department else "The whole hospital"


@dataclass(frozen=True)
class NewScreen:
    """A screen just created; `key` is its secret, here once and never again (it goes into the pairing link)."""

    screen_id: str
    name: str
    key: str = field(repr=False)

    def pairing_path(self) -> str:
        return f"/ward-screen?screen={self.screen_id}&key={self.key}"


@permissions.reads("ward_screens", "see ward screens")
def list_screens(db: Session, actor: Actor) -> list[ScreenRow]:
    """The screens in scope, live ones first, newest first."""
    stmt = (
        select(
            WardScreen.id, WardScreen.name, WardScreen.hospital_id, Hospital.name, WardScreen.department,
            WardScreen.created_at, WardScreen.last_seen_at, WardScreen.revoked_at,
        )
        .join(Hospital, Hospital.id == WardScreen.hospital_id)
        .order_by(WardScreen.revoked_at.is_not(None), WardScreen.created_at.desc(), WardScreen.id)
        .limit(LISTED_AT_MOST)
    )  # fmt: skip
    return [ScreenRow(*r) for r in db.execute(limit_to_scope(stmt, actor, WardScreen.hospital_id))]


def _clean(text: str | None, what: str, *, required: bool) -> str | None:
    value = " ".join((text or "").replace("\x00", "").split())
    if not value:
        if required:
            raise InvalidInput(f"Give the screen {what}, such as \u201cWard B nurses' station\u201d.")
        return None
    if len(value) > NAME_MAX:
        raise InvalidInput(f"Keep the screen's {what} to {NAME_MAX} characters; it has {len(value)}.")
    return value


def create_screen(db: Session, actor: Actor, hospital_id: str, name: str, department: str | None = None) -> NewScreen:
    """A new screen of a hospital in scope, and its secret (returned once: only its hash is stored)."""
    require_role(db, actor, MANAGERS, "pair ward screens")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    name = _clean(name, "a name that says where it hangs", required=True)
    department = _clean(department, "department", required=False)
    key = secrets.token_urlsafe(32)  # 32 random bytes: a fast hash hides them (nothing to guess, unlike a password)
    screen = WardScreen(
        hospital_id=hospital_id, name=name, department=department, key_hash=hash_token(key), created_by=actor.user_id
    )
    db.add(screen)
    db.flush()
    # The row names the screen and what it shows; the secret is never written anywhere but the link.
    _audit(db, actor, "ward_screen_created", screen.id, hospital=hospital_id,
           new={"name": name, "hospital": hospital_name, "department": department})  # fmt: skip
    return NewScreen(screen.id, name, key)


def revoke_screen(db: Session, actor: Actor, screen_id: str, *, now: datetime | None = None) -> str:
    """Disconnect a screen in scope; its view ends at its next refresh. Returns its name."""
    require_role(db, actor, MANAGERS, "disconnect ward screens")
    screen = (
        db.scalar(select(WardScreen).where(WardScreen.id == screen_id).with_for_update())
        if usable_id(screen_id)
        else None
    )
    if screen is None:
        raise NotFound("That screen no longer exists.")
    require_in_scope(db, actor, resource_type="ward_screen", resource_id=screen.id, row_hospital_id=screen.hospital_id)
    if screen.revoked_at is not None:
        raise InvalidInput(f"\u201c{screen.name}\u201d is already disconnected.")
    screen.revoked_at = now or datetime.now(UTC)
    screen.revoked_by = actor.user_id
    _audit(db, actor, "ward_screen_revoked", screen.id, hospital=screen.hospital_id,
           old={"state": "paired"}, new={"state": "disconnected", "name": screen.name})  # fmt: skip
    return screen.name
