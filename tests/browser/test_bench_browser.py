"""`healthdash bench browser` keeps working: a tiny demo, two pages, one repeat, in Chromium (not timed here)."""

from __future__ import annotations

import json
import math
import secrets

import pytest
from sqlalchemy import text

from dashboard import bench_browser
from db import roles
from db.engine import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_browser_bench_opens_pages_for_both_actors_and_writes_its_table(admin_url, tmp_path):
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_bbench_owner_{suffix}", app=f"hd_bbench_app_{suffix}")
    try:
        result = bench_browser.run_browser_bench(
            0.05,
            repeats=1,
            pages=["overview", "users"],
            say=lambda _line: None,
            database=f"healthdash_bbench_test_{suffix}",
            names=names,
            keep=False,
            timeout_s=60,
        )
    finally:
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()
    assert {(p["page"], p["actor"]) for p in result["pages"]} == {
        ("overview", "ADMIN (network)"),
        ("overview", "HOSPITAL_ADMIN"),
        ("users", "ADMIN (network)"),
        ("users", "HOSPITAL_ADMIN"),  # a hospital admin opens Users & roles for its Ward screens part
    }
    measured_sql = result["sql_source"] != "unavailable"
    for page in result["pages"]:
        assert page["errors"] == [], page
        for kind in ("cold", "warm"):
            assert 0 < page[f"{kind}_median_s"] <= page[f"{kind}_p95_s"] < 60, page
            assert math.isclose(page[f"{kind}_net_p95_s"], page[f"{kind}_p95_s"] - result["floor_s"])
            assert page[f"{kind}_kb_received"] > 0 and page[f"{kind}_kb_sent"] > 0, page
        if measured_sql:  # every render reads the session at least
            assert page["cold_statements"] > 0 and page["cold_sql_median_s"] > 0, page
        else:
            assert page["cold_statements"] is None
    forms = {s["actor"]: s for s in result["sign_in"] if s["page"] == "sign-in form"}
    assert set(forms) == {"ADMIN (network)", "HOSPITAL_ADMIN"}
    for form in forms.values():
        assert form["errors"] == [] and 0 < form["cold_median_s"] < 60 and 0 < form["warm_median_s"] < 60
        assert form["cold_kb_received"] > 100  # Streamlit's own scripts, fetched by a browser that never came
    assert 0 < result["floor_s"] < 60
    assert result["network"] == "none" and result["throttle"] is None and result["machine"]["chromium"]

    md, js = bench_browser.write_results(result, tmp_path)
    assert md.name == "browser-bench-scale-0_05.md" and js.name == "browser-bench-scale-0_05.json"
    table = md.read_text()
    assert "| overview | HOSPITAL_ADMIN |" in table and "| sign-in form | ADMIN (network) |" in table
    assert "Targets:" in table and "net of the floor" in table
    assert json.loads(js.read_text())["scale"] == 0.05


def test_the_throttling_presets_are_chrome_devtools_own():
    slow4g, three_g = bench_browser.NETWORKS["slow4g"], bench_browser.NETWORKS["3g"]
    assert (slow4g.latency_ms, round(slow4g.down_bytes_s), round(slow4g.up_bytes_s)) == (562.5, 180_000, 84_375)
    assert (three_g.latency_ms, round(three_g.down_bytes_s), round(three_g.up_bytes_s)) == (2000, 50_000, 50_000)
    assert bench_browser.NETWORKS["none"] is None
