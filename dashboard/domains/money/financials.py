"""A hospital's ledger (hospital_financial_data) in the actor's scope: months, categories, hospitals, drill-down.

The ledger is kept by fiscal month ("YYYY-MM"): a date range asks for every fiscal month it touches,
from the month of its start to the month of its end. Sums are NUMERIC in the database and Decimal
here, so a figure on a chart and the sum of the rows behind it agree to the kobo.

Decisions the page relies on:

- "This month" is the month of the range's end (month_figures; month_to_date for today's month, the
  one source of the Overview's and the Financials' "Revenue this month"). A completed month is
  compared with the whole month before and the same month a year earlier; a month still running
  with the same days of both (1-7 Dec against 1-7 Nov and 1-7 Dec a year ago), never with whole
  months. A month with no ledger rows has no figure (None), not zero: a hospital that has not
  reported is not a hospital that earned nothing.
- Consultation revenue is checked three ways: the ledger's own consultations and telemedicine
  categories, the paid video sessions (consultation_sessions.consultation_rate, by the Lagos month
  of their appointment) and the completed appointments, in scope through the appointment's hospital.
  Those two come from a summary by hospital and Lagos month (migration 0011's consultation_activity_monthly,
  read through its row-level view), so they are as of its last refresh (summary_status).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Date, Select, case, cast, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range
from dashboard.platform.errors import InvalidInput
from dashboard.platform.formatting import LAGOS
from dashboard.platform.inputs import checked_text
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_role
from db.models import Hospital, HospitalFinancialData
from db.vocab import FINANCE_TRANSACTION_TYPES

READERS = permissions.readers("financials")
RESOURCE_TYPE = "hospital_financial_data"
ZERO = Decimal("0.00")
MAX_MONTHS = 37  # the sidebar allows three years; a few more months are a mistyped year
MAX_CATEGORY_CHARS = 100
KIND_LABELS = {"revenue": "Revenue", "expense": "Expenses"}
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_Ledger = HospitalFinancialData


def month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def month_label(key: str) -> str:
    """'2026-10' -> 'Oct 2026'."""
    return f"{date.fromisoformat(key + '-01'):%b %Y}"


def category_label(category: str) -> str:
    """'utilities_and_diesel' -> 'Utilities and diesel'."""
    words = category.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "—"


def months_between(start: date, end: date) -> list[str]:
    """Every fiscal month from the month of `start` to the month of `end`, oldest first."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def shift_month(key: str, months: int) -> str:
    year, month = int(key[:4]), int(key[5:7])
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _months(start: date, end: date) -> tuple[str, str]:
    start, end = checked_range(start, end)
    months = months_between(start, end)
    if len(months) > MAX_MONTHS:
        raise InvalidInput("Pick a date range of at most three years.")
    return months[0], months[-1]


def _scoped(stmt: Select, actor: Actor) -> Select:
    return limit_to_scope(stmt, actor, _Ledger.hospital_id)


def _percent(now: Decimal | None, before: Decimal | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return float((now - before) / abs(before))


# --- What the page gets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthTotals:
    month: str  # "YYYY-MM"
    revenue: Decimal
    expenses: Decimal
    entries: int  # ledger rows behind the month

    @property
    def net(self) -> Decimal:
        return self.revenue - self.expenses

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass(frozen=True)
class CategoryTotal:
    kind: str  # "revenue" or "expense"
    category: str
    amount: Decimal
    entries: int

    @property
    def label(self) -> str:
        return category_label(self.category)


@dataclass(frozen=True)
class HospitalTotals:
    hospital_id: str
    hospital_name: str
    revenue: Decimal
    expenses: Decimal

    @property
    def net(self) -> Decimal:
        return self.revenue - self.expenses


@dataclass(frozen=True)
class Comparison:
    """One figure this month, last month and the same month last year; None where nothing was booked."""

    now: Decimal | None
    last_month: Decimal | None
    last_year: Decimal | None

    @property
    def change_vs_last_month(self) -> Decimal | None:
        return None if self.now is None or self.last_month is None else self.now - self.last_month

    @property
    def change_vs_last_year(self) -> Decimal | None:
        return None if self.now is None or self.last_year is None else self.now - self.last_year

    @property
    def percent_vs_last_month(self) -> float | None:
        return _percent(self.now, self.last_month)

    @property
    def percent_vs_last_year(self) -> float | None:
        return _percent(self.now, self.last_year)


@dataclass(frozen=True)
class Days:
    """Days 1..last of a fiscal month; `whole` when they are the whole month."""

    month: str  # "YYYY-MM"
    last: int
    whole: bool

    @property
    def label(self) -> str:
        """'Nov 2025' for a whole month, '1–7 Nov 2025' for some of its days."""
        return month_label(self.month) if self.whole else f"{self._days} {month_label(self.month)}"

    @property
    def short_label(self) -> str:
        """'Nov 2025' for a whole month, '1–7 Nov' for some of its days (the year said elsewhere)."""
        return month_label(self.month) if self.whole else f"{self._days} {month_label(self.month)[:3]}"

    @property
    def _days(self) -> str:
        return "1" if self.last == 1 else f"1–{self.last}"


@dataclass(frozen=True)
class MonthToDate:
    """A month's revenue, expenses and net against the same days of the month before and of a year before.

    For a completed month the days are the whole months; for the month still running they are the
    days booked so far (`this.last`), the same days in the other two months.
    """

    this: Days
    last_month: Days
    last_year: Days
    running: bool  # the month has not ended: its figures are the days booked so far
    booked_to: date | None  # a running month's latest booking day (None: nothing booked for it yet)
    revenue: Comparison
    expenses: Comparison
    net: Comparison
    pro_rated: bool = False  # a comparison figure holds a share of entries that cover more days than the cut

    @property
    def month(self) -> str:
        return self.this.month

    @property
    def vs_last_month(self) -> str:
        """'1–7 Dec vs 1–7 Nov' or 'Nov 2025 vs Oct 2025'."""
        return f"{self.this.short_label} vs {self.last_month.short_label}"

    @property
    def vs_last_year(self) -> str:
        """'1–7 Dec 2025 vs 1–7 Dec 2024' or 'Nov 2025 vs Nov 2024'."""
        return f"{self.this.label} vs {self.last_year.label}"


@dataclass(frozen=True)
class ConsultationCheck:
    """A month's consultation revenue as the ledger books it, beside what the sessions and appointments show."""

    month: str
    ledger_consultations: Decimal  # the ledger's "consultations" category (mostly in person)
    ledger_telemedicine: Decimal  # the ledger's "telemedicine" category
    video_sessions_paid: int
    video_revenue: Decimal  # the paid sessions' consultation rates
    appointments_completed: int
    virtual_completed: int

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass(frozen=True)
class LedgerRow:
    entry_id: str
    fiscal_month: str
    hospital_id: str
    hospital_name: str
    kind: str
    category: str
    amount: Decimal
    description: str | None
    booked_at: datetime
    reference: str | None


@dataclass(frozen=True)
class SelectionTotal:
    entries: int
    revenue: Decimal
    expenses: Decimal

    @property
    def net(self) -> Decimal:
        return self.revenue - self.expenses


# --- Reads ---------------------------------------------------------------------------------------------


def _sum_of(kind: str):
    return func.coalesce(func.sum(_Ledger.amount).filter(_Ledger.transaction_type == kind), ZERO)


@permissions.reads("financials")
def monthly_totals(db: Session, actor: Actor, *, start: date, end: date) -> list[MonthTotals]:
    """Revenue and expenses by fiscal month over the range; every month shown, zero where nothing was booked."""
    require_role(db, actor, READERS, "see the hospital finances")
    first, last = _months(start, end)
    stmt = _scoped(
        select(_Ledger.fiscal_month, _sum_of("revenue"), _sum_of("expense"), func.count())
        .where(_Ledger.fiscal_month.between(first, last))
        .group_by(_Ledger.fiscal_month),
        actor,
    )
    found = {month: (revenue, expenses, n) for month, revenue, expenses, n in db.execute(stmt)}
    return [
        MonthTotals(month, *found.get(month, (ZERO, ZERO, 0)))
        for month in months_between(date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01"))
    ]


@permissions.reads("financials")
def category_totals(db: Session, actor: Actor, *, start: date, end: date) -> list[CategoryTotal]:
    """Each category's total over the range: revenue first, then expenses, largest first within each."""
    require_role(db, actor, READERS, "see the hospital finances")
    first, last = _months(start, end)
    amount = func.sum(_Ledger.amount)
    stmt = _scoped(
        select(_Ledger.transaction_type, _Ledger.category, amount, func.count())
        .where(_Ledger.fiscal_month.between(first, last))
        .group_by(_Ledger.transaction_type, _Ledger.category)
        .order_by(_Ledger.transaction_type.desc(), amount.desc(), _Ledger.category),
        actor,
    )
    return [CategoryTotal(kind, category, total, n) for kind, category, total, n in db.execute(stmt)]


@permissions.reads("financials")
def hospital_totals(db: Session, actor: Actor, *, start: date, end: date) -> list[HospitalTotals]:
    """Revenue and expenses of each hospital in scope over the range, highest revenue first."""
    require_role(db, actor, READERS, "see the hospital finances")
    first, last = _months(start, end)
    revenue = _sum_of("revenue")
    stmt = _scoped(
        select(Hospital.id, Hospital.name, revenue, _sum_of("expense"))
        .join(Hospital, Hospital.id == _Ledger.hospital_id)
        .where(_Ledger.fiscal_month.between(first, last))
        .group_by(Hospital.id, Hospital.name)
        .order_by(revenue.desc(), Hospital.name),
        actor,
    )
    return [HospitalTotals(*row) for row in db.execute(stmt)]


def _days_in(key: str) -> int:
    return calendar.monthrange(int(key[:4]), int(key[5:7]))[1]


def _same_day_sums(
    db: Session, actor: Actor, cuts: dict[str, int], *, booked_before: datetime
) -> dict[str, tuple[Decimal, Decimal, bool]]:
    """Revenue and expenses of each month's days 1..cut: {month: (revenue, expenses, pro_rated)}.

    The ledger books by fiscal month, often in one entry per category at the month's close, so "the
    first 7 days of November" cannot be read off the rows. Each entry is taken to cover the days
    since its hospital's previous booking day in that month (from the 1st for the first one) up to
    its own booking day (Lagos date, kept inside its fiscal month), and counts for the days 1..cut in
    proportion: a daily entry counts whole or not at all, a month's close booked on the 30th counts
    7/30 for days 1-7. `pro_rated` says some entry was cut that way. A whole month (cut = its last day)
    is exactly its entries' sum, so it equals the monthly chart. A month with no entries is absent.
    An entry booked at or after `booked_before` (tomorrow) has not happened yet and counts for nothing.
    """
    first = func.to_date(_Ledger.fiscal_month, "YYYY-MM")
    last = cast(first + literal_column("interval '1 month'"), Date) - literal_column("1")
    day = func.least(func.greatest(cast(func.timezone("Africa/Lagos", _Ledger.transaction_date), Date), first), last)
    booked = _scoped(
        select(
            _Ledger.hospital_id.label("hospital_id"),
            _Ledger.fiscal_month.label("month"),
            _Ledger.transaction_type.label("kind"),
            day.label("day"),
            first.label("first"),
            func.sum(_Ledger.amount).label("amount"),
        )
        .where(_Ledger.fiscal_month.in_(list(cuts)), _Ledger.transaction_date < booked_before)
        .group_by(_Ledger.hospital_id, _Ledger.fiscal_month, _Ledger.transaction_type, day),
        actor,
    ).subquery("booked")
    days = select(booked.c.hospital_id, booked.c.month, booked.c.day, booked.c.first).distinct().subquery("days")
    before = func.lag(days.c.day).over(partition_by=(days.c.hospital_id, days.c.month), order_by=days.c.day)
    spans = select(
        days.c.hospital_id, days.c.month, days.c.day, func.coalesce(before + 1, days.c.first).label("since")
    ).subquery("spans")
    cut = case(cuts, value=booked.c.month) - 1 + booked.c.first  # the last day counted (a date)
    overlap = func.greatest(0, func.least(booked.c.day, cut) - spans.c.since + 1)
    covered = booked.c.day - spans.c.since + 1
    share = booked.c.amount * overlap / covered

    def total(kind: str):
        return func.round(func.coalesce(func.sum(share).filter(booked.c.kind == kind), 0), 2)

    stmt = (
        select(booked.c.month, total("revenue"), total("expense"), func.bool_or((overlap > 0) & (overlap < covered)))
        .join(
            spans,
            (spans.c.hospital_id == booked.c.hospital_id)
            & (spans.c.month == booked.c.month)
            & (spans.c.day == booked.c.day),
        )
        .group_by(booked.c.month)
    )
    return {m: (Decimal(r), Decimal(e), bool(cut_)) for m, r, e, cut_ in db.execute(stmt)}


@permissions.reads("financials")
def month_figures(db: Session, actor: Actor, *, month: date, today: date | None = None) -> MonthToDate:
    """Revenue, expenses and net of the month of `month` against the month before and a year before.

    A completed month is compared with whole months. A month still running (today's) holds every entry
    booked for it so far, up to its latest booking day (clamped to today; today's own day when
    nothing is booked yet), and is compared with the same days of the month before and of the same
    month last year, never with whole months (see _same_day_sums for how those days are cut).
    """
    require_role(db, actor, READERS, "see the hospital finances")
    if not isinstance(month, date):
        raise InvalidInput("Pick the month to compare.")
    today = today or datetime.now(LAGOS).date()
    now = month_key(month)
    before, year_ago = shift_month(now, -1), shift_month(now, -12)
    running = now >= month_key(today)
    booked_to = None
    if running:
        latest = db.scalar(
            _scoped(
                select(func.max(cast(func.timezone("Africa/Lagos", _Ledger.transaction_date), Date))).where(
                    _Ledger.fiscal_month == now
                ),
                actor,
            )
        )
        if latest is not None:
            booked_to = max(date.fromisoformat(now + "-01"), min(latest, today))
        cut = booked_to.day if booked_to is not None and month_key(booked_to) == now else min(today.day, _days_in(now))
    else:
        cut = _days_in(now)
    this = Days(now, min(cut, _days_in(now)), whole=not running)
    # A running month's same days; a completed month's whole months (October's 31 days against November's 30).
    other = {k: Days(k, min(cut, _days_in(k)) if running else _days_in(k), not running) for k in (before, year_ago)}
    # A running month holds its days so far: an entry dated after today has not happened yet.
    found = _same_day_sums(
        db,
        actor,
        {now: this.last, before: other[before].last, year_ago: other[year_ago].last},
        booked_before=datetime.combine(today + timedelta(days=1), time.min, tzinfo=LAGOS),
    )

    def figure(key: str, part: int) -> Decimal | None:
        if key not in found:
            return None
        revenue, expenses, _ = found[key]
        return (revenue, expenses, revenue - expenses)[part]

    def comparison(part: int) -> Comparison:
        return Comparison(figure(now, part), figure(before, part), figure(year_ago, part))

    return MonthToDate(
        this, other[before], other[year_ago], running, booked_to,
        comparison(0), comparison(1), comparison(2),
        pro_rated=any(found.get(k, (0, 0, False))[2] for k in (before, year_ago)),
    )  # fmt: skip


def same_days_note(figures: MonthToDate) -> str:
    """How the same days of a month booked in one entry at its close are counted, in a sentence."""
    days, whole = figures.last_month.last, _days_in(figures.last_month.month)
    month = month_label(figures.last_month.month)
    return (
        "An entry counts for the days since its hospital's previous booking that month, so an entry covering "
        f"more days than those compared counts by its share: one booked at the close of {month} covers its "
        f"{whole} days, and {figures.last_month.short_label} holds {days}/{whole} of it."
    )


def year_before_note(figures: MonthToDate) -> str | None:
    """The sentence that stands for the comparison with a year before when nothing is booked for it, else None.

    The page and the board PDF both print it in place of rows that would each say "no figures".
    """
    if any(figure.last_year is not None for figure in (figures.revenue, figures.expenses, figures.net)):
        return None
    return f"Nothing is booked for {figures.last_year.label}, so there is no comparison with a year before."


def month_before_note(figures: MonthToDate) -> str | None:
    """The sentence that stands for the comparison with the month before when nothing is booked for it, else None."""
    if any(figure.last_month is not None for figure in (figures.revenue, figures.expenses, figures.net)):
        return None
    return f"Nothing is booked for {figures.last_month.label}, so there is no comparison with the month before."


@permissions.reads("financials")
def month_to_date(db: Session, actor: Actor, *, today: date | None = None) -> MonthToDate:
    """This month so far (Lagos) against the same days of last month and of this month last year.

    The one source of "Revenue/Expenses/Net this month": the Overview card, the Financials cards and
    the board report all read it, so they agree to the kobo.
    """
    today = today or datetime.now(LAGOS).date()
    return month_figures(db, actor, month=today, today=today)


@permissions.reads("financials")
def consultation_check(db: Session, actor: Actor, *, start: date, end: date) -> list[ConsultationCheck]:
    """By month: the ledger's consultation revenue, the paid video sessions and the completed appointments."""
    require_role(db, actor, READERS, "see the hospital finances")
    first, last = _months(start, end)
    ledger = _scoped(
        select(
            _Ledger.fiscal_month,
            func.coalesce(func.sum(_Ledger.amount).filter(_Ledger.category == "consultations"), ZERO),
            func.coalesce(func.sum(_Ledger.amount).filter(_Ledger.category == "telemedicine"), ZERO),
        )
        .where(
            _Ledger.fiscal_month.between(first, last),
            _Ledger.transaction_type == "revenue",
            _Ledger.category.in_(("consultations", "telemedicine")),
        )
        .group_by(_Ledger.fiscal_month),
        actor,
    )
    booked = {m: (consultations, telemedicine) for m, consultations, telemedicine in db.execute(ledger)}
    # The summary by hospital and Lagos month (migration 0011), through its view that keeps row-level security's rule.
    visits = text(
        """
        SELECT month, sum(video_sessions_paid)::bigint, coalesce(sum(video_revenue), 0),
               sum(appointments_completed)::bigint, sum(virtual_completed)::bigint
          FROM consultation_activity_by_month
         WHERE month BETWEEN :first AND :last AND (CAST(:hospital AS text) IS NULL OR hospital_id = :hospital)
         GROUP BY month
        """
    )
    params = {"first": first, "last": last, "hospital": None if actor.network_wide else actor.hospital_id}
    seen = {
        m: (int(sessions), revenue, int(done), int(virtual))
        for m, sessions, revenue, done, virtual in db.execute(visits, params)
    }
    months = months_between(date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01"))
    return [
        ConsultationCheck(m, *booked.get(m, (ZERO, ZERO)), *seen.get(m, (0, ZERO, 0, 0)))  # type: ignore[arg-type]
        for m in months
    ]


@dataclass(frozen=True)
class SummaryStatus:
    figures_as_of: datetime | None  # the consultation summary's last refresh (None: never)


STALE_AFTER_SECONDS = 3600  # the page refreshes the summaries itself when they are older


@permissions.reads("financials")
def summary_status(db: Session, actor: Actor) -> SummaryStatus:
    """When the consultation summary was last refreshed (its rows all carry the refresh's time)."""
    require_role(db, actor, READERS, "see the hospital finances")
    return SummaryStatus(db.scalar(text("SELECT max(refreshed_at) FROM consultation_activity_by_month")))


def refresh_summaries(db: Session, actor: Actor) -> datetime:
    """Refresh the materialized summaries (concurrently: readers are not blocked); returns the time."""
    require_role(db, actor, READERS, "refresh the hospital finances")
    return db.scalar(text("SELECT healthdash_refresh_money_summaries()"))


# --- The rows behind a bar -------------------------------------------------------------------------------


def _drill(
    db: Session,
    actor: Actor,
    start: date,
    end: date,
    month: str | None,
    kind: str | None,
    category: str | None,
    hospital_id: str | None,
) -> tuple[list, dict]:
    """The WHERE clauses of a drill-down, each value checked; and the filters as the audit row names them."""
    first, last = _months(start, end)
    clauses = [_Ledger.fiscal_month.between(first, last)]
    if month is not None:
        if not isinstance(month, str) or not _MONTH.match(month):
            raise InvalidInput("Pick a month from the chart (a month looks like 2026-10).")
        if not first <= month <= last:
            raise InvalidInput(
                f"{month_label(month)} lies outside the date range ({month_label(first)} to {month_label(last)}). "
                "Widen the range in the sidebar or clear the selection."
            )
        clauses.append(_Ledger.fiscal_month == month)
    if kind is not None:
        if kind not in FINANCE_TRANSACTION_TYPES:
            raise InvalidInput("Pick revenue or expenses.")
        clauses.append(_Ledger.transaction_type == kind)
    if category is not None:
        category = checked_text(category, "The category", MAX_CATEGORY_CHARS)
        if category:
            clauses.append(_Ledger.category == category)
    if hospital_id is not None:
        hospital_in_scope(db, actor, hospital_id)  # another hospital's id is refused and audited
        clauses.append(_Ledger.hospital_id == hospital_id)
    named = {"start": start, "end": end, "month": month, "kind": kind, "category": category, "hospital_id": hospital_id}
    return clauses, {k: v for k, v in named.items() if v is not None}


def _rows(actor: Actor, clauses: list, search: str) -> Select:
    stmt = (
        select(
            _Ledger.id,
            _Ledger.fiscal_month,
            _Ledger.hospital_id,
            Hospital.name,
            _Ledger.transaction_type,
            _Ledger.category,
            _Ledger.amount,
            _Ledger.description,
            _Ledger.transaction_date,
            _Ledger.reference_id,
        )
        .join(Hospital, Hospital.id == _Ledger.hospital_id)
        .where(*clauses)
        .order_by(_Ledger.fiscal_month.desc(), _Ledger.amount.desc(), _Ledger.id)
    )
    search = (search or "").strip()
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(
            or_(
                _Ledger.description.ilike(pattern),
                _Ledger.category.ilike(pattern),
                _Ledger.reference_id.ilike(pattern),
                Hospital.name.ilike(pattern),
            )
        )
    return _scoped(stmt, actor)


def list_transactions(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    month: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    hospital_id: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 25,
) -> Page[LedgerRow]:
    """The ledger rows over the range, narrowed to a month, a kind, a category or a hospital; a page of them."""
    require_role(db, actor, READERS, "see the hospital finances")
    clauses, _ = _drill(db, actor, start, end, month, kind, category, hospital_id)
    rows, total, page, page_size = fetch_page(db, _rows(actor, clauses, search), page=page, page_size=page_size)
    return Page([LedgerRow(*r) for r in rows], total, page, page_size)


def export_transactions(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    month: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    hospital_id: str | None = None,
    search: str = "",
) -> tuple[list[LedgerRow], bool]:
    """Every row the list shows, up to paging.EXPORT_LIMIT, and whether the limit cut it; audited."""
    require_role(db, actor, READERS, "export the hospital finances")
    clauses, named = _drill(db, actor, start, end, month, kind, category, hospital_id)
    rows, truncated = fetch_capped(db, _rows(actor, clauses, search))
    audit.record_export(
        db, actor, action_type="financials_exported", resource_type=RESOURCE_TYPE,
        filters=named | ({"search": search} if search else {}), rows=len(rows),
    )  # fmt: skip
    return [LedgerRow(*r) for r in rows], truncated


@permissions.reads("financials")
def selection_total(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    month: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    hospital_id: str | None = None,
) -> SelectionTotal:
    """How many ledger rows a selection holds and what they add up to (the chip under a clicked bar)."""
    require_role(db, actor, READERS, "see the hospital finances")
    clauses, _ = _drill(db, actor, start, end, month, kind, category, hospital_id)
    entries, revenue, expenses = db.execute(
        _scoped(select(func.count(), _sum_of("revenue"), _sum_of("expense")).where(*clauses), actor)
    ).one()
    return SelectionTotal(entries, revenue, expenses)


# --- Exports of the figures' tables ------------------------------------------------------------------------

FIGURE_TABLES = ("months", "categories", "hospitals", "consultations")


def export_figures(db: Session, actor: Actor, *, table: str, start: date, end: date) -> tuple[list, bool]:
    """The rows of one of the page's figure tables (already aggregated), audited as an export."""
    require_role(db, actor, READERS, "export the hospital finances")
    readers = {
        "months": monthly_totals,
        "categories": category_totals,
        "hospitals": hospital_totals,
        "consultations": consultation_check,
    }
    if table not in readers:
        raise InvalidInput("Pick one of the tables on this page to export.")
    rows = readers[table](db, actor, start=start, end=end)
    audit.record_export(
        db, actor, action_type="financial_figures_exported", resource_type=RESOURCE_TYPE,
        filters={"table": table, "start": start, "end": end}, rows=len(rows),
    )  # fmt: skip
    return rows, False
