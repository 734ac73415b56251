"""The referral handshake's commands: refer, accept or decline, withdraw, dispatch, arrive, close.

The steps and who takes them are in referral_reads.py's docstring. Every step is one transaction
with one audit row, timestamped by the database clock.

Concurrency: every command locks the referral rows it changes before the emergency row, in that
order, so two commands on one emergency queue behind each other instead of deadlocking; a referral
answered twice (two administrators, or the desk withdrawing it as the hospital accepts) finds it
already answered and says so. The partial unique index of migration 0009 holds one live referral
per emergency even for two desks referring at the same instant.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.emergencies import emergency as rules
from dashboard.domains.emergencies.ambulances import check_eta
from dashboard.domains.emergencies.diversion import diversion_holds
from dashboard.domains.emergencies.nearest import distance_to
from dashboard.domains.emergencies.referral_reads import (
    ANSWERS,
    ASK_REASON,
    REFERRAL,
    RESOURCE_TYPE,
    ReferralRow,
    answer_by,
    clock,
    commitment_of,
    get,
    require_party,
)
from dashboard.platform import audit
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import require_role
from db import settings
from db.base import UserRole
from db.models import AmbulanceRequest, EmergencyRequest, Hospital, Profile
from db.models.emergency import LIVE_REFERRAL_STATUSES, Referral

LIVE_INDEX = "uq_referrals_one_live_per_emergency"
MAX_NOTE_LENGTH = 300
_audit = audit.Recorder(rules.AUDIT_CATEGORY, RESOURCE_TYPE, impact="high")


# --- commands -------------------------------------------------------------------------------------


def refer(
    db: Session,
    actor: Actor,
    emergency_id: str,
    hospital_id: str,
    *,
    bed_type: str | None = None,
    note: Any = None,
    reason: Any = None,
    values: settings.Settings | None = None,
) -> ReferralRow:
    """Refer an open emergency to a hospital, which must answer. One audit row.

    Refused: a closed emergency, a hospital that is inactive, on diversion or that already declined
    this patient, an emergency referred and still within its answer time, or a patient who has
    arrived. A pending referral past its answer time is withdrawn by this one, in the same transaction.
    An emergency already accepted, dispatched or in progress is referred again only with `reason`
    (see the module's docstring): the earlier referral is ended and the reason is recorded.
    """
    require_role(db, actor, rules.WRITERS, "refer emergencies")
    _require_desk(db, actor)
    values = values or settings.current()
    note = checked_text(note, "The note", MAX_NOTE_LENGTH)
    if not usable_id(emergency_id):
        raise NotFound("That emergency no longer exists.")
    live = list(
        db.scalars(
            select(Referral)
            .where(Referral.emergency_request_id == emergency_id, Referral.status.in_(LIVE_REFERRAL_STATUSES))
            .with_for_update()
        ).all()
    )
    emergency = rules.find(db, actor, emergency_id, lock=True)
    # A referral made while this one waited for the emergency's lock: answer as if it had been seen first.
    locked = {r.id for r in live}
    live += [
        r
        for r in db.scalars(
            select(Referral).where(
                Referral.emergency_request_id == emergency.id, Referral.status.in_(LIVE_REFERRAL_STATUSES)
            )
        ).all()
        if r.id not in locked
    ]
    rules.require_open(emergency, "it cannot be referred.")
    bed = rules.check_bed(bed_type or rules.suggested_bed(emergency.emergency_type, emergency.severity))
    hospital = db.scalar(select(Hospital).where(Hospital.id == hospital_id)) if usable_id(hospital_id) else None
    if hospital is None:
        raise NotFound("That hospital no longer exists.")
    if not hospital.is_active:
        raise InvalidInput(f"{hospital.name} is not active in the network: pick another hospital.")
    if emergency.hospital_id == hospital.id:
        raise InvalidInput(f"The emergency is already with {hospital.name}: refer it to another hospital.")
    diverted = db.scalar(select(diversion_holds).where(Hospital.id == hospital.id))
    if diverted:
        until = f" until {clock(hospital.diversion_until)}" if hospital.diversion_until else ""
        raise InvalidInput(
            f"{hospital.name} is not accepting patients{until} ({hospital.diversion_reason}): pick another hospital."
        )
    declined = db.scalar(
        select(Referral.answered_at).where(
            Referral.emergency_request_id == emergency.id,
            Referral.to_hospital_id == hospital.id,
            Referral.status == "declined",
        )
    )
    if declined is not None:
        raise InvalidInput(
            f"{hospital.name} already declined this patient at {clock(declined)}: pick another hospital."
        )
    commitment = commitment_of(db, emergency, live)
    if commitment is not None:
        if commitment.blocking:
            raise InvalidInput(commitment.sentence)
        reason = checked_text(reason, "The reason for referring again", MAX_NOTE_LENGTH)
        if reason is None:
            raise InvalidInput(f"{commitment.sentence} {ASK_REASON}")
        note = f"Referred again: {reason}" + (f" — {note}" if note else "")
    withdrawn = None
    for current in live:
        target = db.scalar(select(Hospital.name).where(Hospital.id == current.to_hospital_id))
        if current.status != "pending":  # accepted or dispatched, overridden with a reason just above
            withdrawn = {"referral_id": current.id, "hospital": target, "was": current.status}
            _set(db, current, status="withdrawn", withdrawn_at=func.now())
            continue
        overdue = db.scalar(select(answer_by(values) < func.now()).where(Referral.id == current.id))
        if not overdue:
            deadline = db.scalar(select(answer_by(values)).where(Referral.id == current.id))
            raise InvalidInput(
                f"This patient is already referred to {target}, which has until {clock(deadline)} to answer; "
                "withdraw that referral first to refer elsewhere now."
            )
        _set(db, current, status="withdrawn", withdrawn_at=func.now())
        withdrawn = {"referral_id": current.id, "hospital": target}
    distance = None
    if emergency.location_latitude is not None and emergency.location_longitude is not None:
        distance = db.scalar(
            select(distance_to(emergency.location_latitude, emergency.location_longitude)).where(
                Hospital.id == hospital.id
            )
        )
    referral = Referral(
        emergency_request_id=emergency.id,
        from_hospital_id=emergency.hospital_id,
        to_hospital_id=hospital.id,
        bed_type=bed,
        distance_km=None if distance is None else Decimal(distance).quantize(Decimal("0.01")),
        note=note,
        referred_by=actor.user_id,
    )
    try:
        with db.begin_nested():
            db.add(referral)
            db.flush()
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) == LIVE_INDEX:
            raise InvalidInput(
                "Someone referred this patient a moment ago: the list now shows that referral; refresh to see it."
            ) from None
        raise
    _audit(db, actor, "referral_made", referral.id, hospital=hospital.id,
           new={"emergency_request_id": emergency.id, "to_hospital": hospital.name, "bed_type": bed,
                "distance_km": referral.distance_km, "note": note, "withdrew": withdrawn,
                "referred_again_because": reason if commitment is not None else None})  # fmt: skip
    return get(db, actor, referral.id, values=values)


def accept(db: Session, actor: Actor, referral_id: str, *, note: Any = None) -> ReferralRow:
    """The receiving hospital accepts: the emergency becomes its own. One audit row."""
    referral = _answerable(db, actor, referral_id, "accept")
    note = checked_text(note, "The note", MAX_NOTE_LENGTH)
    _set(db, referral, status="accepted", answered_at=func.now(), answered_by=actor.user_id,
         **({"note": note} if note else {}))  # fmt: skip
    db.execute(
        update(EmergencyRequest)
        .where(EmergencyRequest.id == referral.emergency_request_id)
        .values(hospital_id=referral.to_hospital_id)
        .execution_options(synchronize_session=False)
    )
    _record(db, actor, referral, "referral_accepted", {"status": "pending"}, {"status": "accepted", "note": note})
    return get(db, actor, referral.id)


def decline(db: Session, actor: Actor, referral_id: str, *, reason: Any) -> ReferralRow:
    """The receiving hospital declines, saying why; the desk then refers elsewhere. One audit row."""
    referral = _answerable(db, actor, referral_id, "decline")
    reason = checked_text(reason, "The reason", MAX_NOTE_LENGTH)
    if reason is None:
        raise InvalidInput('Say why the referral is declined (e.g. "no ICU bed free"), so the desk can choose well.')
    _set(db, referral, status="declined", answered_at=func.now(), answered_by=actor.user_id, decline_reason=reason)
    _record(db, actor, referral, "referral_declined", {"status": "pending"}, {"status": "declined", "reason": reason})
    return get(db, actor, referral.id)


def withdraw(db: Session, actor: Actor, referral_id: str) -> ReferralRow:
    """The desk takes back a referral still waiting for its answer. One audit row."""
    require_role(db, actor, rules.WRITERS, "withdraw referrals")
    _require_desk(db, actor)
    referral = _lock(db, actor, referral_id)
    _require_status(referral, "withdrawn")
    _set(db, referral, status="withdrawn", withdrawn_at=func.now())
    _record(db, actor, referral, "referral_withdrawn", {"status": "pending"}, {"status": "withdrawn"})
    return get(db, actor, referral.id)


def dispatch(db: Session, actor: Actor, referral_id: str, *, eta_minutes: Any) -> ReferralRow:
    """An ambulance is on its way to the accepting hospital: an ambulance request with its ETA. One audit row."""
    require_role(db, actor, rules.WRITERS, "dispatch ambulances")
    referral = _lock(db, actor, referral_id, carrying_out=True)
    _require_status(referral, "dispatched")
    eta = check_eta(eta_minutes, required=True)
    emergency = db.get(EmergencyRequest, referral.emergency_request_id, with_for_update=True)
    hospital = db.get(Hospital, referral.to_hospital_id)
    phone = db.scalar(select(Profile.phone).where(Profile.user_id == emergency.patient_id))
    where = (
        f"Emergency location ({emergency.location_latitude:.4f}, {emergency.location_longitude:.4f})"
        if emergency.location_latitude is not None and emergency.location_longitude is not None
        else "Emergency location not recorded"
    )
    ambulance = AmbulanceRequest(
        patient_id=emergency.patient_id,
        emergency_type=emergency.emergency_type,
        description=emergency.description,
        status="dispatched",
        pickup_address=where,
        pickup_latitude=emergency.location_latitude,
        pickup_longitude=emergency.location_longitude,
        destination_address=", ".join(p for p in (hospital.name, hospital.address) if p),
        destination_latitude=hospital.latitude,
        destination_longitude=hospital.longitude,
        contact_phone=phone or "not recorded",
        ambulance_eta=eta,
        assigned_hospital_id=hospital.id,
    )
    db.add(ambulance)
    db.flush()
    _set(db, referral, status="dispatched", dispatched_at=func.now(), ambulance_request_id=ambulance.id)
    emergency.status = "dispatched"
    db.flush()
    _record(db, actor, referral, "referral_dispatched", {"status": "accepted"},
           {"status": "dispatched", "ambulance_eta": eta, "ambulance_request_id": ambulance.id})  # fmt: skip
    return get(db, actor, referral.id)


def arrive(db: Session, actor: Actor, referral_id: str) -> ReferralRow:
    """The patient reached the receiving hospital (by the ambulance, or brought in). One audit row."""
    require_role(db, actor, rules.WRITERS, "record arrivals")
    referral = _lock(db, actor, referral_id, carrying_out=True)
    before = referral.status
    _require_status(referral, "arrived")
    _set(db, referral, status="arrived", arrived_at=func.now())
    _move_ambulance(db, referral, "arrived")
    _set_emergency(db, referral, "in_progress")
    _record(db, actor, referral, "referral_arrived", {"status": before}, {"status": "arrived"})
    return get(db, actor, referral.id)


def close(db: Session, actor: Actor, referral_id: str) -> ReferralRow:
    """The patient is handed over: the referral and the emergency are closed. One audit row."""
    require_role(db, actor, rules.WRITERS, "close referrals")
    referral = _lock(db, actor, referral_id, carrying_out=True)
    _require_status(referral, "closed")
    _set(db, referral, status="closed", closed_at=func.now())
    _move_ambulance(db, referral, "completed")
    _set_emergency(db, referral, "resolved")
    _record(db, actor, referral, "referral_closed", {"status": "arrived"}, {"status": "closed"})
    return get(db, actor, referral.id)


# --- helpers --------------------------------------------------------------------------------------


def _require_desk(db: Session, actor: Actor) -> None:
    """Referring is the network dispatch desk's (emergency.is_desk); anyone else is told why not."""
    if rules.is_desk(actor):
        return
    if actor.role is not UserRole.ADMIN:
        require_role(db, actor, frozenset({UserRole.ADMIN}), "refer or withdraw referrals (the dispatch desk does)")
    if not actor.network_wide:
        raise OutOfScope("The dispatch desk works on the whole network: pick All hospitals as the working scope.")


def _lock(db: Session, actor: Actor, referral_id: Any, *, carrying_out: bool = False) -> Referral:
    """The referral locked for a change. `carrying_out`: the desk or the receiving hospital may act."""
    if not usable_id(referral_id):
        raise NotFound("That referral no longer exists.")
    referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
    if referral is None:
        raise NotFound("That referral no longer exists.")
    require_party(db, actor, referral.id, referral.from_hospital_id, referral.to_hospital_id)
    if carrying_out and not actor.network_wide and actor.hospital_id != referral.to_hospital_id:
        raise NotPermitted("Only the receiving hospital or the dispatch desk can record this step.")
    return referral


def _answerable(db: Session, actor: Actor, referral_id: Any, verb: str) -> Referral:
    """A pending referral, locked, that the actor's scope may answer: the receiving hospital's only."""
    require_role(db, actor, rules.WRITERS, f"{verb} referrals")
    referral = _lock(db, actor, referral_id)
    if actor.hospital_id != referral.to_hospital_id:
        name = db.scalar(select(Hospital.name).where(Hospital.id == referral.to_hospital_id))
        raise NotPermitted(f"Only {name} can {verb} this referral, from its own emergencies page.")
    _require_status(referral, "accepted" if verb == "accept" else "declined")
    return referral


def _require_status(referral: Referral, becoming: str) -> None:
    current = referral.status
    if REFERRAL.may(current, becoming):
        return
    if current == becoming:
        raise InvalidInput(f"This referral is already {REFERRAL.word(becoming)}: nothing was changed.")
    if current in ANSWERS and becoming in ANSWERS:
        raise InvalidInput(f"This referral was already {REFERRAL.word(current)}, so it can no longer be {becoming}.")
    needs = {
        "dispatched": "accepted first",
        "arrived": "accepted (or its ambulance dispatched) first",
        "closed": "marked as arrived first",
    }.get(becoming, "waiting for an answer")
    raise InvalidInput(
        f"This referral is {REFERRAL.word(current)}; to be {becoming} it must be {needs}. Nothing was changed."
    )


def _set(db: Session, referral: Referral, **values: Any) -> None:
    db.execute(
        update(Referral).where(Referral.id == referral.id).values(**values).execution_options(synchronize_session=False)
    )
    db.refresh(referral)


def _move_ambulance(db: Session, referral: Referral, status: str) -> None:
    if referral.ambulance_request_id is None:
        return
    db.execute(
        update(AmbulanceRequest)
        .where(
            AmbulanceRequest.id == referral.ambulance_request_id,
            AmbulanceRequest.status.not_in(("completed", "cancelled")),
        )
        .values(status=status, **({"ambulance_eta": 0} if status == "arrived" else {}))
        .execution_options(synchronize_session=False)
    )


def _set_emergency(db: Session, referral: Referral, status: str) -> None:
    db.execute(
        update(EmergencyRequest)
        .where(EmergencyRequest.id == referral.emergency_request_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def _record(db: Session, actor: Actor, referral: Referral, action: str, old: dict, new: dict) -> None:
    new = {**{k: v for k, v in new.items() if v is not None}, "emergency_request_id": referral.emergency_request_id}
    _audit(db, actor, action, referral.id, old=old, new=new, hospital=referral.to_hospital_id)
