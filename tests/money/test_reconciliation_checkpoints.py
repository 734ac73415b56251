"""The incremental reconciliation (migration 0011): checkpoints advance over wallets that verify, only newer rows
are replayed, and a write behind a checkpoint (a direct UPDATE of an old row) is still found exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text, update

from dashboard.domains.money import wallet_reconciliation
from db.base import UserRole
from db.models import WalletTransaction
from db.models.money import WalletChainCheck
from tests.fixtures.queue_builders import actor
from tests.money.test_wallets_service import T0, add_wallet, mine, rewrite

D = Decimal
ADMIN = actor(UserRole.ADMIN, None)


def _check(db, wallet_id) -> WalletChainCheck:
    db.expire_all()
    return db.get(WalletChainCheck, wallet_id)


def test_checkpoints_advance_then_only_new_rows_are_replayed_and_a_new_bad_row_is_found(db_session):
    wallet, ids = add_wallet(db_session, "Ngozi", [("credit", "900.00"), ("debit", "100.00"), ("credit", "5.50")])
    assert _check(db_session, wallet).pending  # the trigger marked it
    run = wallet_reconciliation.refresh_reconciliation(db_session, ADMIN)
    assert run.wallets_verified >= 1 and run.figures_as_of is not None
    check = _check(db_session, wallet)
    assert (check.pending, check.checked_through_id, check.balance_after, check.transactions) == (
        False, ids[-1], D("805.50"), 3,
    )  # fmt: skip
    assert wallet_reconciliation.reconciliation(db_session, ADMIN).replayed == 0
    # A new row after the checkpoint, carrying ₦10 too much: only it is replayed, from the checkpoint's balance.
    row = WalletTransaction(
        wallet_id=wallet, transaction_type="debit", amount=D("5.50"), balance_after=D("810.00"),
        created_at=T0 + timedelta(days=10),
    )  # fmt: skip
    db_session.add(row)
    db_session.flush()
    found = wallet_reconciliation.reconciliation(db_session, ADMIN)
    assert found.replayed == 1
    [problem] = mine(found, wallet)
    assert (problem.break_transaction_id, problem.break_expected) == (row.id, D("800.00"))
    wallet_reconciliation.refresh_reconciliation(
        db_session, ADMIN
    )  # a wallet that breaks keeps its checkpoint and stays pending
    check = _check(db_session, wallet)
    assert check.pending and check.checked_through_id == ids[-1]


def test_an_update_behind_the_checkpoint_resets_it_and_the_break_is_found_exactly(db_session):
    wallet, ids = add_wallet(db_session, "Tunde", [("credit", "1000.00"), ("debit", "250.00"), ("debit", "50.00")])
    wallet_reconciliation.refresh_reconciliation(db_session, ADMIN)
    assert not _check(db_session, wallet).pending
    rewrite(db_session, update(WalletTransaction).where(WalletTransaction.id == ids[0]).values(balance_after=D("990")))
    check = _check(db_session, wallet)
    assert check.pending and check.checked_through_id is None and check.transactions == 0
    [problem] = mine(wallet_reconciliation.reconciliation(db_session, ADMIN), wallet)
    assert (problem.break_transaction_id, problem.break_recorded, problem.break_expected) == (
        ids[0], D("990.00"), D("1000.00"),
    )  # fmt: skip
    # A row inserted behind the checkpoint (dated before it) resets it too.
    other, other_ids = add_wallet(db_session, "Kemi", [("credit", "70.00"), ("credit", "30.00")])
    wallet_reconciliation.refresh_reconciliation(db_session, ADMIN)
    db_session.add(
        WalletTransaction(
            wallet_id=other, transaction_type="credit", amount=D("1.00"), balance_after=D("1.00"),
            created_at=T0 - timedelta(days=1),
        )
    )  # fmt: skip
    db_session.flush()
    assert _check(db_session, other).checked_through_id is None
    [late] = mine(wallet_reconciliation.reconciliation(db_session, ADMIN), other)
    assert late.break_transaction_id == other_ids[0]  # ₦70 after a ₦1 row should read ₦71


def test_with_triggers_bypassed_only_the_full_check_finds_the_tampering(db_session):
    wallet, ids = add_wallet(db_session, "Sade", [("credit", "400.00"), ("debit", "40.00")])
    wallet_reconciliation.refresh_reconciliation(db_session, ADMIN)
    db_session.execute(text("SET LOCAL session_replication_role = replica"))  # the owner's or a superuser's power
    db_session.execute(update(WalletTransaction).where(WalletTransaction.id == ids[0]).values(balance_after=D("401")))
    db_session.execute(text("SET LOCAL session_replication_role = origin"))
    assert (
        mine(wallet_reconciliation.reconciliation(db_session, ADMIN), wallet) == []
    )  # the checkpoint vouches for the old row
    run = wallet_reconciliation.refresh_reconciliation(db_session, None, full=True)
    assert run.problem_wallets >= 1
    assert db_session.scalar(select(WalletChainCheck.pending).where(WalletChainCheck.wallet_id == wallet))
    [problem] = mine(wallet_reconciliation.reconciliation(db_session, ADMIN), wallet)
    assert problem.break_transaction_id == ids[0]
