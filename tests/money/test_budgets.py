"""Budget against actual (domains/money/budgets.py, budget_commands.py) under row-level security, and the board PDF.

A database of its own with its own two roles (as tests/governance/test_licences.py): the owner fills it, and every
service call runs as the least-privilege app role under its actor's scope, one transaction each, as data.call does.

Alpha's 2026 (today 7 Dec 2026): salaries budgeted at ₦1,200,000.00 a year (₦100,000.00 a month), diesel
month by month at ₦100,000.00, consultations (revenue) at ₦1,200,000.00. The ledger books every month but May in
full, December to the 6th: salaries ₦100,000.00 a month (₦20,000.00 so far in December), diesel ₦150,000.00
(₦40,000.00 so far), consultations ₦90,000.00 (₦25,000.00 so far), and radiology, which has no budget.
Beta has its own budget and ledger, which Alpha's scope never sees.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.money import budget_commands, budgets, financial_report
from dashboard.domains.money.budget_lines import even_twelfths
from dashboard.domains.money.financials_budget_page import CATEGORIES
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from dashboard.platform.formatting import LAGOS
from db.base import UserRole
from db.demo.money import EXPENSE_SHARES, REVENUE_SHARES
from db.models import AuditLog, Hospital, HospitalFinancialData
from db.models.budgets import BUDGET_CATEGORIES, HospitalBudget
from db.row_scope import apply_scope
from tests.fixtures.secured import SecuredDatabase, call, owner_all, who

TODAY = date(2026, 12, 7)
MADE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
K = Decimal("1000.00")
BOOKED = {  # Alpha's ledger: category -> (kind, a whole month, December so far)
    "salaries": ("expense", 100 * K, 20 * K),
    "utilities_and_diesel": ("expense", 150 * K, 40 * K),
    "consultations": ("revenue", 90 * K, 25 * K),
    "radiology": ("revenue", 70 * K, 10 * K),
}


def _month(m: int) -> str:
    return f"2026-{m:02d}"


@pytest.fixture(scope="module")
def world(admin_url):
    db = SecuredDatabase.create(admin_url, prefix="healthdash_budgets")
    owner = db.owner
    ids = {}
    with Session(owner) as session, session.begin():
        for label in ("alpha", "beta"):
            hospital = Hospital(name=f"{label.title()} Hospital", state="Lagos", verification_status="verified")
            session.add(hospital)
            session.flush()
            ids[label] = hospital.id
        rows = []
        for m in range(1, 13):
            if m == 5:
                continue  # May never booked: left out of both sides
            day = date(2026, m, 6) if m == 12 else date(2026, m, 28)
            moment = datetime.combine(day, time(23), tzinfo=LAGOS)
            for category, (kind, whole, so_far) in BOOKED.items():
                rows.append(HospitalFinancialData(hospital_id=ids["alpha"], transaction_type=kind, category=category,
                                                  amount=so_far if m == 12 else whole, fiscal_month=_month(m),
                                                  transaction_date=moment))  # fmt: skip
            rows.append(HospitalFinancialData(hospital_id=ids["beta"], transaction_type="expense",
                                              category="salaries", amount=500 * K, fiscal_month=_month(m),
                                              transaction_date=moment))  # fmt: skip
        session.add_all(rows)
        for m in range(1, 13):
            for category, kind, amount, entered in (("salaries", "expense", 100 * K, "annual"),
                                                    ("utilities_and_diesel", "expense", 100 * K, "monthly"),
                                                    ("consultations", "revenue", 100 * K, "annual")):  # fmt: skip
                session.add(HospitalBudget(hospital_id=ids["alpha"], fiscal_month=_month(m), transaction_type=kind,
                                           category=category, amount=amount, entered_as=entered))  # fmt: skip
            session.add(HospitalBudget(hospital_id=ids["beta"], fiscal_month=_month(m), transaction_type="expense",
                                       category="salaries", amount=450 * K))  # fmt: skip
    yield {"app": db.app, "owner": owner, **ids}
    db.drop()


def workbook(*rows: tuple, headers: tuple = budget_commands.HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_variance_by_month_and_to_date_counts_the_running_month_by_its_days_and_leaves_out_an_unbooked_one(world):
    report = call(world, budgets.budget_report, who(UserRole.EXECUTIVE, world["alpha"]), year=2026, today=TODAY)
    december = 100 * K * 6 / 31  # 6 of December's 31 days booked
    salaries = next(c for c in report.categories if c.category == "salaries")
    assert salaries.budget_year == 1_200 * K
    assert salaries.budget_to_date == 10 * 100 * K + round(december, 2) == Decimal("1019354.84")  # not May
    assert salaries.actual_to_date == 10 * 100 * K + 20 * K
    assert salaries.variance == Decimal("645.16") and salaries.status == "\u25b2 Over budget"
    diesel = next(c for c in report.categories if c.category == "utilities_and_diesel")
    assert diesel.variance == 10 * 50 * K + 40 * K - round(december, 2) == Decimal("520645.16")
    assert diesel.variance_share == pytest.approx(float(Decimal("520645.16") / Decimal("1019354.84")))
    consultations = next(c for c in report.categories if c.category == "consultations")
    assert consultations.variance == 10 * -10 * K + 25 * K - round(december, 2)  # short: revenue below budget
    assert consultations.status == "\u25bc Short of budget" and consultations.over_budget
    # Furthest over first (diesel's overspend, then the consultations' shortfall), the unbudgeted radiology absent.
    assert [c.category for c in report.categories] == ["utilities_and_diesel", "consultations", "salaries"]
    assert [c.label for c in report.over_budget] == ["Utilities and diesel", "Consultations", "Salaries"]
    may, december_row = report.months[4], report.months[11]
    assert (may.compared, may.expense_budget, may.expense_actual, may.expense_variance) == (False, 0, 0, None)
    assert december_row.running and december_row.label == "1–6 Dec 2026" and december_row.days == 6
    assert december_row.expense_budget == 2 * round(december, 2) and december_row.expense_actual == 60 * K
    assert report.months[0].expense_variance == 50 * K and report.months[0].revenue_variance == -10 * K
    assert report.expenses.budget_to_date == sum(m.expense_budget for m in report.months)
    assert report.expenses.actual_to_date == salaries.actual_to_date + diesel.actual_to_date
    assert report.unbudgeted == {"revenue": 10 * 70 * K + 10 * K}  # radiology: said apart, not compared
    assert report.through == "Jan–Nov 2026 and 1–6 Dec 2026"
    words = budgets.report_words(report)
    assert "Dec 2026 is still running" in words and "₦710,000.00 of revenue" in words
    # A completed year (as seen in January 2027) compares December whole.
    later = call(world, budgets.budget_report, who(UserRole.ADMIN, world["alpha"]), year=2026, today=date(2027, 1, 9))
    assert next(c for c in later.categories if c.category == "salaries").budget_to_date == 11 * 100 * K


def test_scope_roles_and_row_level_security_hold_as_the_app_role(world):
    alpha, beta = world["alpha"], world["beta"]
    mine = call(world, budgets.budget_report, who(UserRole.HOSPITAL_ADMIN, beta), year=2026, today=TODAY)
    assert [(c.category, c.budget_year) for c in mine.categories] == [("salaries", 5_400 * K)]
    network = call(world, budgets.budget_report, who(UserRole.ADMIN, None), year=2026, today=TODAY)
    assert next(c for c in network.categories if c.category == "salaries").budget_year == 6_600 * K
    assert (network.hospitals_budgeted, network.hospitals_in_scope) == (2, 2)
    with pytest.raises(NotPermitted, match="cannot see budgets"):
        call(world, budgets.budget_report, who(UserRole.COMPLIANCE_OFFICER, alpha), year=2026, today=TODAY)
    with pytest.raises(NotPermitted, match="cannot set budgets"):
        call(world, budget_commands.set_budget, who(UserRole.EXECUTIVE, alpha), hospital_id=alpha, year=2026,
             category="Salaries", annual=1)  # fmt: skip
    with pytest.raises(OutOfScope):
        call(world, budget_commands.set_budget, who(UserRole.HOSPITAL_ADMIN, alpha), hospital_id=beta, year=2026,
             category="Salaries", annual=1)  # fmt: skip
    with Session(world["app"]) as session, session.begin():
        assert session.scalar(select(func.count()).select_from(HospitalBudget)) == 0  # no scope: nothing
        apply_scope(session, alpha)
        assert set(session.scalars(select(HospitalBudget.hospital_id))) == {alpha}
        with pytest.raises(Exception, match="row-level security"), session.begin_nested():
            session.execute(text("INSERT INTO hospital_budgets (id, hospital_id, fiscal_month, transaction_type, "
                                 "category, amount) VALUES ('x', :b, '2026-01', 'expense', 'salaries', 1)"),
                            {"b": beta})  # fmt: skip


def test_an_annual_figure_is_kept_in_even_twelfths_replaced_in_place_and_audited_once(world):
    assert even_twelfths(Decimal("1000000.01")) == [Decimal("83333.33")] * 11 + [Decimal("83333.38")]
    assert sum(even_twelfths(Decimal("1000000.01"))) == Decimal("1000000.01")
    ha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    done = call(world, budget_commands.set_budget, ha, hospital_id=world["alpha"], year=2027, category="Insurance",
                annual="₦1,000,000.01")  # fmt: skip
    assert (done.hospital_name, done.category_label, done.annual, done.replaced) == (
        "Alpha Hospital", "Insurance", Decimal("1000000.01"), False)  # fmt: skip
    months = [Decimal(100 * m) for m in range(1, 13)]
    again = call(world, budget_commands.set_budget, ha, hospital_id=world["alpha"], year=2027, category="insurance",
                 months=months)  # fmt: skip
    assert again.replaced and again.annual == Decimal(7800)
    stored = owner_all(world, select(HospitalBudget.fiscal_month, HospitalBudget.amount, HospitalBudget.entered_as)
                       .where(HospitalBudget.category == "insurance")
                       .order_by(HospitalBudget.fiscal_month))  # fmt: skip
    assert stored == [(f"2027-{m:02d}", Decimal(100 * m), "monthly") for m in range(1, 13)]
    audit = owner_all(world, select(AuditLog.action_type, AuditLog.new_values).where(AuditLog.user_id == ha.user_id)
                      .order_by(AuditLog.created_at))  # fmt: skip
    assert [a[0] for a in audit] == ["budget_set", "budget_set"]
    assert audit[1][1]["replaced"] is True and audit[1][1]["annual"] == "7800.00"
    for kwargs, words in (({"annual": -5}, "below zero"), ({"annual": "1.005"}, "more than two decimal places"),
                          ({"months": [1, 2]}, r"Give all twelve months or none \(Mar, Apr, .* are empty\)"),
                          ({"annual": 10, "months": [1] * 12}, "The months add up to ₦12.00 but the annual"),
                          ({"category": "Staf", "annual": 1}, "is not one of"), ({"year": 1999, "annual": 1}, "2000"),
                          ({}, "Give an annual budget or the twelve months")):  # fmt: skip
        fields = {"hospital_id": world["alpha"], "year": 2027, "category": "Insurance", **kwargs}
        with pytest.raises(InvalidInput, match=words):
            call(world, budget_commands.set_budget, ha, **fields)
    removed = call(world, budget_commands.remove_budget, ha, hospital_id=world["alpha"], year=2027,
                   category="Insurance")  # fmt: skip
    assert removed.annual == Decimal(7800)
    assert owner_all(world, select(func.count()).select_from(HospitalBudget)
                     .where(HospitalBudget.category == "insurance")) == [(0,)]  # fmt: skip


def test_an_import_with_bad_rows_names_each_and_writes_nothing_then_a_good_one_writes_all_in_one_audit_row(world):
    ha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    before = owner_all(world, select(func.count()).select_from(HospitalBudget))
    bad = workbook(
        ("Alpha Hospital", 2027, "Salaries", 1_200_000, *[None] * 12),
        ("Alpha Hospital", 2027, "Staf", 100, *[None] * 12),
        ("Beta Hospital", 2027, "Pharmacy", 100, *[None] * 12),
        (None, None, None, None, *[None] * 12),  # blank: skipped
        ("Alpha Hospital", 2027, "Laboratory", None, 1, 2, *[None] * 10),
        ("Alpha Hospital", "next year", "Insurance", -3, *[None] * 12),
        ("alpha hospital", 2027, "salaries", 5, *[None] * 12),
    )
    with pytest.raises(budget_commands.BadRows) as refused:
        call(world, budget_commands.import_budgets, ha, content=bad, file_name="budgets-2027.xlsx")
    assert refused.value.summary.startswith("Nothing was imported: 5 rows are wrong in “budgets-2027.xlsx”.")
    assert refused.value.rows[0].startswith("Row 3: category 'Staf' is not one of Consultations, Inpatient services")
    assert refused.value.rows[0].endswith("(did you mean Salaries?).") or "Staf" in refused.value.rows[0]
    assert refused.value.rows[1] == "Row 4: hospital 'Beta Hospital' is not yours."
    assert refused.value.rows[2] == "Row 6: give all twelve months or none (Mar, Apr, May, Jun, Jul, Aug, Sep, Oct, " \
                                    "Nov, Dec are empty)."  # fmt: skip
    assert refused.value.rows[3].startswith("Row 7: the year 'next year' is not a fiscal year between 2000 and 2031; "
                                            "the annual budget is below zero")  # fmt: skip
    assert refused.value.rows[4] == "Row 8: Alpha Hospital's Salaries budget for 2027 is already on row 2."
    assert owner_all(world, select(func.count()).select_from(HospitalBudget)) == before
    with pytest.raises(InvalidInput, match="not an Excel workbook"):
        call(world, budget_commands.import_budgets, ha, content=b"Hospital,Year\n", file_name="budgets.csv")
    with pytest.raises(InvalidInput, match="has no 'Category' column"):
        call(world, budget_commands.import_budgets, ha, content=workbook(headers=("Hospital", "Year", "Annual")),
             file_name="x.xlsx")  # fmt: skip
    good = workbook(
        (None, 2027, "Salaries", 1_200_000, *[None] * 12),  # a hospital's own: the hospital may be left empty
        ("Alpha Hospital", 2027, "Utilities and diesel", None, *[100_000.5] * 12),
    )
    plan = call(world, budget_commands.check_budget_workbook, ha, content=good, file_name="good.xlsx")
    assert (len(plan.lines), plan.replaces, plan.total["expense"]) == (2, 0, Decimal("2400006.00"))
    assert budget_commands.plan_words(plan) == (
        "“good.xlsx” holds 2 budget lines for Alpha Hospital, fiscal year 2027: revenue ₦0.00, expenses "
        "₦2,400,006.00.")  # fmt: skip
    assert owner_all(world, select(func.count()).select_from(HospitalBudget)) == before  # a check writes nothing
    call(world, budget_commands.import_budgets, ha, content=good, file_name="good.xlsx")
    stored = owner_all(world, select(HospitalBudget.category, func.sum(HospitalBudget.amount), func.count())
                       .where(HospitalBudget.fiscal_month.like("2027-%"), HospitalBudget.hospital_id == world["alpha"])
                       .group_by(HospitalBudget.category).order_by(HospitalBudget.category))  # fmt: skip
    assert stored == [("salaries", Decimal("1200000.00"), 12), ("utilities_and_diesel", Decimal("1200006.00"), 12)]
    audit = owner_all(world, select(AuditLog.action_type, AuditLog.new_values).where(AuditLog.user_id == ha.user_id))
    assert [a[0] for a in audit] == ["budgets_imported"]
    assert audit[0][1]["lines"] == 2 and audit[0][1]["file"] == "good.xlsx"


def test_the_template_holds_the_budgets_in_scope_and_imports_back_unchanged(world):
    ha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    content = call(world, budget_commands.budget_template, ha, year=2026)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == budget_commands.HEADERS
    assert len(rows) - 1 == sum(len(c) for c in BUDGET_CATEGORIES.values())  # Alpha only: its scope
    assert {r[0] for r in rows[1:]} == {"Alpha Hospital"}
    assert next(r for r in rows if r[2] == "Salaries")[3:5] == (1_200_000, None)  # annual: the figure alone
    assert next(r for r in rows if r[2] == "Utilities and diesel")[3:] == (None, *[100_000] * 12)  # month by month
    assert next(r for r in rows if r[2] == "Insurance")[3:] == (None,) * 13  # not budgeted: left to fill
    with pytest.raises(budget_commands.BadRows, match="Row 3: give an annual budget or the twelve months"):
        call(world, budget_commands.check_budget_workbook, ha, content=content, file_name="template.xlsx")


def test_the_categories_are_the_ledgers():
    ledger = {"revenue": tuple(c for c, _ in REVENUE_SHARES), "expense": tuple(c for c, _ in EXPENSE_SHARES)}
    assert ledger == BUDGET_CATEGORIES


def test_the_financials_table_its_export_and_the_board_pdf_show_the_same_budget_figures(world):
    executive = who(UserRole.EXECUTIVE, world["alpha"])
    report = call(world, budgets.budget_report, executive, year=2026, today=TODAY)
    exported, _ = call(world, budgets.export_budget_report, executive, year=2026, table="categories", today=TODAY)
    assert [(c.category, c.variance) for c in exported] == [(c.category, c.variance) for c in report.categories]
    made = call(world, financial_report.financial_report, executive, start=date(2026, 1, 1), end=date(2026, 12, 7),
                made_at=MADE)  # fmt: skip
    text_ = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(made.content)).pages)
    assert "Budget against actual, 2026" in text_
    assert "Compared: Jan–Nov 2026 and 1–6 Dec 2026." in " ".join(text_.split())
    section = text_[text_.index("Budget against actual, 2026") :].splitlines()
    screen = CATEGORIES.frame(report.categories, network_wide=False)  # the Financials part's table
    exported_frame = CATEGORIES.frame(exported, network_wide=False, for_export=True)  # its export
    assert list(screen["Category"]) == list(exported_frame["Category"]) == [c.label for c in report.categories]
    for position, row in enumerate(report.categories):
        line = next(t for t in section if t.startswith(row.label))
        shown = screen.iloc[position]
        for column in ("Budget to date", "Actual to date", "Against budget", "%"):
            assert shown[column] in line, (column, line)
        assert exported_frame.iloc[position]["Against budget"] == float(row.variance)
        assert exported_frame.iloc[position]["Budget to date"] == float(row.budget_to_date)
    assert budgets.variance_text(report.expenses.variance) in text_
    first = text_.index("Utilities and diesel", text_.index("Budget against actual"))
    assert first < text_.index("Salaries", text_.index("Budget against actual"))  # furthest over first
    audit = owner_all(world, select(AuditLog.action_type).where(AuditLog.user_id == executive.user_id))
    assert sorted(a[0] for a in audit) == ["budget_report_exported", "financial_report_exported"]
