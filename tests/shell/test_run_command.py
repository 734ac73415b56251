"""`healthdash run` with no DATABASE_URL: embedded server, migrations, seed and demo, then a clean stop.

Ctrl-C is simulated as a terminal would send it, to the whole process group; SIGTERM only to the
command, as a service manager would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
from sqlalchemy import func, select, text

from db import roles
from db.engine import make_engine
from db.models import Hospital, User
from tests.fixtures.servers import free_port, postmaster_pid, wait_for_health

# It starts its own embedded server whatever DATABASE_URL says: CI runs it on one of its two runs (marker
# `once`, tests/conftest.py), not twice.
pytestmark = pytest.mark.once


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_run_on_the_embedded_database_and_stop_cleanly(tmp_path, how):
    data_dir = tmp_path / "healthdash"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["HEALTHDASH_DATA_DIR"] = str(data_dir)
    log = tmp_path / "healthdash-run.log"
    with log.open("w") as out:  # a file, not a pipe: reading it never blocks on a live server
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "run", "--headless", "--port", str(port), "--demo-scale", "0.05"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process, log.read_text, seconds=120)
        server_pid = postmaster_pid(data_dir)
        assert server_pid and psutil.pid_exists(server_pid)

        engine = make_engine(f"postgresql://postgres@/healthdash?host={data_dir / 'pgdata'}")
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Hospital)) >= 3  # seed + demo hospitals
            assert conn.scalar(select(func.count()).where(User.email == "admin@healthcare.com")) == 1
            assert conn.scalar(select(func.count()).where(User.email == "admin@demo.healthdash.ng")) == 1
            # Least privilege: the owner role migrated and owns the tables; the app role owns nothing.
            owner = conn.scalar(text("SELECT tableowner FROM pg_tables WHERE tablename = 'hospitals'"))
            assert owner == roles.OWNER_ROLE
            app = conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :name"), {"name": roles.APP_ROLE}
            ).one()
            assert tuple(app) == (False, False)
        engine.dispose()

        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = log.read_text()
    assert "http://localhost:" in output and "Demo logins" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "WARNING" not in output, output[-3000:]  # the dashboard did not connect as a superuser or owner

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (psutil.pid_exists(server_pid) or postmaster_pid(data_dir)):
        time.sleep(0.2)
    assert not psutil.pid_exists(server_pid), "the embedded server was left running"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "streamlit is still serving"
