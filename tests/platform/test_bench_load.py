"""`healthdash bench load` at a tiny size: 3 people for a few seconds, one process and two behind nginx.

Checks the report has its fields and that the run did what it says (pages opened by both kinds of
client, a write, connections and memory read); never its timings.
"""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dashboard import bench_load
from db import migrate, roles
from db.engine import make_engine, make_owner_engine
from db.models import HospitalResource
from db.rules import resource_status
from tests.fixtures.throwaway import create_database, drop_database
from tests.fixtures.two_hospitals import PASSWORD, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def database(admin_url):
    url = create_database(admin_url, prefix="healthdash_load")
    names = roles.RoleNames(owner=f"hd_owner_{secrets.token_hex(3)}", app=f"hd_app_{secrets.token_hex(3)}")
    try:
        superuser = make_engine(url)
        roles.apply_as_superuser(superuser, names)
        superuser.dispose()
        owner_url = roles.as_role(url, names.owner)
        owner = make_owner_engine(owner_url)
        try:
            migrate.upgrade(owner)
            roles.refresh_grants(owner, names)
            network = _build_network(owner)
            with Session(owner) as session, session.begin():
                session.add(HospitalResource(
                    hospital_id=network.hospital_a, name="General ward beds", category="beds", total_quantity=10,
                    available_quantity=5, in_use_quantity=5, status=resource_status(10, 5, 0),
                ))  # fmt: skip
        finally:
            owner.dispose()
        urls = {"superuser": url, "owner": owner_url, "app": roles.as_role(url, names.app)}
        yield urls, names.app, network
    finally:
        drop_database(admin_url, url.database)
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()


def test_a_tiny_load_run_reports_every_field(database, tmp_path):
    urls, app_role, network = database
    people = [
        bench_load.Person(network.emails["ha_a"], PASSWORD, "HOSPITAL_ADMIN"),  # the one in Chromium
        bench_load.Person(network.emails["admin"], PASSWORD, "ADMIN"),
        bench_load.Person(network.emails["ha_a"], PASSWORD, "HOSPITAL_ADMIN"),
    ]
    result = bench_load.run_load(
        people, urls, app_role, seconds=15, browsers=1, setups=("one", "two-behind-nginx"),
        logs=tmp_path / "logs", data="two hospitals", command="pytest",
    )  # fmt: skip
    md, js = bench_load.write_results(result, tmp_path / "docs")
    written = json.loads(js.read_text())
    assert written["sessions"] == 3 and [s["setup"] for s in written["setups"]] == ["one", "two-behind-nginx"]
    for setup in written["setups"]:
        assert setup["errors"] == 0, setup["error_samples"]
        assert setup["browser_sessions"] == 1 and setup["websocket_sessions"] == 2
        assert setup["pages"] > 0 and setup["p50_s"] > 0 and setup["p95_s"] >= setup["p50_s"]
        pages = set(setup["per_page"])
        assert "browser: signed in to Overview settled" in pages and "overview" in pages
        assert setup["writes"] > 0 and "resources: confirm a count (write)" in pages
        assert setup["db_connections_max"] >= 1 and setup["db_connections_at_end"] >= 0
        assert len(setup["per_process"]) == setup["processes"]
        assert all(p["rss_mb_max"] > 50 for p in setup["per_process"])
        assert setup["postgres"]["rss_mb_max"] > 0 and setup["saturates_first"]
    assert "| two-behind-nginx |" in md.read_text() and md.name == "load-3x15s.md"
