"""Twenty sessions at once for a few seconds: the dashboard's reads and writes side by side, as its app role.

Issue 12, part 7. On a throwaway database holding a small demo network, twenty threads, each with its own
actor (network administrators, each hospital's administrators, executives), run one unit of work after
another, as `dashboard.shell.data.call` does (one transaction, the actor's scope set first): the pages' read
services (resources, waitlist, admissions, overview, appointments) mixed with writes (ledger transfers
between patients' wallets, resource counts moved, patients called from the waitlist). Afterwards: no
error and no deadlock escaped, every wallet's ledger adds up and the network's money is where it was,
every resource's counts add up, and each write left its one audit row. Throughput and the 95th
percentile latency are printed and held to generous bounds (the machine is shared).
"""

from __future__ import annotations

import random
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.appointments import appointment_figures
from dashboard.domains.floor import (
    admission_queries,
    resource_commands,
    resource_list,
    waitlist_commands,
    waitlist_queue,
)
from dashboard.domains.money import wallet_ledger, wallet_reconciliation
from dashboard.domains.money.wallet_ledger import InsufficientFunds
from dashboard.domains.overview import overview
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.dates import LAGOS
from db.base import UserRole
from db.demo import build_demo
from db.engine import unit_of_work
from db.models import AuditLog, Hospital, HospitalResource, PatientWaitlist, Wallet
from db.row_scope import apply_scope
from db.rules import BED_CATEGORY
from tests.money.test_ledger_concurrency import secured_database

SESSIONS = 20
SECONDS = 6.0
WRITE_SHARE = 0.3
# Bounds a healthy run clears many times over, even on a busy two-core machine.
MIN_OPERATIONS_PER_SECOND = 20
MAX_P95_SECONDS = 2.0


@dataclass(frozen=True)
class Network:
    hospitals: list[str]
    wallets: list[str]
    resources: dict[str, list[str]]  # hospital id -> its resources other than beds (beds are held by admissions)
    departments: dict[str, list[str]]  # hospital id -> departments with patients waiting


@pytest.fixture(scope="module")
def loaded(admin_url):
    with secured_database(admin_url, "healthdash_load", app_pool_size=SESSIONS) as database:
        build_demo(database.owner, scale=0.05, as_of=datetime.now(LAGOS).date(), progress=False)
        with Session(database.owner) as db:
            hospitals = list(db.scalars(select(Hospital.id).order_by(Hospital.id)))
            wallets = list(db.scalars(select(Wallet.id).order_by(Wallet.id)))
            spare = db.execute(
                select(HospitalResource.hospital_id, HospitalResource.id).where(
                    HospitalResource.category != BED_CATEGORY
                )
            ).all()
            queues = db.execute(
                select(PatientWaitlist.hospital_id, PatientWaitlist.department)
                .where(PatientWaitlist.status == "waiting")
                .distinct()
            ).all()
        network = Network(
            hospitals=hospitals,
            wallets=wallets,
            resources={h: [r for hospital, r in spare if hospital == h] for h in hospitals},
            departments={h: [d for hospital, d in queues if hospital == h] for h in hospitals},
        )
        assert len(hospitals) >= 2 and len(wallets) >= 20 and all(network.resources.values())
        yield database, network


def actors_for(network: Network) -> list[Actor]:
    """Twenty actors: each hospital's administrators, network administrators and executives."""
    kinds = [
        (UserRole.ADMIN, None),
        (UserRole.EXECUTIVE, None),
        *((UserRole.HOSPITAL_ADMIN, h) for h in network.hospitals),
    ]
    made = []
    for index in range(SESSIONS):
        role, hospital = kinds[index % len(kinds)]
        user_id = f"load-{index}-{secrets.token_hex(3)}"
        made.append(Actor(user_id, role, hospital, ClientInfo(session_id=f"session-{user_id}")))
    return made


# --- What a session does -----------------------------------------------------------------------------


def reads_for(actor: Actor, today: date) -> list[tuple[str, Callable]]:
    month_ago = today - timedelta(days=30)
    found = [
        ("resource_list.category_summary", lambda db: resource_list.category_summary(db, actor)),
        ("resource_list.list_resources", lambda db: resource_list.list_resources(db, actor, page=1)),
        ("overview.overview_counts", lambda db: overview.overview_counts(db, actor)),
        ("admission_queries.census", lambda db: admission_queries.census(db, actor)),
        ("appointment_figures.figures",
         lambda db: appointment_figures.figures(db, actor, start=month_ago, end=today)),
    ]  # fmt: skip
    if actor.role is not UserRole.EXECUTIVE:  # the waitlist is for those who run the hospitals
        found += [
            ("waitlist_queue.queue_summary", lambda db: waitlist_queue.queue_summary(db, actor)),
            ("waitlist_queue.queue", lambda db: waitlist_queue.queue(db, actor)),
        ]
    return found


def transfer(network: Network, rng: random.Random) -> Callable:
    source, target = rng.sample(network.wallets, 2)
    amount = f"{rng.randint(1, 20_000) / 100:.2f}"
    key = f"load-{secrets.token_hex(8)}"
    return lambda db: wallet_ledger.transfer(
        db, from_wallet_id=source, to_wallet_id=target, amount=amount, description="Load test", idempotency_key=key
    )


def move_one_unit(actor: Actor, network: Network, rng: random.Random) -> Callable:
    """One unit between available and in use, on a resource in the actor's scope (the total stays)."""
    hospital = actor.hospital_id or rng.choice(network.hospitals)
    resource_id = rng.choice(network.resources[hospital])

    def run(db: Session):
        # Read the counts under the row's lock, as the change will be made: another session moving the same
        # unit at the same moment would otherwise be told, rightly, that there is nothing left to change.
        db.execute(select(HospitalResource.id).where(HospitalResource.id == resource_id).with_for_update())
        now = resource_list.get_resource(db, actor, resource_id)
        step = 1 if now.available > 0 else -1 if now.in_use > 0 else 0
        if step == 0:
            return None  # nothing to move on an all-maintenance resource; a read after all
        return resource_commands.update_quantities(
            db, actor, resource_id, total=now.total, available=now.available - step, in_use=now.in_use + step,
            maintenance=now.maintenance,
        )  # fmt: skip

    return run


def call_next(actor: Actor, network: Network, rng: random.Random) -> Callable | None:
    hospital = actor.hospital_id or rng.choice(network.hospitals)
    if not network.departments[hospital]:
        return None
    department = rng.choice(network.departments[hospital])
    return lambda db: waitlist_commands.call_next(db, actor, hospital_id=hospital, department=department)


def pick(actor: Actor, network: Network, rng: random.Random, today: date) -> tuple[str, Callable]:
    if rng.random() >= WRITE_SHARE:
        return rng.choice(reads_for(actor, today))
    writes = [("wallet_ledger.transfer", transfer(network, rng))]
    if actor.role is not UserRole.EXECUTIVE:  # executives read; the ledger's platform postings need no role
        writes.append(("resource_commands.update_quantities", move_one_unit(actor, network, rng)))
        called = call_next(actor, network, rng)
        if called is not None:
            writes.append(("waitlist_commands.call_next", called))
    return rng.choice(writes)


# --- The run -----------------------------------------------------------------------------------------


def test_twenty_sessions_reading_and_writing_at_once(loaded):
    database, network = loaded
    actors = actors_for(network)
    today = datetime.now(LAGOS).date()
    with Session(database.owner) as db:
        money_before = db.scalar(select(func.sum(Wallet.balance)))
    latencies: list[list[float]] = [[] for _ in range(SESSIONS)]
    done: list[Counter] = [Counter() for _ in range(SESSIONS)]
    errors: list[tuple[str, BaseException]] = []
    start = threading.Barrier(SESSIONS, timeout=30)

    def session(index: int) -> None:
        actor, rng = actors[index], random.Random(index)
        start.wait()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            name, operation = pick(actor, network, rng, today)
            began = time.perf_counter()
            try:
                with unit_of_work(database.app) as db:  # as dashboard.shell.data.call: one transaction, scope first
                    apply_scope(db, actor.hospital_id, actor.user_id)
                    result = operation(db)
            except InsufficientFunds:
                done[index]["wallet_ledger.transfer refused (overdraft)"] += 1
            except BaseException as exc:  # noqa: BLE001 - any other failure (a deadlock, a timeout) fails the test
                errors.append((name, exc))
                return
            else:
                done[index][name if result is not None else f"{name} (nothing to do)"] += 1
            latencies[index].append(time.perf_counter() - began)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]

    counts = sum(done, Counter())
    every = sorted(x for per_session in latencies for x in per_session)
    throughput = len(every) / elapsed
    p95 = statistics.quantiles(every, n=20)[-1]
    print(
        f"\nload: {SESSIONS} sessions for {elapsed:.1f} s: {len(every)} operations, {throughput:.0f} operations/s, "
        f"latency median {statistics.median(every) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {every[-1] * 1000:.0f} ms"
    )
    for name, count in sorted(counts.items()):
        print(f"  {name}: {count}")
    assert all(latencies), "a session never finished an operation"
    assert throughput >= MIN_OPERATIONS_PER_SECOND
    assert p95 <= MAX_P95_SECONDS
    writes = (
        counts["wallet_ledger.transfer"]
        + counts["resource_commands.update_quantities"]
        + counts["waitlist_commands.call_next"]
    )
    assert (
        counts["wallet_ledger.transfer"] > 0
        and counts["resource_commands.update_quantities"] > 0
        and writes > len(every) / 10
    )

    with Session(database.owner) as db:
        # Ledgers: every chain adds up, every balance is its last balance_after; transfers only move money.
        assert wallet_reconciliation.ledger_invariants(db) == []
        assert db.scalar(select(func.sum(Wallet.balance))) == money_before
        assert db.scalar(select(func.count()).select_from(Wallet).where(Wallet.balance < 0)) == 0
        # Resources: available + in use + maintenance = total, everywhere (ERRATA).
        assert (
            db.execute(
                text(
                    "SELECT id FROM hospital_resources "
                    "WHERE available_quantity + in_use_quantity + maintenance_quantity <> total_quantity "
                    "OR least(available_quantity, in_use_quantity, maintenance_quantity) < 0"
                )
            ).all()
            == []
        )
        # Each write left its audit row (ledger transfers are the platform's, not a user's, and have none).
        load_users = [a.user_id for a in actors]
        audited = Counter(
            dict(
                db.execute(
                    select(AuditLog.action_type, func.count())
                    .where(AuditLog.user_id.in_(load_users))
                    .group_by(AuditLog.action_type)
                ).all()
            )
        )
        assert audited["resource_updated"] == counts["resource_commands.update_quantities"]
        assert audited["waitlist_patient_called"] == counts["waitlist_commands.call_next"]
        assert audited["permission_denied"] == audited["scope_violation"] == 0
