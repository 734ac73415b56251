"""Changing beds on the board: add beds to a ward, clean, block and unblock, reserve and release; and the
seat and vacate steps that admit, discharge and transfer (`admission_commands`) take on a board hospital.

Locks go resource first, then bed, on every path (the database's recount locks the resource row when a
bed changes), so two administrators changing beds of one ward wait for each other instead of deadlocking.
A bed moves only along `BED` (a cleaning bed cannot be given to a patient, an occupied one cannot be
blocked); each change is one audit row in the change's own transaction.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import hospital_in_scope, require_in_scope, require_role
from dashboard.platform.transitions import Lifecycle
from db.models import Bed, HospitalPatient, HospitalResource
from db.models.beds import BED_TYPES
from db.rules import BED_CATEGORY, CURRENT_ADMISSION_STATUSES

BED_WRITERS = permissions.writers("bed_board")
CATEGORY_RESOURCES = "resource_management"
MAX_REASON_CHARS = 200
MAX_WARD_CHARS = 60
MAX_LABEL_CHARS = 20
MAX_BEDS_AT_ONCE = 200  # more than any ward: a typo such as 1-1000

BED = Lifecycle(
    "bed",
    {
        "free": {"occupied", "reserved", "blocked", "cleaning"},
        "occupied": {"cleaning"},  # its patient left (discharged or moved): housekeeping first
        "reserved": {"free", "occupied", "blocked"},  # released, or the patient it was kept for admitted
        "cleaning": {"free", "blocked"},
        "blocked": {"free"},
    },
    words={"cleaning": "being cleaned"},
)

_audit = audit.Recorder(CATEGORY_RESOURCES, "bed")


def add_beds(
    db: Session, actor: Actor, *, hospital_id: str, resource_id: str, ward: str, labels: str, bed_type: str
) -> str:
    """Add beds (labels "1-12", "B1-B6" or "1, 2, 7") to a ward; returns the sentence saying what was done.

    The first beds of a bed resource seat the patients already admitted to it (oldest admission first),
    so "beds in use are admitted patients" holds the moment the board takes over its counts.
    """
    require_role(db, actor, BED_WRITERS, "add beds")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    ward = checked_text(ward, "The ward", MAX_WARD_CHARS)
    if not ward:
        raise InvalidInput("Name the ward the beds are in, e.g. Ward B.")
    if bed_type not in BED_TYPES:
        raise InvalidInput("Pick the kind of beds: " + ", ".join(BED_TYPES) + ".")
    names = bed_labels(labels)
    resource = _lock_resource(db, resource_id, hospital_id, hospital_name)
    taken = set(db.scalars(select(Bed.label).where(Bed.hospital_id == hospital_id, Bed.ward == ward)))
    clash = [n for n in names if n in taken]
    if clash:
        raise InvalidInput(f"{ward} already has {_listed('bed', clash)}: pick other numbers.")
    unseated = _admissions_without_board_bed(db, resource.id)
    if len(unseated) > len(names):
        raise InvalidInput(
            f"{len(unseated):,} patients admitted to {resource.name} hold a bed with none on the board yet: "
            f"add at least {len(unseated):,} beds, so each of them is given one."
        )
    new = [Bed(hospital_id=hospital_id, resource_id=resource.id, ward=ward, label=n, bed_type=bed_type) for n in names]
    for bed, admission_id in zip(new, unseated, strict=False):
        bed.state, bed.admission_id = "occupied", admission_id
    db.add_all(new)
    db.flush()
    db.refresh(resource)
    _audit(db, actor, "beds_added", resource.id, hospital=hospital_id, resource_type="hospital_resource", new={
        "ward": ward, "labels": names, "bed_type": bed_type, "resource": resource.name,
        "seated_admissions": unseated, "total_after": resource.total_quantity,
    })  # fmt: skip
    seated = f" {len(unseated):,} of them now hold the patients already admitted there." if unseated else ""
    return (
        f"{len(names):,} beds added to {ward}.{seated} {resource.name} at {hospital_name} now counts "
        f"{resource.total_quantity:,} beds from the board ({resource.available_quantity:,} free)."
    )


def mark_clean(db: Session, actor: Actor, bed_id: str) -> str:
    """Housekeeping is done: a bed being cleaned is free again."""
    return _move(db, actor, bed_id, "free", "bed_cleaned", "clean beds", when={"cleaning"})


def block(db: Session, actor: Actor, bed_id: str, *, reason: str | None) -> str:
    """Take a bed out of use (broken, isolation, staff short), saying why."""
    reason = checked_text(reason, "The reason", MAX_REASON_CHARS)
    if not reason:
        raise InvalidInput("Say why the bed is blocked, e.g. broken bed rail or oxygen point out of order.")
    return _move(db, actor, bed_id, "blocked", "bed_blocked", "block beds", reason=reason)


def unblock(db: Session, actor: Actor, bed_id: str) -> str:
    """A blocked bed is back in use, free."""
    return _move(db, actor, bed_id, "free", "bed_unblocked", "unblock beds", when={"blocked"})


def reserve(db: Session, actor: Actor, bed_id: str, *, reason: str | None) -> str:
    """Hold a free bed for someone (a referral on its way, a booked admission), saying for whom."""
    reason = checked_text(reason, "Who it is for", MAX_REASON_CHARS)
    if not reason:
        raise InvalidInput("Say who or what the bed is kept for, e.g. referral from LUTH or booked caesarean.")
    return _move(db, actor, bed_id, "reserved", "bed_reserved", "reserve beds", reason=reason)


def release(db: Session, actor: Actor, bed_id: str) -> str:
    """A reserved bed is not needed after all: free again."""
    return _move(db, actor, bed_id, "free", "bed_released", "release reserved beds", when={"reserved"})


# --- The steps admit, discharge and transfer take on a board hospital ---------------------------------------


def on_board(db: Session, resource_id: str) -> bool:
    """The bed resource has beds on the board, so its counts are the board's and a patient takes a bed."""
    return bool(db.scalar(select(func.count()).select_from(Bed).where(Bed.resource_id == resource_id).limit(1)))


def resource_of(db: Session, bed_id: str, hospital_id: str, hospital_name: str) -> str:
    """The bed resource a chosen bed counts toward; refused when it is no bed of that hospital."""
    row = db.execute(select(Bed.resource_id, Bed.hospital_id).where(Bed.id == bed_id)).first() if usable_id(
        bed_id) else None  # fmt: skip
    if row is None or row[1] != hospital_id:
        raise InvalidInput(f"That is not a bed of {hospital_name}: pick one of its free beds.")
    return row[0]


def seat(
    db: Session, resource: HospitalResource, hospital_name: str, admission_id: str, bed_id: str | None, what_next: str
) -> Bed:
    """Give the admission a bed of `resource` (locked by the caller): the one chosen, else the first free one."""
    return occupy(db, pick(db, resource, hospital_name, bed_id, what_next), admission_id)


def pick(db: Session, resource: HospitalResource, hospital_name: str, bed_id: str | None, what_next: str) -> Bed:
    """The bed of `resource` a patient may take (the one chosen, else the first free one), locked; nothing changed."""
    if bed_id is not None:
        bed = db.scalar(select(Bed).where(Bed.id == bed_id).with_for_update())
        if bed is None or bed.resource_id != resource.id:
            raise InvalidInput(f"That is not a bed of {resource.name} at {hospital_name}: pick one of its free beds.")
        if bed.state not in ("free", "reserved"):
            raise InvalidInput(f"{bed.ward}, bed {bed.label} is {BED.word(bed.state)}. {what_next}")
    else:
        bed = db.scalar(
            select(Bed).where(Bed.resource_id == resource.id, Bed.state == "free")
            .order_by(Bed.ward, Bed.label, Bed.id).limit(1).with_for_update(skip_locked=True)
        )  # fmt: skip
        if bed is None:
            raise InvalidInput(f"No {resource.name} are free at {hospital_name}. {what_next}")
    return bed


def occupy(db: Session, bed: Bed, admission_id: str) -> Bed:
    bed.state, bed.admission_id, bed.reason = "occupied", admission_id, None
    db.flush()
    return bed


def vacate(db: Session, admission_id: str) -> Bed | None:
    """The admission's board bed, if it holds one, goes to cleaning (its patient left it)."""
    bed = db.scalar(select(Bed).where(Bed.admission_id == admission_id).with_for_update())
    if bed is not None:
        bed.state, bed.admission_id, bed.reason = "cleaning", None, None
        db.flush()
    return bed


def held_by(db: Session, admission_id: str) -> str | None:
    """The id of the board bed an admission holds, if any."""
    return db.scalar(select(Bed.id).where(Bed.admission_id == admission_id))


# --- Helpers ----------------------------------------------------------------------------------------------


def bed_labels(text: object) -> list[str]:
    """The labels a form's "1-12", "B1-B6" or "1, 2, 7" names, in order; a sentence when it names none or too many."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Enter the bed numbers, e.g. 1-12 or B1-B6 or 1, 2, 7.")
    labels: list[str] = []
    for part in (p.strip() for p in text.replace("\x00", "").split(",")):
        span = re.fullmatch(r"([A-Za-z]*)\s*(\d{1,4})\s*[-–]\s*\1?\s*(\d{1,4})", part)
        if span:
            prefix, first, last = span.group(1), int(span.group(2)), int(span.group(3))
            if last < first or last - first >= MAX_BEDS_AT_ONCE:
                raise InvalidInput(f"{part!r} is not a range of up to {MAX_BEDS_AT_ONCE} beds: write it as 1-12.")
            labels.extend(f"{prefix}{n}" for n in range(first, last + 1))
        elif part and len(part) <= MAX_LABEL_CHARS:
            labels.append(part)
        elif part:
            raise InvalidInput(f"A bed label can be at most {MAX_LABEL_CHARS} characters: {part[:30]!r} is not one.")
    if len(set(labels)) != len(labels):
        raise InvalidInput("The same bed number is named twice: name each bed once.")
    if not labels or len(labels) > MAX_BEDS_AT_ONCE:
        raise InvalidInput(f"Add from 1 to {MAX_BEDS_AT_ONCE} beds at a time, e.g. 1-12.")
    return labels


def _listed(noun: str, labels: list[str]) -> str:
    shown = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")
    return f"{noun} {shown}" if len(labels) == 1 else f"{noun}s {shown}"


def _move(
    db: Session, actor: Actor, bed_id: str, becoming: str, action: str, what: str, *,
    reason: str | None = None, when: set[str] | None = None,
) -> str:  # fmt: skip
    require_role(db, actor, BED_WRITERS, what)
    bed = _lock_bed(db, actor, bed_id)
    name = f"{bed.ward}, bed {bed.label}"
    if when is not None and bed.state not in when and bed.state != becoming:
        raise InvalidInput(f"{name} is {BED.word(bed.state)}, not {' or '.join(BED.word(w) for w in when)}.")
    replace(BED, noun=f"bed ({name})").require(bed.state, becoming)
    old = {"state": bed.state, "reason": bed.reason}
    bed.state, bed.reason = becoming, reason
    db.flush()
    _audit(db, actor, action, bed.id, old=old, hospital=bed.hospital_id,
           new={"state": becoming, "reason": reason, "ward": bed.ward, "label": bed.label})  # fmt: skip
    return f"{name} is now {becoming}" + (f": {reason}." if reason else ".")


def _lock_bed(db: Session, actor: Actor, bed_id: str) -> Bed:
    """The bed, locked after its resource (the order every bed change takes), once scope allows it."""
    row = db.execute(select(Bed.resource_id, Bed.hospital_id).where(Bed.id == bed_id)).first() if usable_id(
        bed_id) else None  # fmt: skip
    if row is None:
        raise NotFound("That bed no longer exists. Pick it again on the board.")
    require_in_scope(db, actor, resource_type="bed", resource_id=bed_id, row_hospital_id=row[1])
    db.execute(select(HospitalResource.id).where(HospitalResource.id == row[0]).with_for_update())
    return db.scalar(select(Bed).where(Bed.id == bed_id).with_for_update())


def _lock_resource(db: Session, resource_id: str, hospital_id: str, hospital_name: str) -> HospitalResource:
    resource = db.scalar(
        select(HospitalResource).where(HospitalResource.id == resource_id).with_for_update()
    ) if usable_id(resource_id) else None  # fmt: skip
    if resource is None or resource.hospital_id != hospital_id or resource.category != BED_CATEGORY:
        raise InvalidInput(f"That is not a bed resource of {hospital_name}: pick one of its kinds of beds.")
    return resource


def _admissions_without_board_bed(db: Session, resource_id: str) -> list[str]:
    """Current admissions holding the resource with no bed on the board, oldest first."""
    return list(db.scalars(
        select(HospitalPatient.id).where(
            HospitalPatient.bed_resource_id == resource_id,
            HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES),
            HospitalPatient.discharge_date.is_(None),
            ~select(Bed.id).where(Bed.admission_id == HospitalPatient.id).exists(),
        ).order_by(HospitalPatient.admission_date, HospitalPatient.id)
    ))  # fmt: skip
