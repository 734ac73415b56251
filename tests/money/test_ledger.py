"""The wallet ledger service: postings and their balance_after chain, every refusal with nothing written,
idempotent replays, key reuse, a network administrator's audited refund or adjustment, and the invariant
helpers finding what is broken. Concurrency is in test_ledger_concurrency.py."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from dashboard.domains.money import wallet_adjustments, wallet_ledger, wallet_reconciliation
from dashboard.domains.money.wallet_ledger import InsufficientFunds, KeyReused
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AuditLog, User, Wallet, WalletTransaction
from db.models.money import WalletPosting
from tests.fixtures.queue_builders import actor, add_hospital
from tests.money.test_wallets_service import rewrite


def key() -> str:
    return f"test-{secrets.token_hex(8)}"


def new_wallet(db: Session, opening: str | None = None) -> str:
    """A patient's empty wallet, topped up through the ledger with `opening` naira if given."""
    user = User(email=f"wallet.{secrets.token_hex(5)}@ledger.test.ng", password="x", wallet=Wallet())
    db.add(user)
    db.flush()
    if opening is not None:
        wallet_ledger.credit(
            db, wallet_id=user.wallet.id, amount=opening, description="Opening top-up", idempotency_key=key()
        )
    return user.wallet.id


def balance(db: Session, wallet_id: str) -> Decimal:
    return db.scalar(select(Wallet.balance).where(Wallet.id == wallet_id).execution_options(populate_existing=True))


def state(db: Session, *wallet_ids: str) -> tuple:
    """Everything a posting could write: balances, ledger rows, posting keys, audit rows of changes."""
    return (
        [balance(db, w) for w in wallet_ids],
        db.scalar(
            select(func.count()).select_from(WalletTransaction).where(WalletTransaction.wallet_id.in_(wallet_ids))
        ),
        db.scalar(select(func.count()).select_from(WalletPosting)),
        db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action_category != "security")),
    )


def ledger_rows(db: Session, wallet_id: str) -> list[tuple]:
    return db.execute(
        select(WalletTransaction.transaction_type, WalletTransaction.amount, WalletTransaction.balance_after)
        .where(WalletTransaction.wallet_id == wallet_id)
        .order_by(WalletTransaction.created_at, WalletTransaction.id)
    ).all()


@pytest.fixture
def wallets(db_session):
    """Ada's wallet with ₦1,200.00, Musa's with ₦5,000.00, and an empty one."""
    return {
        "ada": new_wallet(db_session, "1200"),
        "musa": new_wallet(db_session, "5000.00"),
        "empty": new_wallet(db_session),
    }


@pytest.fixture
def admin():
    return actor(UserRole.ADMIN, None, "ledger-admin")


# --- Postings ----------------------------------------------------------------------------------------


def test_credit_debit_and_payment_write_a_row_each_with_its_running_balance(db_session, wallets):
    ada = wallets["ada"]
    topped = wallet_ledger.credit(db_session, wallet_id=ada, amount=Decimal("300.50"), description="Card top-up",
                           idempotency_key=key())  # fmt: skip
    paid = wallet_ledger.pay(db_session, wallet_id=ada, amount="1,000.50", description="Video consultation",
                      idempotency_key=key(), reference_id="appt-1")  # fmt: skip
    taken = wallet_ledger.debit(db_session, wallet_id=ada, amount=500, description="Pharmacy", idempotency_key=key())
    assert (topped.balance, paid.balance, taken.balance) == (Decimal("1500.50"), Decimal("500.00"), Decimal("0.00"))
    assert not (topped.replayed or paid.replayed or taken.replayed)
    assert balance(db_session, ada) == Decimal("0.00")
    assert ledger_rows(db_session, ada) == [
        ("credit", Decimal("1200.00"), Decimal("1200.00")),
        ("credit", Decimal("300.50"), Decimal("1500.50")),
        ("debit", Decimal("1000.50"), Decimal("500.00")),
        ("debit", Decimal("500.00"), Decimal("0.00")),
    ]
    row = db_session.get(WalletTransaction, paid.transaction_ids[0])
    assert (row.posting_key, row.reference_id, row.description) == (
        paid.idempotency_key,
        "appt-1",
        "Video consultation",
    )
    assert db_session.get(WalletPosting, paid.idempotency_key).kind == "payment"
    assert wallet_reconciliation.check_wallet(db_session, ada) == []


def test_a_transfer_moves_money_between_two_wallets_in_one_posting(db_session, wallets):
    musa, empty = wallets["musa"], wallets["empty"]
    moved = wallet_ledger.transfer(db_session, from_wallet_id=musa, to_wallet_id=empty, amount="4999.99",
                            description="Family support", idempotency_key=key())  # fmt: skip
    assert moved.balances == {musa: Decimal("0.01"), empty: Decimal("4999.99")}
    assert len(moved.transaction_ids) == 2
    debit_row, credit_row = (db_session.get(WalletTransaction, i) for i in moved.transaction_ids)
    assert (debit_row.wallet_id, debit_row.transaction_type, debit_row.balance_after) == (
        musa,
        "debit",
        Decimal("0.01"),
    )
    assert (credit_row.wallet_id, credit_row.transaction_type) == (empty, "credit")
    assert debit_row.posting_key == credit_row.posting_key == moved.idempotency_key
    assert [balance(db_session, w) for w in (musa, empty)] == [Decimal("0.01"), Decimal("4999.99")]
    assert wallet_reconciliation.ledger_invariants(db_session, list(wallets.values())) == []


# --- Refusals: a sentence, and nothing written --------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "more than ₦0.00"),
        ("0.00", "more than ₦0.00"),
        (Decimal("-5"), "more than ₦0.00"),
        ("-0.01", "more than ₦0.00"),
        ("abc", "must be a number of naira"),
        ("", "must be a number of naira"),
        (None, "must be a number of naira"),
        (True, "must be a number of naira"),
        ("NaN", "must be a number of naira"),
        ("Infinity", "must be a number of naira"),
        (float("inf"), "must be a number of naira"),
        ("12.345", "at most two decimal places"),
        (0.1 + 0.2, "at most two decimal places"),  # a float's binary error is not rounded away
        ("1e-9", "at most two decimal places"),
        ("10000000.01", "more than the ₦10,000,000.00"),
        ("1e30", "more than the ₦10,000,000.00"),
        ("1,2,3", "must be a number of naira"),
    ],
)
def test_a_bad_amount_is_refused_with_a_sentence_and_nothing_written(db_session, wallets, amount, message):
    before = state(db_session, wallets["ada"])
    with pytest.raises(InvalidInput, match=message) as refused:
        wallet_ledger.credit(
            db_session, wallet_id=wallets["ada"], amount=amount, description="x", idempotency_key=key()
        )
    assert str(refused.value).endswith(".") and "\n" not in str(refused.value)
    assert state(db_session, wallets["ada"]) == before


def test_an_overdraft_is_refused_with_the_balance_and_the_amount(db_session, wallets):
    ada, musa = wallets["ada"], wallets["musa"]
    before = state(db_session, ada, musa)
    with pytest.raises(InsufficientFunds) as refused:
        wallet_ledger.debit(
            db_session, wallet_id=ada, amount="5000", description="Surgery deposit", idempotency_key=key()
        )
    assert str(refused.value) == "The wallet holds ₦1,200.00; a debit of ₦5,000.00 would overdraw it."
    with pytest.raises(InsufficientFunds, match="The wallet to transfer from holds ₦1,200.00; a transfer of ₦1,200.01"):
        wallet_ledger.transfer(db_session, from_wallet_id=ada, to_wallet_id=musa, amount="1200.01", description=None,
                        idempotency_key=key())  # fmt: skip
    with pytest.raises(InsufficientFunds, match="a payment of ₦1,200.01"):
        wallet_ledger.pay(db_session, wallet_id=ada, amount="1200.01", description=None, idempotency_key=key())
    assert state(db_session, ada, musa) == before
    # Exactly the balance is not an overdraft.
    assert (
        wallet_ledger.pay(db_session, wallet_id=ada, amount="1200", description=None, idempotency_key=key()).balance
        == 0
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda db, w: wallet_ledger.credit(db, wallet_id="no-such-wallet", amount=1, description=None,
                                            idempotency_key=key()), NotFound, "The wallet does not exist."),
        (lambda db, w: wallet_ledger.debit(db, wallet_id="bad\x00id", amount=1, description=None,
                                           idempotency_key=key()),
         NotFound, "The wallet does not exist."),
        (lambda db, w: wallet_ledger.transfer(db, from_wallet_id=w["ada"], to_wallet_id="gone", amount=1,
                                              description=None, idempotency_key=key()),
         NotFound, "The wallet to transfer to does not exist."),
        (lambda db, w: wallet_ledger.transfer(db, from_wallet_id="gone", to_wallet_id=w["ada"], amount=1,
                                              description=None, idempotency_key=key()),
         NotFound, "The wallet to transfer from does not exist."),
        (lambda db, w: wallet_ledger.transfer(db, from_wallet_id=w["ada"], to_wallet_id=w["ada"], amount=1,
                                              description=None, idempotency_key=key()),
         InvalidInput, "two different wallets"),
        (lambda db, w: wallet_ledger.credit(db, wallet_id=w["ada"], amount=1, description=None, idempotency_key=""),
         InvalidInput, "needs an idempotency key"),
        (lambda db, w: wallet_ledger.credit(db, wallet_id=w["ada"], amount=1, description=None, idempotency_key="   "),
         InvalidInput, "needs an idempotency key"),
        (lambda db, w: wallet_ledger.credit(db, wallet_id=w["ada"], amount=1, description=None, idempotency_key=None),
         InvalidInput, "needs an idempotency key"),
        (lambda db, w: wallet_ledger.credit(db, wallet_id=w["ada"], amount=1, description=None,
                                            idempotency_key="k" * 201),
         InvalidInput, "at most 200 characters"),
        (lambda db, w: wallet_ledger.credit(db, wallet_id=w["ada"], amount=1, description="d" * 501,
                                            idempotency_key=key()),
         InvalidInput, "The description can be at most 500 characters"),
    ],
    ids=["unknown wallet", "nul in id", "unknown target", "unknown source", "same wallet", "empty key",
         "blank key", "no key", "long key", "long description"],
)  # fmt: skip
def test_unknown_wallets_same_wallet_transfers_and_bad_keys_are_refused(db_session, wallets, call, error, message):
    before = state(db_session, *wallets.values())
    with pytest.raises(error, match=message):
        call(db_session, wallets)
    assert state(db_session, *wallets.values()) == before


# --- Idempotency -------------------------------------------------------------------------------------


def test_a_retried_request_posts_once_and_answers_with_the_first_result(db_session, wallets):
    ada, musa = wallets["ada"], wallets["musa"]
    retry_key = key()
    first = wallet_ledger.transfer(db_session, from_wallet_id=musa, to_wallet_id=ada, amount="800", description="Gift",
                            idempotency_key=retry_key)  # fmt: skip
    # Money moves again in between; the replay still reports the first posting's balances.
    wallet_ledger.credit(db_session, wallet_id=ada, amount="1", description=None, idempotency_key=key())
    after_first = state(db_session, ada, musa)
    again = wallet_ledger.transfer(db_session, from_wallet_id=musa, to_wallet_id=ada, amount=Decimal("800.00"),
                            description="Gift", idempotency_key=retry_key)  # fmt: skip
    assert again.replayed and not first.replayed
    assert (again.transaction_ids, again.balances, again.amount) == (
        first.transaction_ids,
        first.balances,
        first.amount,
    )
    assert again.balances == {musa: Decimal("4200.00"), ada: Decimal("2000.00")}
    assert state(db_session, ada, musa) == after_first  # nothing written by the retry
    assert (
        db_session.scalar(
            select(func.count()).select_from(WalletTransaction).where(WalletTransaction.posting_key == retry_key)
        )
        == 2
    )


def test_a_replay_is_not_refused_as_an_overdraft_by_the_money_it_already_moved(db_session, wallets):
    retry_key = key()
    first = wallet_ledger.pay(
        db_session, wallet_id=wallets["ada"], amount="1200", description="Scan", idempotency_key=retry_key
    )
    again = wallet_ledger.pay(
        db_session, wallet_id=wallets["ada"], amount="1200", description="Scan", idempotency_key=retry_key
    )
    assert again.replayed and again.transaction_ids == first.transaction_ids and again.balance == 0


@pytest.mark.parametrize(
    "other_request",
    [
        lambda db, w, k: wallet_ledger.credit(db, wallet_id=w["ada"], amount="101", description="Top-up",
                                              idempotency_key=k),
        lambda db, w, k: wallet_ledger.credit(db, wallet_id=w["musa"], amount="100", description="Top-up",
                                              idempotency_key=k),
        lambda db, w, k: wallet_ledger.credit(db, wallet_id=w["ada"], amount="100", description="Other",
                                              idempotency_key=k),
        lambda db, w, k: wallet_ledger.debit(db, wallet_id=w["ada"], amount="100", description="Top-up",
                                             idempotency_key=k),
        lambda db, w, k: wallet_ledger.transfer(db, from_wallet_id=w["musa"], to_wallet_id=w["ada"], amount="100",
                                         description="Top-up", idempotency_key=k),
    ],
    ids=["amount", "wallet", "description", "kind", "transfer"],
)  # fmt: skip
def test_the_same_key_with_another_request_is_refused(db_session, wallets, other_request):
    reused = key()
    wallet_ledger.credit(
        db_session, wallet_id=wallets["ada"], amount="100", description="Top-up", idempotency_key=reused
    )
    before = state(db_session, *wallets.values())
    with pytest.raises(KeyReused) as refused:
        other_request(db_session, wallets, reused)
    assert str(refused.value) == (
        "This idempotency key was already used for another request (a credit of ₦100.00); "
        "send a new request with a new key."
    )
    assert state(db_session, *wallets.values()) == before


# --- A network administrator's refund or adjustment --------------------------------------------------


def test_an_adjustment_is_posted_and_audited_in_the_same_transaction(db_session, wallets, admin):
    ada = wallets["ada"]
    posted = wallet_adjustments.post_adjustment(db_session, admin, wallet_id=ada, direction="debit", amount="200.25",
                                    reason="  Duplicate top-up reversed  ", idempotency_key=key())  # fmt: skip
    assert posted.balance == Decimal("999.75") and posted.kind == "adjustment"
    row = db_session.get(WalletTransaction, posted.transaction_ids[0])
    assert (row.transaction_type, row.amount, row.description) == (
        "debit",
        Decimal("200.25"),
        "Duplicate top-up reversed",
    )
    assert db_session.get(WalletPosting, posted.idempotency_key).posted_by == admin.user_id
    (entry,) = db_session.scalars(select(AuditLog).where(AuditLog.user_id == admin.user_id)).all()
    assert (entry.action_category, entry.action_type, entry.resource_type, entry.resource_id) == (
        "financial", "wallet_adjusted", "wallet", ada
    )  # fmt: skip
    assert entry.old_values == {"balance": "1200.00"}
    assert entry.new_values["balance"] == "999.75" and entry.new_values["direction"] == "debit"
    assert entry.new_values["reason"] == "Duplicate top-up reversed"
    assert entry.financial_impact == Decimal("200.25") and entry.compliance_relevant
    # The ledger row and the audit row were written by one and the same transaction.
    xmins = db_session.execute(
        text(
            "SELECT (SELECT xmin::text FROM wallet_transactions WHERE id = :t), "
            "(SELECT xmin::text FROM audit_logs WHERE id = :a), (SELECT xmin::text FROM wallets WHERE id = :w)"
        ),
        {"t": row.id, "a": entry.id, "w": ada},
    ).one()
    assert len(set(xmins)) == 1
    assert wallet_reconciliation.check_wallet(db_session, ada) == []


def test_a_rolled_back_adjustment_leaves_neither_the_money_nor_the_audit_row(db_session, wallets, admin):
    ada = wallets["ada"]
    before = state(db_session, ada)
    savepoint = db_session.begin_nested()
    wallet_adjustments.post_adjustment(db_session, admin, wallet_id=ada, direction="credit", amount="50",
                                       reason="Goodwill",
                           idempotency_key=key())  # fmt: skip
    assert state(db_session, ada) != before
    savepoint.rollback()
    assert state(db_session, ada) == before


def test_a_replayed_adjustment_writes_no_second_audit_row(db_session, wallets, admin):
    retry_key = key()
    request = dict(
        wallet_id=wallets["ada"], direction="credit", amount="75", reason="Goodwill", idempotency_key=retry_key
    )
    first = wallet_adjustments.post_adjustment(db_session, admin, **request)
    again = wallet_adjustments.post_adjustment(db_session, admin, **request)
    assert again.replayed and again.transaction_ids == first.transaction_ids
    assert len(db_session.scalars(select(AuditLog).where(AuditLog.user_id == admin.user_id)).all()) == 1
    # Another administrator sending the same key is another request.
    with pytest.raises(KeyReused):
        wallet_adjustments.post_adjustment(db_session, actor(UserRole.ADMIN, None, "other-admin"), **request)


def test_a_refund_is_a_credit_audited_as_one(db_session, wallets, admin):
    refunded = wallet_adjustments.post_refund(db_session, admin, wallet_id=wallets["empty"], amount="15000",
                                  reason="Cancelled video consultation", idempotency_key=key(),
                                  reference_id="appt-9")  # fmt: skip
    assert refunded.balance == Decimal("15000.00") and refunded.kind == "refund"
    (entry,) = db_session.scalars(select(AuditLog).where(AuditLog.user_id == admin.user_id)).all()
    assert entry.action_type == "wallet_refunded" and entry.old_values == {"balance": "0.00"}


@pytest.mark.parametrize("role", [UserRole.EXECUTIVE, UserRole.HOSPITAL_ADMIN, UserRole.COMPLIANCE_OFFICER,
                                  UserRole.PATIENT])  # fmt: skip
def test_only_a_network_administrator_adjusts_a_wallet(db_session, engine, wallets, role):
    who = actor(role, None, "not-admin")
    before = state(db_session, wallets["ada"])
    with pytest.raises(NotPermitted, match=r"cannot adjust a wallet\.$"):
        wallet_adjustments.post_adjustment(db_session, who, wallet_id=wallets["ada"], direction="credit", amount="10",
                               reason="Why not", idempotency_key=key())  # fmt: skip
    with pytest.raises(NotPermitted, match=r"cannot refund to a wallet\.$"):
        wallet_adjustments.post_refund(db_session, who, wallet_id=wallets["ada"], amount="10", reason="Why not",
                           idempotency_key=key())  # fmt: skip
    assert state(db_session, wallets["ada"]) == before
    with Session(engine) as own:  # the refusals are on record, on their own connection
        refused = own.scalars(select(AuditLog.action_type).where(AuditLog.user_id == who.user_id)).all()
    assert refused == ["permission_denied", "permission_denied"]


def test_an_administrator_working_on_one_hospital_cannot_adjust_a_wallet(db_session, engine, wallets):
    hospital = add_hospital(db_session, "Ledger Scope Hospital")
    scoped = actor(UserRole.ADMIN, hospital, "scoped-admin")
    before = state(db_session, wallets["ada"])
    with pytest.raises(OutOfScope, match="switch the working scope to All hospitals"):
        wallet_adjustments.post_adjustment(db_session, scoped, wallet_id=wallets["ada"], direction="credit",
                                           amount="10",
                               reason="Goodwill", idempotency_key=key())  # fmt: skip
    assert state(db_session, wallets["ada"]) == before
    with Session(engine) as own:
        refused = own.scalars(select(AuditLog.action_type).where(AuditLog.user_id == scoped.user_id)).all()
    assert refused == ["scope_violation"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "Give the reason for this adjustment"),
        ({"reason": "   "}, "Give the reason for this adjustment"),
        ({"reason": None}, "Give the reason for this adjustment"),
        ({"reason": "r" * 501}, "The reason can be at most 500 characters"),
        ({"direction": "sideways"}, "a credit or a debit"),
        ({"amount": "-10"}, "more than ₦0.00"),
        ({"amount": "5000", "direction": "debit"}, "The wallet holds ₦1,200.00; an adjustment of ₦5,000.00 would"),
        ({"wallet_id": "nobody"}, "The wallet does not exist."),
    ],
)
def test_a_bad_adjustment_is_refused_with_nothing_written(db_session, wallets, admin, changes, message):
    request = dict(wallet_id=wallets["ada"], direction="credit", amount="10", reason="Goodwill", idempotency_key=key())
    before = state(db_session, wallets["ada"])
    with pytest.raises(InvalidInput if "wallet_id" not in changes else NotFound, match=message):
        wallet_adjustments.post_adjustment(db_session, admin, **{**request, **changes})
    assert state(db_session, wallets["ada"]) == before


# --- The invariant helpers find what is broken -------------------------------------------------------


def test_the_invariant_helpers_find_a_wrong_balance_and_a_broken_chain(db_session, wallets):
    ada, musa = wallets["ada"], wallets["musa"]
    wallet_ledger.pay(db_session, wallet_id=ada, amount="200", description=None, idempotency_key=key())
    assert wallet_reconciliation.ledger_invariants(db_session, [ada, musa]) == []

    db_session.execute(update(Wallet).where(Wallet.id == musa).values(balance=Decimal("5000.01")))
    assert wallet_reconciliation.check_wallet(db_session, musa) == [
        f"Wallet {musa} holds ₦5,000.01, but its ledger ends at ₦5,000.00."
    ]

    first = db_session.scalar(
        select(WalletTransaction.id).where(WalletTransaction.wallet_id == ada).order_by(WalletTransaction.created_at)
    )
    rewrite(
        db_session, update(WalletTransaction).where(WalletTransaction.id == first).values(balance_after=Decimal("1300"))
    )
    problems = wallet_reconciliation.check_wallet(db_session, ada)
    assert len(problems) == 2  # the first row does not start from zero, and the second does not follow from it
    assert all("but the rows before it add up to" in p for p in problems)
    assert any("shows ₦1,300.00 after it, but the rows before it add up to ₦1,200.00" in p for p in problems)


def test_a_wallet_holding_money_without_a_ledger_is_found(db_session):
    user = User(email=f"bare.{secrets.token_hex(4)}@ledger.test.ng", password="x", wallet=Wallet(balance=Decimal("10")))
    db_session.add(user)
    db_session.flush()
    assert wallet_reconciliation.check_wallet(db_session, user.wallet.id) == [
        f"Wallet {user.wallet.id} holds ₦10.00, but its ledger ends at ₦0.00."
    ]


def test_a_posting_comes_after_a_wallet_row_dated_ahead_of_the_clock(db_session, wallets):
    # Another client's clock, or a demo network built for later today, can leave a row dated in the future;
    # a new posting must still come after it in the ledger's (created_at, id) order, or the chain breaks.
    ada = wallets["ada"]
    db_session.execute(
        text(
            "INSERT INTO wallet_transactions (id, wallet_id, transaction_type, amount, balance_after, created_at) "
            "VALUES ('future-row', :w, 'credit', 100, 1300, now() + interval '1 day')"
        ),
        {"w": ada},
    )
    db_session.execute(update(Wallet).where(Wallet.id == ada).values(balance=Decimal("1300")))
    assert wallet_reconciliation.check_wallet(db_session, ada) == []
    paid = wallet_ledger.pay(db_session, wallet_id=ada, amount="300", description=None, idempotency_key=key())
    assert ledger_rows(db_session, ada)[-1] == ("debit", Decimal("300.00"), Decimal("1000.00"))
    stamped = db_session.scalar(
        text("SELECT created_at - (SELECT created_at FROM wallet_transactions WHERE id = 'future-row') "
             "FROM wallet_transactions WHERE id = :id"),
        {"id": paid.transaction_ids[0]},
    )  # fmt: skip
    assert stamped.total_seconds() == pytest.approx(1e-6)
    assert wallet_reconciliation.check_wallet(db_session, ada) == []
