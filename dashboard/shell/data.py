"""The Streamlit-side door to the database: one engine per process, one unit of work per call, and
one cached read facade.

`cached(service, actor, **filters)` keys a result by the service, the actor's scope and role, and
the filters, with a ttl and max_entries; the role check runs on every call, hit or not; a write
through `write(...)` makes the affected scope's entries (and the network's) stale at once. Never
ORM objects or sessions in the cache: services return plain dataclasses.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dashboard.domains.governance import hospitals
from dashboard.platform import replica
from dashboard.platform.actors import Actor
from dashboard.platform.errors import ServiceError
from db import migrate, roles
from db.engine import check_connection, get_engine, session_factory, unit_of_work
from db.row_scope import apply_scope

__all__ = [
    "DatabaseTrouble",
    "POOL_BUSY",
    "database_trouble",
    "SchemaOutdated",
    "cached",
    "call",
    "clear_cache",
    "engine",
    "hospital_choices",
    "replica_notice",
    "unit_of_work",
    "write",
]

T = TypeVar("T")
_log = logging.getLogger("dashboard.shell.data")
CACHE_TTL_SECONDS = 60
CACHE_MAX_ENTRIES = 2_000
NETWORK = "network"


class SchemaOutdated(RuntimeError):
    pass


class DatabaseTrouble(ServiceError):
    """The database failed under a unit of work (connection lost, too slow, a lock held elsewhere).

    A ServiceError, so every page shows it as the sentence it is; what went wrong, with the host and
    database, goes to the server log only.
    """


LOST = "The connection to the database was lost, so nothing was changed. Try again."
LOST_AT_COMMIT = (
    "The connection to the database was lost while saving, so it is not certain that the change was "
    "saved. Reload the page and check before trying again."
)
TOO_SLOW = (
    "The database took too long to answer, so the request was stopped and nothing was changed. Try "
    "again in a moment, or narrow the dates or search."
)
BUSY = "Someone else is changing the same records right now, so nothing was changed. Try again in a moment."
INVALID_VALUE = (
    "A value given cannot be stored as it is (too long, out of range, or with a character the database "
    "refuses), so nothing was changed. Check what was typed and try again."
)
UNREACHABLE = (
    "The database cannot be reached right now, so nothing was changed. Try again in a minute; if it "
    "persists, tell your system administrator."
)
POOL_BUSY = (
    "The dashboard is busy with other requests right now, so nothing was read or changed. Try again in a "
    "moment; if it keeps happening, tell your system administrator."
)
# SQLSTATEs: query_canceled (statement_timeout), lock_not_available (lock_timeout), deadlock, serialization.
OperationalErrors = (OperationalError, InterfaceError)
_TOO_SLOW_STATES = {"57014"}
_BUSY_STATES = {"55P03", "40P01", "40001"}
# What a read sends; anything else (INSERT, UPDATE, a data-changing WITH …) makes a unit of work a write.
_READING_WORDS = {"SELECT", "SHOW", "SET", "RESET", "VALUES", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"}


class _Attempt:
    """What one unit of work sent: whether any statement could change data, and whether it was committing."""

    def __init__(self) -> None:
        self.changed = False
        self.committing = False


_attempt: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar("healthdash_attempt", default=None)


def _note_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    attempt = _attempt.get()
    if attempt is not None and not attempt.changed:
        words = statement.lstrip().split(None, 1)
        attempt.changed = not words or words[0].upper() not in _READING_WORDS


def database_trouble(exc: DBAPIError, attempt: _Attempt | None = None) -> DatabaseTrouble | None:
    """The sentence for a database failure, or None when it is not one of ours to explain.

    A value the database refuses (NUL in text, a number out of range) is a service's to refuse
    first; this is the net under it, so the user still reads a sentence.
    """
    attempt = attempt or _Attempt()
    state = getattr(exc.orig, "sqlstate", None)
    if state in _TOO_SLOW_STATES:
        return DatabaseTrouble(TOO_SLOW)
    if state in _BUSY_STATES:
        return DatabaseTrouble(BUSY)
    if exc.connection_invalidated:
        return DatabaseTrouble(LOST_AT_COMMIT if attempt.committing else LOST)
    if isinstance(exc, OperationalErrors):
        return DatabaseTrouble(UNREACHABLE)
    if isinstance(exc, DataError):
        return DatabaseTrouble(INVALID_VALUE)
    return None


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    eng = get_engine()
    check_connection(eng)
    with eng.connect() as conn:
        for warning in roles.privilege_warnings(conn):  # loud, in the server log, once per process
            _log.warning("%s: row-level security and the append-only audit trail are not enforced on it", warning)
    if not migrate.is_up_to_date(eng):
        raise SchemaOutdated(
            "The database is not at the current version. Run `healthdash db upgrade` (or `healthdash run "
            "--migrate`) and reload this page."
        )
    if not event.contains(eng, "before_cursor_execute", _note_statement):
        event.listen(eng, "before_cursor_execute", _note_statement)
    return eng


class _PoolAlarm:
    """Every connection in use: one log line a minute at most, with the pool's numbers.

    Exhaustion comes in bursts (each waiting request gives up at the same moment), so the line says how
    many requests were turned away since the last one rather than repeating itself per request.
    """

    QUIET_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: float | None = None
        self._turned_away = 0

    def note(self, eng: Engine, name: str) -> None:
        with self._lock:
            self._turned_away += 1
            now = time.monotonic()
            if self._last is not None and now - self._last < self.QUIET_SECONDS:
                return
            turned_away, self._turned_away, self._last = self._turned_away, 0, now
        _log.error(
            "connection pool exhausted during %s: %d request(s) turned away since the last report; %s; waited "
            "%ss for a connection (raise HEALTHDASH_POOL_SIZE / HEALTHDASH_POOL_OVERFLOW within the server's "
            "max_connections, or find what holds connections)",
            name, turned_away, eng.pool.status(), getattr(eng.pool, "_timeout", "?"),
        )  # fmt: skip


_pool_alarm = _PoolAlarm()


def _unit(service: Callable[..., T], args: tuple, kwargs: dict, attempt: _Attempt, on: Engine | None = None) -> T:
    """One unit of work (on the primary unless `on` names the replica): scope, service, flush, then commit."""
    token = _attempt.set(attempt)
    try:
        with session_factory(on or engine())() as db:
            with db.begin():
                if args and isinstance(args[0], Actor):
                    apply_scope(db, args[0].hospital_id, args[0].user_id)
                result = service(db, *args, **kwargs)
                db.flush()  # a failure here is still before the commit: nothing was saved
                attempt.committing = True
            return result
    finally:
        _attempt.reset(token)


def _run(service: Callable[..., T], args: tuple, kwargs: dict, *, may_retry: bool) -> T:
    """Run a unit of work; turn a database failure into a sentence (DatabaseTrouble).

    A unit of work whose connection was lost before its commit, and which had sent nothing that
    could change data, is tried once more: the server rolled the lost transaction back, so nothing
    is done twice. A write is never tried again: the user is told, and decides.
    """
    name = getattr(service, "__qualname__", repr(service))
    for round_ in (1, 2):
        attempt = _Attempt()
        try:
            return _unit(service, args, kwargs, attempt)
        except PoolTimeout as exc:
            # Not tried again: the request already waited the pool's timeout for a connection, and asking
            # again would keep the reader waiting as long once more while adding to the crowd. Nothing was
            # sent, so a write is certainly not done.
            _pool_alarm.note(engine(), name)
            raise DatabaseTrouble(POOL_BUSY) from exc
        except DBAPIError as exc:
            trouble = database_trouble(exc, attempt)
            if trouble is None:
                raise
            if (
                may_retry
                and round_ == 1
                and exc.connection_invalidated
                and not attempt.changed
                and not attempt.committing
            ):
                _log.warning("database connection lost during %s; reading again once: %s", name, exc.orig)
                continue
            # Host, database and the server's words belong in the log, never on the page.
            _log.error("database failure during %s: %s", name, exc.orig)
            raise trouble from exc
    raise AssertionError("unreachable")  # pragma: no cover


def call(service: Callable[..., T], *args, **kwargs) -> T:
    """Run one service function in its own unit of work: it commits once, or rolls back on error.

    A service called for an actor runs under that actor's scope in the database too (row-level
    security, db/row_scope.py): set first in the transaction, gone with it. A database failure
    becomes a DatabaseTrouble sentence; a read cut off by a lost connection is read again once.
    """
    return _run(service, args, kwargs, may_retry=True)


class _Generations:
    """A counter per scope, part of every cache key: bumping it makes that scope's entries unreachable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def of(self, scope_key: str) -> tuple[int, int]:
        # A hospital's figures go stale with a write to it or a network-wide one (the "*" counter).
        with self._lock:
            return self._counts.get(scope_key, 0), self._counts.get("*", 0)

    def bump(self, *scope_keys: str) -> None:
        with self._lock:
            for key in scope_keys:
                self._counts[key] = self._counts.get(key, 0) + 1


@st.cache_resource(show_spinner=False)
def _generations() -> _Generations:
    return _Generations()


def _read(service: Callable[..., T], actor: Actor, kwargs: dict) -> T:
    """A cached read: from the replica when platform/replica.py says it may, else (or if that fails) the primary."""
    target = replica.engine_for(service, actor)
    if target is not None:
        try:
            return _unit(service, (actor,), kwargs, _Attempt(), target)
        except (DBAPIError, PoolTimeout) as exc:  # never lose a read to the replica: the primary answers it
            replica.read_failed(exc)
    return call(service, actor, **kwargs)


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _cached_result(
    service_name: str, scope_key: str, role: str, filters: str, generation: tuple[int, int], _service, _actor, _kwargs
):
    # Only the named arguments make the key; the leading-underscore ones are what the call needs.
    return _read(_service, _actor, _kwargs)


def cached(service: Callable[..., T], actor: Actor, **filters: Any) -> T:
    """`service(db, actor, **filters)` through the shared cache, keyed by scope, role and filters.

    The service must carry `permissions.reads(...)`: its roles are checked here on every call, so a
    role that may not read it never gets an answer from the cache; such a call runs the service
    itself, which refuses and audits.
    """
    roles = getattr(service, "required_roles", None)
    if roles is None:
        raise TypeError(f"{service.__qualname__} has no permissions.reads mark; it cannot be cached.")
    if actor.role not in roles:
        return call(service, actor, **filters)
    name = f"{service.__module__}.{service.__qualname__}"
    key = repr(sorted(filters.items()))
    generation = _generations().of(actor.scope_key)
    return _cached_result(name, actor.scope_key, actor.role.value, key, generation, service, actor, filters)


def write(service: Callable[..., T], actor: Actor, *args, affects: str | None = None, **kwargs) -> T:
    """Run a command, then make the cached figures of the scope it changed stale.

    `affects` is the hospital the command changed; a hospital-scoped actor's own hospital by default.
    Without one (a network-wide actor's change), every scope's entries go stale.
    """
    result = _run(service, (actor, *args), kwargs, may_retry=False)
    replica.note_write(actor)  # this user's next reads come from the primary, which has the write
    hospital = affects or actor.hospital_id
    if hospital is None:
        _generations().bump("*")
    else:
        _generations().bump(hospital, NETWORK)
    return result


def replica_notice() -> str | None:
    """The sentence a page shows while a configured read replica is down or behind (else None)."""
    return replica.notice()


def clear_cache() -> None:
    """Forget every cached result (rows changed behind the dashboard's back: a demo rebuild, a test)."""
    _cached_result.clear()


def hospital_choices(actor: Actor) -> list[tuple[str, str]]:
    return cached(hospitals.hospital_choices, actor)
