"""Throwaway PostgreSQL databases, for the tests and the benchmark: never the user's data.

With DATABASE_URL set, a fresh database is created on that server and dropped afterwards. Without
it, a private embedded server is started in a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from db.engine import normalise_url
from db.settings import environment


@contextmanager
def server_admin_url():
    """Yields (psycopg URL of an admin database on the server, description)."""
    raw = environment().database_url or ""
    if raw:
        url = normalise_url(raw)
        yield url.set(drivername="postgresql", database="postgres"), "DATABASE_URL server"
        return
    from db.embedded import start_server

    folder = Path(tempfile.mkdtemp(prefix="healthdash-test-"))
    server = start_server(folder / "pgdata", cleanup_mode="delete")
    try:
        yield normalise_url(server.get_uri("postgres")).set(drivername="postgresql"), "embedded server"
    finally:
        server.cleanup()


def _dsn(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def create_database(admin: URL, prefix: str = "healthdash_test") -> URL:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(_dsn(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return admin.set(drivername="postgresql+psycopg", database=name)


def drop_database(admin: URL, name: str) -> None:
    with psycopg.connect(_dsn(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
