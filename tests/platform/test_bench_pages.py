"""`healthdash bench pages` keeps working: a tiny demo, two pages, one render each (not timed here)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text

from dashboard import bench_pages
from db import roles
from db.engine import make_engine

pytestmark = [pytest.mark.slow, pytest.mark.once]  # keeps the bench working; no timing


def test_the_page_bench_renders_pages_for_both_actors_and_writes_its_table(admin_url, tmp_path):
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_bench_owner_{suffix}", app=f"hd_bench_app_{suffix}")
    try:
        result = bench_pages.run_page_bench(
            0.05,
            repeats=1,
            pages=["overview", "appointments", "users"],
            naive_repeats=1,
            say=lambda _line: None,
            database=f"healthdash_bench_test_{suffix}",
            names=names,
            keep=False,
        )
    finally:
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()
    measured = {(p["page"], p["actor"]) for p in result["pages"]}
    assert measured == {
        ("overview", "ADMIN (network)"),
        ("overview", "HOSPITAL_ADMIN"),
        ("appointments", "ADMIN (network)"),
        ("appointments", "HOSPITAL_ADMIN"),
        ("users", "ADMIN (network)"),
        ("users", "HOSPITAL_ADMIN"),  # a hospital admin opens Users & roles for its Ward screens part
    }
    for page in result["pages"]:
        assert page["errors"] == [], page
        assert page["statements_cold"] > 0 and page["cold_median_s"] > 0
    assert [n["page"] for n in result["naive"]] == ["appointments"]
    assert result["naive"][0]["rows"] == result["rows"]["appointments"] > 0
    assert result["peak_rss_mb"] > 0

    md, js = bench_pages.write_results(result, tmp_path)
    table = md.read_text()
    assert "| overview | HOSPITAL_ADMIN |" in table and "Targets (scale 50;" in table
    assert '"scale": 0.05' in js.read_text()
