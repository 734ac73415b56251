"""Query discipline: every statement a hospital's pages run is served by an index, not a scan of a big table.

The demo network at scale 1 (21,000 appointments, 44,000 daily metrics) is rendered page by page as
the HOSPITAL_ADMIN of its busiest hospital, as the least-privilege app role under row-level
security, capturing every statement with its parameters. Each SELECT is then EXPLAINed under the same
scope; a sequential scan of a table of BIG_ROWS rows or more fails the test, naming the page, the
table and the statement. A hospital's pages ask for one hospital's rows, so an index should always
serve them (network-wide aggregates legitimately read whole tables, as Peers' medians of every hospital of a
kind do for a hospital too; they are measured by `healthdash bench pages`, not checked here).
"""

from __future__ import annotations

import json
import secrets
from datetime import date

import pytest
from sqlalchemy import text

from dashboard import bench_common, bench_pages
from dashboard.shell import navigation
from db import roles
from db.engine import make_engine, make_owner_engine
from db.scratch import drop_database

pytestmark = pytest.mark.slow

BIG_ROWS = 5_000
# Pages whose hospital view is a network-wide aggregate by nature: Peers puts a hospital beside the medians of every
# hospital of its type and size, so it reads them all (in one statement, measured by `healthdash bench pages`).
NETWORK_WIDE_BY_NATURE = {"peers"}


def _seq_scans(plan: dict, parents: dict[str, str]) -> list[str]:
    """Tables read whole; a big partition read whole counts as its partitioned table (`parents`)."""
    found = []
    if plan.get("Node Type") == "Seq Scan" and "Relation Name" in plan:
        found.append(parents.get(plan["Relation Name"], plan["Relation Name"]))
    for child in plan.get("Plans", ()):
        found += _seq_scans(child, parents)
    return found


@pytest.fixture(scope="module")
def hospital_pages(admin_url):
    """(page key, statement, parameters) of every page a hospital admin opens, and the scope to explain them in."""
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_plan_owner_{suffix}", app=f"hd_plan_app_{suffix}")
    database = f"healthdash_plans_{suffix}"
    try:
        url = bench_common.bench_database(admin_url, database, names, 1, date.today(), reuse=False, say=lambda _: None)
        owner = make_owner_engine(roles.as_role(url, names.owner))
        email = bench_common.largest_hospital_admin(owner, 1)
        token = bench_common.sign_in_token(owner, email)
        with owner.connect() as conn:
            hospital_id = conn.execute(
                text("SELECT p.hospital_id FROM users u JOIN profiles p ON p.user_id = u.id WHERE u.email = :e"),
                {"e": email},
            ).scalar_one()
            big = set(
                conn.execute(
                    text("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') "
                         "AND relnamespace = 'public'::regnamespace AND reltuples >= :rows"),
                    {"rows": BIG_ROWS},
                ).scalars()
            )
            # A partition (migration 0010's months) read whole counts as its table when it is big itself: the
            # planner rightly reads a small month, or an empty month ahead, whole rather than through an index.
            parents = dict(
                conn.execute(
                    text("SELECT c.relname, pg_partition_root(c.oid)::regclass::text FROM pg_class c "
                         "WHERE c.relispartition AND c.reltuples >= :rows"),
                    {"rows": BIG_ROWS},
                ).all()
            )
        owner.dispose()
        captured = []
        app_url = roles.as_role(url, names.app)
        with bench_pages._app_connected_to(app_url):
            for spec in navigation.PAGES:
                if "HOSPITAL_ADMIN" not in {r.name for r in spec.roles}:
                    continue
                statements: list = []
                render = bench_pages._render(spec.key, token, cold=True, statements=statements)
                assert render.error is None, (spec.key, render.error)
                captured += [(spec.key, s, p) for s, p in statements]
        yield captured, app_url, hospital_id, big, parents
    finally:
        drop_database(admin_url, database)
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()


def test_a_hospitals_pages_never_scan_a_big_table(hospital_pages):
    captured, app_url, hospital_id, big, parents = hospital_pages
    assert {"appointments", "analytics_data"} <= big  # the check has something to bite on
    selects = [(page, s, p) for page, s, p in captured
               if s.lstrip().upper().startswith(("SELECT", "WITH")) and page not in NETWORK_WIDE_BY_NATURE]  # fmt: skip
    assert len({page for page, _s, _p in selects}) >= 8  # every page was rendered and read something
    offenders = []
    engine = make_engine(app_url)
    try:
        with engine.connect() as conn:
            for page, statement, parameters in selects:
                with conn.begin():
                    conn.execute(text("SELECT set_config('healthdash.scope', :s, true)"), {"s": hospital_id})
                    raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters or {}).scalar_one()
                plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
                for table in sorted(set(_seq_scans(plan, parents)) & big):
                    offenders.append(f"{page}: Seq Scan on {table} in: {' '.join(statement.split())[:300]}")
    finally:
        engine.dispose()
    assert not offenders, "\n".join(offenders)
