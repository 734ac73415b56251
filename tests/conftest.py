"""Shared fixtures: one throwaway database per test run, migrated to head.

`db_session` runs each test inside a transaction that is rolled back, so tests see a clean
migrated schema (plus whatever session-scoped fixtures committed) and leave nothing behind.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db import migrate
from db.engine import make_engine
from tests.fixtures.throwaway import create_database, drop_database, server_admin_url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so a fixture's teardown can tell that its test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def admin_url():
    with server_admin_url() as (url, _description):
        yield url


@pytest.fixture(scope="session")
def database_url(admin_url):
    """URL (postgresql+psycopg) of a throwaway database at the head revision."""
    url = create_database(admin_url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    drop_database(admin_url, url.database)


@pytest.fixture(scope="session")
def engine(database_url) -> Engine:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db_session(engine):
    """A Session whose commits become savepoints of an outer transaction rolled back at the end."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def fresh_database(admin_url):
    """A new, empty (unmigrated) database for tests of migrations themselves."""
    url = create_database(admin_url, prefix="healthdash_fresh")
    yield url
    drop_database(admin_url, url.database)


def pytest_collection_modifyitems(config, items):
    """Split the browser tests in two halves, by file, for CI's two concurrent runs (`-m "not browser or
    browser_a"` on one server, `browser_b` on the other): each browser test still runs once, and neither
    run waits on all of Chromium's work. A file's half alternates in the order of its path."""
    files = sorted({item.path for item in items if item.get_closest_marker("browser")})
    half = {path: pytest.mark.browser_a if i % 2 == 0 else pytest.mark.browser_b for i, path in enumerate(files)}
    for item in items:
        if item.path in half:
            item.add_marker(half[item.path])
