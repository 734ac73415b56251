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


# About how long each file of the split takes in CI (seconds, from its run logs' --durations); a file not
# listed counts 5 s a test. The halves are filled longest first, each file into the lighter half.
SPLIT_SECONDS = {
    "test_page_statements.py": 170,  # builds its own crowded network, then 63 renders and a doubling
    "test_browser_floor.py": 80,
    "test_browser.py": 60,
    "test_trust_browser.py": 60,
    "test_browser_governance.py": 50,
    "test_bench_browser.py": 45,
    "test_bench_load.py": 45,
    "test_browser_emergencies.py": 45,
    "test_browser_appointments.py": 40,
    "test_browser_licences.py": 40,  # one server, one sign-in, a renewal
    "test_browser_checklists.py": 45,  # one server, one sign-in, an item answered and a file attached
    "test_browser_states.py": 70,  # one server, one sign-in, the map drawn offline, a state clicked, an LGA saved
    "test_browser_digests.py": 40,  # one server, one sign-in, a subscription and its cancellation
    "test_browser_budgets.py": 35,  # one server, one sign-in, a wrong workbook refused and a good one imported
    "test_browser_bed_board.py": 30,  # one server, one sign-in, a bed cleaned and a patient discharged
    "test_browser_ward_screen.py": 45,  # one server, a pairing, three pages read, a disconnect seen on refresh
    "test_browser_patient_search.py": 35,  # one server, one sign-in, the admit and booking pickers searched four ways
    "test_browser_peers.py": 35,  # one server, one sign-in, the gaps table and the dot plot read
    "test_figure_catalogue.py": 30,
    "test_browser_financials.py": 30,
    "test_browser_claims.py": 45,  # one server, one sign-in, the 90+ bar clicked and a payment confirmed
    "test_reverse_proxy.py": 30,
    "test_bench_pages.py": 25,
    "test_trust_text_browser.py": 25,
    "test_prisma_node.py": 25,
    # Server-independent files marked `once` (AppTest pages, source checks, their own servers): quiet-machine estimates
    "test_app_pages.py": 60,
    "test_app_login.py": 25,
    "test_governance_pages.py": 22,
    "test_floor_pages.py": 18,
    "test_run_command.py": 19,
    "test_money_pages.py": 11,
    "test_emergencies_page.py": 10,
    "test_layers.py": 9,
    "test_compression.py": 7,
    "test_text_is_shown_as_text.py": 6,
    "test_appointments_page.py": 5,
    "test_analytics_page.py": 4,
    "test_states_pages.py": 13,
    "test_faults.py": 12,
    "test_embedded.py": 10,
}


def pytest_collection_modifyitems(config, items):
    """Split the browser tests, and the `once` ones, in two halves by file for CI's two concurrent runs
    (`-m "not (browser or once) or browser_a"` on one server, `browser_b` on the other): each still runs
    once, and the two runs end at about the same time."""
    split = [item for item in items if item.get_closest_marker("browser") or item.get_closest_marker("once")]
    tests_in: dict = {}
    for item in split:
        tests_in[item.path] = tests_in.get(item.path, 0) + 1
    seconds = {path: SPLIT_SECONDS.get(path.name, 5 * n) for path, n in tests_in.items()}
    load = {"browser_a": 0, "browser_b": 0}
    half = {}
    for path in sorted(seconds, key=lambda p: (-seconds[p], str(p))):
        lighter = min(load, key=lambda h: (load[h], h))
        half[path] = getattr(pytest.mark, lighter)
        load[lighter] += seconds[path]
    for item in split:
        item.add_marker(half[item.path])
