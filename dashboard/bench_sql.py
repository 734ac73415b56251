"""SQL time and statements of one page open, for the app role on the bench database (`healthdash bench browser`).

From pg_stat_statements when the server preloads it; else from the server's own log, with
`log_min_duration_statement = 0` set for the app role in the bench database only (the log file found
through the server's stderr, so the server must run on this machine; the setting is reset at the end);
else unavailable, and the output says so. Transaction control (BEGIN, COMMIT...) and the pool's liveness ping
(";") are not counted as statements; with the log, the time is every parse, bind and execute of the app role's
connections.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import psycopg
from psycopg import sql

# Not counted as statements: transaction control, and the pool's liveness ping (an empty ";" before each checkout,
# SQLAlchemy's pool_pre_ping), which reads nothing; their time is still counted.
_CONTROL = re.compile(r"^\s*((BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|START TRANSACTION)\b|;\s*$)", re.IGNORECASE)
_LOGGED = re.compile(r"\[(\d+)\].*?duration: ([\d.]+) ms  (statement|execute|parse|bind)[^:]*: ?(.*)")


class SqlMeter:
    """Statements and SQL seconds of the app role on the bench database between `mark()` and `taken()`."""

    source = "unavailable"

    def __init__(self, superuser_dsn: str, app_role: str) -> None:
        self.conn = psycopg.connect(superuser_dsn, autocommit=True)
        self.app_role = app_role

    def mark(self) -> None:
        pass

    def taken(self) -> tuple[int | None, float | None]:
        return None, None

    def close(self) -> None:
        self.conn.close()


class StatStatements(SqlMeter):
    source = "pg_stat_statements"

    def __init__(self, superuser_dsn: str, app_role: str) -> None:
        super().__init__(superuser_dsn, app_role)
        self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.before = (0, 0.0)

    def _totals(self) -> tuple[int, float]:
        calls, ms_ = self.conn.execute(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0) FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND userid = (SELECT oid FROM pg_roles WHERE rolname = %s) "
            r"AND query !~* '^\s*((begin|commit|rollback|savepoint|release|start transaction)\M|;?\s*$)'",
            (self.app_role,),
        ).fetchone()
        return int(calls), float(ms_) / 1000

    def mark(self) -> None:
        self.before = self._totals()

    def taken(self) -> tuple[int | None, float | None]:
        calls, seconds = self._totals()
        return calls - self.before[0], seconds - self.before[1]


class ServerLog(SqlMeter):
    """Reads the server's own log, which `log_min_duration_statement = 0` fills for the app role here only."""

    source = "server log (log_min_duration_statement = 0)"

    def __init__(self, superuser_dsn: str, app_role: str, log: Path) -> None:
        super().__init__(superuser_dsn, app_role)
        self.log, self.offset, self.pids = log, 0, set()
        self.database = self.conn.execute("SELECT current_database()").fetchone()[0]
        self._setting("SET log_min_duration_statement = 0")

    def _setting(self, what: str) -> None:
        self.conn.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} " + what).format(
                sql.Identifier(self.app_role), sql.Identifier(self.database)
            )
        )

    def mark(self) -> None:
        self.offset = self.log.stat().st_size

    def taken(self) -> tuple[int | None, float | None]:
        self.pids |= {
            str(pid)
            for (pid,) in self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = %s",
                (self.app_role,),
            )
        }
        with self.log.open("rb") as f:
            f.seek(self.offset)
            lines = f.read().decode("utf-8", "replace").splitlines()
        statements, ms_ = 0, 0.0
        for line in lines:
            found = _LOGGED.search(line)
            if not found or found[1] not in self.pids:
                continue
            ms_ += float(found[2])
            if found[3] in ("statement", "execute") and not _CONTROL.match(found[4]):
                statements += 1
        return statements, ms_ / 1000

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._setting("RESET log_min_duration_statement")
        super().close()


def _server_log(conn: psycopg.Connection) -> Path | None:
    """The file the server writes its log to, when it runs on this machine and we may read it: its stderr."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        if not Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
            return None
        target = Path(os.readlink(f"/proc/{pid}/fd/2"))
    except OSError:
        return None
    return target if target.is_file() and os.access(target, os.R_OK) else None


def sql_meter(superuser_dsn: str, app_role: str) -> SqlMeter:
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        preloaded = "pg_stat_statements" in conn.execute("SHOW shared_preload_libraries").fetchone()[0]
        log = None if preloaded else _server_log(conn)
    if preloaded:
        return StatStatements(superuser_dsn, app_role)
    if log is not None:
        return ServerLog(superuser_dsn, app_role, log)
    return SqlMeter(superuser_dsn, app_role)
