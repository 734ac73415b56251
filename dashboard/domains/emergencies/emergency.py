"""An emergency request: its statuses, severities and the beds it needs, and which hospitals see it.

A hospital-scoped reader sees the emergencies its hospital holds and those referred to or from it
(the database's row-level security allows the same, migration 0009); the network sees them all.
Referring is the network dispatch desk's work: an ADMIN working on the whole network (`is_desk`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope
from dashboard.platform.transitions import Lifecycle
from db.base import UserRole
from db.models import EmergencyRequest
from db.models.emergency import Referral
from db.rules import GENERAL_WARD_BEDS, ICU_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS

READERS = permissions.readers("emergencies")
WRITERS = permissions.writers("emergencies")
AUDIT_CATEGORY = "emergency_dispatch"
EMERGENCY = Lifecycle(
    "emergency",
    {
        "pending": {"dispatched", "in_progress", "resolved", "cancelled"},
        "dispatched": {"in_progress", "resolved", "cancelled"},
        "in_progress": {"resolved", "cancelled"},
        "resolved": set(),
        "cancelled": set(),
    },
)
# The one definition of an open emergency, for this page and the Overview alike (figure "open_emergencies").
OPEN_STATUSES = tuple(status for status, nexts in EMERGENCY.moves.items() if nexts)
SEVERITY_ORDER = ("critical", "high", "medium", "low")
BED_TYPES = (ICU_BEDS, GENERAL_WARD_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS)

# Which beds an emergency needs by default; the dispatcher may pick another kind.
_BED_BY_TYPE = {
    "obstetric_emergency": MATERNITY_BEDS,
    "seizure": PAEDIATRIC_BEDS,
    "cardiac": ICU_BEDS,
    "stroke": ICU_BEDS,
    "respiratory_distress": ICU_BEDS,
}

severity_rank = case({s: i for i, s in enumerate(SEVERITY_ORDER)}, value=EmergencyRequest.severity, else_=9)
age_minutes = cast(func.extract("epoch", func.now() - EmergencyRequest.created_at), Float) / 60.0


def is_desk(actor: Actor) -> bool:
    """The network dispatch desk: an ADMIN working on the whole network refers and withdraws referrals."""
    return actor.network_wide and actor.role is UserRole.ADMIN


def suggested_bed(emergency_type: str | None, severity: str | None) -> str:
    """The bed an emergency most likely needs: ICU for the critical, maternity for obstetric, ..."""
    if emergency_type in _BED_BY_TYPE:
        return _BED_BY_TYPE[emergency_type]
    return ICU_BEDS if severity == "critical" else GENERAL_WARD_BEDS


def check_bed(bed_type: Any) -> str:
    if bed_type not in BED_TYPES:
        raise InvalidInput(f"Pick one of the bed types: {', '.join(BED_TYPES)}.")
    return bed_type


def check_severity(severity: Any) -> str | None:
    if severity and severity not in SEVERITY_ORDER:
        raise InvalidInput(f"Pick one of the severities: {', '.join(SEVERITY_ORDER)}.")
    return severity or None


def referred_to_or_from(hospital_id: str) -> Any:
    return exists().where(
        Referral.emergency_request_id == EmergencyRequest.id,
        or_(Referral.to_hospital_id == hospital_id, Referral.from_hospital_id == hospital_id),
    )


def scoped(stmt, actor: Actor):
    """A hospital sees its own emergencies and those referred to or from it; the network sees all."""
    if actor.network_wide:
        return stmt
    return stmt.where(or_(EmergencyRequest.hospital_id == actor.hospital_id, referred_to_or_from(actor.hospital_id)))


def find(db: Session, actor: Actor, emergency_id: Any, *, lock: bool = False) -> EmergencyRequest:
    """One emergency in the actor's scope; refused (and audited) outside it, NotFound when missing."""
    if not usable_id(emergency_id):
        raise NotFound("That emergency no longer exists.")
    stmt = select(EmergencyRequest).where(EmergencyRequest.id == emergency_id)
    emergency = db.scalar(stmt.with_for_update() if lock else stmt)
    if emergency is None:
        raise NotFound("That emergency no longer exists.")
    if actor.network_wide or emergency.hospital_id == actor.hospital_id:
        return emergency
    if db.scalar(select(referred_to_or_from(actor.hospital_id)).where(EmergencyRequest.id == emergency.id)):
        return emergency
    require_in_scope(
        db, actor, resource_type="emergency_request", resource_id=emergency.id, row_hospital_id=emergency.hospital_id
    )
    return emergency


def require_open(emergency: EmergencyRequest, then: str) -> None:
    """Refuse a closed emergency: "This emergency is already resolved: `then`"."""
    if emergency.status not in EMERGENCY.open_statuses:
        raise InvalidInput(f"This emergency is already {EMERGENCY.word(emergency.status)}: {then}")


def as_float(value: Any) -> float | None:
    return None if value is None else float(value)
