"""The Streamlit-side door to the database: one engine per process, one unit of work per call,
and the few cached read facades (keyed by scope, with ttl and max_entries; never ORM objects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine

from dashboard.services import hospitals, overview
from dashboard.services.actors import Actor
from db import migrate
from db.engine import check_connection, get_engine, unit_of_work

T = TypeVar("T")


class SchemaOutdated(RuntimeError):
    pass


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    eng = get_engine()
    check_connection(eng)
    if not migrate.is_up_to_date(eng):
        raise SchemaOutdated(
            "The database is not at the current version. Run `healthdash db upgrade` (or `healthdash run "
            "--migrate`) and reload this page."
        )
    return eng


def call(service: Callable[..., T], *args, **kwargs) -> T:
    """Run one service function in its own unit of work: it commits once, or rolls back on error."""
    with unit_of_work(engine()) as db:
        return service(db, *args, **kwargs)


@st.cache_data(ttl=60, max_entries=500, show_spinner=False)
def overview_counts(scope_key: str, _actor: Actor) -> overview.OverviewCounts:
    # Keyed by scope only: the counts are the same for everyone who sees that scope, and the page has
    # already checked the role. `_actor` is not part of the key (leading underscore).
    return call(overview.overview_counts, _actor)


@st.cache_data(ttl=300, max_entries=50, show_spinner=False)
def hospital_choices(scope_key: str, role: str, _actor: Actor) -> list[tuple[str, str]]:
    return call(hospitals.hospital_choices, _actor)
