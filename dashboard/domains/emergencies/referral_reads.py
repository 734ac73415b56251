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

This module reads; referral_commands.py changes. One state per screen: `board` reads, in one
statement, the referrals a page lists, the count of those awaiting an answer (so the card counts
the table's rows) and one emergency's referral history; `fingerprint` is the cheap read a page polls
to know when to read the board again, and `next_steps` says which commands a row offers to an
actor, so every panel offers the same ones.

On acceptance the receiving hospital takes the emergency over (its hospital becomes the receiver),
so the emergency is in its scope from then on; the referring hospital keeps reading it through the
referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from dashboard.domains.emergencies import emergency as rules
from dashboard.domains.emergencies.ambulances import OPEN_AMBULANCE_STATUSES
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import NotFound, OutOfScope
from dashboard.platform.transitions import Lifecycle
from db import settings
from db.models import AmbulanceRequest, EmergencyRequest, Hospital, Profile
from db.models.emergency import LIVE_REFERRAL_STATUSES, Referral

RESOURCE_TYPE = "referral"
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
# The steps a referral takes; referring again past an accept ends it too, as an override (referral_commands.refer).
REFERRAL = Lifecycle(
    "referral",
    {
        "pending": {"accepted", "declined", "withdrawn"},
        "accepted": {"dispatched", "arrived"},
        "dispatched": {"arrived"},
        "arrived": {"closed"},
        "declined": set(),
        "withdrawn": set(),
        "closed": set(),
    },
    words=STATUS_WORDS,
)
ANSWERS = frozenset(REFERRAL.moves["pending"])

STEP_ACCEPT, STEP_DECLINE, STEP_WITHDRAW = "accept", "decline", "withdraw"
STEP_DISPATCH, STEP_ARRIVE, STEP_CLOSE = "dispatch", "arrive", "close"
# After the answer: what the receiving hospital or the desk records next, in the order it happens.
CARRY_OUT = {STEP_DISPATCH: "dispatched", STEP_ARRIVE: "arrived", STEP_CLOSE: "closed"}
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

    @property
    def answered(self) -> list[ReferralRow]:
        """Listed rows that have had their answer (and those since withdrawn or carried out)."""
        return [r for r in self.rows if r.status != "pending"]


@dataclass(frozen=True)
class Commitment:
    """What an emergency is already committed to, said before it is referred again."""

    sentence: str  # "Ambulance dispatched to Beta at 10:42 on 3 Dec (ETA 15 min)."
    blocking: bool  # True: a second referral is refused (the patient has arrived)
    referral_id: str | None  # the live referral a new one would end


def answer_by(values: settings.Settings) -> Any:
    return Referral.referred_at + func.make_interval(0, 0, 0, 0, 0, literal(values.referral_answer_minutes))


def _rows_query(values: settings.Settings):
    source, target = aliased(Hospital), aliased(Hospital)
    return (
        select(
            Referral.id,
            Referral.emergency_request_id,
            EmergencyRequest.emergency_type,
            EmergencyRequest.severity,
            people.name_or("Unnamed patient"),
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
            func.coalesce((Referral.status == "pending") & (answer_by(values) < func.now()), False),
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


def _listed(values: settings.Settings) -> Any:
    recent = func.now() - func.make_interval(0, 0, 0, 0, RECENT_HOURS)
    return or_(
        Referral.status.in_(LIVE_REFERRAL_STATUSES),
        func.greatest(Referral.answered_at, Referral.withdrawn_at, Referral.closed_at) >= recent,
    )


def _received(actor: Actor) -> Any:
    """Referrals sent to a hospital in scope: a hospital's to answer and carry out; all for the network."""
    return true() if actor.network_wide else Referral.to_hospital_id == actor.hospital_id


@permissions.reads("emergencies", "see referrals")
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
            func.count().filter(waiting & (answer_by(values) < func.now())).over(),
            func.count().filter(listed).over(),
        )
        .where(wanted),
        actor,
    ).order_by(
        case((Referral.emergency_request_id == emergency_id, 0), else_=1) if emergency_id else literal(0),
        case((Referral.status == "pending", 0), else_=1),
        case((answer_by(values) < func.now(), 0), else_=1),
        Referral.referred_at.desc(),
        Referral.id,
    )
    found = db.execute(stmt.limit(limit + 50)).all()  # the history's rows come first; 50 covers any one
    rows = [_row(r) for r in found if r[-4]][:limit]
    history = sorted((_row(r) for r in found if r[1] == emergency_id), key=lambda r: (r.referred_at, r.id))
    awaiting, overdue, total = (int(v) for v in found[0][-3:]) if found else (0, 0, 0)
    return Board(rows, history, awaiting, overdue, total, stamp, commitment)


@permissions.reads("emergencies", "see referrals")
def fingerprint(db: Session, actor: Actor) -> str:
    """A short token that changes whenever a referral, open emergency, open ambulance in scope or a diversion changes.

    A page polls it (cheap: counts and latest change times) and reads everything again only when it
    differs, so its panels are redrawn together, never one on its own schedule.
    """
    referral_part = _scoped(select(func.count(), func.max(Referral.updated_at)), actor)
    emergency_part = rules.scoped(
        select(func.count(), func.max(EmergencyRequest.updated_at)).where(
            EmergencyRequest.status.in_(rules.OPEN_STATUSES)
        ),
        actor,
    )
    ambulance_part = select(func.count(), func.max(AmbulanceRequest.updated_at)).where(
        AmbulanceRequest.status.in_(OPEN_AMBULANCE_STATUSES)
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
    # One statement: each part is an aggregate of one row, so their cross join is the one row of all five.
    subqueries = [
        part.subquery(f"part_{i}")
        for i, part in enumerate((referral_part, emergency_part, ambulance_part, diversion_part, diversion_ends))
    ]
    row = db.execute(select(*(c for sub in subqueries for c in sub.c))).one()
    parts = [(row[i], row[i + 1]) for i in range(0, 8, 2)] + [(row[8], None)]
    return "|".join(f"{n}@{'' if at is None else at.isoformat()}" for n, at in parts)


def next_steps(row: ReferralRow, actor: Actor) -> tuple[str, ...]:
    """The commands `actor` may give next on the referral `row`, in the order a page offers them.

    The same rules the commands enforce: only the receiving hospital answers a waiting referral;
    only the dispatch desk withdraws it; the receiving hospital or the desk records dispatch,
    arrival and closing. Readers get none.
    """
    if actor.role not in rules.WRITERS:
        return ()
    receiver = not actor.network_wide and actor.hospital_id == row.to_hospital_id
    if row.status == "pending":
        if receiver:
            return (STEP_ACCEPT, STEP_DECLINE)
        return (STEP_WITHDRAW,) if rules.is_desk(actor) else ()
    if not (actor.network_wide or receiver):
        return ()
    return tuple(step for step, becoming in CARRY_OUT.items() if REFERRAL.may(row.status, becoming))


def carrying_out(rows: list[ReferralRow], actor: Actor) -> dict[str, tuple[str, ...]]:
    """The accepted referrals among `rows` whose next step (dispatch, arrival, closing) `actor` records, by id."""
    steps = {r.id: next_steps(r, actor) for r in rows}
    return {rid: offered for rid, offered in steps.items() if set(offered) & CARRY_OUT.keys()}


def withdrawable(rows: list[ReferralRow], actor: Actor) -> ReferralRow | None:
    """The waiting referral among `rows` the desk may take back (one at most is live), or None."""
    return next((r for r in rows if STEP_WITHDRAW in next_steps(r, actor)), None)


@permissions.reads("emergencies", "see referrals")
def before_referring(db: Session, actor: Actor, emergency_id: str) -> Commitment | None:
    """What the emergency is already committed to (accepted, dispatched, arrived), or None when free to refer."""
    emergency = rules.find(db, actor, emergency_id)
    live = list(
        db.scalars(
            select(Referral).where(
                Referral.emergency_request_id == emergency.id, Referral.status.in_(LIVE_REFERRAL_STATUSES)
            )
        ).all()
    )
    return commitment_of(db, emergency, live)


def commitment_of(db: Session, emergency: EmergencyRequest, live: list[Referral]) -> Commitment | None:
    for current in live:
        if current.status == "pending":
            continue
        target = db.scalar(select(Hospital.name).where(Hospital.id == current.to_hospital_id))
        if current.status == "arrived":
            return Commitment(
                f"The patient arrived at {target} at {clock(current.arrived_at)}: the handover is {target}'s to "
                "close, and a transfer onward is not a second referral from the desk.",
                blocking=True,
                referral_id=current.id,
            )
        if current.status == "dispatched":
            eta = db.scalar(select(AmbulanceRequest.ambulance_eta).where(
                AmbulanceRequest.id == current.ambulance_request_id))  # fmt: skip
            eta_words = "" if eta is None else f" (ETA {eta} min)"
            sentence = f"Ambulance dispatched to {target} at {clock(current.dispatched_at)}{eta_words}."
        else:
            sentence = f"{target} accepted this patient at {clock(current.answered_at)}."
        return Commitment(sentence, blocking=False, referral_id=current.id)
    if emergency.status in ("dispatched", "in_progress"):
        # Marked on its way or under care outside a referral (a hospital's own ambulance, say).
        holder = db.scalar(select(Hospital.name).where(Hospital.id == emergency.hospital_id))
        ambulance = db.execute(
            select(AmbulanceRequest.status, AmbulanceRequest.destination_address, AmbulanceRequest.created_at)
            .where(
                AmbulanceRequest.patient_id == emergency.patient_id,
                AmbulanceRequest.status.in_(OPEN_AMBULANCE_STATUSES),
            )
            .order_by(AmbulanceRequest.created_at.desc())
            .limit(1)
        ).first()
        if ambulance is not None:
            to = ambulance[1] or holder or "a hospital"
            sentence = f"Ambulance {ambulance[0].replace('_', ' ')} to {to} since {clock(ambulance[2])}."
        else:
            word = "dispatched" if emergency.status == "dispatched" else "in progress"
            sentence = f"This emergency is already {word}" + (f" with {holder}." if holder else ".")
        return Commitment(sentence, blocking=False, referral_id=None)
    return None


@permissions.reads("emergencies", "see referrals")
def get(db: Session, actor: Actor, referral_id: str, *, values: settings.Settings | None = None) -> ReferralRow:
    row = db.execute(_rows_query(values or settings.current()).where(Referral.id == referral_id)).first()
    if row is None:
        raise NotFound("That referral no longer exists.")
    referral = _row(row)
    require_party(db, actor, referral.id, referral.from_hospital_id, referral.to_hospital_id)
    return referral


def require_party(db: Session, actor: Actor, referral_id: str, from_id: str | None, to_id: str) -> None:
    """A referral is read and changed by the network and the two hospitals at its ends only (refusals audited)."""
    if actor.network_wide or actor.hospital_id in (from_id, to_id):
        return
    audit.record_refusal(
        db, actor, action_type="scope_violation", resource_type=RESOURCE_TYPE, resource_id=referral_id,
        detail={"to_hospital_id": to_id, "from_hospital_id": from_id},
    )  # fmt: skip
    raise OutOfScope("That referral is between other hospitals, outside your scope.")


def clock(moment: datetime | None) -> str:
    """'10:42 on 3 Dec', Lagos time: when a step happened, in a sentence."""
    if moment is None:
        return "—"
    local = moment.astimezone(LAGOS)
    return f"{local:%H:%M} on {local.day} {local:%b}"
