"""Compliance commands: recording an assessment (a new row: the earlier ones stay as its history) and closing
one violation or corrective action. Each checks what a form sends field by field and is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import (
    ENTRY_STATUSES,
    HCT,
    KINDS,
    MAX_DETAILS_LENGTH,
    MAX_TYPE_LENGTH,
    RESOURCE_TYPE,
    STATUS_WORDS,
    band_of,
    parse_entry,
    parse_moment,
)
from dashboard.domains.governance.compliance_assessments import names_of
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, day_text, lagos_midnight
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import hospital_in_scope, require_in_scope, require_role
from db.models import Hospital, HospitalComplianceTracking
from db.vocab import COMPLIANCE_STATUSES, SEVERITIES

WRITERS = permissions.writers("compliance")
MAX_DESCRIPTION_LENGTH = 500
MAX_OWNER_LENGTH = 200
MAX_CODE_LENGTH = 40
MAX_ENTRIES = 50
EARLIEST_ASSESSMENT = date(2000, 1, 1)
LATEST_DUE = timedelta(days=5 * 366)
_audit = audit.Recorder("compliance", RESOURCE_TYPE, impact="medium", compliance_relevant=True)


def checked_score(value: Any) -> int:
    """A whole number from 0 to 100, from a number box or a hand-made request."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value.strip())
    if number is None:
        shown = value if isinstance(value, str) else repr(value)
        raise InvalidInput(f'The score must be a whole number from 0 to 100; "{str(shown)[:40]}" is not one.')
    if not 0 <= number <= 100:
        raise InvalidInput(f"The score must be from 0 to 100; {number} is outside that range.")
    return number


def _checked_day(value: Any, label: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"{label} must be a date (for example 2026-03-31).")


def checked_entries(rows: Any, kind: str, *, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """The rows of a violations or corrective-actions editor, checked one by one; each refusal names its row."""
    _, label = KINDS[kind]
    if rows is None:
        return []
    if not isinstance(rows, list | tuple):
        raise InvalidInput(f"{label}s must be a list of entries.")
    if len(rows) > MAX_ENTRIES:
        raise InvalidInput(f"Record at most {MAX_ENTRIES} {label.lower()}s in one assessment; this has {len(rows)}.")
    checked = []
    for number, row in enumerate(rows, start=1):
        name = f"{label} {number}"
        if not isinstance(row, dict):
            raise InvalidInput(f"{name} must be an entry with a description, severity, owner, due date and state.")
        description = checked_text(row.get("description"), f"{name}'s description", MAX_DESCRIPTION_LENGTH)
        if description is None:
            raise InvalidInput(f"{name} has no description: describe it, or delete the row.")
        severity = row.get("severity") or "medium"
        if severity not in SEVERITIES:
            raise InvalidInput(f"{name}'s severity must be low, medium, high or critical.")
        status = row.get("status") or "open"
        if status not in ENTRY_STATUSES:
            raise InvalidInput(f"{name}'s state must be open, in progress or closed.")
        entry: dict[str, Any] = {
            "description": description,
            "severity": severity,
            "owner": checked_text(row.get("owner"), f"{name}'s owner", MAX_OWNER_LENGTH),
            "due_date": None,
            "status": status,
        }
        due = _checked_day(row.get("due_date"), f"{name}'s due date")
        if due is not None:
            if not EARLIEST_ASSESSMENT <= due <= now.date() + LATEST_DUE:
                raise InvalidInput(f"{name}'s due date, {day_text(due)}, is not a date the dashboard can hold.")
            entry["due_date"] = due.isoformat()
        if kind == "violation" or status != "closed":
            # A violation, or an open corrective action, nobody owns or with no date to be put right by is never
            # chased: refuse it.
            shown = description if len(description) <= 60 else description[:59] + "…"
            if entry["owner"] is None:
                raise InvalidInput(f"{name} (\u201c{shown}\u201d) has no owner: name who will put it right.")
            if entry["due_date"] is None:
                raise InvalidInput(f"{name} (\u201c{shown}\u201d) has no due date: give the date it must be put "
                                   "right by.")  # fmt: skip
        code = checked_text(row.get("code"), f"{name}'s code", MAX_CODE_LENGTH)
        if code is not None:
            entry["code" if kind == "violation" else "violation_code"] = code
        if status == "closed":
            closed_by = row.get("closed_by") if usable_id(row.get("closed_by")) else None
            closed_at = parse_moment(row.get("closed_at"))
            entry["closed_by"] = closed_by or actor.user_id
            entry["closed_at"] = (closed_at or now).isoformat()
        checked.append(entry)
    return checked


def _snapshot(row: HospitalComplianceTracking | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "assessment_id": row.id,
        "status": row.status,
        "score": row.score,
        "last_assessment_date": row.last_assessment_date,
        "next_assessment_due": row.next_assessment_due,
        "assessment_details": row.assessment_details,
        "violations": row.violations,
        "corrective_actions": row.corrective_actions,
    }


def _current_row(db: Session, hospital_id: str, compliance_type: str) -> HospitalComplianceTracking | None:
    return db.scalars(
        select(HCT)
        .where(HCT.hospital_id == hospital_id, HCT.compliance_type == compliance_type)
        .order_by(HCT.last_assessment_date.desc(), HCT.created_at.desc(), HCT.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Recorded:
    id: str
    hospital_name: str
    compliance_type: str
    score: int
    status: str
    violations: int
    actions: int


def record_assessment(
    db: Session,
    actor: Actor,
    *,
    hospital_id: str,
    compliance_type: str,
    status: str | None = None,
    score: Any,
    assessed_on: Any,
    next_due: Any,
    details: str | None = None,
    violations: Any = None,
    corrective_actions: Any = None,
) -> Recorded:
    """Record a new assessment: a new row, so the earlier ones stay readable as its history.

    Checked field by field (each refusal one sentence naming the field); audited as
    compliance-relevant with the previous current assessment of the type as the old values. The
    status follows the score (`score_bands`): None takes the score's status; "under_review" may go
    with any score (the assessment is not settled yet); any other status must be the score's own.
    """
    require_role(db, actor, WRITERS, "record compliance assessments")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    kind = checked_text(compliance_type, "The compliance type", MAX_TYPE_LENGTH)
    if kind is None:
        raise InvalidInput("Pick the compliance type this assessment is for.")
    if status is not None and status not in COMPLIANCE_STATUSES:
        raise InvalidInput("The status must be compliant, partially compliant, non-compliant or under review.")
    score = checked_score(score)
    band = band_of(score)
    assert band is not None
    if status is None:
        status = band.status
    elif status not in ("under_review", band.status):
        raise InvalidInput(
            f"A score of {score} is {band.word.lower()} ({band.range_text}), so the status cannot be "
            f"{STATUS_WORDS[status].lower()}: let the status follow the score, or check the score."
        )
    now = db.scalar(select(func.now()))
    today = now.astimezone(LAGOS).date()
    assessed = _checked_day(assessed_on, "The assessment date")
    if assessed is None:
        raise InvalidInput("Give the date of the assessment.")
    if assessed > today:
        raise InvalidInput(f"The assessment date, {day_text(assessed)}, is in the future: pick today or earlier.")
    if assessed < EARLIEST_ASSESSMENT:
        raise InvalidInput("The assessment date is before 2000: check the year.")
    due = _checked_day(next_due, "The next due date")
    if due is None:
        raise InvalidInput("Give the date the next assessment is due.")
    if due <= assessed:
        raise InvalidInput(
            f"The next assessment is due on {day_text(due)}, not after the assessment on {day_text(assessed)}: "
            "pick a later date."
        )
    if due > assessed + LATEST_DUE:
        raise InvalidInput("The next assessment is due more than five years after this one: check the year.")
    notes = checked_text(details, "The assessment details", MAX_DETAILS_LENGTH)
    checked_violations = checked_entries(violations, "violation", actor=actor, now=now)
    checked_actions = checked_entries(corrective_actions, "action", actor=actor, now=now)

    previous = _current_row(db, hospital_id, kind)
    # Who assesses and how carry over from the previous assessment; the notes are this one's own.
    before = previous.assessment_details if previous is not None else None
    kept = {k: v for k, v in before.items() if k in ("assessor_body", "method")} if isinstance(before, dict) else {}
    new_details = {**kept, "summary": notes}
    # Today's assessment is stamped now; one entered for an earlier day at noon of that day in Lagos.
    assessed_at = now if assessed == today else datetime.combine(assessed, time(12), tzinfo=LAGOS)
    if previous is not None and assessed_at < previous.last_assessment_date:
        latest = day_text(previous.last_assessment_date.astimezone(LAGOS).date())
        raise InvalidInput(
            f"A later {kind} assessment of {hospital_name} exists (on {latest}): "
            "record an assessment on or after the latest one."
        )
    row = HCT(
        hospital_id=hospital_id,
        compliance_type=kind,
        status=status,
        score=score,
        last_assessment_date=assessed_at,
        next_assessment_due=lagos_midnight(due),
        assessed_by=actor.user_id,
        assessment_details=new_details,
        violations=checked_violations,
        corrective_actions=checked_actions,
    )
    db.add(row)
    db.flush()
    _audit(db, actor, "compliance_assessment_recorded", row.id, old=_snapshot(previous),
           new={"hospital": hospital_name, "compliance_type": kind, **_snapshot(row)}, hospital=hospital_id,
           impact="high" if status == "non_compliant" else None)  # fmt: skip
    return Recorded(row.id, hospital_name, kind, score, status, len(checked_violations), len(checked_actions))


@dataclass(frozen=True)
class Closed:
    hospital_name: str
    compliance_type: str
    kind: str
    description: str
    closed_at: datetime


def close_item(
    db: Session, actor: Actor, assessment_id: str, *, kind: str, position: int, description: str
) -> Closed:
    """Close one violation or corrective action of a current assessment, recording who closed it and when.

    `description` is the item as the closer saw it: if the list changed in the meantime (someone
    closed it, or recorded a newer assessment), the command is refused rather than closing another item.
    """
    require_role(db, actor, WRITERS, "close violations and corrective actions")
    if kind not in KINDS:
        raise InvalidInput("Pick a violation or a corrective action to close.")
    attribute, label = KINDS[kind]
    row = None
    if usable_id(assessment_id):
        row = db.scalars(
            select(HCT).where(HCT.id == assessment_id).with_for_update().execution_options(populate_existing=True)
        ).first()
    if row is None:
        raise NotFound("That assessment no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=row.id, row_hospital_id=row.hospital_id)
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == row.hospital_id)) or "the hospital"
    newer = db.scalar(
        select(
            exists().where(
                HCT.hospital_id == row.hospital_id,
                HCT.compliance_type == row.compliance_type,
                HCT.id != row.id,
                or_(HCT.last_assessment_date > row.last_assessment_date,
                    and_(HCT.last_assessment_date == row.last_assessment_date, HCT.created_at > row.created_at)),
            )
        )
    )  # fmt: skip
    if newer:
        raise InvalidInput(
            f"A newer {row.compliance_type} assessment of {hospital_name} has replaced this one; close the item there."
        )
    entries = getattr(row, attribute)
    if not isinstance(entries, list) or not isinstance(position, int) or not 0 <= position < len(entries):
        raise InvalidInput(f"That {label.lower()} is no longer on the assessment; look at the list again.")
    element = entries[position]
    entry = parse_entry(element)
    if not isinstance(element, dict):
        raise InvalidInput(
            f"This {label.lower()} is not in the expected shape, so it cannot be closed here; "
            "record a new assessment that replaces it."
        )
    if entry.description != (description.strip() if isinstance(description, str) else description):
        raise InvalidInput(f"That {label.lower()} has changed since you opened the page; look at the list again.")
    if entry.closed:
        names = names_of(db, {entry.closed_by} if entry.closed_by and usable_id(entry.closed_by) else set())
        who = names.get(entry.closed_by or "", "someone")
        when = f" on {day_text(entry.closed_at.astimezone(LAGOS).date())}" if entry.closed_at else ""
        raise InvalidInput(f'"{entry.description}" was already closed by {who}{when}.')
    now = db.scalar(select(func.now()))
    closed = {**element, "status": "closed", "closed_by": actor.user_id, "closed_at": now.isoformat()}
    if "state" in element:
        closed["state"] = "closed"
    updated = list(entries)
    updated[position] = closed
    setattr(row, attribute, updated)  # a new list: the JSONB column sees the change
    db.flush()
    _audit(db, actor, f"compliance_{kind}_closed", row.id, old={"list": attribute, "position": position,
           "entry": element}, new={"list": attribute, "position": position, "entry": closed},
           hospital=row.hospital_id)  # fmt: skip
    return Closed(hospital_name, row.compliance_type, kind, entry.description, now)


