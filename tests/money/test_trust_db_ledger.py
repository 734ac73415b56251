"""Issue 19, points 7-12, from the database as the dashboard's least-privilege role (and as an owner with triggers off).

A database of its own with its own owner and app roles (db/roles.py), migrated by the owner. Each test names the
protection it proves; each fails with that protection removed.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dashboard.domains.money import wallet_ledger
from db import migrate, roles
from db.base import Base
from db.engine import make_engine, make_owner_engine
from db.models import AuditLog, User, Wallet
from db.row_scope import apply_scope
from tests.fixtures.throwaway import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def secured(admin_url):
    url = create_database(admin_url, prefix="healthdash_trust")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    roles.apply_as_superuser(superuser, names)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    migrate.upgrade(owner)
    assert roles.refresh_grants(owner)  # the names recorded by apply_as_superuser, not the defaults
    with Session(owner) as db, db.begin():
        users = [User(email=f"trust.{n}.{suffix}@ledger.test.ng", password="x", wallet=Wallet()) for n in range(3)]
        db.add_all(users)
        db.flush()
        wallet_ids = [u.wallet.id for u in users]
        for n, wallet_id in enumerate(wallet_ids):
            wallet_ledger.credit(db, wallet_id=wallet_id, amount="1000", description="Top-up", idempotency_key=f"t{n}a")
            wallet_ledger.debit(db, wallet_id=wallet_id, amount="150", description="Fee", idempotency_key=f"t{n}b")
            wallet_ledger.credit(db, wallet_id=wallet_id, amount="20", description="Back", idempotency_key=f"t{n}c")
        db.add(AuditLog(user_id="owner", action_category="fixture", action_type="trust_fixture"))
    app = make_engine(roles.as_role(url, names.app))
    yield {"url": url, "names": names, "superuser": superuser, "owner": owner, "app": app, "wallets": wallet_ids}
    for engine in (app, owner, superuser):
        engine.dispose()
    drop_database(admin_url, url.database)
    with make_engine(admin_url).begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))


def _refused(engine, statement: str, words: str, params=None) -> None:
    with pytest.raises(DBAPIError, match=words), engine.begin() as conn:
        conn.execute(text("SELECT set_config('healthdash.scope', '*', true)"))
        conn.execute(text(statement), params or {})


def reconcile(secured, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": secured["url"].render_as_string(hide_password=False)}
    env.pop("HEALTHDASH_OWNER_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "db", "reconcile", *flags],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip


class Tampered:
    """Changes made by a superuser with every trigger off (`session_replication_role = replica`), undone after."""

    def __init__(self, secured):
        self.engine = secured["superuser"]
        self.undo: list[tuple[str, dict]] = []

    def run(self, statement: str, undo: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(statement), params)
        self.undo.append((undo, params))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement, params in reversed(self.undo):
                conn.execute(text(statement), params)


# --- 7. The ledger is append-only for the app; checkpoints are the owner's function's ----------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE wallet_transactions SET amount = amount + 1",
        "DELETE FROM wallet_transactions",
        "UPDATE wallet_postings SET amount = 1",
        "DELETE FROM wallet_postings",
        "DELETE FROM wallets",
        "UPDATE wallets SET user_id = user_id",
        "UPDATE wallet_chain_checks SET pending = false",
        "DELETE FROM wallet_chain_checks",
        "INSERT INTO wallet_chain_checks (wallet_id, pending) VALUES ('forged', false)",
        "TRUNCATE wallet_transactions",
    ],
)
def test_the_app_cannot_rewrite_money_history_or_its_checkpoints(secured, statement):
    _refused(secured["app"], statement, "permission denied")


def test_even_the_owner_cannot_change_the_ledger_without_switching_its_guard_off(secured):
    for statement in (
        "UPDATE wallet_transactions SET amount = amount + 1",
        "DELETE FROM wallet_postings",
        "DELETE FROM wallets",
    ):
        _refused(secured["owner"], statement, "append-only|cannot be deleted")


def test_the_app_still_posts_and_advances_checkpoints_through_the_owners_function(secured):
    wallet = secured["wallets"][0]
    with Session(secured["app"]) as db, db.begin():
        apply_scope(db, None, "someone")
        posting = wallet_ledger.pay(
            db, wallet_id=wallet, amount="5", description="Fee", idempotency_key=secrets.token_hex(8)
        )
        verified = db.execute(text("SELECT verified FROM healthdash_advance_wallet_checkpoints(false)")).scalar_one()
        seq, link = db.execute(
            text("SELECT chain_seq, chain_hash FROM wallet_transactions WHERE id = :id"),
            {"id": posting.transaction_ids[0]},
        ).one()
    assert verified >= 1 and seq >= 4 and re.fullmatch(r"[0-9a-f]{64}", link)


def test_a_client_cannot_choose_its_place_in_the_chain(secured):
    wallet = secured["wallets"][1]
    with Session(secured["app"]) as db, db.begin():
        apply_scope(db, None, "someone")
        before = db.scalar(text("SELECT max(chain_seq) FROM wallet_transactions WHERE wallet_id = :w"), {"w": wallet})
        balance = db.scalar(text("SELECT balance FROM wallets WHERE id = :w FOR UPDATE"), {"w": wallet})
        db.execute(
            text(
                "INSERT INTO wallet_transactions (id, wallet_id, transaction_type, amount, balance_after, chain_seq, "
                "chain_hash) VALUES (:id, :w, 'credit', 1, :b, 1, 'forged')"
            ),
            {"id": secrets.token_hex(8), "w": wallet, "b": balance + 1},
        )
        row = db.execute(
            text("SELECT chain_seq, chain_hash FROM wallet_transactions WHERE wallet_id = :w ORDER BY chain_seq DESC"),
            {"w": wallet},
        ).first()
        assert row.chain_seq == before + 1 and row.chain_hash != "forged"
        db.rollback()


def test_concurrent_audit_rows_do_not_fork_the_chain_and_the_cost_is_measured(secured):
    def write(n: int) -> None:
        for i in range(25):
            with Session(secured["app"]) as db, db.begin():
                apply_scope(db, None, f"racer{n}")
                db.add(AuditLog(user_id=f"racer{n}", action_category="data_access", action_type=f"race_{i}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with secured["owner"].connect() as conn:
        seqs = conn.execute(text("SELECT chain_seq FROM audit_logs ORDER BY chain_seq")).scalars().all()
    assert seqs == list(range(1, len(seqs) + 1))  # one chain, no fork, no gap
    print(f"200 audited transactions on 8 threads: {elapsed * 1000 / 200:.2f} ms each")


def test_an_open_audited_transaction_holds_up_no_other_audit_row(secured):
    """The trail is linked at commit: a transaction that wrote an audit row and is still open (a command
    mid-way, whose refusal is audited on its own connection) keeps nobody else from writing theirs."""
    with Session(secured["app"]) as slow, slow.begin():
        apply_scope(slow, None, "slow")
        slow.add(AuditLog(user_id="slow", action_category="data_access", action_type="open_a_while"))
        slow.flush()
        with Session(secured["app"]) as other, other.begin():
            other.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting for the other's commit would fail here
            apply_scope(other, None, "quick")
            other.add(AuditLog(user_id="quick", action_category="data_access", action_type="beside_it"))
        with secured["owner"].connect() as conn:
            quick = conn.execute(
                text("SELECT chain_seq IS NOT NULL FROM audit_logs WHERE action_type = 'beside_it'")
            ).scalar_one()
        assert quick  # committed and linked while the first was still open
    with secured["owner"].connect() as conn:
        linked = conn.execute(
            text("SELECT chain_seq IS NOT NULL FROM audit_logs WHERE action_type = 'open_a_while'")
        ).scalar_one()
        seqs = conn.execute(text("SELECT chain_seq FROM audit_logs ORDER BY chain_seq")).scalars().all()
    assert linked and seqs == list(range(1, len(seqs) + 1))


# --- 7 and 8. `healthdash db reconcile` finds what changed ---------------------------------------------


def test_reconcile_passes_a_sound_database_and_prints_the_heads(secured):
    result = reconcile(secured, "--full")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hash chains hold" in result.stdout
    assert re.search(r"audit trail: [\d,]+ rows, head [0-9a-f]{64}", result.stdout)
    assert re.search(r"wallets: [\d,]+ chains, [\d,]+ transactions, root [0-9a-f]{64}", result.stdout)


def test_reconcile_names_a_wallet_whose_balance_alone_was_changed(secured):
    wallet = secured["wallets"][2]
    with Tampered(secured) as tamper:
        tamper.run(
            "UPDATE wallets SET balance = balance + 1000 WHERE id = :w",
            "UPDATE wallets SET balance = balance - 1000 WHERE id = :w",
            w=wallet,
        )
        for flags in ((), ("--full",)):
            result = reconcile(secured, *flags)
            assert result.returncode == 1, result.stdout + result.stderr
            assert re.search(rf"Wallet {wallet} holds ₦[\d,.]+, but its ledger ends at ₦[\d,.]+\.", result.stdout)
    assert reconcile(secured).returncode == 0


def test_a_consistent_rewrite_by_an_owner_with_triggers_off_is_found_by_the_full_check(secured):
    """The issue's attack: the last transaction's amount, balance_after and the balance, rewritten to agree."""
    wallet = secured["wallets"][0]
    with secured["owner"].connect() as conn:
        last = conn.execute(
            text("SELECT id, chain_seq FROM wallet_transactions WHERE wallet_id = :w ORDER BY chain_seq DESC LIMIT 1"),
            {"w": wallet},
        ).one()
    with Tampered(secured) as tamper:
        tamper.run(
            "UPDATE wallet_transactions SET amount = amount + 100, balance_after = balance_after + 100 WHERE id = :t",
            "UPDATE wallet_transactions SET amount = amount - 100, balance_after = balance_after - 100 WHERE id = :t",
            t=last.id,
        )
        tamper.run(
            "UPDATE wallets SET balance = balance + 100 WHERE id = :w",
            "UPDATE wallets SET balance = balance - 100 WHERE id = :w",
            w=wallet,
        )
        result = reconcile(secured, "--full")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"The wallet {wallet}'s hash chain breaks at row {last.id} (link {last.chain_seq:,})" in result.stdout
    assert "Hash chains are broken" in result.stdout


def test_a_deleted_transaction_and_an_edited_audit_row_are_named(secured):
    wallet = secured["wallets"][1]
    with secured["owner"].connect() as conn:
        first, second = conn.execute(
            text("SELECT id, chain_seq FROM wallet_transactions WHERE wallet_id = :w ORDER BY chain_seq LIMIT 2"),
            {"w": wallet},
        ).all()
        kept = conn.scalar(text("SELECT to_jsonb(t)::text FROM wallet_transactions t WHERE id = :t"), {"t": first.id})
        audit = conn.execute(text("SELECT id, chain_seq, user_id FROM audit_logs ORDER BY chain_seq LIMIT 1")).one()
    with Tampered(secured) as tamper:
        tamper.run(
            "DELETE FROM wallet_transactions WHERE id = :t",
            "INSERT INTO wallet_transactions SELECT * FROM jsonb_populate_record(NULL::wallet_transactions, "
            "CAST(:row AS jsonb))",
            t=first.id,
            row=kept,
        )
        tamper.run(
            "UPDATE audit_logs SET user_id = 'someone else' WHERE id = :a",
            "UPDATE audit_logs SET user_id = :u WHERE id = :a",
            a=audit.id,
            u=audit.user_id,
        )
        result = reconcile(secured, "--full")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"The wallet {wallet}'s hash chain breaks at row {second.id} (link 1)" in result.stdout
    assert "a row before it is missing" in result.stdout
    assert f"The audit trail's hash chain breaks at row {audit.id} (link {audit.chain_seq:,})" in result.stdout
    assert reconcile(secured, "--full").returncode == 0  # put back as it was, every link holds again


# --- 9. Audit rows are dated and signed by the database ---------------------------------------------


def test_the_database_dates_the_apps_audit_rows_and_refuses_one_naming_someone_else(secured):
    with Session(secured["app"]) as db, db.begin():
        apply_scope(db, None, "ada")
        db.execute(
            text(
                "INSERT INTO audit_logs (id, user_id, action_category, created_at) "
                "VALUES ('backdated', 'ada', 'data_access', now() - interval '2 hours')"
            )
        )
        assert db.scalar(text("SELECT created_at = now() FROM audit_logs WHERE id = 'backdated'")) is True
        db.rollback()
    with pytest.raises(DBAPIError, match="must name the user acting"), Session(secured["app"]) as db, db.begin():
        apply_scope(db, None, "ada")
        db.add(AuditLog(user_id="bola", action_category="data_access", action_type="forged"))
        db.flush()
    with pytest.raises(DBAPIError, match="no user is acting"), Session(secured["app"]) as db, db.begin():
        db.add(AuditLog(user_id="bola", action_category="financial", action_type="wallet_adjusted"))
        db.flush()
    with Session(secured["app"]) as db, db.begin():  # a sign-in attempt: nobody is signed in yet
        db.add(AuditLog(user_id="anonymous", action_category="authentication", action_type="login_failed"))
        db.flush()


# --- 10. Only what the dashboard uses --------------------------------------------------------------


# The modules that talk to the database: the platform and each domain's queries and commands (not its pages).
SERVICE_FILES = [
    *(ROOT / "dashboard" / "platform").rglob("*.py"),
    *(p for p in (ROOT / "dashboard" / "domains").rglob("*.py") if not p.name.endswith("_page.py")),
]


def _referenced_tables() -> set[str]:
    """Tables the dashboard's code names: a model class, or a table name in its SQL."""
    import db.models  # noqa: F401 - registers every model

    by_class = {m.class_.__name__: m.class_.__tablename__ for m in Base.registry.mappers}
    names = set(by_class.values()) | {"wallet_flows_by_day", "consultation_activity_by_month"}
    found = set()
    for path in SERVICE_FILES:
        source = path.read_text()
        found |= {table for cls, table in by_class.items() if re.search(rf"\b{cls}\b", source)}
        found |= {
            table for table in names if re.search(rf"\b(FROM|JOIN|INTO|UPDATE)\s+{table}\b", source, re.IGNORECASE)
        }
    return found


def test_the_app_is_granted_exactly_the_tables_the_services_reference(secured):
    with secured["app"].connect() as conn:
        granted = set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                    "AND c.relkind IN ('r', 'p', 'v', 'm') AND (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, "
                    "DELETE') OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE'))"
                )
            ).scalars()
        )
    bookkeeping = {"alembic_version"}  # read at start: is the database at the current revision?
    # Written only by the database's own trigger, which runs as the writer: a patient's first visit to a hospital
    # takes the next number of its series (migration 0016), whichever client writes the visit.
    by_triggers = {"patient_number_series"}
    assert granted - bookkeeping == _referenced_tables() | by_triggers == set(roles.APP_TABLES) - bookkeeping
    for table in ("health_records", "prescriptions", "messages", "conversations", "emergency_contacts"):
        _refused(secured["app"], f"SELECT count(*) FROM {table}", "permission denied")
    _refused(secured["app"], "SELECT room_token FROM consultation_rooms", "permission denied")
    _refused(secured["app"], "SELECT message FROM notifications", "permission denied")


# --- 11 and 12. Custom names remembered; schemas handed over in either order ----------------------------


def test_upgrade_refreshes_the_grants_of_the_custom_names_in_use(secured):
    app = secured["names"].app
    with secured["superuser"].begin() as conn:
        conn.execute(text(f"GRANT UPDATE, DELETE ON audit_logs, health_records TO {app}"))
    env = {**os.environ, "DATABASE_URL": secured["url"].render_as_string(hide_password=False)}
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "db", "upgrade"], env=env, capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with secured["app"].connect() as conn:
        assert conn.scalar(text("SELECT has_table_privilege('audit_logs', 'UPDATE')")) is False
        assert conn.scalar(text("SELECT has_table_privilege('health_records', 'DELETE')")) is False
        assert roles.remembered_names(conn) == secured["names"]


@pytest.mark.parametrize("roles_first", [True, False], ids=["roles-then-migrate", "migrate-then-roles"])
def test_every_schema_the_migrations_make_is_the_owners_whatever_the_order(admin_url, roles_first):
    url = create_database(admin_url, prefix="healthdash_order")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    app = make_engine(roles.as_role(url, names.app))
    try:
        if roles_first:
            roles.apply_as_superuser(superuser, names)
            migrate.upgrade(owner)
            roles.refresh_grants(owner)
        else:
            migrate.upgrade(superuser)
            roles.apply_as_superuser(superuser, names)
        with superuser.connect() as conn:
            owners = dict(
                conn.execute(
                    text(
                        "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace "
                        "WHERE nspname IN ('public', 'healthdash_partitions', 'healthdash_summaries')"
                    )
                ).all()
            )
            strays = conn.execute(
                text(
                    "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('public', 'healthdash_partitions', 'healthdash_summaries') "
                    "AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> :o"
                ),
                {"o": names.owner},
            ).all()
        assert owners == dict.fromkeys(owners, names.owner) and len(owners) == 3
        assert strays == []
        with owner.begin() as conn:
            assert conn.scalar(text("SELECT healthdash_refresh_money_summaries()")) is not None
        with app.begin() as conn:
            conn.execute(text("SELECT set_config('healthdash.scope', '*', true)"))
            conn.execute(text("SELECT count(*) FROM wallet_flows_by_day")).scalar_one()
            conn.execute(text("SELECT count(*) FROM consultation_activity_by_month")).scalar_one()
            conn.execute(text("SELECT * FROM healthdash_advance_wallet_checkpoints(false)")).one()
    finally:
        for engine in (app, owner, superuser):
            engine.dispose()
        drop_database(admin_url, url.database)
        with make_engine(admin_url).begin() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
