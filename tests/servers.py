"""Helpers for tests that start real servers: a free port, waiting for health, the embedded pid."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base: str, process: subprocess.Popen, output: Callable[[], str], seconds: float = 90) -> None:
    """Wait until Streamlit's health endpoint answers; fail with the server's output if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"healthdash run exited with {process.returncode}:\n{output()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the dashboard did not become healthy in {seconds} s:\n{output()[-3000:]}")


def postmaster_pid(data_dir: Path) -> int | None:
    """The pid of the embedded server whose data folder is data_dir/pgdata, or None when it is stopped."""
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None
