"""Verification decisions: approve or reject a pending hospital or document, with a reason its owner is told.

No double decision: the UPDATE carries `verification_status = 'pending'` in its WHERE. Two
administrators deciding the same item at once: the second UPDATE waits for the first's row lock,
then finds the row no longer pending, changes nothing, and is refused in a sentence naming who decided.
The reason lives in the notification and the audit row (neither table has a column for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, day_text
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.base import UserRole
from db.models import Document, Hospital, Notification, Profile, User

WRITERS = permissions.writers("verification")
DECISIONS = {"approve": "verified", "reject": "rejected"}
MAX_REASON_LENGTH = 500
_audit = audit.Recorder("verification", None, impact="high", compliance_relevant=True)


@dataclass(frozen=True)
class Decision:
    kind: str  # "hospital" or "document"
    name: str  # the hospital's name, or the document's
    status: str  # verified or rejected
    notified: int  # notifications written


def _checked_decision(decision: Any, reason: Any) -> tuple[str, str]:
    if decision not in DECISIONS:
        raise InvalidInput("Choose to approve or to reject.")
    text = checked_text(reason, "The reason", MAX_REASON_LENGTH)
    if text is None:
        raise InvalidInput("Give a reason for the decision: the owner reads it in their notification.")
    return DECISIONS[decision], text


def _decided_by(db: Session, user_id: str | None) -> str:
    if not user_id or not usable_id(user_id):
        return "another administrator"
    name = db.scalar(
        select(people.name_or(User.email))
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id == user_id)
    )
    return name or "another administrator"


def _notify(db: Session, user_ids: list[str], kind: str, title: str, message: str) -> int:
    db.add_all([Notification(user_id=u, type=kind, title=title, message=message) for u in user_ids])
    db.flush()
    return len(user_ids)


def decide_hospital(db: Session, actor: Actor, hospital_id: str, *, decision: str, reason: str) -> Decision:
    """Verify or reject a pending hospital; its administrators are told why."""
    require_role(db, actor, WRITERS, "verify hospitals")
    status, reason = _checked_decision(decision, reason)
    name = db.scalar(select(Hospital.name).where(Hospital.id == hospital_id)) if usable_id(hospital_id) else None
    if name is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    changed = db.execute(
        update(Hospital)
        .where(Hospital.id == hospital_id, Hospital.verification_status == "pending")
        .values(verification_status=status)
        .returning(Hospital.id)
        .execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        now_status = db.scalar(select(Hospital.verification_status).where(Hospital.id == hospital_id))
        raise InvalidInput(f"{name} is no longer awaiting verification (it is {now_status} now); nothing was changed.")
    admins = list(
        db.scalars(
            select(Profile.user_id)
            .where(Profile.hospital_id == hospital_id, Profile.role == UserRole.HOSPITAL_ADMIN)
            .order_by(Profile.user_id)
        )
    )
    if status == "verified":
        title, kind = "Hospital verified", "success"
        message = f"{name} is now verified on the network. Note from the reviewer: {reason}"
    else:
        title, kind = "Hospital verification rejected", "warning"
        message = f"{name} was not verified. Reason: {reason} Update its documents and ask for a new review."
    notified = _notify(db, admins, kind, title, message)
    action = "hospital_verified" if status == "verified" else "hospital_verification_rejected"
    _audit(db, actor, action, hospital_id, old={"verification_status": "pending"},
           new={"verification_status": status, "reason": reason, "notified": notified},
           hospital=hospital_id, resource_type="hospital")  # fmt: skip
    return Decision("hospital", name, status, notified)


def decide_document(db: Session, actor: Actor, document_id: str, *, decision: str, reason: str) -> Decision:
    """Verify or reject a pending document: status, who and when; its owner is told why."""
    require_role(db, actor, WRITERS, "verify documents")
    status, reason = _checked_decision(decision, reason)
    found = None
    if usable_id(document_id):
        found = db.execute(
            select(Document.document_name, Document.user_id, Profile.hospital_id)
            .select_from(Document)
            .outerjoin(Profile, Profile.user_id == Document.user_id)
            .where(Document.id == document_id)
        ).first()
    if found is None:
        raise NotFound("That document no longer exists.")
    name, owner, owner_hospital = found
    if not actor.network_wide:
        require_in_scope(db, actor, resource_type="document", resource_id=document_id, row_hospital_id=owner_hospital)
    changed = db.execute(
        update(Document)
        .where(Document.id == document_id, Document.verification_status == "pending")
        .values(verification_status=status, verified_by=actor.user_id, verified_at=func.now())
        .returning(Document.verified_at)
        .execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        now_status, by, at = db.execute(
            select(Document.verification_status, Document.verified_by, Document.verified_at).where(
                Document.id == document_id
            )
        ).one()
        when = f" on {day_text(at.astimezone(LAGOS).date())}" if at else ""
        raise InvalidInput(
            f'"{name}" was already {now_status} by {_decided_by(db, by)}{when}; nothing was changed.'
        )
    if status == "verified":
        title, kind = "Document verified", "success"
        message = f"Your document \u201c{name}\u201d is verified. Note from the reviewer: {reason}"
    else:
        title, kind = "Document rejected", "warning"
        message = f"Your document \u201c{name}\u201d was not accepted. Reason: {reason} Upload a new copy to try again."
    notified = _notify(db, [owner], kind, title, message)
    _audit(db, actor, "document_verified" if status == "verified" else "document_rejected", document_id,
           old={"verification_status": "pending", "verified_by": None, "verified_at": None},
           new={"verification_status": status, "verified_by": actor.user_id, "verified_at": changed[0],
                "reason": reason, "owner": owner},
           hospital=owner_hospital, resource_type="document")  # fmt: skip
    return Decision("document", name, status, notified)


