"""The referral handshake: the dispatch desk refers an emergency, the receiving hospital accepts or
declines, then the ambulance is dispatched, the patient arrives, and the referral is closed.

    pending ──accept──▶ accepted ──dispatch──▶ dispatched ──arrive──▶ arrived ──close──▶ closed
       │                    └─────────────arrive──────────────────────▲
       ├──decline (with a reason)──▶ declined
       └──withdraw (the desk, or a new referral once the answer is overdue)──▶ withdrawn

Who does what: the network's dispatch desk (an ADMIN in network scope) refers and withdraws; only
the receiving hospital's scope answers; the desk or the receiving hospital records dispatch, arrival
and closing. Every step is one transaction with one audit row, timestamped by the database clock.

Concurrency: every command locks the referral rows it changes before the emergency row, in that
order, so two commands on one emergency queue behind each other instead of deadlocking; a referral
answered twice (two administrators, or the desk withdrawing it as the hospital accepts) finds it
already answered and says so. The partial unique index of migration 0009 holds one live referral
per emergency even for two desks referring at the same instant.

Referring again (a decision for the dispatch desk): an emergency already accepted by a hospital,
with an ambulance dispatched to one, or marked dispatched or in progress, says so before it can be
referred again ("Ambulance dispatched to Beta at 10:42 on 3 Dec"), and a second referral is allowed
only with a reason, recorded in the new referral's note and in its audit row. It is allowed rather
than refused because the desk's job is the patient, and the plans that fall through after an accept
(the accepting ICU loses power, the ambulance breaks down) leave the desk no other path; the reason
makes the override visible to the new hospital and to the audit. The earlier referral is ended
(withdrawn) in the same transaction, since only one referral per emergency may be live; no
ambulance is called back by it: the desk cancels or redirects the ambulance itself. A patient who
has already arrived is refused: the handover is the receiving hospital's to close.

One state per screen: `board` reads, in one statement, the referrals a page lists, the count of
those awaiting an answer (so the card counts the table's rows) and one emergency's referral
history; `fingerprint` is the cheap read a page polls to know when to read the board again, and
`next_steps` says which commands a row offers to an actor, so every panel offers the same ones.

On acceptance the receiving hospital takes the emergency over (its hospital becomes the receiver),
so the emergency is in its scope from then on; the referring hospital keeps reading it through the
referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from dashboard.domains.emergencies import emergencies
from dashboard.platform import audit, permissions, settings
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import require_role
from db.base import UserRole
from db.models import AmbulanceRequest, EmergencyRequest, Hospital, Profile
from db.models.emergency import LIVE_REFERRAL_STATUSES, Referral

READERS = permissions.readers("emergencies")
WRITERS = permissions.writers("emergencies")
AUDIT_CATEGORY = emergencies.AUDIT_CATEGORY
RESOURCE_TYPE = "referral"
LIVE_INDEX = "uq_referrals_one_live_per_emergency"
MAX_NOTE_LENGTH = 300
RECENT_HOURS = 24  # answered referrals stay on the lists this long
STATUS_WORDS = {
    "pending": "waiting for an answer",
    "accepted": "accepted",
    "declined": "declined",
    "withdrawn": "withdrawn",
    "dispatched": "on its way (ambulance dispatched)",
    "arrived": "arrived",
    "closed": "closed",
}


STEP_ACCEPT, STEP_DECLINE, STEP_WITHDRAW = "accept", "decline", "withdraw"
STEP_DISPATCH, STEP_ARRIVE, STEP_CLOSE = "dispatch", "arrive", "close"
# After the answer: what the receiving hospital or the desk records next, in the order it happens.
_CARRY_OUT = {"accepted": (STEP_DISPATCH, STEP_ARRIVE), "dispatched": (STEP_ARRIVE,), "arrived": (STEP_CLOSE,)}
ASK_REASON = (
    "Referring again ends that referral but calls no ambulance back: say why the patient must go elsewhere "
    '(e.g. "Beta\'s ICU lost power"), and cancel or redirect the ambulance in the ambulances list.'
)


@dataclass(frozen=True)
class ReferralRow:
    id: str
    emergency_id: str
    emergency_type: str
    severity: str
    patient_name: str
    from_hospital_id: str | None
    from_hospital: str | None
    to_hospital_id: str
    to_hospital: str
    status: str
    bed_type: str | None
    distance_km: float | None
    note: str | None
    decline_reason: str | None
    referred_at: datetime
    answered_at: datetime | None
    dispatched_at: datetime | None
    arrived_at: datetime | None
    closed_at: datetime | None
    withdrawn_at: datetime | None
    minutes_since_referred: float
    overdue: bool  # pending past the answer time limit
    ambulance_eta: int | None
    ambulance_status: str | None


@dataclass(frozen=True)
class Board:
    """The referral state a page draws, read in one statement so every panel agrees."""

    rows: list[ReferralRow]  # listed: live, or answered in the last RECENT_HOURS; waiting first
    history: list[ReferralRow]  # every referral of the emergency asked about, oldest first
    awaiting: int  # figure "referrals_awaiting": listed rows waiting for an answer (past the limit too)
    overdue: int  # of those, past the answer time
    listed: int  # listed rows in all, before the limit
    fingerprint: str  # `fingerprint(...)` as read just before the rows
    commitment: Commitment | None = None  # what the asked-about emergency is committed to, said before referring

    @property
    def waiting(self) -> list[ReferralRow]:
        return [r for r in self.rows if r.status == "pending"]


@dataclass(frozen=True)
class Commitment:
    """What an emergency is already committed to, said before it is referred again."""

    sentence: str  # "Ambulance dispatched to Beta at 10:42 on 3 Dec (ETA 15 min)."
    blocking: bool  # True: a second referral is refused (the patient has arrived)
    referral_id: str | None  # the live referral a new one would end


def _answer_by(values: settings.Settings) -> Any:
    return Referral.referred_at + func.make_interval(0, 0, 0, 0, 0, literal(values.referral_answer_minutes))


def _rows_query(values: settings.Settings):
    source, target = aliased(Hospital), aliased(Hospital)
    patient_name = func.coalesce(
        func.nullif(func.concat_ws(" ", Profile.first_name, Profile.last_name), ""), "Unnamed patient"
    )
    return (
        select(
            Referral.id,
            Referral.emergency_request_id,
            EmergencyRequest.emergency_type,
            EmergencyRequest.severity,
            patient_name,
            Referral.from_hospital_id,
            source.name,
            Referral.to_hospital_id,
            target.name,
            Referral.status,
            Referral.bed_type,
            Referral.distance_km,
            Referral.note,
            Referral.decline_reason,
            Referral.referred_at,
            Referral.answered_at,
            Referral.dispatched_at,
            Referral.arrived_at,
            Referral.closed_at,
            Referral.withdrawn_at,
            cast(func.extract("epoch", func.now() - Referral.referred_at), Float) / 60.0,
            func.coalesce((Referral.status == "pending") & (_answer_by(values) < func.now()), False),
            AmbulanceRequest.ambulance_eta,
            AmbulanceRequest.status,
        )  # fmt: skip
        .join(EmergencyRequest, EmergencyRequest.id == Referral.emergency_request_id)
        .join(target, target.id == Referral.to_hospital_id)
        .outerjoin(source, source.id == Referral.from_hospital_id)
        .outerjoin(Profile, Profile.user_id == EmergencyRequest.patient_id)
        .outerjoin(AmbulanceRequest, AmbulanceRequest.id == Referral.ambulance_request_id)
    )


def _row(r: Any) -> ReferralRow:
    return ReferralRow(
        *r[:11],
        distance_km=None if r[11] is None else float(r[11]),
        note=r[12],
        decline_reason=r[13],
        referred_at=r[14],
        answered_at=r[15],
        dispatched_at=r[16],
        arrived_at=r[17],
        closed_at=r[18],
        withdrawn_at=r[19],
        minutes_since_referred=float(r[20]),
        overdue=bool(r[21]),
        ambulance_eta=r[22],
        ambulance_status=r[23],
    )


def _scoped(stmt, actor: Actor):
    if actor.network_wide:
        return stmt
    return stmt.where(or_(Referral.to_hospital_id == actor.hospital_id, Referral.from_hospital_id == actor.hospital_id))


@permissions.reads("emergencies")
def list_referrals(
    db: Session, actor: Actor, *, incoming_only: bool = False, limit: int = 100, values: settings.Settings | None = None
) -> list[ReferralRow]:
    """Live referrals and those answered in the last day, in scope: waiting ones first (overdue first), then newest.

    `incoming_only`: a hospital's inbox, the referrals sent to its own scope.
    """
    require_role(db, actor, READERS, "see referrals")
    values = values or settings.current()
    recent = func.now() - func.make_interval(0, 0, 0, 0, RECENT_HOURS)
    stmt = _rows_query(values).where(
        or_(
            Referral.status.in_(LIVE_REFERRAL_STATUSES),
            func.greatest(Referral.answered_at, Referral.withdrawn_at, Referral.closed_at) >= recent,
        )
    )
    if incoming_only and not actor.network_wide:
        stmt = stmt.where(Referral.to_hospital_id == actor.hospital_id)
    stmt = _scoped(stmt, actor).order_by(
        case((Referral.status == "pending", 0), else_=1), Referral.referred_at.desc(), Referral.id
    )
    return [_row(r) for r in db.execute(stmt.limit(max(1, min(int(limit), 500))))]


@permissions.reads("emergencies")
def history(
    db: Session, actor: Actor, emergency_id: str, *, values: settings.Settings | None = None
) -> list[ReferralRow]:
    """Every referral of one emergency in scope, oldest first: the steps of its handshake."""
    require_role(db, actor, READERS, "see referrals")
    emergencies._emergency(db, actor, emergency_id)  # refused (and audited) outside the scope
    stmt = _rows_query(values or settings.current()).where(Referral.emergency_request_id == emergency_id)
    return [_row(r) for r in db.execute(_scoped(stmt, actor).order_by(Referral.referred_at, Referral.id))]


def _listed(values: settings.Settings) -> Any:
    recent = func.now() - func.make_interval(0, 0, 0, 0, RECENT_HOURS)
    return or_(
        Referral.status.in_(LIVE_REFERRAL_STATUSES),
        func.greatest(Referral.answered_at, Referral.withdrawn_at, Referral.closed_at) >= recent,
    )


def _received(actor: Actor) -> Any:
    """Referrals sent to a hospital in scope: a hospital's to answer and carry out; all for the network."""
    return true() if actor.network_wide else Referral.to_hospital_id == actor.hospital_id


@permissions.reads("emergencies")
def board(
    db: Session,
    actor: Actor,
    *,
    emergency_id: str | None = None,
    limit: int = 100,
    values: settings.Settings | None = None,
) -> Board:
    """The referrals a page shows, their awaiting count and one emergency's history, from one snapshot.

    Listed: referrals received by a hospital in scope (every one for the network) that are live or
    were answered, withdrawn or closed in the last RECENT_HOURS; waiting ones first (overdue first),
    then newest. The counts are window aggregates of the same statement, so the "Referrals awaiting
    an answer" card and the table's waiting rows cannot disagree. `emergency_id` adds that
    emergency's every referral in scope (the dispatch panel's history), refused outside the scope.
    """
    require_role(db, actor, READERS, "see referrals")
    values = values or settings.current()
    limit = max(1, min(int(limit), 500))
    stamp = fingerprint(db, actor)  # read first: a write landing after it makes the next poll differ
    listed = and_(_listed(values), _received(actor))
    wanted, commitment = listed, None
    if emergency_id is not None:
        commitment = before_referring(db, actor, emergency_id)  # refused (and audited) outside the scope
        wanted = or_(listed, Referral.emergency_request_id == emergency_id)
    waiting = listed & (Referral.status == "pending")
    stmt = _scoped(
        _rows_query(values)
        .add_columns(
            listed.label("listed"),
            func.count().filter(waiting).over(),
            func.count().filter(waiting & (_answer_by(values) < func.now())).over(),
            func.count().filter(listed).over(),
        )
        .where(wanted),
        actor,
    ).order_by(
        case((Referral.emergency_request_id == emergency_id, 0), else_=1) if emergency_id else literal(0),
        case((Referral.status == "pending", 0), else_=1),
        case((_answer_by(values) < func.now(), 0), else_=1),
        Referral.referred_at.desc(),
        Referral.id,
    )
    found = db.execute(stmt.limit(limit + 50)).all()  # the history's rows come first; 50 covers any one
    rows = [_row(r) for r in found if r[-4]][:limit]
    history = sorted((_row(r) for r in found if r[1] == emergency_id), key=lambda r: (r.referred_at, r.id))
    awaiting, overdue, total = (int(v) for v in found[0][-3:]) if found else (0, 0, 0)
    return Board(rows, history, awaiting, overdue, total, stamp, commitment)


@permissions.reads("emergencies")
def fingerprint(db: Session, actor: Actor) -> str:
    """A short token that changes whenever a referral, open emergency, open ambulance in scope or a diversion changes.

    A page polls it (cheap: counts and latest change times) and reads everything again only when it
    differs, so its panels are redrawn together, never one on its own schedule.
    """
    require_role(db, actor, READERS, "see referrals")
    referral_scope = (
        true()
        if actor.network_wide
        else or_(Referral.to_hospital_id == actor.hospital_id, Referral.from_hospital_id == actor.hospital_id)
    )
    referral_part = select(func.count(), func.max(Referral.updated_at)).where(referral_scope)
    emergency_part = emergencies._emergency_scope(
        select(func.count(), func.max(EmergencyRequest.updated_at)).where(
            EmergencyRequest.status.in_(emergencies.OPEN_STATUSES)
        ),
        actor,
    )
    ambulance_part = select(func.count(), func.max(AmbulanceRequest.updated_at)).where(
        AmbulanceRequest.status.in_(emergencies.OPEN_AMBULANCE_STATUSES)
    )
    if not actor.network_wide:
        ambulance_part = ambulance_part.where(AmbulanceRequest.assigned_hospital_id == actor.hospital_id)
    # Diversions too: an open desk page must stop offering a hospital the moment it stops accepting. Every
    # scope reads them (the nearest hospitals a desk is offered are the network's); since a diversion
    # ends by time as well, its end is part of the token.
    diversion_part = select(
        func.count(),
        func.max(func.coalesce(Hospital.diversion_since, Hospital.created_at)),
    ).where(Hospital.is_active, Hospital.accepting_patients.is_(False))
    diversion_ends = select(func.count()).where(
        Hospital.is_active, Hospital.accepting_patients.is_(False), Hospital.diversion_until <= func.now()
    )
    parts = [db.execute(part).one() for part in (referral_part, emergency_part, ambulance_part, diversion_part)]
    parts.append((db.scalar(diversion_ends), None))
    return "|".join(f"{n}@{'' if at is None else at.isoformat()}" for n, at in parts)


def next_steps(row: ReferralRow, actor: Actor) -> tuple[str, ...]:
    """The commands `actor` may give next on the referral `row`, in the order a page offers them.

    The same rules the commands enforce: only the receiving hospital answers a waiting referral;
    only the dispatch desk withdraws it; the receiving hospital or the desk records dispatch,
    arrival and closing. Readers get none.
    """
    if actor.role not in WRITERS:
        return ()
    receiver = not actor.network_wide and actor.hospital_id == row.to_hospital_id
    if row.status == "pending":
        if receiver:
            return (STEP_ACCEPT, STEP_DECLINE)
        return (STEP_WITHDRAW,) if actor.network_wide and actor.role is UserRole.ADMIN else ()
    return _CARRY_OUT.get(row.status, ()) if actor.network_wide or receiver else ()


@permissions.reads("emergencies")
def before_referring(db: Session, actor: Actor, emergency_id: str) -> Commitment | None:
    """What the emergency is already committed to (accepted, dispatched, arrived), or None when free to refer."""
    require_role(db, actor, READERS, "see referrals")
    emergency = emergencies._emergency(db, actor, emergency_id)
    live = list(
        db.scalars(
            select(Referral).where(
                Referral.emergency_request_id == emergency.id, Referral.status.in_(LIVE_REFERRAL_STATUSES)
            )
        ).all()
    )
    return _commitment(db, emergency, live)


def _commitment(db: Session, emergency: EmergencyRequest, live: list[Referral]) -> Commitment | None:
    for current in live:
        if current.status == "pending":
            continue
        target = db.scalar(select(Hospital.name).where(Hospital.id == current.to_hospital_id))
        if current.status == "arrived":
            return Commitment(
                f"The patient arrived at {target} at {_clock(current.arrived_at)}: the handover is {target}'s to "
                "close, and a transfer onward is not a second referral from the desk.",
                blocking=True,
                referral_id=current.id,
            )
        if current.status == "dispatched":
            eta = db.scalar(select(AmbulanceRequest.ambulance_eta).where(
                AmbulanceRequest.id == current.ambulance_request_id))  # fmt: skip
            eta_words = "" if eta is None else f" (ETA {eta} min)"
            sentence = f"Ambulance dispatched to {target} at {_clock(current.dispatched_at)}{eta_words}."
        else:
            sentence = f"{target} accepted this patient at {_clock(current.answered_at)}."
        return Commitment(sentence, blocking=False, referral_id=current.id)
    if emergency.status in ("dispatched", "in_progress"):
        # Marked on its way or under care outside a referral (a hospital's own ambulance, say).
        holder = db.scalar(select(Hospital.name).where(Hospital.id == emergency.hospital_id))
        ambulance = db.execute(
            select(AmbulanceRequest.status, AmbulanceRequest.destination_address, AmbulanceRequest.created_at)
            .where(
                AmbulanceRequest.patient_id == emergency.patient_id,
                AmbulanceRequest.status.in_(emergencies.OPEN_AMBULANCE_STATUSES),
            )
            .order_by(AmbulanceRequest.created_at.desc())
            .limit(1)
        ).first()
        if ambulance is not None:
            to = ambulance[1] or holder or "a hospital"
            sentence = f"Ambulance {ambulance[0].replace('_', ' ')} to {to} since {_clock(ambulance[2])}."
        else:
            word = "dispatched" if emergency.status == "dispatched" else "in progress"
            sentence = f"This emergency is already {word}" + (f" with {holder}." if holder else ".")
        return Commitment(sentence, blocking=False, referral_id=None)
    return None


def get(db: Session, actor: Actor, referral_id: str, *, values: settings.Settings | None = None) -> ReferralRow:
    require_role(db, actor, READERS, "see referrals")
    row = db.execute(_rows_query(values or settings.current()).where(Referral.id == referral_id)).first()
    if row is None:
        raise NotFound("That referral no longer exists.")
    referral = _row(row)
    _require_party(db, actor, referral.id, referral.from_hospital_id, referral.to_hospital_id)
    return referral


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
    require_role(db, actor, WRITERS, "refer emergencies")
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
    emergency = emergencies._emergency(db, actor, emergency_id, lock=True)
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
    if emergency.status not in emergencies.OPEN_STATUSES:
        raise InvalidInput(
            f"This emergency is already {emergencies._closed_word(emergency.status)}: it cannot be referred."
        )
    bed = emergencies._bed(bed_type or emergencies.suggested_bed(emergency.emergency_type, emergency.severity))
    hospital = db.scalar(select(Hospital).where(Hospital.id == hospital_id)) if usable_id(hospital_id) else None
    if hospital is None:
        raise NotFound("That hospital no longer exists.")
    if not hospital.is_active:
        raise InvalidInput(f"{hospital.name} is not active in the network: pick another hospital.")
    if emergency.hospital_id == hospital.id:
        raise InvalidInput(f"The emergency is already with {hospital.name}: refer it to another hospital.")
    diverted = db.scalar(select(emergencies.diversion_holds).where(Hospital.id == hospital.id))
    if diverted:
        until = f" until {_clock(hospital.diversion_until)}" if hospital.diversion_until else ""
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
            f"{hospital.name} already declined this patient at {_clock(declined)}: pick another hospital."
        )
    commitment = _commitment(db, emergency, live)
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
        overdue = db.scalar(select(_answer_by(values) < func.now()).where(Referral.id == current.id))
        if not overdue:
            answer_by = db.scalar(select(_answer_by(values)).where(Referral.id == current.id))
            raise InvalidInput(
                f"This patient is already referred to {target}, which has until {_clock(answer_by)} to answer; "
                "withdraw that referral first to refer elsewhere now."
            )
        _set(db, current, status="withdrawn", withdrawn_at=func.now())
        withdrawn = {"referral_id": current.id, "hospital": target}
    distance = None
    if emergency.location_latitude is not None and emergency.location_longitude is not None:
        distance = db.scalar(
            select(emergencies.distance_to(emergency.location_latitude, emergency.location_longitude)).where(
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
    audit.record(
        db, actor, action_category=AUDIT_CATEGORY, action_type="referral_made", resource_type=RESOURCE_TYPE,
        resource_id=referral.id, impact_level="high", concerns_hospital=hospital.id,
        new_values={"emergency_request_id": emergency.id, "to_hospital": hospital.name, "bed_type": bed,
                    "distance_km": referral.distance_km, "note": note, "withdrew": withdrawn,
                    "referred_again_because": reason if commitment is not None else None},
    )  # fmt: skip
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
    _audit(db, actor, referral, "referral_accepted", {"status": "pending"}, {"status": "accepted", "note": note})
    return get(db, actor, referral.id)


def decline(db: Session, actor: Actor, referral_id: str, *, reason: Any) -> ReferralRow:
    """The receiving hospital declines, saying why; the desk then refers elsewhere. One audit row."""
    referral = _answerable(db, actor, referral_id, "decline")
    reason = checked_text(reason, "The reason", MAX_NOTE_LENGTH)
    if reason is None:
        raise InvalidInput('Say why the referral is declined (e.g. "no ICU bed free"), so the desk can choose well.')
    _set(db, referral, status="declined", answered_at=func.now(), answered_by=actor.user_id, decline_reason=reason)
    _audit(db, actor, referral, "referral_declined", {"status": "pending"}, {"status": "declined", "reason": reason})
    return get(db, actor, referral.id)


def withdraw(db: Session, actor: Actor, referral_id: str) -> ReferralRow:
    """The desk takes back a referral still waiting for its answer. One audit row."""
    require_role(db, actor, WRITERS, "withdraw referrals")
    _require_desk(db, actor)
    referral = _lock(db, actor, referral_id)
    _require_status(referral, ("pending",), "withdrawn")
    _set(db, referral, status="withdrawn", withdrawn_at=func.now())
    _audit(db, actor, referral, "referral_withdrawn", {"status": "pending"}, {"status": "withdrawn"})
    return get(db, actor, referral.id)


def dispatch(db: Session, actor: Actor, referral_id: str, *, eta_minutes: Any) -> ReferralRow:
    """An ambulance is on its way to the accepting hospital: an ambulance request with its ETA. One audit row."""
    require_role(db, actor, WRITERS, "dispatch ambulances")
    referral = _lock(db, actor, referral_id, carrying_out=True)
    _require_status(referral, ("accepted",), "dispatched")
    eta = emergencies.check_eta(eta_minutes, required=True)
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
    _audit(db, actor, referral, "referral_dispatched", {"status": "accepted"},
           {"status": "dispatched", "ambulance_eta": eta, "ambulance_request_id": ambulance.id})  # fmt: skip
    return get(db, actor, referral.id)


def arrive(db: Session, actor: Actor, referral_id: str) -> ReferralRow:
    """The patient reached the receiving hospital (by the ambulance, or brought in). One audit row."""
    require_role(db, actor, WRITERS, "record arrivals")
    referral = _lock(db, actor, referral_id, carrying_out=True)
    before = referral.status
    _require_status(referral, ("accepted", "dispatched"), "arrived")
    _set(db, referral, status="arrived", arrived_at=func.now())
    _move_ambulance(db, referral, "arrived")
    _set_emergency(db, referral, "in_progress")
    _audit(db, actor, referral, "referral_arrived", {"status": before}, {"status": "arrived"})
    return get(db, actor, referral.id)


def close(db: Session, actor: Actor, referral_id: str) -> ReferralRow:
    """The patient is handed over: the referral and the emergency are closed. One audit row."""
    require_role(db, actor, WRITERS, "close referrals")
    referral = _lock(db, actor, referral_id, carrying_out=True)
    _require_status(referral, ("arrived",), "closed")
    _set(db, referral, status="closed", closed_at=func.now())
    _move_ambulance(db, referral, "completed")
    _set_emergency(db, referral, "resolved")
    _audit(db, actor, referral, "referral_closed", {"status": "arrived"}, {"status": "closed"})
    return get(db, actor, referral.id)


# --- helpers --------------------------------------------------------------------------------------


def _require_desk(db: Session, actor: Actor) -> None:
    """Referring is the network dispatch desk's: an ADMIN working on the whole network."""
    if actor.role is not UserRole.ADMIN:
        require_role(db, actor, frozenset({UserRole.ADMIN}), "refer or withdraw referrals (the dispatch desk does)")
    if not actor.network_wide:
        raise OutOfScope("The dispatch desk works on the whole network: pick All hospitals as the working scope.")


def _require_party(db: Session, actor: Actor, referral_id: str, from_id: str | None, to_id: str) -> None:
    if actor.network_wide or actor.hospital_id in (from_id, to_id):
        return
    audit.record_refusal(
        db, actor, action_type="scope_violation", resource_type=RESOURCE_TYPE, resource_id=referral_id,
        detail={"to_hospital_id": to_id, "from_hospital_id": from_id},
    )  # fmt: skip
    raise OutOfScope("That referral is between other hospitals, outside your scope.")


def _lock(db: Session, actor: Actor, referral_id: Any, *, carrying_out: bool = False) -> Referral:
    """The referral locked for a change. `carrying_out`: the desk or the receiving hospital may act."""
    if not usable_id(referral_id):
        raise NotFound("That referral no longer exists.")
    referral = db.scalar(select(Referral).where(Referral.id == referral_id).with_for_update())
    if referral is None:
        raise NotFound("That referral no longer exists.")
    _require_party(db, actor, referral.id, referral.from_hospital_id, referral.to_hospital_id)
    if carrying_out and not actor.network_wide and actor.hospital_id != referral.to_hospital_id:
        raise NotPermitted("Only the receiving hospital or the dispatch desk can record this step.")
    return referral


def _answerable(db: Session, actor: Actor, referral_id: Any, verb: str) -> Referral:
    """A pending referral, locked, that the actor's scope may answer: the receiving hospital's only."""
    require_role(db, actor, WRITERS, f"{verb} referrals")
    referral = _lock(db, actor, referral_id)
    if actor.hospital_id != referral.to_hospital_id:
        name = db.scalar(select(Hospital.name).where(Hospital.id == referral.to_hospital_id))
        raise NotPermitted(f"Only {name} can {verb} this referral, from its own emergencies page.")
    _require_status(referral, ("pending",), "accepted" if verb == "accept" else "declined")
    return referral


def _require_status(referral: Referral, allowed: tuple[str, ...], becoming: str) -> None:
    if referral.status in allowed:
        return
    if referral.status == becoming:
        raise InvalidInput(f"This referral is already {STATUS_WORDS[becoming]}: nothing was changed.")
    if referral.status in ("accepted", "declined", "withdrawn") and becoming in ("accepted", "declined", "withdrawn"):
        raise InvalidInput(f"This referral was already {STATUS_WORDS[referral.status]}, so it can no longer be "
                           f"{becoming}.")  # fmt: skip
    raise _cannot(referral.status, becoming)


def _cannot(status: str, becoming: str) -> InvalidInput:
    needs = {
        "dispatched": "accepted first",
        "arrived": "accepted (or its ambulance dispatched) first",
        "closed": "marked as arrived first",
        "withdrawn": "waiting for an answer",
    }.get(becoming, "waiting for an answer")
    return InvalidInput(
        f"This referral is {STATUS_WORDS[status]}; to be {becoming} it must be {needs}. Nothing was changed."
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


def _audit(db: Session, actor: Actor, referral: Referral, action: str, old: dict, new: dict) -> None:
    audit.record(
        db, actor, action_category=AUDIT_CATEGORY, action_type=action, resource_type=RESOURCE_TYPE,
        resource_id=referral.id, old_values=old,
        new_values={**{k: v for k, v in new.items() if v is not None},
                    "emergency_request_id": referral.emergency_request_id},
        impact_level="high", concerns_hospital=referral.to_hospital_id,
    )  # fmt: skip


def _clock(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(LAGOS)
    return f"{local:%H:%M} on {local.day} {local:%b}"
