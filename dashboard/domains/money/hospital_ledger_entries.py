"""The rows behind a bar of the Financials charts: a hospital's ledger entries narrowed to a month, a kind,
a category or a hospital, a page of them, their total, and the audited exports of entries and figure tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.money import consultations
from dashboard.domains.money.hospital_ledger import (
    RESOURCE_TYPE,
    SEE,
    Entry,
    category_totals,
    fiscal_months,
    hospital_totals,
    month_label,
    monthly_totals,
    scoped,
    sum_of,
)
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.platform.inputs import checked_text
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import hospital_in_scope
from db.models import Hospital
from db.vocab import FINANCE_TRANSACTION_TYPES

EXPORT = "export the hospital finances"
MAX_CATEGORY_CHARS = 100
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


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
    first, last = fiscal_months(start, end)
    clauses = [Entry.fiscal_month.between(first, last)]
    if month is not None:
        if not isinstance(month, str) or not _MONTH.match(month):
            raise InvalidInput("Pick a month from the chart (a month looks like 2026-10).")
        if not first <= month <= last:
            raise InvalidInput(
                f"{month_label(month)} lies outside the date range ({month_label(first)} to {month_label(last)}). "
                "Widen the range in the sidebar or clear the selection."
            )
        clauses.append(Entry.fiscal_month == month)
    if kind is not None:
        if kind not in FINANCE_TRANSACTION_TYPES:
            raise InvalidInput("Pick revenue or expenses.")
        clauses.append(Entry.transaction_type == kind)
    if category is not None:
        category = checked_text(category, "The category", MAX_CATEGORY_CHARS)
        if category:
            clauses.append(Entry.category == category)
    if hospital_id is not None:
        hospital_in_scope(db, actor, hospital_id)  # another hospital's id is refused and audited
        clauses.append(Entry.hospital_id == hospital_id)
    named = {"start": start, "end": end, "month": month, "kind": kind, "category": category, "hospital_id": hospital_id}
    return clauses, {k: v for k, v in named.items() if v is not None}


def _rows(actor: Actor, clauses: list, search: str) -> Select:
    stmt = (
        select(
            Entry.id,
            Entry.fiscal_month,
            Entry.hospital_id,
            Hospital.name,
            Entry.transaction_type,
            Entry.category,
            Entry.amount,
            Entry.description,
            Entry.transaction_date,
            Entry.reference_id,
        )
        .join(Hospital, Hospital.id == Entry.hospital_id)
        .where(*clauses)
        .order_by(Entry.fiscal_month.desc(), Entry.amount.desc(), Entry.id)
    )
    search = (search or "").strip()
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(
            or_(
                Entry.description.ilike(pattern),
                Entry.category.ilike(pattern),
                Entry.reference_id.ilike(pattern),
                Hospital.name.ilike(pattern),
            )
        )
    return scoped(stmt, actor)


@permissions.reads("financials", SEE, replica=True)
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
    clauses, _ = _drill(db, actor, start, end, month, kind, category, hospital_id)
    rows, total, page, page_size = fetch_page(db, _rows(actor, clauses, search), page=page, page_size=page_size)
    return Page([LedgerRow(*r) for r in rows], total, page, page_size)


@permissions.reads("financials", EXPORT)
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
    clauses, named = _drill(db, actor, start, end, month, kind, category, hospital_id)
    rows, truncated = fetch_capped(db, _rows(actor, clauses, search))
    audit.record_export(
        db, actor, action_type="financials_exported", resource_type=RESOURCE_TYPE,
        filters=named | ({"search": search} if search else {}), rows=len(rows),
    )  # fmt: skip
    return [LedgerRow(*r) for r in rows], truncated


@permissions.reads("financials", SEE, replica=True)
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
    clauses, _ = _drill(db, actor, start, end, month, kind, category, hospital_id)
    entries, revenue, expenses = db.execute(
        scoped(select(func.count(), sum_of("revenue"), sum_of("expense")).where(*clauses), actor)
    ).one()
    return SelectionTotal(entries, revenue, expenses)


# --- Exports of the figures' tables ------------------------------------------------------------------------


@permissions.reads("financials", EXPORT)
def export_figures(db: Session, actor: Actor, *, table: str, start: date, end: date) -> tuple[list, bool]:
    """The rows of one of the page's figure tables (already aggregated), audited as an export."""
    readers = {
        "months": monthly_totals,
        "categories": category_totals,
        "hospitals": hospital_totals,
        "consultations": consultations.consultation_check,
    }
    if table not in readers:
        raise InvalidInput("Pick one of the tables on this page to export.")
    rows = readers[table](db, actor, start=start, end=end)
    audit.record_export(
        db, actor, action_type="financial_figures_exported", resource_type=RESOURCE_TYPE,
        filters={"table": table, "start": start, "end": end}, rows=len(rows),
    )  # fmt: skip
    return rows, False
