"""Claim commands: record a claim's submission, its payment or its denial. Each is one transaction with one audit
row, refused in a sentence when what the form sends does not fit, and only by a hospital's administrator (for its
own hospital) or a network administrator (permissions "claims").

The claim is locked (SELECT ... FOR UPDATE) and its status checked against the one the clerk saw, so two people
recording the same remittance cannot pay a claim twice or pay one that was denied a moment ago.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.money.claims import REASON_WORDS, RESOURCE_TYPE, STATUS_WORDS
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, day_text
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.formatting import naira
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.models import Claim

WRITERS = permissions.writers("claims")
_audit = audit.Recorder("financial", RESOURCE_TYPE, impact="medium", compliance_relevant=True)


@dataclass(frozen=True)
class Recorded:
    claim_number: str
    payer_name: str
    on: date
    amount: Decimal | None = None


def _status(claim: Claim) -> str:
    if claim.denied_at is not None:
        return "denied"
    if claim.paid_at is not None:
        return "paid"
    return "open" if claim.submitted_at is not None else "not_submitted"


def _locked(db: Session, actor: Actor, claim_id: Any, expected: str, what: str) -> Claim:
    require_role(db, actor, WRITERS, what)
    claim = None
    if usable_id(claim_id):
        claim = db.scalars(select(Claim).where(Claim.id == claim_id).with_for_update()
                           .execution_options(populate_existing=True)).first()  # fmt: skip
    if claim is None:
        raise NotFound("That claim no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=claim.id, row_hospital_id=claim.hospital_id)
    status = _status(claim)
    if status != expected:
        raise InvalidInput(f"Claim {claim.claim_number} is {STATUS_WORDS[status].lower()} now (someone recorded it a "
                           "moment ago); look at the list again.")  # fmt: skip
    return claim


def _today(db: Session) -> date:
    return db.scalar(select(func.timezone("Africa/Lagos", func.now()))).date()


def _checked_day(db: Session, value: Any, label: str, *, not_before: date, before_words: str) -> tuple[date, datetime]:
    """A Lagos day from a form (a date or 'YYYY-MM-DD'), between `not_before` and today; and its moment: now when it
    is today, else noon that day (a remittance advice gives a day, not a time)."""
    day = value
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidInput(f"{label} must be a date (for example {day_text(_today(db))}).")
    today = _today(db)
    if day > today:
        raise InvalidInput(f"{label} cannot be after today ({day_text(today)}).")
    if day < not_before:
        raise InvalidInput(f"{label} cannot be before {before_words} ({day_text(not_before)}).")
    now = db.scalar(select(func.now()))
    moment = now if day == today else datetime.combine(day, time(12), tzinfo=LAGOS)
    return day, moment


def _submitted_day(claim: Claim) -> date:
    return claim.submitted_at.astimezone(LAGOS).date()


def record_submission(db: Session, actor: Actor, claim_id: str, *, submitted_on: Any) -> Recorded:
    """The claim was sent to its payer on `submitted_on`: it becomes open and starts to age."""
    claim = _locked(db, actor, claim_id, "not_submitted", "record claims' submissions")
    day, moment = _checked_day(db, submitted_on, "The submission date", not_before=claim.service_date,
                               before_words="the day of the service")  # fmt: skip
    claim.submitted_at = moment
    db.flush()
    _audit(db, actor, "claim_submitted", claim.id, hospital=claim.hospital_id, money=claim.amount_billed,
           old={"status": "not_submitted"},
           new={"status": "open", "claim_number": claim.claim_number, "payer": claim.payer_name,
                "submitted_on": day.isoformat()})  # fmt: skip
    return Recorded(claim.claim_number, claim.payer_name, day, claim.amount_billed)


def _checked_amount(value: Any, billed: Decimal) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").replace("₦", "").strip()) if value is not None else None
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidInput("The amount paid must be a number of naira (for example 45,000.00).")
    amount = amount.quantize(Decimal("0.01"))
    if amount <= 0:
        raise InvalidInput("The amount paid must be more than ₦0.00; record a refusal as a denial instead.")
    if amount > billed:
        raise InvalidInput(f"The amount paid ({naira(amount)}) cannot be more than was billed ({naira(billed)}).")
    return amount


def record_payment(db: Session, actor: Actor, claim_id: str, *, amount_paid: Any, paid_on: Any) -> Recorded:
    """The payer paid the open claim `amount_paid` (at most what was billed) on `paid_on`."""
    claim = _locked(db, actor, claim_id, "open", "record claims' payments")
    amount = _checked_amount(amount_paid, claim.amount_billed)
    day, moment = _checked_day(db, paid_on, "The payment date", not_before=_submitted_day(claim),
                               before_words="its submission")  # fmt: skip
    claim.paid_at, claim.amount_paid = max(moment, claim.submitted_at), amount
    db.flush()
    _audit(db, actor, "claim_paid", claim.id, hospital=claim.hospital_id, money=amount, impact="high",
           old={"status": "open"},
           new={"status": "paid", "claim_number": claim.claim_number, "payer": claim.payer_name,
                "amount_paid": str(amount), "amount_billed": str(claim.amount_billed),
                "paid_on": day.isoformat()})  # fmt: skip
    return Recorded(claim.claim_number, claim.payer_name, day, amount)


def record_denial(db: Session, actor: Actor, claim_id: str, *, reason: Any, denied_on: Any) -> Recorded:
    """The payer refused the open claim on `denied_on`, for one of the listed reasons."""
    claim = _locked(db, actor, claim_id, "open", "record claims' denials")
    if reason not in REASON_WORDS:
        raise InvalidInput("Pick the payer's reason for the denial from the list.")
    day, moment = _checked_day(db, denied_on, "The denial date", not_before=_submitted_day(claim),
                               before_words="its submission")  # fmt: skip
    claim.denied_at, claim.denial_reason = max(moment, claim.submitted_at), reason
    db.flush()
    _audit(db, actor, "claim_denied", claim.id, hospital=claim.hospital_id, money=claim.amount_billed,
           old={"status": "open"},
           new={"status": "denied", "claim_number": claim.claim_number, "payer": claim.payer_name,
                "reason": reason, "denied_on": day.isoformat()})  # fmt: skip
    return Recorded(claim.claim_number, claim.payer_name, day)
