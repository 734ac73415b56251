"""Budget against actual: each hospital's budget (hospital_budgets, migration 0022) beside what its ledger booked.

The fiscal year is the calendar year (Nigeria's, and the ledger's fiscal months run January to December). The
comparison is fair month by month, as the figure catalogue's rule for a running month asks:

- A budget line meets the ledger's entries of the same hospital, fiscal month, kind and category.
- A completed month a hospital has booked compares its whole budget with its whole entries.
- The month still running compares the days booked so far: its budget counts for the share of the month up to the
  hospital's latest booking day (Lagos), 6/31 of December's budget when the hospital has booked to 6 December,
  never the whole month's budget against a week of entries. An entry dated after today has not happened yet.
- A month a hospital has not booked at all is left out of both sides (a hospital that has not reported is not a
  hospital that spent nothing), and so are months still to come.
- Entries in a line with no budget (a hospital without a budget for the year, a category it did not budget) are
  left out of the comparison and said apart (`unbudgeted`), so a hospital without a budget does not make the
  network look over budget.

Variance is actual less budget. "Over budget" is the unfavourable side: an expense above its budget, revenue
below it. Categories are listed furthest over budget first (the largest unfavourable amount). Everything is
summed in the database; `budget_report` is the one source of the page's cards, chart and tables, its export and
the board PDF's section, so they agree to the kobo.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Date, Integer, and_, case, cast, extract, func, literal, literal_column, select
from sqlalchemy.orm import Session

from dashboard.domains.money.hospital_ledger import Entry, category_label, month_label
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.platform.formatting import LAGOS, naira
from dashboard.platform.scope import limit_to_scope
from db.models import Hospital
from db.models.budgets import BUDGET_CATEGORIES, HospitalBudget

SEE = "see budgets"
RESOURCE_TYPE = "hospital_budget"
ZERO = Decimal("0.00")
KIND_WORDS = {"revenue": "Revenue", "expense": "Expense"}
CATEGORY_KIND = {category: kind for kind, categories in BUDGET_CATEGORIES.items() for category in categories}
EARLIEST_YEAR = 2000  # the network's ledgers start long after; an older year is a typing slip
YEARS_AHEAD = 5  # a budget is planned a year or two ahead; more is a mistyped year


def checked_year(year: object, today: date) -> int:
    """A fiscal year as a whole number between 2000 and five years ahead, or a sentence saying what is wrong."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput("Pick the fiscal year (for example 2026).")
    if not EARLIEST_YEAR <= year <= today.year + YEARS_AHEAD:
        raise InvalidInput(f"The fiscal year must be between {EARLIEST_YEAR} and {today.year + YEARS_AHEAD}.")
    return year


def months_of(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def _unfavourable(kind: str, variance: Decimal) -> Decimal:
    """How far a line is over budget: an expense's overspend, revenue's shortfall (negative when it did better)."""
    return variance if kind == "expense" else -variance


def variance_text(variance: Decimal | None) -> str:
    """A variance with its sign, "+₦645.16" or "-₦1,250.00" ("—" when there is nothing to compare)."""
    if variance is None:
        return "—"
    return ("+" if variance > 0 else "") + naira(variance)


def share_text(share: float | None) -> str:
    """A variance against its budget, "+12.5%" ("—" without a budget to divide by)."""
    return "—" if share is None else f"{share * 100:+.1f}%"


def status_words(kind: str, variance: Decimal | None) -> str:
    """'Over budget' / 'Within budget' for an expense, 'Short of budget' / 'On or ahead of budget' for revenue.

    A mark goes with the words (▲ over, ✓ within), so the status reads without colour.
    """
    if variance is None:
        return "No figures yet"
    if _unfavourable(kind, variance) > 0:
        return "\u25b2 Over budget" if kind == "expense" else "\u25bc Short of budget"
    return "\u2713 Within budget" if kind == "expense" else "\u2713 On or ahead of budget"


@dataclass(frozen=True)
class Cell:
    """One month, kind and category over the hospitals in scope."""

    month: str
    kind: str
    category: str
    budget: Decimal  # the whole month's budget
    compared_budget: Decimal  # its share for the days compared (zero for a month not booked or still to come)
    actual: Decimal  # the ledger's entries of the budgeted lines in the days compared
    lines_compared: int  # hospital budget lines whose month was booked


@dataclass(frozen=True)
class CategoryRow:
    kind: str
    category: str
    budget_year: Decimal
    budget_to_date: Decimal
    actual_to_date: Decimal

    @property
    def label(self) -> str:
        return category_label(self.category)

    @property
    def kind_word(self) -> str:
        return KIND_WORDS[self.kind]

    @property
    def compared(self) -> bool:
        return self.budget_to_date > 0 or self.actual_to_date > 0

    @property
    def variance(self) -> Decimal | None:
        return self.actual_to_date - self.budget_to_date if self.compared else None

    @property
    def variance_share(self) -> float | None:
        """Variance as a fraction of the budget to date (None when there is no budget to date to divide by)."""
        if self.variance is None or not self.budget_to_date:
            return None
        return float(self.variance / self.budget_to_date)

    @property
    def over_by(self) -> Decimal:
        """The unfavourable amount (above zero: over budget), the table's order."""
        return ZERO if self.variance is None else _unfavourable(self.kind, self.variance)

    @property
    def over_budget(self) -> bool:
        return self.over_by > 0

    @property
    def status(self) -> str:
        return status_words(self.kind, self.variance)


@dataclass(frozen=True)
class MonthRow:
    month: str
    revenue_budget: Decimal
    revenue_actual: Decimal
    expense_budget: Decimal
    expense_actual: Decimal
    compared: bool  # some hospital booked it (a month to come, or not booked, holds no comparison)
    running: bool  # the month of today: compared on the days booked so far
    days: int | None  # a running month's days compared (the latest booking day among the hospitals)

    @property
    def label(self) -> str:
        if self.running and self.days:
            span = "1" if self.days == 1 else f"1–{self.days}"
            return f"{span} {month_label(self.month)}"
        return month_label(self.month)

    @property
    def short_label(self) -> str:
        """'Jan', or '1–6 Dec' for the running month (the year said in the chart's title)."""
        return self.label.replace(f" {self.month[:4]}", "")

    @property
    def revenue_variance(self) -> Decimal | None:
        return self.revenue_actual - self.revenue_budget if self.compared else None

    @property
    def expense_variance(self) -> Decimal | None:
        return self.expense_actual - self.expense_budget if self.compared else None


@dataclass(frozen=True)
class KindTotals:
    kind: str
    budget_year: Decimal
    budget_to_date: Decimal
    actual_to_date: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual_to_date - self.budget_to_date

    @property
    def variance_share(self) -> float | None:
        return float(self.variance / self.budget_to_date) if self.budget_to_date else None

    @property
    def over_budget(self) -> bool:
        return _unfavourable(self.kind, self.variance) > 0


@dataclass(frozen=True)
class BudgetReport:
    year: int
    today: date
    cells: list[Cell]
    months: list[MonthRow]
    categories: list[CategoryRow]  # furthest over budget first
    revenue: KindTotals
    expenses: KindTotals
    hospitals_budgeted: int  # hospitals in scope with a budget line in the year
    hospitals_in_scope: int
    unbudgeted: dict[str, Decimal]  # kind -> ledger entries of the year's compared days in lines with no budget

    @property
    def has_budget(self) -> bool:
        return bool(self.cells)

    @property
    def over_budget(self) -> list[CategoryRow]:
        return [c for c in self.categories if c.over_budget]

    @property
    def months_compared(self) -> list[MonthRow]:
        return [m for m in self.months if m.compared]

    @property
    def through(self) -> str:
        """'Jan–Nov 2026 and 1–6 Dec 2026', 'Jan–Sep 2026', or that no month is booked yet."""
        compared = self.months_compared
        if not compared:
            return f"no month of {self.year} booked yet"
        whole = [m for m in compared if not m.running]
        running = [m for m in compared if m.running]
        parts = []
        if whole:
            first, last = month_label(whole[0].month), month_label(whole[-1].month)
            parts.append(first if first == last else f"{first[:3]}–{last}")
        parts += [m.label for m in running]
        return " and ".join(parts)


def _scoped(stmt, actor: Actor, column):
    return limit_to_scope(stmt, actor, column)


def _cells(db: Session, actor: Actor, year: int, today: date) -> list[Cell]:
    first, last = f"{year:04d}-01", f"{year:04d}-12"
    tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=LAGOS)
    month_first = func.to_date(Entry.fiscal_month, "YYYY-MM")
    month_last = cast(month_first + literal_column("interval '1 month'"), Date) - literal_column("1")
    booked_day = func.least(
        func.greatest(cast(func.timezone("Africa/Lagos", Entry.transaction_date), Date), month_first), month_last
    )
    in_year = and_(Entry.fiscal_month.between(first, last), Entry.transaction_date < tomorrow)
    ledger = _scoped(
        select(
            Entry.hospital_id, Entry.fiscal_month, Entry.transaction_type.label("kind"), Entry.category,
            func.sum(Entry.amount).label("amount"),
        ).where(in_year).group_by(Entry.hospital_id, Entry.fiscal_month, Entry.transaction_type, Entry.category),
        actor, Entry.hospital_id,
    ).subquery("ledger")  # fmt: skip
    booked = _scoped(
        select(Entry.hospital_id, Entry.fiscal_month, func.max(booked_day).label("booked_to"))
        .where(in_year)
        .group_by(Entry.hospital_id, Entry.fiscal_month),
        actor, Entry.hospital_id,
    ).subquery("booked")  # fmt: skip
    budget = HospitalBudget
    this_month = f"{today:%Y-%m}"
    days_in = extract("day", cast(func.to_date(budget.fiscal_month, "YYYY-MM") + literal_column("interval '1 month'"),
                                  Date) - literal_column("1"))  # fmt: skip
    # The share of the month's budget compared: none unbooked or to come, all of a completed month, the days
    # booked so far of the running one.
    share = case(
        (booked.c.booked_to.is_(None), literal(0)),
        (budget.fiscal_month < this_month, literal(1)),
        (budget.fiscal_month == this_month, cast(extract("day", booked.c.booked_to), Integer) / days_in),
        else_=literal(0),
    )
    compared = func.round(budget.amount * share, 2)
    actual = case((share > 0, func.coalesce(ledger.c.amount, ZERO)), else_=ZERO)
    stmt = _scoped(
        select(
            budget.fiscal_month, budget.transaction_type, budget.category,
            func.sum(budget.amount), func.sum(compared), func.sum(actual), func.count().filter(share > 0),
        )
        .select_from(budget)
        .outerjoin(ledger, (ledger.c.hospital_id == budget.hospital_id) & (ledger.c.fiscal_month == budget.fiscal_month)
                   & (ledger.c.kind == budget.transaction_type) & (ledger.c.category == budget.category))
        .outerjoin(booked, (booked.c.hospital_id == budget.hospital_id)
                   & (booked.c.fiscal_month == budget.fiscal_month))
        .where(budget.fiscal_month.between(first, last))
        .group_by(budget.fiscal_month, budget.transaction_type, budget.category),
        actor, budget.hospital_id,
    )  # fmt: skip
    return [
        Cell(month, kind, category, Decimal(b), Decimal(c), Decimal(a), int(n))
        for month, kind, category, b, c, a, n in db.execute(stmt)
    ]


def _month_days(db: Session, actor: Actor, year: int, today: date) -> dict[str, int]:
    """The running month's latest booking day among the hospitals in scope (for its label), if it is in the year."""
    this_month = f"{today:%Y-%m}"
    if not this_month.startswith(f"{year:04d}-"):
        return {}
    tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=LAGOS)
    day = func.max(cast(func.timezone("Africa/Lagos", Entry.transaction_date), Date))
    latest = db.scalar(
        _scoped(
            select(day).where(Entry.fiscal_month == this_month, Entry.transaction_date < tomorrow),
            actor,
            Entry.hospital_id,
        )  # fmt: skip
    )
    if latest is None:
        return {}
    last = calendar.monthrange(today.year, today.month)[1]
    return {this_month: max(1, min(latest.day if f"{latest:%Y-%m}" == this_month else last, last))}


def _unbudgeted(db: Session, actor: Actor, year: int, today: date) -> dict[str, Decimal]:
    """The ledger's entries of the year, up to today, in lines (hospital, month, kind, category) with no budget."""
    tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=LAGOS)
    has_budget = (
        select(HospitalBudget.id)
        .where(HospitalBudget.hospital_id == Entry.hospital_id, HospitalBudget.fiscal_month == Entry.fiscal_month,
               HospitalBudget.transaction_type == Entry.transaction_type, HospitalBudget.category == Entry.category)
        .exists()
    )  # fmt: skip
    stmt = _scoped(
        select(Entry.transaction_type, func.sum(Entry.amount))
        .where(Entry.fiscal_month.between(f"{year:04d}-01", f"{year:04d}-12"), Entry.transaction_date < tomorrow,
               ~has_budget)
        .group_by(Entry.transaction_type),
        actor, Entry.hospital_id,
    )  # fmt: skip
    return {kind: Decimal(amount) for kind, amount in db.execute(stmt)}


def _hospital_counts(db: Session, actor: Actor, year: int) -> tuple[int, int]:
    budgeted = db.scalar(
        _scoped(select(func.count(func.distinct(HospitalBudget.hospital_id))).where(
            HospitalBudget.fiscal_month.between(f"{year:04d}-01", f"{year:04d}-12")), actor, HospitalBudget.hospital_id)
    )  # fmt: skip
    in_scope = db.scalar(_scoped(select(func.count()).select_from(Hospital), actor, Hospital.id))
    return int(budgeted or 0), int(in_scope or 0)


def _sum(values) -> Decimal:
    return sum(values, ZERO)


@permissions.reads("budgets", SEE, replica=True)
def budget_report(db: Session, actor: Actor, *, year: int, today: date | None = None) -> BudgetReport:
    """Budget, actual and variance of the fiscal year in scope: by month, by category (furthest over first), to date.

    The one source of "Budget to date", "Actual to date", "Against budget" and "Categories over budget".
    """
    today = today or datetime.now(LAGOS).date()
    year = checked_year(year, today)
    cells = _cells(db, actor, year, today)
    days = _month_days(db, actor, year, today)
    this_month = f"{today:%Y-%m}"
    months = []
    for month in months_of(year):
        here = [c for c in cells if c.month == month]

        def total(kind: str, attribute: str, here=here) -> Decimal:
            return _sum(getattr(c, attribute) for c in here if c.kind == kind)

        months.append(MonthRow(
            month, total("revenue", "compared_budget"), total("revenue", "actual"),
            total("expense", "compared_budget"), total("expense", "actual"),
            compared=any(c.lines_compared for c in here), running=month == this_month, days=days.get(month),
        ))  # fmt: skip
    keys = sorted({(c.kind, c.category) for c in cells})
    categories = [
        CategoryRow(
            kind, category,
            _sum(c.budget for c in cells if (c.kind, c.category) == (kind, category)),
            _sum(c.compared_budget for c in cells if (c.kind, c.category) == (kind, category)),
            _sum(c.actual for c in cells if (c.kind, c.category) == (kind, category)),
        )
        for kind, category in keys
    ]  # fmt: skip
    categories.sort(key=lambda c: (-c.over_by, c.kind != "expense", c.label))

    def kind_totals(kind: str) -> KindTotals:
        mine = [c for c in categories if c.kind == kind]
        return KindTotals(kind, _sum(c.budget_year for c in mine), _sum(c.budget_to_date for c in mine),
                          _sum(c.actual_to_date for c in mine))  # fmt: skip

    budgeted, in_scope = _hospital_counts(db, actor, year)
    return BudgetReport(
        year, today, cells, months, categories, kind_totals("revenue"), kind_totals("expense"), budgeted, in_scope,
        _unbudgeted(db, actor, year, today),
    )  # fmt: skip


@permissions.reads("budgets", SEE)
def budget_years(db: Session, actor: Actor) -> list[int]:
    """The fiscal years with a budget in scope, latest first."""
    year = func.left(HospitalBudget.fiscal_month, 4)
    stmt = _scoped(select(year).distinct().order_by(year.desc()), actor, HospitalBudget.hospital_id)
    return [int(y) for y in db.scalars(stmt)]


@permissions.reads("budgets", "export budgets")
def export_budget_report(
    db: Session, actor: Actor, *, year: int, table: str, today: date | None = None
) -> tuple[list, bool]:
    """The rows of one of the part's tables (by category, by month), from the same report, audited as an export."""
    if table not in ("categories", "months"):
        raise InvalidInput("Pick one of the budget tables to export.")
    report = budget_report(db, actor, year=year, today=today)
    rows = report.categories if table == "categories" else report.months_compared
    audit.record_export(
        db, actor, action_type="budget_report_exported", resource_type=RESOURCE_TYPE,
        filters={"table": table, "year": year}, rows=len(rows),
    )  # fmt: skip
    return rows, False


def report_words(report: BudgetReport) -> str:
    """What the comparison covers, in the sentences the page and the board PDF both print under it."""
    words = [f"Compared: {report.through}."]
    running = [m for m in report.months_compared if m.running]
    if running:
        words.append(
            f"{month_label(running[0].month)} is still running: each hospital's budget for it counts for the share of "
            "the month it has booked so far, never the whole month against a few days."
        )
    if report.hospitals_budgeted < report.hospitals_in_scope:
        words.append(
            f"{report.hospitals_budgeted:,} of {report.hospitals_in_scope:,} hospitals have a budget for {report.year}."
        )
    left_out = [f"{naira(amount)} of {'revenue' if kind == 'revenue' else 'expenses'}"
                for kind, amount in sorted(report.unbudgeted.items(), reverse=True) if amount]  # fmt: skip
    if left_out:
        words.append(f"Entries with no budget to meet ({' and '.join(left_out)}) are left out of the comparison.")
    return " ".join(words)
