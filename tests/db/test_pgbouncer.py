"""The dashboard through a real PgBouncer in transaction pooling, in front of the tests' own server.

PgBouncer (Debian's package) is started on loopback for this module, pointing at whichever server
the fixtures use (the embedded one on its Unix socket, or DATABASE_URL's), with `pool_mode =
transaction`: each transaction may run on another server connection, and a server connection
serves one client's transaction after another's. So:

- a scope set for one transaction (`set_config(..., true)`, db/row_scope.py) is not seen by the next
  client on the same server connection, and a session-level setting would be (the control);
- psycopg's prepared statements clash between clients of one server connection (PgBouncer 1.18 has
  no `max_prepared_statements`), and HEALTHDASH_POOLER=transaction (db/engine.py) turns them off;
- the page services read and write under row-level security through it, as the app role;
- twenty concurrent sessions in two "processes" are served by the pool's few server connections.

`python -m tests.db.test_pgbouncer` starts the same PgBouncer in front of DATABASE_URL's server and
waits, to run other test modules through it (docs/scaling.md).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dashboard.domains.floor import resource_commands, resource_list, waitlist_commands
from dashboard.domains.overview import overview
from dashboard.platform.actors import Actor
from dashboard.platform.errors import NotFound, NotPermitted
from dashboard.shell import data
from db import migrate, roles
from db.base import UserRole
from db.engine import POOLER_VARIABLE, make_engine, make_owner_engine, pooler_connect_args
from db.models import AuditLog, HospitalResource, PatientWaitlist
from db.row_scope import apply_scope, current_scope
from db.settings import SettingsError
from tests.fixtures.servers import free_port
from tests.fixtures.throwaway import create_database, drop_database
from tests.fixtures.two_hospitals import Network, _build_network

POOL_SIZE = 5  # server connections per database and user: what twenty sessions share
SOLO = "solo"  # a pooled database name whose pool holds one server connection, so clients must share it
RESERVED = "reserved"  # the same, with one more server connection in reserve
INSTALL = "apt-get install -y pgbouncer"


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer",) if os.path.exists(p)), None)
    if found is None:
        pytest.fail(f"pgbouncer is missing: install Debian's PgBouncer ({INSTALL}) to run the pooler tests.")
    return found


def pgbouncer_version(binary: str) -> tuple[int, ...]:
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    return tuple(int(part) for part in re.search(r"(\d+)\.(\d+)", first).groups())


def server_location(admin_url: URL) -> tuple[str, int]:
    """(host or Unix socket folder, port) of the server the fixtures use."""
    host = admin_url.host or admin_url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    return host or "/var/run/postgresql", admin_url.port or 5432


def _run_as(host: str) -> str | None:
    """PgBouncer refuses to run as root: as root, run it as the user who may open the server's socket."""
    if os.geteuid() != 0:
        return None
    if host.startswith("/"):  # the embedded server's socket folder is its own user's, mode 0700
        return pwd.getpwuid(os.stat(host).st_uid).pw_name
    return "nobody"


@dataclass
class Bouncer:
    port: int
    process: subprocess.Popen
    log: Path

    def url(self, user: str, database: str) -> URL:
        return URL.create("postgresql+psycopg", username=user, host="127.0.0.1", port=self.port, database=database)

    def dsn(self, user: str, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={user} dbname={database}"


@contextmanager
def pgbouncer(admin_url: URL, *, solo_database: str | None = None, log: Path | None = None) -> Iterator[Bouncer]:
    """PgBouncer on a free loopback port in front of admin_url's server, in transaction pooling.

    Authentication is `trust` on loopback: clients name any role the server knows (looked up with
    auth_query as the superuser), and the server authenticates PgBouncer as it would the client.
    `solo_database`, when given, is also served under the names SOLO (a pool of one connection) and
    RESERVED (one, and one in reserve).
    """
    binary = pgbouncer_binary()
    host, server_port = server_location(admin_url)
    superuser = admin_url.username or "postgres"
    folder = Path(tempfile.mkdtemp(prefix="healthdash-pgbouncer-"))
    folder.chmod(0o755)  # PgBouncer may run as another user (see _run_as): it reads its files here
    port = free_port()
    solo = (
        f"{SOLO} = host={host} port={server_port} dbname={solo_database} pool_size=1 reserve_pool=0\n"
        f"{RESERVED} = host={host} port={server_port} dbname={solo_database} pool_size=1 reserve_pool=1\n"
    )
    settings = [
        "[databases]",
        solo if solo_database else "",
        f"* = host={host} port={server_port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder / 'users.txt'}",
        f"auth_user = {superuser}",
        "pool_mode = transaction",
        f"default_pool_size = {POOL_SIZE}",
        # A refused request is audited on a second connection while its own transaction is open
        # (dashboard/platform/audit.py record_independent); the reserve keeps a full pool from waiting on itself.
        "reserve_pool_size = 2",
        "reserve_pool_timeout = 1",
        "max_client_conn = 500",
        "query_wait_timeout = 15",
        "log_connections = 0",
        "log_disconnections = 0",
    ]
    if pgbouncer_version(binary) >= (1, 21):
        settings.append("max_prepared_statements = 0")  # as 1.18, whatever the version: the app must not need it
    (folder / "users.txt").write_text(f'"{superuser}" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text("\n".join(settings) + "\n")
    for path in folder.iterdir():
        path.chmod(0o644)
    command = [binary, config.as_posix()]
    user = _run_as(host)
    if user:
        command[1:1] = ["-u", user]
    log = log or folder / "pgbouncer.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.fail(f"pgbouncer exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with psycopg.connect(f"host=127.0.0.1 port={port} user={superuser} dbname=postgres", connect_timeout=2):
                    break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    pytest.fail(f"pgbouncer did not answer in 10 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
        yield Bouncer(port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Pooled:
    bouncer: Bouncer
    database: str
    names: roles.RoleNames
    network: Network
    resource_a: str
    resource_b: str
    direct: Engine  # the superuser, straight to the server: the tests' own look at what was written

    def app_url(self, database: str | None = None) -> URL:
        return self.bouncer.url(self.names.app, database or self.database)

    def actor(self, label: str, role: UserRole) -> Actor:
        a, b = self.network.hospital_a, self.network.hospital_b
        hospital = {"ha_a": a, "exec_a": a, "ha_b": b}.get(label)
        return Actor(self.network.users[label], role, hospital)


@pytest.fixture(scope="module")
def pooled(admin_url, tmp_path_factory) -> Iterator[Pooled]:
    """A throwaway database with both roles, migrated and filled straight on the server, then PgBouncer."""
    url = create_database(admin_url, prefix="healthdash_pgbouncer")
    names = roles.RoleNames(owner=f"hd_owner_{secrets.token_hex(3)}", app=f"hd_app_{secrets.token_hex(3)}")
    direct = make_engine(url)
    try:
        roles.apply_as_superuser(direct, names)
        owner = make_owner_engine(roles.as_role(url, names.owner))
        try:
            migrate.upgrade(owner)
            roles.refresh_grants(owner, names)
            network = _build_network(owner)
            with Session(owner) as session, session.begin():
                beds = [
                    HospitalResource(hospital_id=hospital, name="ICU beds", category="beds", total_quantity=total,
                                     available_quantity=free, in_use_quantity=total - free)
                    for hospital, total, free in ((network.hospital_a, 4, 3), (network.hospital_b, 6, 3))
                ]  # fmt: skip
                session.add_all(beds)
                session.flush()
                resource_a, resource_b = beds[0].id, beds[1].id
        finally:
            owner.dispose()
        log = tmp_path_factory.mktemp("pgbouncer") / "pgbouncer.log"
        with pgbouncer(admin_url, solo_database=url.database, log=log) as bouncer:
            yield Pooled(bouncer, url.database, names, network, resource_a, resource_b, direct)
    finally:
        direct.dispose()
        drop_database(admin_url, url.database)
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()


@pytest.fixture
def through_pooler(monkeypatch):
    """The dashboard's setting for a transaction pooler, as a deployment would set it."""
    monkeypatch.setenv(POOLER_VARIABLE, "transaction")


def _backend(session: Session) -> int:
    return session.scalar(text("SELECT pg_backend_pid()"))


def _scoped_beds(session: Session) -> list[str]:
    """Every ICU row the transaction may see: a raw query with no filter, as row-level security leaves it."""
    return sorted(session.scalars(select(HospitalResource.hospital_id)))


# --- the setting ------------------------------------------------------------------------------------


def test_the_pooler_setting_turns_prepared_statements_off_and_refuses_what_it_cannot_read(monkeypatch):
    monkeypatch.delenv(POOLER_VARIABLE, raising=False)
    assert pooler_connect_args() == {}
    monkeypatch.setenv(POOLER_VARIABLE, "session")  # session pooling keeps a client on one server connection
    assert pooler_connect_args() == {}
    monkeypatch.setenv(POOLER_VARIABLE, " Transaction ")
    assert pooler_connect_args() == {"prepare_threshold": None}
    monkeypatch.setenv(POOLER_VARIABLE, "statement")
    with pytest.raises(SettingsError, match="HEALTHDASH_POOLER is 'statement'; set it to 'transaction'"):
        pooler_connect_args()


# --- what transaction pooling shares between clients ------------------------------------------------


def test_prepared_statements_clash_through_pgbouncer_unless_the_setting_turns_them_off(pooled, monkeypatch):
    """Two clients on one server connection: psycopg's default prepares after five runs, under the same name."""
    first, second = (psycopg.connect(pooled.bouncer.dsn(pooled.names.app, SOLO)) for _ in range(2))
    try:
        for _ in range(6):  # the fifth run prepares `_pg3_0` on the server connection
            first.execute("SELECT count(*) FROM hospitals WHERE name <> %s", ("",)).fetchone()
            first.commit()
        with pytest.raises((pg_errors.DuplicatePreparedStatement, pg_errors.InvalidSqlStatementName)):
            for _ in range(6):  # the same name, on the same server connection
                second.execute("SELECT count(*) FROM hospitals WHERE name <> %s", ("",)).fetchone()
                second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()

    monkeypatch.setenv(POOLER_VARIABLE, "transaction")
    engines = [make_engine(pooled.app_url(SOLO)) for _ in range(2)]
    try:
        for _ in range(8):
            for engine in engines:  # alternate: every transaction follows the other client's on the connection
                with engine.connect() as conn:
                    assert conn.connection.dbapi_connection.prepare_threshold is None
                    assert conn.scalar(text("SELECT count(*) FROM hospitals WHERE name <> :n"), {"n": ""}) >= 2
    finally:
        for engine in engines:
            engine.dispose()


def test_a_scope_set_for_one_transaction_is_not_seen_by_the_next_client(pooled, through_pooler):
    """Two clients, one pooled server connection: the scope one set is gone for the other; a session-wide one stays."""
    one, other = make_engine(pooled.app_url(SOLO)), make_engine(pooled.app_url(SOLO))
    a, b = pooled.network.hospital_a, pooled.network.hospital_b
    try:
        with Session(one) as session, session.begin():
            apply_scope(session, a)
            server_connection = _backend(session)
            assert current_scope(session) == a
            assert _scoped_beds(session) == [a]
        with Session(other) as session, session.begin():
            assert _backend(session) == server_connection  # the same server connection...
            assert current_scope(session) is None  # ...without the scope the other client set on it
            assert _scoped_beds(session) == []  # so row-level security shows nothing
            apply_scope(session, b)
            assert _scoped_beds(session) == [b]
        with Session(one) as session, session.begin():
            assert _backend(session) == server_connection
            assert current_scope(session) is None

        # The control: what a session-level setting would do through the pooler. It stays on the server
        # connection and the next client inherits it: why every per-request setting is transaction-local.
        try:
            with one.begin() as conn:
                conn.execute(text("SELECT set_config('healthdash.scope', :a, false)"), {"a": a})
            with Session(other) as session, session.begin():
                assert _backend(session) == server_connection
                assert current_scope(session) == a, "the control failed: the clients do not share a connection"
                assert _scoped_beds(session) == [a]
        finally:
            with other.begin() as conn:
                conn.execute(text("RESET healthdash.scope"))
        with Session(one) as session, session.begin():
            assert current_scope(session) is None
    finally:
        one.dispose()
        other.dispose()


# --- the page services, as the dashboard calls them -------------------------------------------------


def test_page_services_read_and_write_through_pgbouncer_under_row_level_security(pooled, through_pooler, monkeypatch):
    app = make_engine(pooled.app_url())
    monkeypatch.setattr(data, "engine", lambda: app)
    ha_a = pooled.actor("ha_a", UserRole.HOSPITAL_ADMIN)
    admin = pooled.actor("admin", UserRole.ADMIN)
    try:
        with app.connect() as conn:
            assert roles.privilege_warnings(conn) == []  # least privilege: RLS holds this role
        for _ in range(7):  # past psycopg's prepare threshold, had it not been turned off
            beds = {s.category: s for s in data.call(resource_list.category_summary, ha_a)}["beds"]
            assert (beds.total, beds.available) == (4, 3)  # hospital A's only
            network_beds = {s.category: s for s in data.call(resource_list.category_summary, admin)}["beds"]
            assert network_beds.total == 10
        figures = data.call(overview.overview_figures, ha_a)
        assert figures.free_beds.value == 3

        updated = data.write(
            resource_commands.update_quantities, ha_a, pooled.resource_a, total=4, available=1, in_use=3, maintenance=0
        )
        assert updated.available == 1
        called = data.write(
            waitlist_commands.call_next, ha_a, hospital_id=pooled.network.hospital_a, department="Cardiology"
        )
        assert called is not None and called.hospital_id == pooled.network.hospital_a
        with pytest.raises(NotFound):  # another hospital's row: row-level security hides it from A's scope
            data.write(resource_commands.update_quantities, ha_a, pooled.resource_b, total=6, available=0, in_use=6,
                       maintenance=0)  # fmt: skip

        with Session(pooled.direct) as session:  # what reached the server, read past the pooler
            assert session.get(HospitalResource, pooled.resource_a).available_quantity == 1
            assert session.get(HospitalResource, pooled.resource_b).available_quantity == 3
            assert session.get(PatientWaitlist, called.id).status == "called"
            written = session.execute(
                select(AuditLog.action_type, AuditLog.hospital_id).where(AuditLog.user_id == ha_a.user_id)
            ).all()
        assert ("resource_updated", pooled.network.hospital_a) in written
        assert ("waitlist_patient_called", pooled.network.hospital_a) in written
    finally:
        app.dispose()


def test_a_refusal_audited_on_a_second_connection_is_served_from_the_reserve(pooled, through_pooler, monkeypatch):
    """A refusal is audited on a second connection while its transaction holds the first (audit.record_independent).

    Through a pool of one server connection, that second transaction waits until PgBouncer opens the
    reserve (reserve_pool_timeout, 1 s here); without a reserve it would wait for query_wait_timeout and fail.
    """
    app = make_engine(pooled.app_url(RESERVED))
    monkeypatch.setattr(data, "engine", lambda: app)
    executive = pooled.actor("exec_a", UserRole.EXECUTIVE)  # reads resources, may not change them
    try:
        started = time.monotonic()
        with pytest.raises(NotPermitted):
            data.write(resource_commands.update_quantities, executive, pooled.resource_a, total=4, available=0,
                       in_use=4, maintenance=0)  # fmt: skip
        waited = time.monotonic() - started
    finally:
        app.dispose()
    # It did wait for the reserve (its transaction held the pool's only connection), and not for long.
    assert 0.9 <= waited < 10, f"the refusal's audit row waited {waited:.1f} s for a server connection"
    with Session(pooled.direct) as session:
        refusals = session.scalars(
            select(AuditLog.action_type).where(
                AuditLog.user_id == executive.user_id, AuditLog.action_type == "permission_denied"
            )
        ).all()
    assert refusals == ["permission_denied"]


# --- twenty sessions --------------------------------------------------------------------------------


@dataclass
class Load:
    backends: set[int]  # server connections (backend pids) that served the units of work
    seconds: float
    units: int


def _twenty_sessions(make, hospital: str, *, per_process: int = 10, units: int = 5, hold: float = 0.05) -> Load:
    """Two dashboard processes (an engine each), ten browser sessions each, all at once: units of work
    that set a scope, read and hold their transaction `hold` seconds, like a page's slower query."""
    engines = [make(), make()]
    backends: set[int] = set()
    lock = threading.Lock()
    start = threading.Barrier(2 * per_process + 1)
    failures: list[BaseException] = []

    def session_of(engine: Engine) -> None:
        try:
            start.wait()
            for _ in range(units):
                with Session(engine) as session, session.begin():
                    apply_scope(session, hospital)
                    pid = session.scalar(text("SELECT pg_backend_pid() FROM pg_sleep(:s)"), {"s": hold})
                    _scoped_beds(session)
                with lock:
                    backends.add(pid)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            failures.append(exc)

    threads = [threading.Thread(target=session_of, args=(engine,)) for engine in engines for _ in range(per_process)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)
    seconds = time.monotonic() - started
    for engine in engines:
        engine.dispose()
    assert not failures, failures[0]
    return Load(backends, seconds, 2 * per_process * units)


def test_twenty_concurrent_sessions_share_the_pools_few_server_connections(pooled, monkeypatch, capsys):
    """Straight to PostgreSQL each session holds a server connection; through PgBouncer they share POOL_SIZE."""
    monkeypatch.delenv(POOLER_VARIABLE, raising=False)
    straight_url = roles.as_role(pooled.direct.url, pooled.names.app)
    hospital = pooled.network.hospital_a
    direct = _twenty_sessions(lambda: make_engine(straight_url), hospital)
    monkeypatch.setenv(POOLER_VARIABLE, "transaction")
    through = _twenty_sessions(lambda: make_engine(pooled.app_url()), hospital)
    with capsys.disabled():
        print(
            f"\n20 concurrent sessions, {direct.units} units of work of 50 ms each: straight to PostgreSQL "
            f"{len(direct.backends)} server connections in {direct.seconds:.2f} s; through PgBouncer "
            f"(pool {POOL_SIZE}) {len(through.backends)} in {through.seconds:.2f} s"
        )
    assert len(direct.backends) >= 15  # each engine's pool grows to its ten sessions (5 + overflow)
    assert len(through.backends) <= POOL_SIZE + 2  # the pool, and at most its reserve


if __name__ == "__main__":  # pragma: no cover - a developer's tool, see the module docstring
    import signal
    import sys

    from db.scratch import server_admin_url

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop PgBouncer (and an embedded server) on kill too
    with server_admin_url() as (admin, described), pgbouncer(admin) as started:
        print(f"PgBouncer (transaction pooling) in front of the {described} on 127.0.0.1:{started.port}:")
        print(
            f"  DATABASE_URL=postgresql://{admin.username or 'postgres'}@127.0.0.1:{started.port}/postgres "
            f"{POOLER_VARIABLE}=transaction .venv/bin/python -m pytest ..."
        )
        print("Ctrl-C stops it.", flush=True)
        with suppress(KeyboardInterrupt):
            started.process.wait()
