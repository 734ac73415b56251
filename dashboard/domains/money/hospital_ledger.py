"""A hospital's ledger (hospital_financial_data) in the actor's scope: totals by fiscal month, category and hospital.

The ledger is kept by fiscal month ("YYYY-MM"): a date range asks for every fiscal month it touches,
from the month of its start to the month of its end. Sums are NUMERIC in the database and Decimal
here, so a figure on a chart and the sum of the rows behind it agree to the kobo. The month against
the months before is month_figures.py; the consultation check consultations.py; the rows behind a bar
hospital_ledger_entries.py. (Patients' money is the wallets' business: wallets.py and wallet_ledger.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range
from dashboard.platform.errors import InvalidInput
from dashboard.platform.formatting import humanise
from dashboard.platform.scope import limit_to_scope
from db.models import Hospital, HospitalFinancialData

SEE = "see the hospital finances"  # the words of a refusal to a role that does not read finances
RESOURCE_TYPE = "hospital_financial_data"
ZERO = Decimal("0.00")
MAX_MONTHS = 37  # the sidebar allows three years; a few more months are a mistyped year
KIND_LABELS = {"revenue": "Revenue", "expense": "Expenses"}
Entry = HospitalFinancialData


def month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def month_label(key: str) -> str:
    """'2026-10' -> 'Oct 2026'."""
    return f"{date.fromisoformat(key + '-01'):%b %Y}"


def category_label(category: str) -> str:
    """'utilities_and_diesel' -> 'Utilities and diesel'; 'nhia_capitation' -> 'NHIA capitation' (the acronyms the
    rest of the dashboard keeps upper case, formatting.humanise)."""
    return humanise(category)


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


def fiscal_months(start: date, end: date) -> tuple[str, str]:
    start, end = checked_range(start, end)
    months = months_between(start, end)
    if len(months) > MAX_MONTHS:
        raise InvalidInput("Pick a date range of at most three years.")
    return months[0], months[-1]


def scoped(stmt: Select, actor: Actor) -> Select:
    return limit_to_scope(stmt, actor, Entry.hospital_id)


def sum_of(kind: str):
    return func.coalesce(func.sum(Entry.amount).filter(Entry.transaction_type == kind), ZERO)


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
    share: float | None = None  # of its kind's total over the range (None when that total is zero)

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


@permissions.reads("financials", SEE, replica=True)
def monthly_totals(db: Session, actor: Actor, *, start: date, end: date) -> list[MonthTotals]:
    """Revenue and expenses by fiscal month over the range; every month shown, zero where nothing was booked."""
    first, last = fiscal_months(start, end)
    stmt = scoped(
        select(Entry.fiscal_month, sum_of("revenue"), sum_of("expense"), func.count())
        .where(Entry.fiscal_month.between(first, last))
        .group_by(Entry.fiscal_month),
        actor,
    )
    found = {month: (revenue, expenses, n) for month, revenue, expenses, n in db.execute(stmt)}
    return [
        MonthTotals(month, *found.get(month, (ZERO, ZERO, 0)))
        for month in months_between(date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01"))
    ]


@permissions.reads("financials", SEE, replica=True)
def category_totals(db: Session, actor: Actor, *, start: date, end: date) -> list[CategoryTotal]:
    """Each category's total over the range: revenue first, then expenses, largest first within each."""
    first, last = fiscal_months(start, end)
    amount = func.sum(Entry.amount)
    stmt = scoped(
        select(Entry.transaction_type, Entry.category, amount, func.count())
        .where(Entry.fiscal_month.between(first, last))
        .group_by(Entry.transaction_type, Entry.category)
        .order_by(Entry.transaction_type.desc(), amount.desc(), Entry.category),
        actor,
    )
    rows = db.execute(stmt).all()
    totals = {k: sum((row[2] for row in rows if row[0] == k), ZERO) for k in KIND_LABELS}
    return [
        CategoryTotal(kind, category, total, n, float(total / totals[kind]) if totals.get(kind) else None)
        for kind, category, total, n in rows
    ]


@permissions.reads("financials", SEE, replica=True)
def hospital_totals(db: Session, actor: Actor, *, start: date, end: date) -> list[HospitalTotals]:
    """Revenue and expenses of each hospital in scope over the range, highest revenue first."""
    first, last = fiscal_months(start, end)
    revenue = sum_of("revenue")
    stmt = scoped(
        select(Hospital.id, Hospital.name, revenue, sum_of("expense"))
        .join(Hospital, Hospital.id == Entry.hospital_id)
        .where(Entry.fiscal_month.between(first, last))
        .group_by(Hospital.id, Hospital.name)
        .order_by(revenue.desc(), Hospital.name),
        actor,
    )
    return [HospitalTotals(*row) for row in db.execute(stmt)]
