"""Ambulances: the requests on their way, and their status and ETA, which only move forward.

pending ─▶ dispatched ─▶ en route ─▶ arrived ─▶ completed       (or cancelled from any open status)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from dashboard.domains.emergencies.emergency import AUDIT_CATEGORY, WRITERS
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope, require_role
from dashboard.platform.transitions import Lifecycle
from db.models import AmbulanceRequest, Hospital, Profile

AMBULANCE_ORDER = ("pending", "dispatched", "en_route", "arrived", "completed")
STATUSES = (*AMBULANCE_ORDER, "cancelled")
# Forward only (staying put changes the ETA alone), or cancelled while still open.
AMBULANCE = Lifecycle(
    "ambulance request",
    {
        **{s: {*AMBULANCE_ORDER[i:], "cancelled"} for i, s in enumerate(AMBULANCE_ORDER[:-1])},
        "completed": set(),
        "cancelled": set(),
    },
)
OPEN_AMBULANCE_STATUSES = tuple(s for s in STATUSES if AMBULANCE.moves[s])
MAX_ETA_MINUTES = 24 * 60
_audit = audit.Recorder(AUDIT_CATEGORY, "ambulance_request")


@dataclass(frozen=True)
class AmbulanceRow:
    id: str
    patient_name: str
    emergency_type: str
    status: str
    pickup_address: str
    destination: str | None
    hospital_name: str | None
    hospital_id: str | None
    eta_minutes: int | None
    created_at: datetime
    age_minutes: float


def _ambulance_query(actor: Actor):
    stmt = (
        select(
            AmbulanceRequest.id,
            people.name_or("Unnamed patient"),
            AmbulanceRequest.emergency_type,
            AmbulanceRequest.status,
            AmbulanceRequest.pickup_address,
            AmbulanceRequest.destination_address,
            Hospital.name,
            AmbulanceRequest.assigned_hospital_id,
            AmbulanceRequest.ambulance_eta,
            AmbulanceRequest.created_at,
            cast(func.extract("epoch", func.now() - AmbulanceRequest.created_at), Float) / 60.0,
        )  # fmt: skip
        .outerjoin(Hospital, Hospital.id == AmbulanceRequest.assigned_hospital_id)
        .outerjoin(Profile, Profile.user_id == AmbulanceRequest.patient_id)
        .where(AmbulanceRequest.status.in_(OPEN_AMBULANCE_STATUSES))
    )
    if not actor.network_wide:
        stmt = stmt.where(AmbulanceRequest.assigned_hospital_id == actor.hospital_id)
    return stmt.order_by(AmbulanceRequest.created_at, AmbulanceRequest.id)


@permissions.reads("emergencies", "see ambulances")
def open_ambulances(db: Session, actor: Actor, *, limit: int = 200) -> list[AmbulanceRow]:
    """Ambulance requests not yet completed or cancelled, oldest first (at most `limit`)."""
    rows = db.execute(_ambulance_query(actor).limit(max(1, min(int(limit), 1000))))
    return [AmbulanceRow(*r[:10], age_minutes=float(r[10])) for r in rows]


def _require_move(current: str, becoming: Any) -> None:
    if current not in AMBULANCE.open_statuses:
        raise InvalidInput(f"This ambulance request is already {current}: it can no longer change.")
    if becoming not in STATUSES:
        raise InvalidInput(f"Pick one of the ambulance statuses: {', '.join(STATUSES)}.")
    if not AMBULANCE.may(current, becoming):
        raise InvalidInput(
            f"The ambulance is already {AMBULANCE.word(current)}; its status cannot go back to "
            f"{AMBULANCE.word(becoming)}."
        )


def update_ambulance(db: Session, actor: Actor, ambulance_id: str, *, status: str, eta_minutes: Any) -> AmbulanceRow:
    """Set an ambulance request's status (forward only, or cancelled) and its ETA in minutes. One audit row."""
    require_role(db, actor, WRITERS, "update ambulances")
    if not usable_id(ambulance_id):
        raise NotFound("That ambulance request no longer exists.")
    ambulance = db.scalar(select(AmbulanceRequest).where(AmbulanceRequest.id == ambulance_id).with_for_update())
    if ambulance is None:
        raise NotFound("That ambulance request no longer exists.")
    require_in_scope(
        db, actor, resource_type="ambulance_request", resource_id=ambulance.id,
        row_hospital_id=ambulance.assigned_hospital_id,
    )  # fmt: skip
    _require_move(ambulance.status, status)
    eta = check_eta(eta_minutes, required=status in ("dispatched", "en_route"))
    old = {"status": ambulance.status, "ambulance_eta": ambulance.ambulance_eta}
    new = {"status": status, "ambulance_eta": eta if eta is not None else ambulance.ambulance_eta}
    old_values, new_values = audit.changes(old, new)
    if not new_values:
        raise InvalidInput("Nothing to change: the ambulance already has this status and ETA.")
    ambulance.status, ambulance.ambulance_eta = new["status"], new["ambulance_eta"]
    db.flush()
    _audit(db, actor, "ambulance_updated", ambulance.id, old=old_values, new=new_values,
           hospital=ambulance.assigned_hospital_id)  # fmt: skip
    row = db.execute(
        _ambulance_query(Actor(actor.user_id, actor.role, None)).where(AmbulanceRequest.id == ambulance.id)
    ).first()
    if row is None:  # closed now: it has left the open list
        return AmbulanceRow(ambulance.id, "", ambulance.emergency_type, ambulance.status, ambulance.pickup_address,
                            ambulance.destination_address, None, ambulance.assigned_hospital_id,
                            ambulance.ambulance_eta, ambulance.created_at, 0.0)  # fmt: skip
    return AmbulanceRow(*row[:10], age_minutes=float(row[10]))


def check_eta(value: Any, *, required: bool) -> int | None:
    """Minutes until the ambulance arrives: a whole number from 0 to a day, or a sentence."""
    if value is None or value == "":
        if required:
            raise InvalidInput("Give the ambulance's ETA in minutes.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput("The ETA must be a whole number of minutes.")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"The ETA must be a whole number of minutes, not {str(value)[:20]!r}.") from None
    if not number.is_integer() or not 0 <= number <= MAX_ETA_MINUTES:
        raise InvalidInput(f"The ETA must be a whole number of minutes from 0 to {MAX_ETA_MINUTES:,}.")
    return int(number)
