"""Every pooled connection in use: each request waiting for one ends in a sentence, logged once.

The app is pointed at the suite's database with a pool of one connection, no overflow and a one-second
wait (HEALTHDASH_POOL_*, as an operator would set them). A connection checked out and held by the
test exhausts it, as twenty busy sessions exhausted the default pool; the next requests give up after
the wait. SQLAlchemy's own TimeoutError ("QueuePool limit of size 1 overflow 0 reached...") must not
reach the reader: they read data.POOL_BUSY, and the server log gets one line with the pool's numbers
however many requests were turned away in the burst.
"""

from __future__ import annotations

import logging
import os
import threading

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.domains.governance import hospitals
from dashboard.platform.actors import Actor
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.engine import get_engine, pool_settings
from db.settings import SettingsError
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import APP_FILE, shown, sign_in

network = two_hospitals.network
SMALL_POOL = {"HEALTHDASH_POOL_SIZE": "1", "HEALTHDASH_POOL_OVERFLOW": "0", "HEALTHDASH_POOL_TIMEOUT": "1"}


@pytest.fixture
def small_pool(database_url, network, monkeypatch):
    """The app's engine made with a one-connection pool (the variables are read once, as at start)."""
    with monkeypatch.context() as env:
        env.setenv("DATABASE_URL", database_url.render_as_string(hide_password=False))
        for name, value in SMALL_POOL.items():
            env.setenv(name, value)
        get_engine.cache_clear()
        data.engine.clear()
        data.engine()
    monkeypatch.setattr(data, "_pool_alarm", data._PoolAlarm())  # a burst of this test's own
    data.clear_cache()
    yield network
    get_engine().dispose()
    get_engine.cache_clear()
    data.engine.clear()


def _admin(net) -> Actor:
    return Actor(user_id=net.users["admin"], role=UserRole.ADMIN, hospital_id=None)


LOGGER = "dashboard.shell.data"


def _pool_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and "pool exhausted" in r.getMessage()]


def test_twenty_requests_on_an_exhausted_pool_each_get_the_sentence_and_the_log_one_line(small_pool, caplog):
    actor = _admin(small_pool)
    assert data.engine().pool.size() == 1
    caplog.set_level(logging.WARNING, logger="dashboard.shell.data")
    outcomes: list[object] = []
    lock = threading.Lock()

    def request() -> None:
        try:
            result: object = data.call(hospitals.hospital_choices, actor)
        except Exception as exc:  # noqa: BLE001 (the test inspects what each request got)
            result = exc
        with lock:
            outcomes.append(result)

    with data.engine().connect() as held:  # the pool's only connection, busy elsewhere
        threads = [threading.Thread(target=request) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert held.exec_driver_sql("select 1").scalar() == 1
    assert len(outcomes) == 20
    assert all(isinstance(o, data.DatabaseTrouble) and str(o) == data.POOL_BUSY for o in outcomes), {
        type(o).__name__: str(o) for o in outcomes
    }
    lines = _pool_lines(caplog)
    assert len(lines) == 1, lines
    assert "Pool size: 1" in lines[0] and "Checked out connections: 1" in lines[0] and "hospital_choices" in lines[0]
    # The connection given back, the same process answers at once: nothing needs a restart.
    assert any(name == two_hospitals.ALPHA for _, name in data.call(hospitals.hospital_choices, actor))


def test_a_page_on_an_exhausted_pool_shows_the_sentence_not_the_pool_error(small_pool, engine):
    token = sign_in(engine, small_pool.emails["admin"])
    at = AppTest.from_file(APP_FILE, default_timeout=30)
    at.session_state[TOKEN_KEY] = token
    with data.engine().connect():
        at.run()
    assert not at.exception, at.exception
    said = " ".join(shown(e.value) for e in at.error)
    assert data.POOL_BUSY in said
    assert "QueuePool" not in said and "TimeoutError" not in said


@pytest.mark.parametrize("value", ["many", "-1", "0", "1.5", "٣"])
def test_a_pool_size_that_is_not_a_whole_number_is_refused_in_a_sentence(monkeypatch, value):
    monkeypatch.setenv("HEALTHDASH_POOL_SIZE", value)
    with pytest.raises(SettingsError, match="HEALTHDASH_POOL_SIZE is .*; set it to a whole number of at least 1"):
        pool_settings()


def test_the_pool_keeps_sqlalchemy_defaults_unless_told(monkeypatch):
    for name in SMALL_POOL:
        monkeypatch.delenv(name, raising=False)
    assert pool_settings() == {"pool_size": 5, "max_overflow": 10, "pool_timeout": 30}
    monkeypatch.setenv("HEALTHDASH_POOL_OVERFLOW", " 0 ")
    assert pool_settings()["max_overflow"] == 0
    assert os.environ["HEALTHDASH_POOL_OVERFLOW"] == " 0 "
