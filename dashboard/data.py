"""The Streamlit-side door to the database: one engine per process, one unit of work per call, and
one cached read facade.

`cached(service, actor, **filters)` keys a result by the service, the actor's scope and role, and
the filters, with a ttl and max_entries; the role check runs on every call, hit or not; a write
through `write(...)` makes the affected scope's entries (and the network's) stale at once. Never
ORM objects or sessions in the cache: services return plain dataclasses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine

from dashboard.services import hospitals
from dashboard.services.actors import Actor
from db import migrate, roles
from db.engine import check_connection, get_engine, unit_of_work
from db.row_scope import apply_scope

__all__ = ["SchemaOutdated", "cached", "call", "clear_cache", "engine", "hospital_choices", "unit_of_work", "write"]

T = TypeVar("T")
_log = logging.getLogger("dashboard.data")
CACHE_TTL_SECONDS = 60
CACHE_MAX_ENTRIES = 2_000
NETWORK = "network"


class SchemaOutdated(RuntimeError):
    pass


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
    return eng


def call(service: Callable[..., T], *args, **kwargs) -> T:
    """Run one service function in its own unit of work: it commits once, or rolls back on error.

    A service called for an actor runs under that actor's scope in the database too (row-level
    security, db/row_scope.py): set first in the transaction, gone with it.
    """
    with unit_of_work(engine()) as db:
        if args and isinstance(args[0], Actor):
            apply_scope(db, args[0].hospital_id)
        return service(db, *args, **kwargs)


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


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _cached_result(
    service_name: str, scope_key: str, role: str, filters: str, generation: tuple[int, int], _service, _actor, _kwargs
):
    # Only the named arguments make the key; the leading-underscore ones are what the call needs.
    return call(_service, _actor, **_kwargs)


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
    result = call(service, actor, *args, **kwargs)
    hospital = affects or actor.hospital_id
    if hospital is None:
        _generations().bump("*")
    else:
        _generations().bump(hospital, NETWORK)
    return result


def clear_cache() -> None:
    """Forget every cached result (rows changed behind the dashboard's back: a demo rebuild, a test)."""
    _cached_result.clear()


def hospital_choices(actor: Actor) -> list[tuple[str, str]]:
    return cached(hospitals.hospital_choices, actor)

