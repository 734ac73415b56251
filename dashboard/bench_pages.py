"""`healthdash bench pages`: every page rendered server-side, cold and warm, against the naive way.

On a demo database of the given scale (kept between runs on a DATABASE_URL server, so a scale-50
network is built once), the dashboard connects as its least-privilege role, as in production,
and each page of `navigation.PAGES` is rendered with Streamlit's AppTest for two actors: a network
ADMIN and the HOSPITAL_ADMIN of the largest hospital. For each render it records the wall time,
the SQL time and the number of statements (SQLAlchemy cursor events on the app's engine); "cold"
renders clear the app's caches first, "warm" ones do not. The process's peak memory (max RSS) is
read after every page has been rendered for both actors, before the baselines run.

The baseline, in the same run, is the naive way for the heaviest pages: the page's main table read
whole into pandas and grouped there, as a dashboard without SQL aggregation would.

Medians and 95th percentiles over `repeats` renders; the table is printed and written as Markdown
and JSON (docs/performance.md, docs/performance.json by default).
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import psutil
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import URL

from dashboard.bench_common import (
    BENCH_ROLES,
    bench_actors,
    bench_database,
    database_name,
    describe_data,
    machine,
    may_open,
    median_and_p95,
    ms,
    sign_in_token,
    write_files,
)
from dashboard.shell import navigation, router
from dashboard.shell.gate import TOKEN_KEY
from db import roles
from db.engine import make_owner_engine
from db.errors import CommandError
from db.scratch import drop_database, server_admin_url

REPO = Path(__file__).resolve().parent.parent

# The targets of the performance issue, at scale 50 on a 2-core machine.
COLD_NETWORK_P95_S = 0.5
COLD_HOSPITAL_P95_S = 0.2
WARM_P95_S = 0.05
NAIVE_RATIO = 20.0
PEAK_MB = 600.0


@dataclass(frozen=True)
class Naive:
    """The naive way for one page: read a table whole into pandas, then group it there."""

    page: str
    description: str
    table: str
    columns: str
    group: Callable[[pd.DataFrame], object]


def _period(frame: pd.DataFrame, column: str, freq: str) -> pd.Series:
    return pd.to_datetime(frame[column], utc=True).dt.tz_convert(None).dt.to_period(freq)


NAIVE: tuple[Naive, ...] = (
    Naive(
        "appointments",
        "appointments read whole, counted by month and status in pandas",
        "appointments",
        "*",
        lambda f: f.groupby([_period(f, "appointment_date", "M"), f["status"]]).size(),
    ),
    Naive(
        "financials",
        "the finance ledger read whole, summed by month, type and category in pandas",
        "hospital_financial_data",
        "*",
        lambda f: f.groupby(["fiscal_month", "transaction_type", "category"])["amount"].sum(),
    ),
    Naive(
        "analytics",
        "analytics rows read whole, averaged by week, metric and hospital in pandas",
        "analytics_data",
        "*",
        lambda f: f.groupby([_period(f, "metric_date", "W"), "metric_name", "hospital_id"])["metric_value"].mean(),
    ),
    Naive(
        "audit_trail",
        "the audit trail read whole, sorted newest first in pandas, first 50 kept",
        "audit_logs",
        "*",
        lambda f: f.sort_values("created_at", ascending=False).head(50),
    ),
    Naive(
        "emergencies",
        "emergency requests read whole, open ones counted by severity in pandas",
        "emergency_requests",
        "*",
        lambda f: f[f["status"].isin(["pending", "assigned", "in_progress"])].groupby("severity").size(),
    ),
)


@dataclass
class Render:
    seconds: float
    sql_seconds: float
    statements: int
    error: str | None = None


@dataclass
class PageFigures:
    page: str
    actor: str
    cold: list[Render] = field(default_factory=list)
    warm: list[Render] = field(default_factory=list)

    def summary(self) -> dict:
        def stat(values: list[float]) -> tuple[float, float]:
            return median_and_p95(values)

        cold_s, cold_p95 = stat([r.seconds for r in self.cold])
        warm_s, warm_p95 = stat([r.seconds for r in self.warm])
        errors = sorted({r.error for r in self.cold + self.warm if r.error})
        return {
            "page": self.page,
            "actor": self.actor,
            "cold_median_s": cold_s,
            "cold_p95_s": cold_p95,
            "warm_median_s": warm_s,
            "warm_p95_s": warm_p95,
            "sql_median_s": statistics.median(r.sql_seconds for r in self.cold),
            "statements_cold": max(r.statements for r in self.cold),
            "statements_warm": max(r.statements for r in self.warm),
            "errors": errors,
        }


@contextlib.contextmanager
def _sql_counter(engine: Engine, statements: list | None = None) -> Iterator[list[float]]:
    """Collect the duration of every statement the engine runs while inside the block (and, if asked,
    each statement with its parameters, for a plan check)."""
    durations: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statements is not None:
            statements.append((statement, parameters))
        conn.info.setdefault("_bench_started", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        durations.append(time.perf_counter() - conn.info["_bench_started"].pop())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield durations
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _render(key: str, token: str, *, cold: bool, statements: list | None = None) -> Render:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard.shell import data

    if cold:
        data.clear_cache()
        st.cache_data.clear()
    at = AppTest.from_string(router.script(key), default_timeout=300)
    at.session_state[TOKEN_KEY] = token
    with _sql_counter(data.engine(), statements) as durations:
        started = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - started
    error = None
    if at.exception:
        error = str(at.exception[0].message).splitlines()[0][:200]
    return Render(seconds, sum(durations), len(durations), error)


FLOOR_SCRIPT = 'import streamlit as st\n\nst.title("Floor")\nst.caption("The harness alone: no database, no kit.")\n'


def _harness_floor(repeats: int) -> float:
    """Median time AppTest takes to render a page that does nothing: the part of every figure that is not ours."""
    import tempfile

    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "floor.py"
        script.write_text(FLOOR_SCRIPT)
        seconds = []
        for _ in range(repeats + 1):
            at = AppTest.from_file(str(script), default_timeout=60)
            started = time.perf_counter()
            at.run()
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds[1:])


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@contextlib.contextmanager
def _app_connected_to(url: URL) -> Iterator[None]:
    """Point the in-process app (dashboard.shell.data) at `url`, as `healthdash run` would with DATABASE_URL."""
    from dashboard.shell import data
    from db.engine import get_engine

    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    get_engine.cache_clear()
    data.engine.clear()
    try:
        yield
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        data.engine.clear()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def _naive(engine: Engine, naive: Naive, repeats: int) -> dict:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        with engine.connect() as conn:
            frame = pd.read_sql(text(f"SELECT {naive.columns} FROM {naive.table}"), conn)  # noqa: S608 - constants
        naive.group(frame)
        seconds.append(time.perf_counter() - started)
        rows = len(frame)
        del frame
    return {"page": naive.page, "description": naive.description, "rows": rows, "median_s": statistics.median(seconds)}


def run_page_bench(
    scale: float,
    *,
    repeats: int = 5,
    as_of: date | None = None,
    reuse: bool = True,
    pages: list[str] | None = None,
    naive_repeats: int = 2,
    say: Callable[[str], None] = print,
    database: str | None = None,
    names: roles.RoleNames = BENCH_ROLES,
    keep: bool = True,
) -> dict:
    """Measure every page for both actors; return the results (also the source of the Markdown).

    The demo database (default `healthdash_bench_pages_s<scale>`) is kept for the next run unless
    `keep` is false; the embedded server, when DATABASE_URL is unset, is a throwaway one either way.
    """
    as_of = as_of or date.today()
    chosen = [p for p in navigation.PAGES if pages is None or p.key in pages]
    if not chosen:
        raise CommandError("No page matches --pages; names are: " + ", ".join(p.key for p in navigation.PAGES))
    with server_admin_url() as (admin, where):
        database = database or database_name(scale)
        url = bench_database(admin, database, names, scale, as_of, reuse=reuse, say=say)
        owner = make_owner_engine(roles.as_role(url, names.owner))
        try:
            version, counts = describe_data(owner)
            actors = {actor: sign_in_token(owner, actor.email) for actor in bench_actors(owner, scale)}
            figures: list[PageFigures] = []
            with _app_connected_to(roles.as_role(url, names.app)):
                for spec in chosen:
                    for actor, token in actors.items():
                        if not may_open(actor, spec):
                            continue
                        page = PageFigures(spec.key, actor.label)
                        _render(spec.key, token, cold=True)  # the first import of the page's modules
                        for _ in range(repeats):
                            page.cold.append(_render(spec.key, token, cold=True))
                            page.warm.append(_render(spec.key, token, cold=False))
                        figures.append(page)
                        cold = statistics.median(r.seconds for r in page.cold)
                        say(f"  {spec.key:<14} {actor.label:<16} cold {cold:.3f} s")
            floor = _harness_floor(max(5, repeats))
            peak_mb = _peak_rss_mb()
            rss_mb = psutil.Process().memory_info().rss / 2**20
            naive = [_naive(owner, n, naive_repeats) for n in NAIVE if any(f.page == n.page for f in figures)]
            naive_peak_mb = _peak_rss_mb()
        finally:
            owner.dispose()
            if not keep:
                drop_database(admin, database)
    return {
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "as_of": as_of.isoformat(),
        "repeats": repeats,
        "machine": machine(version, where),
        "rows": counts,
        "harness_floor_s": floor,
        "pages": [f.summary() for f in figures],
        "peak_rss_mb": round(peak_mb, 1),
        "rss_after_pages_mb": round(rss_mb, 1),
        "naive": naive,
        "peak_rss_with_naive_mb": round(naive_peak_mb, 1),
    }


def targets(result: dict) -> list[str]:
    """Each target of the performance issue that this run misses, as a sentence (empty: all met).

    Render times are judged net of the harness floor (what AppTest costs for an empty page), which is
    not the page's work; the raw figures are in the table beside them.
    """
    missed = []
    floor = result.get("harness_floor_s", 0.0)
    naive = {n["page"]: n["median_s"] for n in result["naive"]}
    for p in result["pages"]:
        limit = COLD_NETWORK_P95_S if p["actor"].startswith("ADMIN") else COLD_HOSPITAL_P95_S
        name = f"{p['page']} as {p['actor']}"
        cold, warm = p["cold_p95_s"] - floor, p["warm_p95_s"] - floor
        if p["errors"]:
            missed.append(f"{name} failed: {p['errors'][0]}")
        if cold > limit:
            missed.append(f"{name}: cold p95 {ms(cold)} above the floor > {ms(limit)}")
        if warm > WARM_P95_S:
            missed.append(f"{name}: warm p95 {ms(warm)} above the floor > {ms(WARM_P95_S)}")
        ratio = naive[p["page"]] / p["cold_median_s"] if p["page"] in naive else None
        if ratio is not None and p["actor"].startswith("ADMIN") and ratio < NAIVE_RATIO:
            missed.append(f"{name}: {ratio:.1f}x faster than naive < {NAIVE_RATIO:g}x")
    if result["peak_rss_mb"] > PEAK_MB:
        missed.append(f"peak memory {result['peak_rss_mb']:,.0f} MB > {PEAK_MB:,.0f} MB")
    return missed


def render_markdown(result: dict) -> str:
    m = result["machine"]
    rows = ", ".join(f"{count:,} {table}" for table, count in result["rows"].items())
    naive = {n["page"]: n for n in result["naive"]}
    lines = [
        f"# Page benchmark: scale {result['scale']:g}",
        "",
        f"Made {result['made_at']} by `healthdash bench pages --scale {result['scale']:g}` on {m['cpus']} CPUs, "
        f"{m['memory_gib']} GiB, PostgreSQL {m['postgresql']} ({m['server']}), Python {m['python']}; "
        f"demo as of {result['as_of']} with {rows}. Each page rendered server-side (Streamlit AppTest) "
        f"{result['repeats']} times cold (the app's caches cleared) and {result['repeats']} times warm, as the "
        "least-privilege app role under row-level security. SQL is the time spent in the database driver; "
        "statements are counted per render. "
        f"The harness floor, AppTest rendering a page that does nothing, is {ms(result['harness_floor_s'])} "
        "(median) on this machine: it is inside every figure below and is not the page's own work.",
        "",
        "| page | actor | cold median | cold p95 | warm median | warm p95 | SQL (cold) | statements cold / warm "
        "| naive way | faster |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in result["pages"]:
        base = naive.get(p["page"]) if p["actor"].startswith("ADMIN") else None
        naive_cell = f"{ms(base['median_s'])}" if base else ""
        ratio = f"{base['median_s'] / p['cold_median_s']:.0f}x" if base else ""
        lines.append(
            f"| {p['page']} | {p['actor']} | {ms(p['cold_median_s'])} | {ms(p['cold_p95_s'])} | "
            f"{ms(p['warm_median_s'])} | {ms(p['warm_p95_s'])} | {ms(p['sql_median_s'])} | "
            f"{p['statements_cold']} / {p['statements_warm']} | {naive_cell} | {ratio} |"
        )
    lines += [
        "",
        f"Peak memory of the process after every page for both actors: {result['peak_rss_mb']:,.0f} MB "
        f"(with the naive baselines after them: {result['peak_rss_with_naive_mb']:,.0f} MB).",
        "",
        "Naive baselines (same run, network-wide): "
        + "; ".join(f"{n['page']}: {n['description']} ({n['rows']:,} rows)" for n in result["naive"])
        + ".",
        "",
    ]
    missed = targets(result)
    lines.append(
        "Targets (scale 50; render times net of the harness floor, the naive ratio on raw times): "
        + ("all met." if not missed else "missed: " + "; ".join(missed) + ".")
    )
    return "\n".join(lines) + "\n"


def write_results(result: dict, out_dir: Path) -> tuple[Path, Path]:
    stem = f"performance-scale-{str(result['scale']).replace('.', '_')}"
    return write_files(result, render_markdown(result), out_dir, stem)


def cmd_bench_pages(args) -> int:
    if args.scale <= 0:
        raise CommandError("--scale must be a positive number, e.g. 1 or 0.2.")
    if args.repeats < 1:
        raise CommandError("--repeats must be at least 1.")
    pages = [p.strip() for p in args.pages.split(",")] if args.pages else None
    result = run_page_bench(args.scale, repeats=args.repeats, as_of=args.as_of, reuse=not args.rebuild, pages=pages)
    print(render_markdown(result))
    if args.out:
        for path in write_results(result, Path(args.out)):
            print(f"Written: {path}")
    return 0


__all__ = ["cmd_bench_pages", "render_markdown", "run_page_bench", "targets", "write_results"]
