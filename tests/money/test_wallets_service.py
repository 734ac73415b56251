"""Wallet figures and the reconciliation: held balances, monthly credits and debits, network scope only, and
a wallet broken on purpose found with exactly the transaction where its chain breaks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from dashboard.domains.money import wallet_reconciliation, wallets
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import NotPermitted, OutOfScope
from db.base import UserRole
from db.models import Wallet, WalletTransaction
from tests.fixtures.queue_builders import actor, add_hospital, add_patient, audit_rows

D = Decimal
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=LAGOS)


def add_wallet(db, first_name: str, moves: list[tuple[str, str]], *, start: datetime = T0) -> tuple[str, list[str]]:
    """A wallet whose ledger adds up: each (credit|debit, amount) a day apart, balance = last balance_after."""
    wallet = Wallet(user_id=add_patient(db, first_name, "Wallet"), balance=D(0))
    db.add(wallet)
    db.flush()
    balance, ids = D(0), []
    for n, (kind, amount) in enumerate(moves):
        balance += D(amount) if kind == "credit" else -D(amount)
        row = WalletTransaction(
            wallet_id=wallet.id, transaction_type=kind, amount=D(amount), balance_after=balance,
            created_at=start + timedelta(days=n), description=f"{kind} {n}",
        )  # fmt: skip
        db.add(row)
        db.flush()
        ids.append(row.id)
    wallet.balance = balance
    db.flush()
    return wallet.id, ids


def rewrite(db, statement) -> None:
    """Run `statement` on the ledger with its append-only guard off, as only the tables' owner (or a superuser) can,
    on purpose: how the tests break a ledger that the app role cannot change (migration 0012)."""
    guard = "ALTER TABLE wallet_transactions {} TRIGGER trg_wallet_transactions_append_only"
    db.execute(text(guard.format("DISABLE")))
    db.execute(statement)
    db.execute(text(guard.format("ENABLE")))


@pytest.fixture
def purses(db_session):
    good, _ = add_wallet(db_session, "Bisi", [("credit", "5000.00"), ("debit", "1500.25"), ("credit", "200.10")])
    other, other_ids = add_wallet(
        db_session, "Chuka", [("credit", "10000.00"), ("debit", "2500.00"), ("debit", "100.00"), ("credit", "1.00")]
    )
    return good, other, other_ids


def mine(reconciliation, *wallet_ids):
    return [p for p in reconciliation.problems if p.wallet_id in wallet_ids]


def test_every_wallet_reconciles_until_one_is_broken_then_exactly_it_and_its_first_bad_row(db_session, purses):
    good, other, other_ids = purses
    admin = actor(UserRole.ADMIN, None)
    before = wallet_reconciliation.reconciliation(db_session, admin)
    assert mine(before, good, other) == []
    # The third transaction records ₦7,300.00 after a ₦100.00 debit from ₦7,500.00: ₦100 too few.
    rewrite(
        db_session,
        update(WalletTransaction).where(WalletTransaction.id == other_ids[2]).values(balance_after=D("7300.00")),
    )
    after = wallet_reconciliation.reconciliation(db_session, executive := actor(UserRole.EXECUTIVE, None))
    assert after.problem_count == before.problem_count + 1
    [problem] = mine(after, good, other)
    assert problem.wallet_id == other and problem.owner_name == "Chuka Wallet"
    assert problem.break_transaction_id == other_ids[2]
    assert (problem.break_type, problem.break_amount) == ("debit", D("100.00"))
    assert (problem.break_recorded, problem.break_expected) == (D("7300.00"), D("7400.00"))
    # The last row still leaves ₦7,401.00, the wallet's balance: only the chain breaks.
    assert problem.chain_breaks and not problem.balance_differs
    assert audit_rows(db_session, executive.user_id, "wallet_reconciliation_viewed")


def test_a_balance_that_differs_from_the_last_balance_after_is_found(db_session, purses):
    good, other, _ = purses
    db_session.execute(update(Wallet).where(Wallet.id == good).values(balance=D("3699.86")))
    empty = Wallet(user_id=add_patient(db_session, "Dayo", "Empty"), balance=D("50.00"))  # money with no ledger
    db_session.add(empty)
    db_session.flush()
    found = wallet_reconciliation.reconciliation(db_session, actor(UserRole.ADMIN, None))
    problems = {p.wallet_id: p for p in mine(found, good, other, empty.id)}
    assert set(problems) == {good, empty.id}
    assert problems[good].balance_differs and not problems[good].chain_breaks
    assert problems[good].last_balance_after == D("3699.85")
    assert problems[empty.id].last_balance_after is None and problems[empty.id].balance_differs


def test_totals_and_monthly_credits_and_debits(db_session, purses):
    admin = actor(UserRole.ADMIN, None)
    totals = wallets.wallet_totals(db_session, admin)
    assert totals.wallets >= 2 and totals.balance_held >= D("3699.85") + D("7401.00")
    add_wallet(
        db_session,
        "Emeka",
        [("credit", "999.99"), ("debit", "0.99")],
        start=datetime(2025, 4, 30, 23, 30, tzinfo=LAGOS),
    )
    # The flows come from the daily summary (migration 0011): as of its refresh, which the check brings.
    assert wallet_reconciliation.refresh_reconciliation(db_session, admin).figures_as_of is not None
    assert wallets.wallet_totals(db_session, admin).transactions >= 9
    months = wallets.monthly_flows(db_session, admin, start=date(2025, 2, 1), end=date(2025, 5, 31))
    assert [m.month for m in months] == [date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)]
    by_month = {m.month: m for m in months}
    march, april, may = by_month[date(2025, 3, 1)], by_month[date(2025, 4, 1)], by_month[date(2025, 5, 1)]
    assert march.credits >= D("15201.10") and march.debits >= D("4100.25")
    # 23:30 on 30 April in Lagos is April; the debit a day later is May.
    assert april.credits >= D("999.99") and may.debits >= D("0.99")
    assert by_month[date(2025, 2, 1)].net == by_month[date(2025, 2, 1)].credits - by_month[date(2025, 2, 1)].debits


def test_hospital_scoped_readers_and_other_roles_are_refused(db_session, purses):
    hospital = add_hospital(db_session, "Wallet Scope Hospital")
    scoped = actor(UserRole.EXECUTIVE, hospital)
    with pytest.raises(OutOfScope, match="across the network"):
        wallet_reconciliation.reconciliation(db_session, scoped)
    assert audit_rows(db_session, scoped.user_id, "scope_violation")
    with pytest.raises(NotPermitted):
        wallets.wallet_totals(db_session, actor(UserRole.HOSPITAL_ADMIN, hospital))
    with pytest.raises(NotPermitted):
        wallets.monthly_flows(
            db_session, actor(UserRole.COMPLIANCE_OFFICER, None), start=date(2025, 1, 1), end=date(2025, 2, 1)
        )
