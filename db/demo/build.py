"""Builds the demo network in one transaction: all of it is written, or none of it.

Every demo account shares one bcrypt hash of the demo password, made once per build: a cost-12
hash takes a quarter to half a second, so hashing each of the ~2,300 accounts at scale 1 (117,000
at scale 50) would take minutes to hours for accounts nobody but the staff logins can use. The
password is public anyway; sharing its hash gives nothing away.
"""

from __future__ import annotations

import time
from datetime import date

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.demo.appointments import write_appointments
from db.demo.audit_log import AUDIT_COLUMNS, demo_replaced_audit_row, write_audit_logs
from db.demo.bed_board import write_bed_board
from db.demo.budgets import write_budgets
from db.demo.bulk_load import indexes_and_foreign_keys_deferred
from db.demo.claims import write_claims
from db.demo.clock import DemoClock, demo_clock
from db.demo.compliance import write_compliance
from db.demo.conversations import write_conversations
from db.demo.copy_writer import CopyWriter
from db.demo.digests import write_digests
from db.demo.documents import write_documents
from db.demo.emergencies import write_emergencies
from db.demo.hospitals import write_hospital_operations, write_hospitals
from db.demo.licences import write_licences
from db.demo.logins import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from db.demo.metrics import write_analytics
from db.demo.money import write_finances, write_wallets
from db.demo.network import build_network
from db.demo.notifications import write_notifications
from db.demo.peers import write_peer_groups
from db.demo.people import write_people
from db.demo.physician_hours import write_physician_hours
from db.demo.plan import DemoPlan, plan_for
from db.demo.records import write_records
from db.demo.report import DemoReport
from db.demo.supplies import write_supply_usage
from db.demo.ward_screens import write_ward_screens
from db.errors import CommandError
from db.passwords import hash_password
from db.seed import SEED_ACCOUNTS, SEED_HOSPITAL, seed

# In foreign-key order: each step only points at rows of earlier steps. Analytics come after the
# appointments and emergencies it counts.
STEPS = (
    write_hospitals,
    write_peer_groups,
    write_people,
    write_wallets,
    write_appointments,
    write_physician_hours,
    write_conversations,
    write_records,
    write_emergencies,
    write_hospital_operations,
    write_bed_board,
    write_supply_usage,
    write_finances,
    write_budgets,  # the demo year's budgets, beside the ledger write_finances booked
    write_claims,  # reads the ledger's NHIA and HMO revenue write_finances booked
    write_compliance,
    write_licences,
    write_ward_screens,
    write_digests,  # the demo logins' digests by email and 30 days of their outbox
    write_documents,
    write_notifications,
    write_audit_logs,
    write_analytics,
)
LOCK_TIMEOUT = "15s"
# The triggers that link each new wallet transaction and audit row to its predecessor (migration 0012)
# look the predecessor up by an index the bulk load has dropped (quadratic for a build), and the audit
# trail's would link its rows one by one at the commit. They are off
# while the rows are copied (inside the build's transaction, so no other session sees them off), and the
# database's own function links every row in one pass once the indexes are back.
CHAIN_TRIGGERS = (
    ("wallet_transactions", "trg_wallet_transactions_hash_chain"),
    ("audit_logs", "trg_audit_logs_stamp"),
    ("audit_logs", "trg_audit_logs_link"),
)
# Row checks that look other rows up (a physician's other sessions, a bed's resource and admission) are one
# sequential scan per copied row while the bulk load has the indexes dropped: quadratic (at scale 100 the 168,000
# sessions alone did not finish in minutes). The demo writes rows that pass them by construction; they are off while
# the rows are copied and `_verify_bulk_checks` asks the same questions of every row at once, indexes back.
BULK_CHECKED_TRIGGERS = (
    ("physician_sessions", "trg_physician_sessions_no_overlap"),
    ("beds", "trg_beds_checked"),
)
# The append-only guards refuse the linking pass's UPDATE of the two link columns, so they step aside for it.
APPEND_ONLY_GUARDS = (
    ("wallet_transactions", "trg_wallet_transactions_append_only"),
    ("audit_logs", "trg_audit_logs_append_only"),
)


# CommandError: `healthdash db demo` prints these as one plain line (exit code 2), not a traceback.
class DemoDataPresent(CommandError):
    """The database already holds demo data and replace was not asked for."""


class DemoTablesBusy(CommandError):
    """Another session holds the tables (a running dashboard mid-query, a long report)."""


def has_demo_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return _has_demo_data(conn)


def _has_demo_data(conn: Connection) -> bool:
    pattern = "%@" + DEMO_EMAIL_DOMAIN
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM users WHERE email LIKE :p)"), {"p": pattern}).scalar())


def build_demo(
    engine: Engine,
    *,
    scale: float,
    seed: int = 2026,
    as_of: date | None = None,
    replace: bool = False,
    progress: bool = True,
) -> DemoReport:
    """Write the demo network for (scale, seed, as_of); the same three always give the same rows.

    Without as_of the demo's "now" is the moment of the build; an as_of after today is refused (db.demo.clock).
    """
    started = time.perf_counter()
    plan = plan_for(scale)
    clock = demo_clock(as_of)
    try:
        counts = _build(engine, plan, clock, seed, replace, progress)
    except DBAPIError as exc:
        if isinstance(exc.orig, psycopg.errors.LockNotAvailable):
            raise DemoTablesBusy(
                f"Could not lock the tables within {LOCK_TIMEOUT}: another session is using them. Stop the "
                "dashboard (or wait for its queries to finish) and run the build again. Nothing was changed."
            ) from exc
        raise
    _first_scheduled_check(engine)
    return DemoReport(counts, time.perf_counter() - started, scale, seed, clock.as_of)


def _first_scheduled_check(engine: Engine) -> None:
    """What `healthdash db reconcile` does on its schedule, once, so the demo opens checked and summarised.

    Pages never check or refresh for their visitor (docs/performance.md): without this first run the Financials page
    of a new demo would say every wallet waits for a check and show no wallet flows until the schedule ran.
    """
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        broken = conn.execute(text("SELECT * FROM healthdash_advance_wallet_checkpoints(false)")).one()[2]
        conn.execute(text("SELECT healthdash_refresh_money_summaries()"))
        # Its verdict, as dashboard.domains.money.wallet_checks.record keeps one (the demo's wallets add up).
        conn.execute(
            text(
                'INSERT INTO wallet_check_runs (id, "full", wallets, transactions, problem_count) '
                "SELECT 'demo' || substr(md5(clock_timestamp()::text), 1, 21), false, (SELECT count(*) FROM wallets), "
                "(SELECT coalesce(sum(transactions), 0) FROM wallet_chain_checks), :broken"
            ),
            {"broken": int(broken)},
        )


def _build(engine: Engine, plan: DemoPlan, clock: DemoClock, seed: int, replace: bool, progress: bool) -> dict:
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))  # a large scale runs for minutes
        # The build takes exclusive locks (TRUNCATE, index rebuilds); waiting forever behind a
        # long-running dashboard query would look like a hang.
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        deleted_audit_rows = 0
        if replace:
            _refuse_to_empty_other_data(conn, engine.url.database)
            deleted_audit_rows = _empty_application_tables(conn)
            _reseed(conn)
        elif _has_demo_data(conn):
            raise DemoDataPresent(
                f"Database {engine.url.database!r} already holds demo data; build with replace=True to rebuild it."
            )
        network = build_network(plan, clock, seed, hash_password(DEMO_PASSWORD))
        # The demo's year gets its month partitions (migration 0010), so its rows do not all land in DEFAULT.
        conn.execute(text("SELECT healthdash_ensure_month_partitions(CAST(t AS regclass), :first, :last) FROM "
                          "unnest(ARRAY['analytics_data', 'audit_logs']) AS t"),
                     {"first": clock.history_start.date(), "last": clock.now.date()})  # fmt: skip
        expected = plan.expected_rows()
        raw: psycopg.Connection = conn.connection.driver_connection
        _switch_triggers(conn, CHAIN_TRIGGERS + BULK_CHECKED_TRIGGERS, enable=False)
        with indexes_and_foreign_keys_deferred(conn, sorted(expected)), raw.cursor() as cursor:
            writer = CopyWriter(cursor, expected, progress)
            try:
                for step in STEPS:
                    step(network, writer)
                if replace:
                    writer.write("audit_logs", AUDIT_COLUMNS, [demo_replaced_audit_row(network, deleted_audit_rows)])
            except BaseException:  # Ctrl-C included: the bars must tell where it stopped
                writer.abandon()
                raise
            writer.close()
        _link_chains(conn)
        _verify_bulk_checks(conn)
        # Fresh statistics, so the dashboard's first queries get good plans without waiting for
        # autovacuum to notice millions of new rows.
        conn.execute(text("ANALYZE " + ", ".join(f'"{table}"' for table in sorted(writer.counts))))
        conn.commit()
    return dict(writer.counts)


def _switch_triggers(conn: Connection, triggers: tuple[tuple[str, str], ...], *, enable: bool) -> None:
    verb = "ENABLE" if enable else "DISABLE"
    for table, trigger in triggers:
        conn.execute(text(f'ALTER TABLE "{table}" {verb} TRIGGER "{trigger}"'))


# Each a question that finds a row the switched-off trigger would have refused (none, for a sound build).
_BULK_CHECKS = {
    "a physician's weekly sessions overlap": (
        "SELECT EXISTS (SELECT FROM physician_sessions a JOIN physician_sessions b ON b.physician_id = a.physician_id "
        "AND b.weekday = a.weekday AND b.id > a.id AND a.starts < b.ends AND b.starts < a.ends)"
    ),
    "a bed counts toward another hospital's resource, or one that is not beds": (
        "SELECT EXISTS (SELECT FROM beds x LEFT JOIN hospital_resources r ON r.id = x.resource_id "
        "AND r.hospital_id = x.hospital_id AND r.category = 'beds' WHERE r.id IS NULL)"
    ),
    "a bed holds another hospital's admission": (
        "SELECT EXISTS (SELECT FROM beds x JOIN hospital_patients a ON a.id = x.admission_id "
        "WHERE a.hospital_id <> x.hospital_id)"
    ),
}


def _verify_bulk_checks(conn: Connection) -> None:
    """What BULK_CHECKED_TRIGGERS check row by row, asked of every copied row at once; then the triggers back on."""
    for problem, question in _BULK_CHECKS.items():
        if conn.execute(text(question)).scalar_one():
            raise RuntimeError(f"The demo build wrote rows its database checks refuse: {problem}.")
    _switch_triggers(conn, BULK_CHECKED_TRIGGERS, enable=True)


def _link_chains(conn: Connection) -> None:
    """Every wallet transaction and audit row linked into its hash chain, then the triggers back on."""
    _switch_triggers(conn, APPEND_ONLY_GUARDS, enable=False)
    conn.execute(text("SELECT healthdash_relink_chains()"))
    _switch_triggers(conn, APPEND_ONLY_GUARDS + CHAIN_TRIGGERS, enable=True)


class OtherDataPresent(CommandError):
    """Replacing would empty tables that hold more than the demo and the seed."""


def _refuse_to_empty_other_data(conn: Connection, database: str | None) -> None:
    """Replace empties every table; refuse when that would take accounts or hospitals that are not ours.

    Demo accounts and hospitals have addresses at the demo domain, the seed's are known by address;
    anything else is somebody's data, and a demo rebuild must never be how it is lost.
    """
    params = {"demo": "%@" + DEMO_EMAIL_DOMAIN, "seed_emails": [a["email"] for a in SEED_ACCOUNTS]}
    users = conn.execute(
        text("SELECT count(*) FROM users WHERE email NOT LIKE :demo AND NOT (email = ANY(:seed_emails))"), params
    ).scalar_one()
    hospitals = conn.execute(
        text("SELECT count(*) FROM hospitals WHERE coalesce(email, '') NOT LIKE :demo AND name <> :seed_name"),
        {**params, "seed_name": SEED_HOSPITAL["name"]},
    ).scalar_one()
    if users or hospitals:
        raise OtherDataPresent(
            f"Database {database!r} holds {users:,} accounts and {hospitals:,} hospitals that are not demo or "
            "seed data, and replacing the demo empties every table. Build the demo in a database of its own, "
            "or empty this one with `healthdash db reset` first. Nothing was changed."
        )


# Seeded by their migration and never written by the demo: the compliance checklists' standard (migration 0024),
# Nigeria's LGAs that hospitals' (state, lga) reference (migration 0021).
REFERENCE_TABLES = ("compliance_checklist_items", "nigerian_lgas")


def _empty_application_tables(conn: Connection) -> int:
    """TRUNCATE every table but alembic_version and the reference tables (REFERENCE_TABLES: the standard the
    migrations seed); returns how many audit rows that deleted.

    audit_logs refuses TRUNCATE through a statement trigger (migration 0002). Rebuilding the demo
    is the owner's explicit decision to throw the trail away, so such triggers are switched off for
    this one statement and on again inside the same transaction: no other session ever sees them
    off, and a failure rolls the whole thing back. The build then records that it happened.
    """
    tables = (
        conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version' AND NOT (tablename = ANY(:kept))"
            ),
            {"kept": list(REFERENCE_TABLES)},
        )
        .scalars()
        .all()
    )
    truncate_triggers = conn.execute(
        text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled <> 'D' "
            "AND (t.tgtype & 32) <> 0"  # TRIGGER_TYPE_TRUNCATE
        )
    ).all()
    deleted_audit_rows = conn.execute(text("SELECT count(*) FROM audit_logs")).scalar_one()
    for table, trigger in truncate_triggers:
        conn.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"'))
    conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    for table, trigger in truncate_triggers:
        conn.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"'))
    return deleted_audit_rows


def _reseed(conn: Connection) -> None:
    # The session joins the connection's transaction: the seed commits (or not) with the build.
    with Session(bind=conn) as session:
        seed(session)
        session.flush()
