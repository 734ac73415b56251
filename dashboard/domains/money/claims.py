"""Claims billed to NHIA and the HMOs: what they still owe and how old it is, how fast each pays, how often it
refuses and why, the claims behind each figure, and the tie of what they paid with the hospitals' ledgers.

A claim's status is derived from its dates (`status_case`), never stored: not submitted, open (submitted, neither
paid nor denied), paid, denied. An open claim's age counts in Lagos days from its submission to today, and its
bucket is 0-30, 31-60, 61-90 or 90+ days (`bucket_case`: 30 days old is 0-30, 31 is 31-60, 91 is 90+). What is
owed is the amount billed of the open claims. Days to pay are Lagos days from submission to payment. The denial
rate is the claims denied out of those paid or denied in the period. Paid claims are revenue on the ledger: by
hospital and Lagos month of payment, what NHIA paid is the ledger's "nhia_capitation" revenue and what the HMOs
paid its "hmo_claims" (`ledger_tie`). The commands (submit, pay, deny) are in claim_commands.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Select, and_, case, cast, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from dashboard.domains.money.hospital_ledger import fiscal_months, month_label
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range
from dashboard.platform.errors import NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope
from db.models import Claim, Hospital, HospitalFinancialData, Profile
from db.models.claims import DENIAL_REASONS

RESOURCE_TYPE = "claim"
SEE = "see claims"
ZERO = Decimal("0.00")
PAYER_KIND_WORDS = {"nhia": "NHIA", "hmo": "HMO"}
# The ledger's revenue category of each payer kind (db/demo/money.py books both every month).
LEDGER_CATEGORY = {"nhia": "nhia_capitation", "hmo": "hmo_claims"}
LEDGER_WORDS = {"nhia_capitation": "NHIA capitation", "hmo_claims": "HMO claims"}
# The HMOs a Nigerian hospital bills most; a claim may name another.
HMOS = ("Hygeia HMO", "AXA Mansard Health", "Reliance HMO", "Leadway Health", "Avon HMO", "Clearline HMO",
        "Hallmark HMO", "Total Health Trust")  # fmt: skip
BUCKETS = ("0_30", "31_60", "61_90", "90_plus")
BUCKET_WORDS = {"0_30": "0–30 days", "31_60": "31–60 days", "61_90": "61–90 days", "90_plus": "90+ days"}
STATUSES = ("not_submitted", "open", "paid", "denied")
STATUS_WORDS = {"not_submitted": "Not submitted", "open": "Open", "paid": "Paid", "denied": "Denied"}
REASON_WORDS = {
    "not_covered": "Service not covered by the plan",
    "no_authorisation": "No pre-authorisation code",
    "enrollee_not_eligible": "Enrollee not eligible on the day",
    "duplicate": "Duplicate claim",
    "incomplete_documents": "Documents incomplete",
    "late_submission": "Submitted after the deadline",
    "tariff_exceeded": "Billed above the agreed tariff",
}
assert set(REASON_WORDS) == set(DENIAL_REASONS)
MOST_MISMATCHES = 20  # the tie names the hospital-months that differ most; more are counted, not listed


def lagos_day(moment) -> object:
    """The Lagos calendar day of a timestamp column, in SQL."""
    return cast(func.timezone("Africa/Lagos", moment), Date)


def _today(today: date | None) -> object:
    return today if isinstance(today, date) else lagos_day(func.now())


def status_case():
    return case(
        (Claim.denied_at.is_not(None), "denied"),
        (Claim.paid_at.is_not(None), "paid"),
        (Claim.submitted_at.is_not(None), "open"),
        else_="not_submitted",
    )


def is_open():
    return and_(Claim.submitted_at.is_not(None), Claim.paid_at.is_(None), Claim.denied_at.is_(None))


def age_days(today: date | None = None):
    """Lagos days from an open claim's submission to today (0 on the day it was submitted)."""
    return _today(today) - lagos_day(Claim.submitted_at)


def bucket_case(today: date | None = None):
    """The ageing bucket of an open claim, in SQL: 0-30, 31-60, 61-90, 90+ days since its submission."""
    age = age_days(today)
    return case((age <= 30, "0_30"), (age <= 60, "31_60"), (age <= 90, "61_90"), else_="90_plus")


def days_to_pay():
    return lagos_day(Claim.paid_at) - lagos_day(Claim.submitted_at)


def _payer_words(kind: str, name: str) -> str:
    return name  # "NHIA", "Hygeia HMO", "Leadway Health": the payer's own name says what it is


# --- receivables and their ageing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayerAgeing:
    payer_kind: str
    payer_name: str
    amounts: dict[str, Decimal]  # bucket -> amount billed of the open claims in it
    counts: dict[str, int]

    @property
    def payer(self) -> str:
        return _payer_words(self.payer_kind, self.payer_name)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


@dataclass(frozen=True)
class Receivables:
    payers: list[PayerAgeing]  # most owed first

    def amount(self, bucket: str | None = None) -> Decimal:
        return sum((p.amounts[bucket] if bucket else p.total for p in self.payers), ZERO)

    def count(self, bucket: str | None = None) -> int:
        return sum(p.counts[bucket] if bucket else sum(p.counts.values()) for p in self.payers)

    @property
    def outstanding(self) -> Decimal:
        return self.amount()

    @property
    def over_90(self) -> Decimal:
        return self.amount("90_plus")


@permissions.reads("claims", SEE)
def receivables(db: Session, actor: Actor, *, today: date | None = None) -> Receivables:
    """What each payer owes on open claims, by age bucket (one grouped statement); the cards sum these rows."""
    bucket = bucket_case(today)
    stmt = (
        select(Claim.payer_kind, Claim.payer_name,
               *(func.coalesce(func.sum(Claim.amount_billed).filter(bucket == b), ZERO) for b in BUCKETS),
               *(func.count().filter(bucket == b) for b in BUCKETS))
        .where(is_open())
        .group_by(Claim.payer_kind, Claim.payer_name)
        .order_by(func.sum(Claim.amount_billed).desc(), Claim.payer_name)
    )  # fmt: skip
    payers = []
    for kind, name, *values in db.execute(limit_to_scope(stmt, actor, Claim.hospital_id)):
        amounts, counts = values[: len(BUCKETS)], values[len(BUCKETS) :]
        payers.append(PayerAgeing(kind, name, dict(zip(BUCKETS, amounts, strict=True)),
                                  dict(zip(BUCKETS, counts, strict=True))))  # fmt: skip
    return Receivables(payers)


# --- how each payer pays and refuses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PayerPerformance:
    payer_kind: str | None  # None on the row of every payer together
    payer_name: str | None
    paid: int
    median_days: float | None
    p90_days: float | None
    denied: int
    amount_paid: Decimal

    @property
    def payer(self) -> str:
        return "Every payer" if self.payer_name is None else _payer_words(self.payer_kind, self.payer_name)

    @property
    def decided(self) -> int:
        return self.paid + self.denied

    @property
    def denial_rate(self) -> float | None:
        return self.denied / self.decided if self.decided else None


@dataclass(frozen=True)
class Performance:
    overall: PayerPerformance
    payers: list[PayerPerformance] = field(default_factory=list)  # the most decided first


def _decided_in(start: date, end: date):
    decided = func.coalesce(Claim.paid_at, Claim.denied_at)
    return and_(decided.is_not(None), lagos_day(decided) >= start, lagos_day(decided) <= end)


@permissions.reads("claims", SEE)
def payer_performance(db: Session, actor: Actor, *, start: date, end: date) -> Performance:
    """Days to pay (median, 90th percentile) and denials of the claims paid or denied in the period, by payer and
    for every payer together (a median of the whole, not of the payers' medians), in one statement."""
    start, end = checked_range(start, end)
    paid = Claim.paid_at.is_not(None)
    days = days_to_pay()
    grouping = func.grouping(Claim.payer_name)
    stmt = (
        select(Claim.payer_kind, Claim.payer_name, func.count().filter(paid),
               func.percentile_cont(0.5).within_group(days).filter(paid),
               func.percentile_cont(0.9).within_group(days).filter(paid),
               func.count().filter(Claim.denied_at.is_not(None)),
               func.coalesce(func.sum(Claim.amount_paid), ZERO), grouping)
        .where(_decided_in(start, end))
        .group_by(func.grouping_sets(tuple_(Claim.payer_kind, Claim.payer_name), tuple_()))
        .order_by(grouping.desc(), func.count().desc(), Claim.payer_name)
    )  # fmt: skip
    rows = db.execute(limit_to_scope(stmt, actor, Claim.hospital_id)).all()
    found = [
        PayerPerformance(kind, name, paid_count, _float(median), _float(p90), denied, amount)
        for kind, name, paid_count, median, p90, denied, amount, _ in rows
    ]
    overall = next((r for r in found if r.payer_name is None), None)
    return Performance(
        overall or PayerPerformance(None, None, 0, None, None, 0, ZERO), [r for r in found if r.payer_name is not None]
    )


def _float(value) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    claims: int
    amount_billed: Decimal

    @property
    def words(self) -> str:
        return REASON_WORDS.get(self.reason, self.reason)


@permissions.reads("claims", SEE)
def denial_reasons(db: Session, actor: Actor, *, start: date, end: date) -> list[ReasonCount]:
    """The claims denied in the period by reason, the most frequent first."""
    start, end = checked_range(start, end)
    stmt = (
        select(Claim.denial_reason, func.count(), func.sum(Claim.amount_billed))
        .where(Claim.denied_at.is_not(None), lagos_day(Claim.denied_at) >= start, lagos_day(Claim.denied_at) <= end)
        .group_by(Claim.denial_reason)
        .order_by(func.count().desc(), Claim.denial_reason)
    )
    return [ReasonCount(*r) for r in db.execute(limit_to_scope(stmt, actor, Claim.hospital_id))]


# --- the claims behind a figure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    id: str
    hospital_id: str
    hospital_name: str
    claim_number: str
    payer_kind: str
    payer_name: str
    patient_name: str
    service_date: date
    amount_billed: Decimal
    submitted_at: object
    paid_at: object
    amount_paid: Decimal | None
    denied_at: object
    denial_reason: str | None
    status: str
    age_days: int | None  # an open claim's days since submission; None otherwise
    days_to_pay: int | None

    @property
    def payer(self) -> str:
        return _payer_words(self.payer_kind, self.payer_name)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def reason_words(self) -> str | None:
        return REASON_WORDS.get(self.denial_reason) if self.denial_reason else None

    @property
    def bucket(self) -> str | None:
        if self.age_days is None:
            return None
        return "0_30" if self.age_days <= 30 else "31_60" if self.age_days <= 60 else "61_90" if self.age_days <= 90 \
            else "90_plus"  # fmt: skip

    @property
    def label(self) -> str:
        return f"{self.claim_number} · {self.patient_name} · {self.payer}"


VIEWS = ("open", "paid", "denied", "not_submitted")  # the list's filters; None lists every claim


def _list_select(
    actor: Actor, *, search: str, view: str | None, payer: str | None, bucket: str | None, reason: str | None,
    start: date | None, end: date | None, today: date | None,
) -> Select:  # fmt: skip
    status, open_age = status_case(), case((is_open(), age_days(today)), else_=None)
    patient = people.name_or(literal("Former patient"))
    stmt = (
        select(Claim.id, Claim.hospital_id, Hospital.name, Claim.claim_number, Claim.payer_kind, Claim.payer_name,
               patient, Claim.service_date, Claim.amount_billed, Claim.submitted_at, Claim.paid_at, Claim.amount_paid,
               Claim.denied_at, Claim.denial_reason, status, open_age, days_to_pay())
        .join(Hospital, Hospital.id == Claim.hospital_id)
        .outerjoin(Profile, Profile.user_id == Claim.patient_id)
    )  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(Claim.claim_number.ilike(pattern), Claim.payer_name.ilike(pattern),
                              people.full_name().ilike(pattern), Hospital.name.ilike(pattern)))  # fmt: skip
    if payer:
        stmt = stmt.where(Claim.payer_name == payer)
    if view == "open":
        stmt = stmt.where(is_open())
        if bucket in BUCKETS:
            stmt = stmt.where(bucket_case(today) == bucket)
        order = (Claim.submitted_at, Claim.id)  # the oldest debt first
    elif view in ("paid", "denied"):
        moment = Claim.paid_at if view == "paid" else Claim.denied_at
        stmt = stmt.where(moment.is_not(None))
        if start is not None and end is not None:
            stmt = stmt.where(lagos_day(moment) >= start, lagos_day(moment) <= end)
        if view == "denied" and reason:
            stmt = stmt.where(Claim.denial_reason == reason)
        order = (moment.desc(), Claim.id)
    elif view == "not_submitted":
        stmt = stmt.where(Claim.submitted_at.is_(None))
        order = (Claim.service_date, Claim.id)
    else:
        order = (Claim.service_date.desc(), Claim.id)
    return limit_to_scope(stmt, actor, Claim.hospital_id).order_by(*order)


def _clean(search: object) -> str:
    return search if isinstance(search, str) else ""


def _span(view: str | None, start: date | None, end: date | None) -> tuple[date | None, date | None]:
    if view in ("paid", "denied") and start is not None and end is not None:
        return checked_range(start, end)
    return None, None


@permissions.reads("claims", SEE)
def list_claims(
    db: Session, actor: Actor, *, search: str = "", view: str | None = None, payer: str | None = None,
    bucket: str | None = None, reason: str | None = None, start: date | None = None, end: date | None = None,
    today: date | None = None, page: int = 1, page_size: int = 25,
) -> Page[ClaimRow]:  # fmt: skip
    """The claims behind a figure: open ones (of a payer, of an age bucket) oldest first, paid or denied ones in the
    period (of a payer, of a reason) latest first, or every claim; one page of them, counted in SQL."""
    start, end = _span(view, start, end)
    stmt = _list_select(actor, search=_clean(search), view=view, payer=payer, bucket=bucket, reason=reason,
                        start=start, end=end, today=today)  # fmt: skip
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([ClaimRow(*r) for r in rows], total, page, page_size)


@permissions.reads("claims", "export claims")
def export_claims(
    db: Session, actor: Actor, *, search: str = "", view: str | None = None, payer: str | None = None,
    bucket: str | None = None, reason: str | None = None, start: date | None = None, end: date | None = None,
    today: date | None = None,
) -> tuple[list[ClaimRow], bool]:  # fmt: skip
    start, end = _span(view, start, end)
    stmt = _list_select(actor, search=_clean(search), view=view, payer=payer, bucket=bucket, reason=reason,
                        start=start, end=end, today=today)  # fmt: skip
    rows, truncated = fetch_capped(db, stmt)
    audit.record_export(db, actor, action_type="claims_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": _clean(search).strip() or None, "view": view, "payer": payer,
                                 "bucket": bucket, "reason": reason,
                                 "start": start.isoformat() if start else None,
                                 "end": end.isoformat() if end else None}, rows=len(rows))  # fmt: skip
    return [ClaimRow(*r) for r in rows], truncated


@permissions.reads("claims", SEE)
def claim(db: Session, actor: Actor, claim_id: str, *, today: date | None = None) -> ClaimRow:
    """One claim in scope, as the list shows it (a command's form reads it before it asks)."""
    found = db.get(Claim, claim_id) if usable_id(claim_id) else None
    if found is None:
        raise NotFound("That claim no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=found.id, row_hospital_id=found.hospital_id)
    stmt = _list_select(actor, search="", view=None, payer=None, bucket=None, reason=None, start=None, end=None,
                        today=today).where(Claim.id == found.id)  # fmt: skip
    return ClaimRow(*db.execute(stmt).one())


# --- the tie with the ledger ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TieRow:
    hospital_name: str
    month: str  # fiscal month "2026-11"
    category: str  # the ledger's: nhia_capitation, hmo_claims
    claims_paid: Decimal
    ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.claims_paid

    @property
    def words(self) -> str:
        return f"{self.hospital_name}, {month_label(self.month)}, {LEDGER_WORDS[self.category]}"


@dataclass(frozen=True)
class LedgerTie:
    first_month: str
    last_month: str
    claims_paid: Decimal
    ledger: Decimal
    mismatched: int  # hospital-months-categories where the two differ
    largest: list[TieRow]  # the ones that differ most, at most MOST_MISMATCHES

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.claims_paid

    @property
    def agrees(self) -> bool:
        return self.mismatched == 0

    @property
    def months_words(self) -> str:
        first, last = month_label(self.first_month), month_label(self.last_month)
        return first if first == last else f"{first} – {last}"


@permissions.reads("claims", SEE)
def ledger_tie(db: Session, actor: Actor, *, start: date, end: date) -> LedgerTie:
    """Paid claims against the ledger, by hospital, fiscal month and payer kind, over every fiscal month the period
    touches: what NHIA paid against "nhia_capitation" revenue, what the HMOs paid against "hmo_claims"."""
    first, last = fiscal_months(start, end)
    month = func.to_char(func.timezone("Africa/Lagos", Claim.paid_at), "YYYY-MM")
    category = case(*((Claim.payer_kind == k, v) for k, v in LEDGER_CATEGORY.items()))
    paid = limit_to_scope(
        select(Claim.hospital_id.label("hospital_id"), month.label("month"), category.label("category"),
               func.sum(Claim.amount_paid).label("amount"))
        .where(Claim.paid_at.is_not(None), month >= first, month <= last)
        .group_by(Claim.hospital_id, month, category),
        actor, Claim.hospital_id,
    ).subquery("paid")  # fmt: skip
    entry = HospitalFinancialData
    booked = limit_to_scope(
        select(entry.hospital_id.label("hospital_id"), entry.fiscal_month.label("month"),
               entry.category.label("category"), func.sum(entry.amount).label("amount"))
        .where(entry.transaction_type == "revenue", entry.category.in_(LEDGER_CATEGORY.values()),
               entry.fiscal_month >= first, entry.fiscal_month <= last)
        .group_by(entry.hospital_id, entry.fiscal_month, entry.category),
        actor, entry.hospital_id,
    ).subquery("booked")  # fmt: skip
    joined = paid.join(
        booked,
        and_(paid.c.hospital_id == booked.c.hospital_id, paid.c.month == booked.c.month,
             paid.c.category == booked.c.category),
        full=True,
    )  # fmt: skip
    hospital_id = func.coalesce(paid.c.hospital_id, booked.c.hospital_id)
    claims_amount, ledger_amount = func.coalesce(paid.c.amount, ZERO), func.coalesce(booked.c.amount, ZERO)
    tied = (
        select(hospital_id.label("hospital_id"), func.coalesce(paid.c.month, booked.c.month).label("month"),
               func.coalesce(paid.c.category, booked.c.category).label("category"),
               claims_amount.label("claims_paid"), ledger_amount.label("ledger"))
        .select_from(joined)
        .subquery("tied")
    )  # fmt: skip
    differs = tied.c.claims_paid != tied.c.ledger
    totals = db.execute(
        select(func.coalesce(func.sum(tied.c.claims_paid), ZERO), func.coalesce(func.sum(tied.c.ledger), ZERO),
               func.count().filter(differs))
    ).one()  # fmt: skip
    largest = []
    if totals[2]:
        largest = [TieRow(*r) for r in db.execute(
            select(Hospital.name, tied.c.month, tied.c.category, tied.c.claims_paid, tied.c.ledger)
            .join(Hospital, Hospital.id == tied.c.hospital_id)
            .where(differs)
            .order_by(func.abs(tied.c.ledger - tied.c.claims_paid).desc(), Hospital.name, tied.c.month)
            .limit(MOST_MISMATCHES)
        )]  # fmt: skip
    return LedgerTie(first, last, totals[0], totals[1], totals[2], largest)
