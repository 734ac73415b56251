"""AppTest of the Financials and Analytics pages as each staff role, on the shell's two hospitals with ledger
rows, wallets and daily metrics added (committed for the module, removed after it).

Clicking a bar is a browser event (tests/browser/test_browser_financials.py); here the selection it makes is set
directly in the page's drill state, and the table beneath must show only the rows behind it.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.domains.money import wallet_reconciliation
from dashboard.domains.money.hospital_ledger import shift_month
from dashboard.platform.formatting import LAGOS
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import (
    AnalyticsData,
    AuditLog,
    HospitalFinancialData,
    Profile,
    User,
    Wallet,
    WalletTransaction,
)
from db.models.money import WalletCheckRun, WalletPosting
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, shown, sign_in

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env
LAGOS_TODAY = datetime.now(LAGOS).date()
THIS_MONTH = f"{LAGOS_TODAY:%Y-%m}"
D = Decimal


def _fill(engine, net) -> dict:
    """Ledger rows this month, last month and a year ago for A and B; two wallets; a week of metrics."""
    made: dict[str, list] = {"ledger": [], "metrics": [], "users": [], "wallets": []}
    with Session(engine) as session, session.begin():
        for hospital, scale in ((net.hospital_a, 1), (net.hospital_b, 3)):
            for month in (THIS_MONTH, shift_month(THIS_MONTH, -1), shift_month(THIS_MONTH, -12)):
                for kind, category, amount in (
                    ("revenue", "consultations", "1000000.25"),
                    ("revenue", "pharmacy", "400000.50"),
                    ("expense", "salaries", "900000.10"),
                    ("expense", "utilities_and_diesel", "150000.05"),
                ):
                    row = HospitalFinancialData(
                        hospital_id=hospital, transaction_type=kind, category=category,
                        amount=D(amount) * scale, fiscal_month=month, description=f"{month} {category}",
                        reference_id=f"GL-test-{month}-{category}",
                    )  # fmt: skip
                    session.add(row)
                    session.flush()
                    made["ledger"].append(row.id)
            for n in range(10):
                stamp = datetime.combine(LAGOS_TODAY - timedelta(days=n + 1), time(), tzinfo=UTC)
                for name, value in (("daily_appointments", 20 * scale + n), ("bed_occupancy_rate", 70 + n)):
                    metric = AnalyticsData(
                        hospital_id=hospital, metric_name=name, metric_value=D(value), metric_date=stamp
                    )
                    session.add(metric)
                    session.flush()
                    made["metrics"].append(metric.id)
        for first in ("Walletone", "Wallettwo"):
            user = User(email=f"{first.lower()}@money-pages.test.healthdash.ng", password="x")
            user.profile = Profile(first_name=first, last_name="Patient", role=UserRole.PATIENT)
            session.add(user)
            session.flush()
            wallet = Wallet(user_id=user.id, balance=D("3500.00"))
            session.add(wallet)
            session.flush()
            for n, (kind, amount, after) in enumerate(
                (("credit", "5000.00", "5000.00"), ("debit", "1500.00", "3500.00"))
            ):
                session.add(
                    WalletTransaction(
                        wallet_id=wallet.id, transaction_type=kind, amount=D(amount), balance_after=D(after),
                        created_at=datetime.now(UTC) - timedelta(days=3 - n),
                    )
                )  # fmt: skip
            made["users"].append(user.id)
            made["wallets"].append(wallet.id)
    return made


@pytest.fixture(scope="module")
def money(app_env, engine):
    made = _fill(engine, app_env)
    with Session(engine) as session, session.begin():  # the scheduled check has run once, as in production
        wallet_reconciliation.refresh_reconciliation(session, None)
    data.clear_cache()
    labels = {
        "admin": "admin", "ha_a": "ha_a", "exec_a": "exec_a", "exec_net": "exec_net", "comp_a": "comp_a",
    }  # fmt: skip
    tokens = {label: sign_in(engine, app_env.emails[who]) for label, who in labels.items()}
    yield tokens
    with Session(engine) as session, session.begin():
        # The ledger is append-only (migration 0012): the test's own wallets go with its guards off, here only.
        for table in ("wallet_transactions", "wallet_postings"):
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER trg_{table}_append_only"))
        keys = select(WalletTransaction.posting_key).where(WalletTransaction.wallet_id.in_(made["wallets"]))
        posted = [k for k in session.scalars(keys) if k]
        session.execute(delete(WalletTransaction).where(WalletTransaction.wallet_id.in_(made["wallets"])))
        session.execute(delete(WalletPosting).where(WalletPosting.idempotency_key.in_(posted)))
        session.execute(text("ALTER TABLE wallets DISABLE TRIGGER trg_wallets_keep_history"))
        session.execute(delete(Wallet).where(Wallet.id.in_(made["wallets"])))
        for table, guard in (("wallet_transactions", "append_only"), ("wallet_postings", "append_only"),
                             ("wallets", "keep_history")):  # fmt: skip
            session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER trg_{table}_{guard}"))
        session.execute(delete(WalletCheckRun))  # this module's checks (no other test keeps one)
        session.execute(delete(Profile).where(Profile.user_id.in_(made["users"])))
        session.execute(delete(User).where(User.id.in_(made["users"])))
        session.execute(delete(HospitalFinancialData).where(HospitalFinancialData.id.in_(made["ledger"])))
        session.execute(delete(AnalyticsData).where(AnalyticsData.id.in_(made["metrics"])))
    data.clear_cache()


def page(file: str, token: str, state: dict | None = None) -> AppTest:
    at = page_app(file, timeout=60)
    at.session_state[TOKEN_KEY] = token
    for key, value in (state or {}).items():
        at.session_state[key] = value
    return at.run()


def markdown_of(at: AppTest) -> str:
    return "\n".join(shown(m.value) for m in [*at.markdown, *at.caption, *at.success, *at.warning, *at.info])


def ledger_table(at: AppTest):
    """The table of ledger entries: the one with a Booked column."""
    return next(t.value for t in at.dataframe if "Booked" in t.value.columns)


def test_an_administrator_sees_the_network_with_hospitals_and_wallets_that_reconcile(money):
    at = page("financials.py", money["admin"])
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == ["Financials"]
    labels = [m.label for m in at.metric]
    # One row of cards: this month so far (booked today) against the same days of last month, said in the label.
    days = "1" if LAGOS_TODAY.day == 1 else f"1–{LAGOS_TODAY.day}"
    assert [label for label in labels if label.startswith("Revenue, ")] == [f"Revenue, {days} {LAGOS_TODAY:%b %Y}"]
    [card] = [m for m in at.metric if m.label.startswith("Revenue, ")]
    assert "Income booked on the hospitals' ledgers" in card.help  # the catalogue's definition
    month_before = date.fromisoformat(shift_month(THIS_MONTH, -1) + "-01")
    text = markdown_of(at)
    before_days = min(LAGOS_TODAY.day, calendar.monthrange(month_before.year, month_before.month)[1])
    assert f"{days} {LAGOS_TODAY:%b} vs " in text and f" vs 1–{before_days} {month_before:%b}" in text or days == "1"
    assert "is still running" in text
    assert "No figures for" not in text
    # A's and B's revenue this month: (1,000,000.25 + 400,000.50) × (1 + 3) = ₦5,600,003.00 = ₦5.6M.
    assert any(m.value == "₦5.6M" for m in at.metric if m.label.startswith("Revenue, "))
    assert len(at.get("plotly_chart")) >= 5  # months, two category charts, hospitals, wallet flows
    text = markdown_of(at)
    assert "Every wallet reconciles" in text and "Patients' wallets" in [s.value for s in at.subheader]
    [held] = [m for m in at.metric if m.label == "Held in wallets"]  # the catalogue's label and definition
    assert "the sum of their balances" in held.help and "Exactly ₦" in held.help
    table = ledger_table(at)
    assert "Hospital" in table.columns and set(table["Hospital"]) >= {two_hospitals.ALPHA, two_hospitals.BETA}


def test_the_page_shows_the_last_checks_verdict_and_never_checks_in_its_render(money, engine):
    """A newer verdict naming a failing wallet is what the page shows, though a check now would find none."""
    problem = {
        "wallet_id": "w-check", "owner_name": "Verdict Patient", "balance": "1000.00", "last_balance_after": "0.00",
        "break_transaction_id": None, "break_at": None, "break_type": None, "break_amount": None,
        "break_recorded": None, "break_expected": None,
    }  # fmt: skip
    with Session(engine) as session, session.begin():
        run = WalletCheckRun(wallets=9, transactions=40, problem_count=1, problems=[problem], full=False)
        session.add(run)
        session.flush()
        run_id = run.id
    data.clear_cache()
    try:
        at = page("financials.py", money["admin"])
        assert not at.exception and not at.error, [e.value for e in at.error]
        warnings = " ".join(shown(w.value) for w in at.warning)
        assert "1 wallet does not reconcile, of 9, at the last check" in warnings
        assert "Every wallet reconciles" not in markdown_of(at)
        assert "Verdict Patient" in " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
        assert "written to since" in " ".join(c.value for c in at.caption)
    finally:
        with Session(engine) as session, session.begin():
            session.execute(delete(WalletCheckRun).where(WalletCheckRun.id == run_id))
        data.clear_cache()


def test_a_selection_filters_the_table_and_its_chip_says_what_and_how_much(money):
    pick = {"source": "financials_categories_expense", "label": "Expenses: Salaries",
            "filters": {"kind": "expense", "category": "salaries"}}  # fmt: skip
    at = page("financials.py", money["admin"], {"financials__network__pick": pick})
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = ledger_table(at)
    assert set(table["Category"]) == {"Salaries"} and set(table["Kind"]) == {"Expenses"}
    # Salaries over the default range (this month and maybe last): A's ₦900,000.10 and B's ₦2,700,000.30 a month.
    months = 2 if (LAGOS_TODAY - timedelta(days=29)).month != LAGOS_TODAY.month else 1
    assert len(table) == 2 * months
    text = markdown_of(at)
    assert "Expenses: Salaries" in text and f"expenses ₦{3_600_000.40 * months:,.2f}" in text
    assert any(b.label == "Clear selection" for b in at.button)


def test_a_hospital_administrator_sees_only_the_hospitals_ledger_and_no_wallets(money):
    at = page("financials.py", money["ha_a"])
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Patients' wallets" not in [s.value for s in at.subheader]
    table = ledger_table(at)
    assert "Hospital" not in table.columns and len(table) >= 4
    # Fits 1400 px: the long description moved out of the table into the entry's details.
    assert list(table.columns) == ["Month", "Category", "Kind", "Amount", "Booked"]
    details = markdown_of(at)
    assert "**Description:**" in details and "**Reference:** GL-test-" in details
    assert "₦1,000,000.25" in set(table["Amount"]) and "₦3,000,000.75" not in set(table["Amount"])
    assert any(m.value == "₦1.4M" for m in at.metric if m.label.startswith("Revenue, "))


def test_executives_read_it_network_executives_see_wallets_and_compliance_officers_are_refused(money):
    scoped = page("financials.py", money["exec_a"])
    assert not scoped.exception and [t.value for t in scoped.title] == ["Financials"]
    assert "Patients' wallets" not in [s.value for s in scoped.subheader]
    network_wide = page("financials.py", money["exec_net"])
    assert not network_wide.exception and "Patients' wallets" in [s.value for s in network_wide.subheader]
    refused = page("financials.py", money["comp_a"])
    assert not refused.title and any("cannot open the Financials page" in shown(e.value) for e in refused.error)


@pytest.mark.parametrize("who", ["admin", "ha_a", "exec_a", "comp_a"])
def test_every_staff_role_explores_metrics(money, who):
    at = page("analytics.py", money[who])
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == ["Analytics"]
    assert at.get("plotly_chart")
    options = at.multiselect[0].options
    assert "Daily appointments" in options and "Bed occupancy rate" in options
    summary = next(t.value for t in at.dataframe if "Median" in t.value.columns)
    assert len(summary) == 1


def test_an_administrator_compares_two_hospitals_by_week(money, app_env):
    at = page("analytics.py", money["admin"])
    at.multiselect(key="analytics_hospitals").set_value([app_env.hospital_a, app_env.hospital_b]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = next(t.value for t in at.dataframe if "Median" in t.value.columns)
    assert list(summary["Hospital"]) == [two_hospitals.ALPHA, two_hospitals.BETA]
    numbers = next(t.value for t in at.dataframe if "Days behind it" in t.value.columns)
    assert set(numbers["Hospital"]) == {two_hospitals.ALPHA, two_hospitals.BETA}
    assert numbers["Days behind it"].astype(int).sum() == 20  # ten days each, by week, nothing read twice


def test_an_administrator_credits_a_wallet_after_confirming_and_it_still_reconciles(money, engine, app_env):
    at = page("financials.py", money["admin"])
    at.text_input(key="financials_adjust_search_0").input("Walletone").run()
    at.radio(key="financials_adjust_direction_0").set_value("credit")
    at.text_input(key="financials_adjust_amount_0").input("1,250.50")
    at.text_area(key="financials_adjust_reason_0").input("Refund: cancelled video consultation").run()
    at.button(key="financials_adjust_ask").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Add ₦1,250.50 to Walletone Patient's wallet" in shown(w.value) for w in at.warning)
    at.button(key="financials_adjust__confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        wallet = session.scalars(
            select(Wallet).join(User, User.id == Wallet.user_id).where(User.email.like("walletone@%"))
        ).one()
        assert wallet.balance == D("4750.50")
        [row] = session.scalars(
            select(AuditLog).where(
                AuditLog.user_id == app_env.users["admin"], AuditLog.action_type == "wallet_adjusted"
            )
        ).all()
        assert row.resource_id == wallet.id
    data.clear_cache()
    again = page("financials.py", money["admin"])
    assert "Every wallet reconciles" in markdown_of(again)
