"""Where a read goes when a streaming replica is configured (DATABASE_READ_URL).

PostgreSQL's own streaming replication does the copying; this module only decides, per read:

- Only reads declared `@permissions.reads(..., replica=True)` go to the replica: the heavy, cached
  figures of the Overview, Analytics, Financials, wallets and Compliance. Everything else, every
  write, every read that writes an audit row (exports, the board PDF), sign-in and session checks,
  stays on the primary.
- Read your own writes: for WRITER_SECONDS after a user's write, that user's reads go to the primary,
  so the page after a form shows what was just saved even if the replica is a moment behind.
- A replica that does not answer is left alone for DOWN_SECONDS; one that is behind by more than
  the `replica_max_lag_seconds` setting is not used until it catches up. In both cases reads go to
  the primary and `notice()` gives the sentence the page shows. Its state is checked at most every
  CHECK_SECONDS, with one short query.
- A replica read that fails for any database reason (the replica went away mid-read, a query
  cancelled by a recovery conflict, a refusal that wanted to write its audit row on a read-only
  server) is run again on the primary: a read is never lost to the replica.

State is per process (each dashboard process judges the replica for itself).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text

from dashboard.platform.actors import Actor
from db import settings
from db.engine import get_read_engine

_log = logging.getLogger("dashboard.platform.replica")

WRITER_SECONDS = 30.0
DOWN_SECONDS = 30.0
CHECK_SECONDS = 5.0

# Lag in seconds: nothing received and not yet replayed is no lag, however old the last transaction.
LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


@dataclass(frozen=True)
class Status:
    usable: bool
    notice: str | None = None


class _Replica:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status = Status(True)
        self._checked = float("-inf")
        self._down_until = float("-inf")
        self._writers: dict[str, float] = {}

    def status(self, engine: Engine) -> Status:
        now = time.monotonic()
        with self._lock:
            if now < self._down_until or now - self._checked < CHECK_SECONDS:
                return self._status
            self._checked = now
        try:
            with engine.connect() as conn:
                lag = float(conn.execute(LAG_SQL).scalar_one())
        except Exception as exc:  # unreachable, refused, timed out: the primary serves until it is back
            self.mark_down(exc)
            return self._status
        bound = settings.current().replica_max_lag_seconds
        status = (
            Status(True)
            if lag <= bound
            else Status(
                False,
                f"Figures are read from the main database for now: the read replica is {lag:,.0f} seconds behind.",
            )
        )
        with self._lock:
            self._status = status
        return status

    def mark_down(self, exc: BaseException) -> None:
        _log.warning("read replica unavailable, reading from the primary for %.0f s: %s", DOWN_SECONDS, exc)
        with self._lock:
            self._down_until = time.monotonic() + DOWN_SECONDS
            self._checked = float("-inf")
            self._status = Status(
                False, "Figures are read from the main database for now: the read replica is not answering."
            )

    def note_write(self, actor: Actor) -> None:
        with self._lock:
            self._writers[actor.user_id] = time.monotonic()
            if len(self._writers) > 10_000:  # forget the oldest writers; they are long past the window
                cutoff = time.monotonic() - WRITER_SECONDS
                self._writers = {k: v for k, v in self._writers.items() if v > cutoff}

    def wrote_recently(self, actor: Actor) -> bool:
        with self._lock:
            at = self._writers.get(actor.user_id)
        return at is not None and time.monotonic() - at < WRITER_SECONDS

    def forget(self) -> None:
        with self._lock:
            self.__init__()


_state = _Replica()


def engine_for(service: Callable, actor: Actor) -> Engine | None:
    """The replica's engine if this read may go there now, else None (read from the primary)."""
    engine = get_read_engine()
    if engine is None or not getattr(service, "replica", False):
        return None
    if _state.wrote_recently(actor):
        return None
    return engine if _state.status(engine).usable else None


def read_failed(exc: BaseException) -> None:
    """A replica read failed: a lost replica is left alone for a while; the caller reads from the primary."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or getattr(exc.orig, "sqlstate", None) is None):
        _state.mark_down(exc)
    else:
        _log.info("replica read failed, reading from the primary: %s", exc)


def note_write(actor: Actor) -> None:
    _state.note_write(actor)


def notice() -> str | None:
    """The sentence to show while a configured replica is not being used, else None."""
    engine = get_read_engine()
    return None if engine is None else _state.status(engine).notice


def forget() -> None:
    """Start afresh (tests; a process that was told the replica is back)."""
    _state.forget()
