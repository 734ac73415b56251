"""The ledger under concurrency, on a database of its own, as the dashboard's least-privileged app role.

Every transaction here commits, so the module builds its own throwaway database with its own owner and
app roles (as test_row_level_security does) and leaves the shared session database alone. The postings
run as the app role: what the ledger writes (wallets, wallet_transactions, wallet_postings, audit_logs)
is within its grants.

- Two requests with one idempotency key at the same moment post once; the second answers as a replay.
- Two debits racing for the same money: the second waits for the first's lock and is refused, instead
  of both reading the old balance (a lost update).
- 2,000 random transfers and payments over 8 threads among six wallets, some retried with the same key:
  money is conserved, no balance is negative, every balance_after chain adds up, no deadlock.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dashboard.domains.money import wallet_ledger, wallet_reconciliation
from dashboard.domains.money.wallet_ledger import InsufficientFunds, Posting, WalletBusy
from db import migrate, roles
from db.engine import make_engine, make_owner_engine
from db.models import User, Wallet, WalletTransaction
from db.models.money import WalletPosting
from tests.fixtures.throwaway import create_database, drop_database

THREADS = 8
OPERATIONS = 2_000  # calls in all, retries included
RETRY_SHARE = 0.1  # this share of the calls repeats another call's request and key, on another thread
# Five wallets with enough to keep most transfers going, one that runs dry and refuses some.
OPENINGS = (Decimal("100000.00"),) * 5 + (Decimal("2000.00"),)
WALLETS = len(OPENINGS)
OVERDRAFT = Decimal("1000000.00")  # more than the six wallets hold together


@dataclass(frozen=True)
class SecuredDatabase:
    url: URL
    owner: Engine
    app: Engine
    names: roles.RoleNames


@contextmanager
def secured_database(
    admin_url: URL, prefix: str, *, app_pool_size: int = 5, quick_commits: bool = False
) -> Iterator[SecuredDatabase]:
    """A migrated throwaway database with its own owner and app roles; dropped with the roles afterwards."""
    url = create_database(admin_url, prefix=prefix)
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    # Without waiting for the disk at each commit, a run of thousands of short transactions takes seconds,
    # not a minute; locks, visibility and constraints, what these tests are about, are the same either way.
    options = {"options": "-c synchronous_commit=off"} if quick_commits else {}
    superuser = make_engine(url)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    app = make_engine(roles.as_role(url, names.app), pool_size=app_pool_size, max_overflow=10, connect_args=options)
    try:
        roles.apply_as_superuser(superuser, names)
        migrate.upgrade(owner)
        assert roles.refresh_grants(owner, names)
        yield SecuredDatabase(url, owner, app, names)
    finally:
        for engine in (app, owner, superuser):
            engine.dispose()
        drop_database(admin_url, url.database)
        admin = make_engine(admin_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
        admin.dispose()


def open_wallets(engine: Engine, openings: tuple[Decimal, ...]) -> list[str]:
    """Committed wallets, each topped up through the ledger with its opening amount (made by the owner: the dashboard
    creates no accounts or wallets, so its role may not)."""
    with Session(engine) as db, db.begin():
        users = [
            User(email=f"racer.{secrets.token_hex(5)}@ledger.test.ng", password="x", wallet=Wallet()) for _ in openings
        ]
        db.add_all(users)
        db.flush()
        ids = [u.wallet.id for u in users]
        for wallet_id, opening in zip(ids, openings, strict=True):
            wallet_ledger.credit(
                db, wallet_id=wallet_id, amount=opening, description="Opening", idempotency_key=f"open-{wallet_id}"
            )
    return ids


@pytest.fixture(scope="module")
def secured(admin_url):
    with secured_database(admin_url, "healthdash_ledger", app_pool_size=THREADS, quick_commits=True) as database:
        yield database


@pytest.fixture
def pair(secured):
    """Two fresh wallets with ₦100.00 each."""
    return open_wallets(secured.owner, (Decimal("100.00"), Decimal("100.00")))


def run_in_thread(target) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(target())
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_blocked(engine: Engine, application_pid: int, timeout: float = 10) -> None:
    """Until the backend `application_pid` waits for a lock (so the race is real, not a matter of timing)."""
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": application_pid}
            ).scalar()
            if waiting == "Lock":
                return
            conn.rollback()
            time.sleep(0.02)
    raise AssertionError("the second request never waited for the first one's lock")


def test_two_requests_with_one_key_at_the_same_moment_post_once(secured, pair):
    wallet = pair[0]
    request = dict(wallet_id=wallet, amount="60", description="Consultation", idempotency_key=f"race-{wallet}")
    with Session(secured.app) as first:
        first.begin()
        posted = wallet_ledger.pay(first, **request)
        second_pid: list[int] = []

        def retry() -> Posting:
            with Session(secured.app) as db, db.begin():
                second_pid.append(db.scalar(text("SELECT pg_backend_pid()")))
                return wallet_ledger.pay(db, **request)

        thread, outcome = run_in_thread(retry)
        while not second_pid and thread.is_alive():
            time.sleep(0.01)
        wait_until_blocked(secured.app, second_pid[0])
        first.commit()
        thread.join(timeout=30)
    (replayed,) = outcome
    assert isinstance(replayed, Posting), replayed
    assert replayed.replayed and not posted.replayed
    assert replayed.transaction_ids == posted.transaction_ids and replayed.balance == Decimal("40.00")
    with Session(secured.owner) as db:
        assert db.scalar(select(Wallet.balance).where(Wallet.id == wallet)) == Decimal("40.00")
        assert db.scalar(select(func.count()).select_from(WalletPosting).where(
            WalletPosting.idempotency_key == request["idempotency_key"])) == 1  # fmt: skip
        assert wallet_reconciliation.check_wallet(db, wallet) == []


def test_two_debits_racing_for_the_same_money_take_it_once(secured, pair):
    wallet = pair[1]
    with Session(secured.app) as first:
        first.begin()
        wallet_ledger.debit(first, wallet_id=wallet, amount="80", description="First", idempotency_key=f"a-{wallet}")
        second_pid: list[int] = []

        def racer() -> Posting:
            with Session(secured.app) as db, db.begin():
                second_pid.append(db.scalar(text("SELECT pg_backend_pid()")))
                return wallet_ledger.debit(
                    db, wallet_id=wallet, amount="80", description="Second", idempotency_key=f"b-{wallet}"
                )

        thread, outcome = run_in_thread(racer)
        while not second_pid and thread.is_alive():
            time.sleep(0.01)
        wait_until_blocked(secured.app, second_pid[0])  # it waits for the wallet's lock, not reading ₦100.00
        first.commit()
        thread.join(timeout=30)
    (refused,) = outcome
    assert isinstance(refused, InsufficientFunds), refused
    assert str(refused) == "The wallet holds ₦20.00; a debit of ₦80.00 would overdraw it."
    with Session(secured.owner) as db:
        assert db.scalar(select(Wallet.balance).where(Wallet.id == wallet)) == Decimal("20.00")
        assert wallet_reconciliation.check_wallet(db, wallet) == []


def test_a_wallet_held_past_the_lock_timeout_is_refused_as_busy_and_the_same_request_posts_later(secured, pair):
    wallet = pair[0]
    request = dict(wallet_id=wallet, amount="10", description="Lab test", idempotency_key=f"busy-{wallet}")
    with Session(secured.owner) as holder, holder.begin():
        holder.execute(select(Wallet.id).where(Wallet.id == wallet).with_for_update())  # a long posting elsewhere
        busy = pytest.raises(WalletBusy, match="send the same request again in a moment")
        with busy, Session(secured.app) as db, db.begin():
            db.execute(text("SET LOCAL lock_timeout = '200ms'"))
            wallet_ledger.pay(db, **request)
    with Session(secured.app) as db, db.begin():
        assert wallet_ledger.pay(db, **request).balance == Decimal("90.00")
    with Session(secured.owner) as db:
        assert wallet_reconciliation.check_wallet(db, wallet) == []


@dataclass(frozen=True)
class Operation:
    kind: str  # transfer or payment
    key: str
    amount: Decimal
    source: str
    target: str | None


def plan(wallets: list[str], rng: random.Random) -> list[list[Operation]]:
    """OPERATIONS calls over THREADS queues; about RETRY_SHARE of them repeat a call of another queue,
    at about the same place in it, so the two race."""
    originals = round(OPERATIONS * (1 - RETRY_SHARE))
    queues: list[list[Operation]] = [[] for _ in range(THREADS)]
    made = []
    for number in range(originals):
        source, target = rng.sample(wallets, 2)
        kind = "transfer" if rng.random() < 0.7 else "payment"
        # Transfers up to ₦3,000.00, payments up to ₦50.00 (so the network's money lasts the run); and every
        # fiftieth call a payment larger than all the money there is, which must be refused whenever it comes.
        amount = Decimal(rng.randint(1, 300_000 if kind == "transfer" else 5_000)) / 100
        if number % 50 == 49:
            kind, amount = "payment", OVERDRAFT
        operation = Operation(
            kind, f"op-{number}-{secrets.token_hex(4)}", amount, source, target if kind == "transfer" else None
        )
        queues[number % THREADS].append(operation)
        made.append((number % THREADS, operation))
    for thread, operation in rng.sample(made, OPERATIONS - originals):
        other = (thread + rng.randint(1, THREADS - 1)) % THREADS
        queues[other].insert(min(len(queues[other]), queues[thread].index(operation) + rng.randint(-2, 2)), operation)
    return queues


def post(db: Session, operation: Operation) -> Posting:
    if operation.kind == "transfer":
        return wallet_ledger.transfer(
            db,
            from_wallet_id=operation.source,
            to_wallet_id=operation.target,
            amount=operation.amount,
            description="Load transfer",
            idempotency_key=operation.key,
        )
    return wallet_ledger.pay(db, wallet_id=operation.source, amount=operation.amount, description="Load payment",
                      idempotency_key=operation.key)  # fmt: skip


def test_two_thousand_concurrent_transfers_and_payments_conserve_the_money(secured):
    wallets = open_wallets(secured.owner, OPENINGS)
    queues = plan(wallets, random.Random(20261128))
    assert sum(len(q) for q in queues) == OPERATIONS
    outcomes: list[Counter] = [Counter() for _ in range(THREADS)]
    paid: list[Decimal] = [Decimal(0)] * THREADS
    posted_keys: list[set[str]] = [set() for _ in range(THREADS)]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS, timeout=30)

    def work(index: int) -> None:
        try:
            start.wait()
            for operation in queues[index]:
                try:
                    with Session(secured.app) as db, db.begin():  # one short transaction per call
                        posting = post(db, operation)
                except InsufficientFunds:
                    outcomes[index]["refused"] += 1
                    continue
                if posting.replayed:
                    outcomes[index]["replayed"] += 1
                    continue
                outcomes[index][operation.kind] += 1
                posted_keys[index].add(operation.key)
                if operation.kind == "payment":
                    paid[index] += operation.amount
        except BaseException as exc:  # noqa: BLE001 - a deadlock, timeout or anything else fails the test below
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    counts = sum(outcomes, Counter())
    print(f"\nledger concurrency: {OPERATIONS} calls on {THREADS} threads in {elapsed:.2f} s: {dict(counts)}")

    assert not errors, errors[:3]  # no deadlock, lock timeout or serialization failure escaped
    assert sum(counts.values()) == OPERATIONS
    all_posted = set().union(*posted_keys)
    assert sum(len(k) for k in posted_keys) == len(all_posted)  # no key posted twice, whichever thread retried
    with Session(secured.owner) as db:
        balances = dict(db.execute(select(Wallet.id, Wallet.balance).where(Wallet.id.in_(wallets))).all())
        assert sum(balances.values()) == sum(OPENINGS) - sum(paid)  # conserved: only payments leave
        assert min(balances.values()) >= 0
        # Each wallet's balance equals its last balance_after, and each balance_after is the one before it
        # plus a credit or minus a debit, in ledger order (a window function over the rows).
        broken = db.execute(
            text(
                """
                SELECT wallet_id, id FROM (
                    SELECT wallet_id, id, balance_after,
                           coalesce(lag(balance_after) OVER w, 0)
                             + CASE transaction_type WHEN 'credit' THEN amount ELSE -amount END AS expected
                    FROM wallet_transactions WHERE wallet_id = ANY(:wallets)
                    WINDOW w AS (PARTITION BY wallet_id ORDER BY created_at, id)
                ) ledger WHERE balance_after <> expected
                """
            ),
            {"wallets": wallets},
        ).all()
        assert broken == []
        last = dict(
            db.execute(
                text(
                    "SELECT DISTINCT ON (wallet_id) wallet_id, balance_after FROM wallet_transactions "
                    "WHERE wallet_id = ANY(:wallets) ORDER BY wallet_id, created_at DESC, id DESC"
                ),
                {"wallets": wallets},
            ).all()
        )
        assert last == balances
        assert wallet_reconciliation.ledger_invariants(db, wallets) == []
        # The rows match the postings exactly: one per payment, two per transfer, one per opening top-up.
        rows = db.scalar(
            select(func.count()).select_from(WalletTransaction).where(WalletTransaction.wallet_id.in_(wallets))
        )
        assert rows == WALLETS + counts["payment"] + 2 * counts["transfer"]
        keys = db.scalar(
            select(func.count()).select_from(WalletPosting).where(WalletPosting.idempotency_key.like("op-%"))
        )
        assert keys == len(all_posted)
    # A real race: retries met their first attempts, the dry wallet refused some, most calls moved money.
    assert counts["replayed"] > 0
    assert counts["refused"] >= sum(op.amount == OVERDRAFT for q in queues for op in q) > 0
    assert counts["transfer"] + counts["payment"] > OPERATIONS / 2
