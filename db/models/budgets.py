"""Hospitals' budgets by fiscal month, kind and ledger category (migration 0022, issue 24 part 2).

A budget line is what a hospital planned to earn (revenue) or spend (expense) in one category in one fiscal
month, in naira with kobo like the ledger it is compared with (hospital_financial_data). A year given as one
annual figure is kept as twelve even parts (`entered_as` 'annual'); a year given month by month keeps its twelve
figures ('monthly'). The categories are the ledger's: BUDGET_CATEGORIES below, revenue and expense apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Money, created_at_column, id_column, in_list, updated_at_column
from db.vocab import FINANCE_TRANSACTION_TYPES

# The ledger's categories, by kind: what the hospitals book (db/demo/money.py writes the same words; a test holds
# the two lists equal). A budget is set only for one of these, so each budget line has a ledger line to meet.
BUDGET_CATEGORIES: dict[str, tuple[str, ...]] = {
    "revenue": (
        "consultations", "inpatient_services", "laboratory", "pharmacy", "radiology", "surgery", "telemedicine",
        "nhia_capitation", "hmo_claims",
    ),
    "expense": (
        "salaries", "pharmaceuticals", "medical_supplies", "utilities_and_diesel", "equipment_maintenance",
        "rent_and_facilities", "administration", "insurance",
    ),
}  # fmt: skip
ENTERED_AS = ("annual", "monthly")


class HospitalBudget(Base):
    __tablename__ = "hospital_budgets"
    __table_args__ = (
        CheckConstraint("fiscal_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="fiscal_month_yyyy_mm"),
        CheckConstraint(in_list("transaction_type", FINANCE_TRANSACTION_TYPES), name="transaction_type"),
        CheckConstraint("category ~ '^[a-z][a-z0-9_]{0,59}$'", name="category_word"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint(in_list("entered_as", ENTERED_AS), name="entered_as"),
        # One line a month: a new entry or an import replaces the year's line (the convention's name is too long).
        UniqueConstraint(
            "hospital_id", "fiscal_month", "transaction_type", "category", name="uq_hospital_budgets_line"
        ),
        Index(None, "hospital_id", "fiscal_month"),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    fiscal_month: Mapped[str]  # "YYYY-MM", as the ledger's
    transaction_type: Mapped[str]  # revenue or expense
    category: Mapped[str]
    amount: Mapped[Money]
    entered_as: Mapped[str] = mapped_column(default="annual", server_default="annual")
    created_by: Mapped[str | None]  # a plain user id, like the audit trail's: the record outlives the account
    updated_by: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
