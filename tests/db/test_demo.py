"""The demo network: deterministic, coherent, complete, refused twice without --replace, linear in scale.

One demo database is built for the module (`demo`) and read by most tests; the determinism test
builds a second one into `fresh_database` and compares; the CLI test builds its own, because
--replace rewrites it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db import demo, migrate
from db.demo.clock import LAGOS, DemoClock
from db.demo.hospitals import RESOURCE_CATALOGUE
from db.demo.identifiers import TABLE_CODES, IdMaker, demo_id
from db.demo.plan import ESTIMATED_TABLES, plan_for
from db.engine import make_engine
from db.ids import id_from_int
from db.models import Base
from db.passwords import verify_password
from db.vocab import RESOURCE_CATEGORIES
from tests.fixtures.throwaway import create_database, drop_database

pytestmark = pytest.mark.slow

SCALE = 0.05
SEED = 2026
AS_OF = date(2026, 3, 15)
NOW = DemoClock(AS_OF).now
# The 26 tables of the seed schema and the referrals of migration 0009; the dashboard's own tables
# (sign-in sessions, ...) hold no demo rows.
MODEL_TABLES = sorted(TABLE_CODES)
# Drawn per hospital from its wards and its neighbours (db/demo/wards.py, referrals.py): at two hospitals
# (scale 0.05) one large or pending hospital moves them far from the plan's per-hospital average.
DRAWN_PER_HOSPITAL = {"hospital_patients", "referrals"}
SMALL_WORDS = {"of", "the", "and", "for", "at", "in", "de"}  # left out of a hospital's initials (migration 0016)
CHECKSUM_TABLES = ("hospitals", "users", "appointments", "wallet_transactions", "analytics_data", "audit_logs")


def _migrated_engine(url) -> Engine:
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


def _scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def _checksums(engine: Engine) -> dict[str, str]:
    # Password hashes are salted at random, so they are the one thing two builds never share.
    return {
        table: _scalar(
            engine, f"SELECT md5(string_agg((to_jsonb(t) - 'password')::text, '|' ORDER BY t.id)) FROM {table} t"
        )
        for table in CHECKSUM_TABLES
    }


def _schema_definitions(engine: Engine) -> set[tuple[str, str]]:
    indexes = _rows(engine, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
    constraints = _rows(
        engine,
        "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()",
    )
    return {tuple(r) for r in indexes} | {tuple(r) for r in constraints}


@pytest.fixture(scope="module")
def demo_build(admin_url):
    url = create_database(admin_url, prefix="healthdash_demo")
    engine = _migrated_engine(url)
    schema_before = _schema_definitions(engine)
    report = demo.build_demo(engine, scale=SCALE, seed=SEED, as_of=AS_OF, progress=False)
    yield engine, report, schema_before
    engine.dispose()
    drop_database(admin_url, url.database)


@pytest.fixture(scope="module")
def engine(demo_build) -> Engine:
    return demo_build[0]


def test_same_scale_seed_and_date_give_the_same_rows(demo_build, fresh_database):
    first_engine, first_report, _ = demo_build
    second = _migrated_engine(fresh_database)
    try:
        assert demo.has_demo_data(second) is False
        report = demo.build_demo(second, scale=SCALE, seed=SEED, as_of=AS_OF, progress=False)
        assert demo.has_demo_data(second) is True
        assert report.row_counts == first_report.row_counts
        for table in MODEL_TABLES:
            assert _scalar(second, f"SELECT count(*) FROM {table}") == report.row_counts[table], table
        assert _checksums(second) == _checksums(first_engine)
    finally:
        second.dispose()


def test_a_build_leaves_indexes_and_constraints_as_the_migrations_made_them(demo_build):
    engine, _, schema_before = demo_build
    assert _schema_definitions(engine) == schema_before


def test_every_table_is_filled_as_the_plan_says(demo_build):
    engine, report, _ = demo_build
    expected = plan_for(SCALE).expected_rows()
    assert set(report.row_counts) == set(MODEL_TABLES) == set(expected)
    for table in MODEL_TABLES:
        assert report.row_counts[table] > 0, table
        if table in DRAWN_PER_HOSPITAL:
            assert report.row_counts[table] <= 2 * expected[table], table
        elif table in ESTIMATED_TABLES:
            assert 0.7 * expected[table] <= report.row_counts[table] <= 1.3 * expected[table], table
        else:
            assert report.row_counts[table] == expected[table], table
    assert "appointments" in report.summary() and "README.md" in report.summary()


# db/demo/plan.py WARD_SCREENS: one paired screen and one disconnected; DIGEST_*: the story's digests and outbox.
STORY_ONLY = {"ward_screens", "digest_subscriptions", "digest_outbox"}


def test_row_counts_grow_linearly_with_scale():
    small, large = plan_for(1).expected_rows(), plan_for(50).expected_rows()
    for table, count in small.items():
        if table in STORY_ONLY:  # a fixed cast of the demo's story, not a workload: the same at every scale
            assert large[table] == count, table
            continue
        assert large[table] == pytest.approx(50 * count, rel=0.02), table
    assert plan_for(1).hospitals == 20 and plan_for(50).hospitals == 1000
    assert large["appointments"] >= 1_000_000 and large["analytics_data"] >= 2_000_000
    assert plan_for(0.01).hospitals == 2  # the floor that keeps every table non-empty


def test_wards_and_referrals_at_scale_1_come_close_to_the_plan():
    # What the small build above cannot show for DRAWN_PER_HOSPITAL: with 20 hospitals the draws average out.
    from db.demo.emergencies import write_emergencies
    from db.demo.hospitals import write_hospital_operations
    from db.demo.network import build_network

    class Counting:
        def __init__(self) -> None:
            self.counts: dict[str, int] = {}

        def write(self, table, columns, rows):
            self.counts[table] = self.counts.get(table, 0) + sum(1 for _ in rows)

        def finish(self, *tables):
            pass

    plan = plan_for(1)
    network = build_network(plan, DemoClock(AS_OF), SEED, "not-a-hash")
    writer = Counting()
    write_emergencies(network, writer)
    write_hospital_operations(network, writer)
    for table in DRAWN_PER_HOSPITAL:
        assert 0.7 * plan.expected_rows()[table] <= writer.counts[table] <= 1.3 * plan.expected_rows()[table], table
    assert writer.counts["ambulance_requests"] == plan.ambulance_requests


def test_ids_are_id_from_int_of_table_code_and_row_number():
    ids = IdMaker("messages")
    for number in (0, 1, 46655, 46656, 46657, 1_000_000, 2_190_000):
        assert ids(number) == demo_id("messages", number) == id_from_int(TABLE_CODES["messages"] * 36**16 + number)
    assert len(set(TABLE_CODES.values())) == len(TABLE_CODES) >= 27  # the seed's 26, referrals, and later additions
    assert set(TABLE_CODES) <= set(Base.metadata.tables)


def test_wallet_balances_equal_their_ledgers(engine):
    mismatched = _rows(
        engine,
        """
        WITH ledger AS (
            SELECT wallet_id, balance_after, transaction_type, amount,
                   lag(balance_after, 1, 0::numeric) OVER w AS before,
                   row_number() OVER (PARTITION BY wallet_id ORDER BY created_at DESC, id DESC) AS from_end
              FROM wallet_transactions WINDOW w AS (PARTITION BY wallet_id ORDER BY created_at, id))
        SELECT w.id FROM wallets w
          LEFT JOIN ledger last ON last.wallet_id = w.id AND last.from_end = 1
          LEFT JOIN (SELECT wallet_id, sum(CASE transaction_type WHEN 'credit' THEN amount ELSE -amount END) AS net
                       FROM wallet_transactions GROUP BY wallet_id) s ON s.wallet_id = w.id
         WHERE w.balance <> coalesce(last.balance_after, 0) OR w.balance <> coalesce(s.net, 0)
        UNION ALL
        SELECT wallet_id FROM ledger
         WHERE balance_after <> before + CASE transaction_type WHEN 'credit' THEN amount ELSE -amount END
        """,
    )
    assert mismatched == []
    assert _scalar(engine, "SELECT min(balance_after) FROM wallet_transactions") >= 0


def test_resources_add_up_and_their_status_matches(engine):
    rows = _rows(
        engine,
        "SELECT category, total_quantity, available_quantity, in_use_quantity, maintenance_quantity, status "
        "FROM hospital_resources",
    )
    assert {r.category for r in rows} == set(RESOURCE_CATEGORIES) == {c for c, *_ in RESOURCE_CATALOGUE}
    for r in rows:
        assert r.available_quantity + r.in_use_quantity + r.maintenance_quantity == r.total_quantity
        if r.available_quantity == 0:
            assert r.status in ("unavailable", "maintenance")
        else:
            assert r.status in ("available", "limited")


def test_admissions_discharge_after_admission_and_every_hospital_has_inpatients(engine):
    assert _scalar(engine, "SELECT count(*) FROM hospital_patients WHERE discharge_date < admission_date") == 0
    assert (
        _scalar(
            engine, "SELECT count(*) FROM hospital_patients WHERE (status = 'admitted') <> (discharge_date IS NULL)"
        )
        == 0
    )
    assert (
        _scalar(
            engine,
            "SELECT count(*) FROM hospitals h WHERE NOT EXISTS "
            "(SELECT 1 FROM hospital_patients p WHERE p.hospital_id = h.id AND p.status = 'admitted')",
        )
        == 0
    )


def test_plain_text_person_references_name_existing_users(engine):
    for table, column in (
        ("audit_logs", "user_id"),
        ("documents", "verified_by"),
        ("hospital_compliance_tracking", "assessed_by"),
        ("health_records", "recorded_by"),
    ):
        orphans = _scalar(
            engine,
            f"SELECT count(*) FROM {table} x WHERE x.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = x.{column})",
        )
        assert orphans == 0, f"{table}.{column}"
    non_staff_auditors = _scalar(
        engine,
        "SELECT count(*) FROM audit_logs a JOIN profiles p ON p.user_id = a.user_id "
        "WHERE p.role NOT IN ('ADMIN', 'HOSPITAL_ADMIN', 'EXECUTIVE', 'COMPLIANCE_OFFICER')",
    )
    assert non_staff_auditors == 0


def test_appointments_name_the_right_roles_and_match_their_dates(engine):
    roles = _rows(
        engine,
        """
        SELECT DISTINCT pa.role AS patient, ph.role AS physician, ag.role AS agent
          FROM appointments a
          JOIN profiles pa ON pa.user_id = a.patient_id
          JOIN profiles ph ON ph.id = a.physician_id
          LEFT JOIN profiles ag ON ag.id = a.agent_id
        """,
    )
    assert {(r.patient, r.physician) for r in roles} == {("PATIENT", "PHYSICIAN")}
    assert {r.agent for r in roles} == {"AGENT", None}
    by_tense = dict(
        _rows(
            engine,
            "SELECT appointment_date < :now, array_agg(DISTINCT status ORDER BY status) FROM appointments GROUP BY 1",
            now=NOW,
        )
    )
    assert set(by_tense[True]) == {"cancelled", "completed", "no_show"}
    assert set(by_tense[False]) == {"confirmed", "pending"}
    first, last = _rows(engine, "SELECT min(appointment_date), max(appointment_date) FROM appointments")[0]
    assert first >= NOW - timedelta(days=365) and last <= NOW + timedelta(days=31)
    wrong_clock = _scalar(
        engine,
        "SELECT count(*) FROM appointments WHERE to_char(appointment_date AT TIME ZONE 'Africa/Lagos', 'HH24:MI') "
        "<> appointment_time OR appointment_time NOT BETWEEN '07:00' AND '20:30' "
        "OR (consultation_type = 'in_person' AND appointment_time NOT BETWEEN '08:00' AND '16:30')",
    )
    assert wrong_clock == 0
    unmatched_virtual = _scalar(
        engine,
        "SELECT count(*) FROM appointments a LEFT JOIN consultation_sessions s ON s.appointment_id = a.id "
        "LEFT JOIN consultation_rooms r ON r.session_id = s.id "
        "WHERE (a.consultation_type = 'virtual') <> (r.id IS NOT NULL)",
    )
    assert unmatched_virtual == 0


def test_daily_metrics_count_what_the_tables_hold(engine):
    assert _scalar(engine, "SELECT count(DISTINCT metric_date) FROM analytics_data") == 365
    differences = _rows(
        engine,
        """
        SELECT m.hospital_id, m.metric_date::date, m.metric_value, count(a.id)
          FROM analytics_data m
          LEFT JOIN appointments a ON a.hospital_id = m.hospital_id AND a.status <> 'cancelled'
               AND (a.appointment_date AT TIME ZONE 'Africa/Lagos')::date = (m.metric_date AT TIME ZONE 'UTC')::date
         WHERE m.metric_name = 'daily_appointments'
         GROUP BY 1, 2, 3 HAVING m.metric_value <> count(a.id)
        """,
    )
    assert differences == []
    emergencies = _scalar(engine, "SELECT sum(metric_value) FROM analytics_data WHERE metric_name = 'emergency_count'")
    in_window = _scalar(
        engine,
        "SELECT count(*) FROM emergency_requests WHERE (created_at AT TIME ZONE 'Africa/Lagos')::date "
        "BETWEEN :first AND :last",
        first=AS_OF - timedelta(days=365),
        last=AS_OF - timedelta(days=1),
    )
    assert emergencies == in_window


def test_nothing_happens_after_the_demo_clock(engine):
    for table in MODEL_TABLES:
        columns = [c.name for c in Base.metadata.tables[table].columns if c.name in ("created_at", "updated_at")]
        for column in columns:
            latest = _scalar(engine, f"SELECT max({column}) FROM {table}")
            assert latest <= NOW, f"{table}.{column}"


def test_every_patient_seen_at_a_hospital_has_its_number_and_the_series_continue_after_them(engine):
    """Migration 0016's trigger numbers the demo's rows as they are copied: each hospital 1..N, no gaps."""
    visits = (
        "SELECT hospital_id, patient_id FROM appointments WHERE hospital_id IS NOT NULL "
        "UNION SELECT hospital_id, patient_id FROM hospital_patients "
        "UNION SELECT hospital_id, patient_id FROM patient_waitlist"
    )
    numbered = "SELECT hospital_id, patient_id FROM patient_hospital_numbers"
    assert _scalar(engine, f"SELECT count(*) FROM (({visits}) EXCEPT {numbered}) missing") == 0
    assert _scalar(engine, f"SELECT count(*) FROM ({numbered} EXCEPT ({visits})) unearned") == 0
    series = _rows(
        engine,
        "SELECT h.name, s.prefix, s.last_number, count(n.*), max(n.sequence_number), "
        "bool_and(n.number = s.prefix || '-' || lpad(n.sequence_number::text, 6, '0')) "
        "FROM patient_number_series s JOIN hospitals h ON h.id = s.hospital_id "
        "JOIN patient_hospital_numbers n ON n.hospital_id = s.hospital_id GROUP BY h.name, s.prefix, s.last_number",
    )
    assert len(series) == plan_for(SCALE).hospitals
    for name, prefix, last, how_many, highest, shaped in series:
        assert last == how_many == highest and shaped, name  # the next number given follows the demo's highest
        words = [w for w in re.split(r"[^A-Za-z0-9']+", name) if w[:1].isalpha() and w.lower() not in SMALL_WORDS]
        initials = "".join(w[0].upper() for w in words)
        assert prefix == (initials[:4] if len(initials) > 1 else name[:3].upper()), name


def test_hospitals_waitlists_and_compliance_look_like_a_live_network(engine):
    statuses = dict(_rows(engine, "SELECT verification_status, count(*) FROM hospitals GROUP BY 1"))
    assert statuses.get("verified", 0) >= 1 and statuses.get("pending", 0) >= 1
    waiting_now = _scalar(
        engine,
        "SELECT count(*) FROM patient_waitlist WHERE status = 'waiting' AND created_at BETWEEN :since AND :now",
        since=NOW - timedelta(hours=5),
        now=NOW,
    )
    assert waiting_now >= 2
    assert (
        _scalar(engine, "SELECT count(*) FROM patient_waitlist WHERE status = 'completed' AND completed_at < called_at")
        == 0
    )
    bad_scores = _scalar(
        engine,
        "SELECT count(*) FROM hospital_compliance_tracking WHERE NOT CASE status "
        "WHEN 'compliant' THEN score >= 85 WHEN 'partially_compliant' THEN score BETWEEN 60 AND 84 "
        "WHEN 'non_compliant' THEN score < 60 ELSE score BETWEEN 0 AND 100 END",
    )
    assert bad_scores == 0
    assert _scalar(engine, "SELECT count(DISTINCT fiscal_month) FROM hospital_financial_data") == 12
    naira = _scalar(engine, "SELECT min(amount) FROM hospital_financial_data WHERE transaction_type = 'revenue'")
    assert naira > Decimal("100000")  # a month's revenue line of a hospital is at least six figures


def test_staff_logins_exist_with_their_role_and_hospital(engine):
    logins = demo.demo_logins(SCALE)
    assert len(logins) == 3 + 3 * plan_for(SCALE).hospitals
    found = {
        r.email: r
        for r in _rows(
            engine,
            "SELECT u.email, u.password, p.role, h.name AS hospital FROM users u JOIN profiles p ON p.user_id = u.id "
            "LEFT JOIN hospitals h ON h.id = p.hospital_id WHERE u.email = ANY(:emails)",
            emails=[login.email for login in logins],
        )
    }
    for login in logins:
        assert login.email == login.email.lower()
        assert found[login.email].role == login.role.value
        assert found[login.email].hospital == login.hospital_name
    assert "hospital-admin.lagos-1@demo.healthdash.ng" in found
    # bcrypt at cost 12 takes a quarter of a second: one check shows the shared hash is the password's.
    assert verify_password(demo.DEMO_PASSWORD, found["admin@demo.healthdash.ng"].password)


def test_coordinates_stay_in_nigeria(engine):
    box = _rows(
        engine,
        "SELECT min(location_latitude), max(location_latitude), min(location_longitude), max(location_longitude) "
        "FROM emergency_requests UNION ALL SELECT min(latitude), max(latitude), min(longitude), max(longitude) "
        "FROM hospitals",
    )
    for south, north, west, east in box:
        assert 4 <= south <= north <= 14 and 2.6 <= west <= east <= 14.7


def test_the_cli_refuses_to_build_twice_and_replace_rebuilds(admin_url):
    url = create_database(admin_url, prefix="healthdash_demo_cli")
    engine = _migrated_engine(url)
    try:
        demo.build_demo(engine, scale=0.02, seed=SEED, as_of=AS_OF, progress=False)
        env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
        command = [sys.executable, "-m", "dashboard.cli", "db", "demo", "--scale", "0.02"]

        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2
        assert len(refused.stderr.strip().splitlines()) == 1 and "--replace" in refused.stderr
        assert "Traceback" not in refused.stderr + refused.stdout

        replaced = subprocess.run(
            [*command, "--replace", "--as-of", AS_OF.isoformat()], env=env, capture_output=True, text=True, timeout=300
        )
        assert replaced.returncode == 0, replaced.stderr
        assert "Demo network built" in replaced.stdout
        assert demo.has_demo_data(engine)
        # The seed is back, and the wiped audit trail says who wiped it.
        assert _scalar(engine, "SELECT count(*) FROM users WHERE email = 'admin@healthcare.com'") == 1
        assert _scalar(engine, "SELECT count(*) FROM audit_logs WHERE action_type = 'demo_data_replaced'") == 1
        # An append-only trigger switched off for the wipe is on again afterwards.
        disabled = _scalar(
            engine,
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'audit_logs' AND NOT t.tgisinternal AND t.tgenabled = 'D'",
        )
        assert disabled == 0

        # Somebody's own account in the same database: replacing would delete it, so it is refused.
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, email, password) VALUES ('own-1', 'nurse@hospital.ng', 'x')"))
        before = _scalar(engine, "SELECT count(*) FROM appointments")
        kept = subprocess.run([*command, "--replace"], env=env, capture_output=True, text=True, timeout=120)
        assert kept.returncode == 2 and len(kept.stderr.strip().splitlines()) == 1
        assert "not demo or seed data" in kept.stderr and "Nothing was changed" in kept.stderr
        assert _scalar(engine, "SELECT count(*) FROM users WHERE email = 'nurse@hospital.ng'") == 1
        assert _scalar(engine, "SELECT count(*) FROM appointments") == before
    finally:
        engine.dispose()
        drop_database(admin_url, url.database)


def test_demo_clock_of_a_past_as_of_is_lagos_noon_of_that_day():
    # Deterministic for a past as_of; the default build's clock is its own moment (tests/db/test_demo_story.py).
    assert datetime.combine(AS_OF, time(12, 0), tzinfo=LAGOS).astimezone(UTC) == NOW


def test_the_readme_lists_every_demo_login_of_scale_1():
    # The README is where a new user looks for a login; it must not drift from what the demo creates.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [login.email for login in demo.demo_logins(1) if f"`{login.email}`" not in readme]
    assert not missing
    assert f"`{demo.demo_logins(1)[0].password}`" in readme
