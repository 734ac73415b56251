"""The embedded default: starts in its data folder, is reused, and stops on exit, SIGINT and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from tests.fixtures.servers import postmaster_pid

# It starts embedded servers of its own whatever DATABASE_URL says: CI runs it on one of its two runs (marker
# `once`, tests/conftest.py), not twice.
pytestmark = pytest.mark.once

# A process started in the background by a shell script (CI runs its two test runs that way) inherits
# SIGINT ignored, and Python then never turns it into KeyboardInterrupt; the holder stands for a
# process at a terminal, whose Ctrl-C does, so it puts the default back.
HOLD_SERVER = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
from db import embedded
url = embedded.ensure_running()
print(url, flush=True)
if sys.argv[1] == "wait":
    time.sleep(120)
"""


def _start(data_dir: Path, mode: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["HEALTHDASH_DATA_DIR"] = str(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_SERVER, mode], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = proc.stdout.readline().strip()
    assert url.startswith("postgresql://"), proc.stderr.read()
    return proc, url


def _wait_stopped(data_dir: Path, pid: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) and postmaster_pid(data_dir) is None:
            return
        time.sleep(0.2)
    raise AssertionError(f"embedded server {pid} still running after {seconds}s")


@pytest.mark.parametrize("how", ["exit", "SIGTERM", "SIGINT"])
def test_server_is_reused_and_stops_cleanly(tmp_path, how):
    data_dir = tmp_path / "healthdash"
    proc, url = _start(data_dir, "wait")
    pid = postmaster_pid(data_dir)
    assert pid and psutil.pid_exists(pid)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table kept (note text)")
        conn.execute("insert into kept values ('still here')")

    if how == "exit":
        proc.kill()  # the holder dies; a second, normal process reuses the server and stops it at exit
        proc.wait(10)
        second, url2 = _start(data_dir, "exit")
        assert second.wait(60) == 0
        assert url2 == url
    else:
        proc.send_signal(getattr(signal, how))
        proc.wait(30)
    _wait_stopped(data_dir, pid)

    third, url3 = _start(data_dir, "wait")  # the same data folder, so the same data
    try:
        with psycopg.connect(url3) as conn:
            assert conn.execute("select note from kept").fetchone() == ("still here",)
    finally:
        third.send_signal(signal.SIGTERM)
        third.wait(30)
    _wait_stopped(data_dir, postmaster_pid(data_dir) or pid)


def test_default_data_dir_is_outside_the_repo_and_overridable(monkeypatch, tmp_path):
    from db.settings import default_data_dir

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.delenv("HEALTHDASH_DATA_DIR", raising=False)
    assert repo not in default_data_dir().parents
    monkeypatch.setenv("HEALTHDASH_DATA_DIR", str(tmp_path / "x"))
    assert default_data_dir() == (tmp_path / "x").resolve()
