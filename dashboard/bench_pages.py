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
import json
import os
import platform
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

from dashboard.domains.people import sign_in
from dashboard.platform.actors import ClientInfo
from dashboard.shell import navigation, router
from dashboard.shell.gate import TOKEN_KEY
from db import demo, migrate, roles
from db.demo.logins import DEMO_PASSWORD, demo_logins
from db.engine import make_engine, make_owner_engine
from db.errors import CommandError
from db.scratch import drop_database, server_admin_url

REPO = Path(__file__).resolve().parent.parent
BENCH_ROLES = roles.RoleNames(owner="healthdash_bench_owner", app="healthdash_bench_app")

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
            return statistics.median(values), _p95(values)

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


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]


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


def _bench_database(
    admin: URL, name: str, names: roles.RoleNames, scale: float, as_of: date, *, reuse: bool, say: Callable[[str], None]
) -> URL:
    """The bench's demo database: reused when it already holds the demo network, else built here."""
    import psycopg
    from psycopg import sql

    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not reuse:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = admin.set(drivername="postgresql+psycopg", database=name)
    superuser = make_engine(url)
    try:
        roles.apply_as_superuser(superuser, names)
    finally:
        superuser.dispose()
    owner = make_owner_engine(roles.as_role(url, names.owner))
    try:
        migrate.upgrade(owner)
        roles.refresh_grants(owner, names)
        if demo.has_demo_data(owner):
            say(f"Reusing the demo network in {name}.")
        else:
            say(f"Building the demo network at scale {scale:g} in {name} (kept for the next run)…")
            report = demo.build_demo(owner, scale=scale, as_of=as_of, progress=True)
            say(report.summary())
            with owner.begin() as conn:
                conn.execute(text("ANALYZE"))
    finally:
        owner.dispose()
    return url


def _token(engine: Engine, email: str) -> str:
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        result = sign_in.authenticate(session, email, DEMO_PASSWORD, ClientInfo(session_id="bench"))
    if result.outcome is not sign_in.LoginOutcome.SUCCESS:
        raise CommandError(f"The demo login {email} could not sign in: {result.message}")
    return result.token


def _largest_hospital_admin(engine: Engine, scale: float) -> str:
    """The hospital admin login of the hospital with the most appointments (the heaviest one-hospital scope)."""
    admins = [login for login in demo_logins(scale) if login.role.name == "HOSPITAL_ADMIN"]
    with engine.connect() as conn:
        busiest = conn.execute(
            text(
                "SELECT h.name FROM hospitals h JOIN appointments a ON a.hospital_id = h.id "
                "GROUP BY h.name ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
    return next((login.email for login in admins if login.hospital_name == busiest), admins[0].email)


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
        database = database or f"healthdash_bench_pages_s{str(scale).replace('.', '_')}"
        url = _bench_database(admin, database, names, scale, as_of, reuse=reuse, say=say)
        owner = make_owner_engine(roles.as_role(url, names.owner))
        try:
            with owner.connect() as conn:
                version = conn.execute(text("SHOW server_version")).scalar_one()
                counts = {
                    t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608 - constants
                    for t in ("appointments", "analytics_data", "hospital_financial_data", "audit_logs")
                }
            actors = {
                "ADMIN (network)": _token(owner, "admin@demo.healthdash.ng"),
                "HOSPITAL_ADMIN": _token(owner, _largest_hospital_admin(owner, scale)),
            }
            roles_of = {"ADMIN (network)": "ADMIN", "HOSPITAL_ADMIN": "HOSPITAL_ADMIN"}
            figures: list[PageFigures] = []
            with _app_connected_to(roles.as_role(url, names.app)):
                for spec in chosen:
                    for actor, token in actors.items():
                        if roles_of[actor] not in {r.name for r in spec.roles}:
                            continue
                        page = PageFigures(spec.key, actor)
                        _render(spec.key, token, cold=True)  # the first import of the page's modules
                        for _ in range(repeats):
                            page.cold.append(_render(spec.key, token, cold=True))
                            page.warm.append(_render(spec.key, token, cold=False))
                        figures.append(page)
                        cold = statistics.median(r.seconds for r in page.cold)
                        say(f"  {spec.key:<14} {actor:<16} cold {cold:.3f} s")
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
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "postgresql": version,
            "server": where,
        },
        "rows": counts,
        "harness_floor_s": floor,
        "pages": [f.summary() for f in figures],
        "peak_rss_mb": round(peak_mb, 1),
        "rss_after_pages_mb": round(rss_mb, 1),
        "naive": naive,
        "peak_rss_with_naive_mb": round(naive_peak_mb, 1),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


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
            missed.append(f"{name}: cold p95 {_ms(cold)} above the floor > {_ms(limit)}")
        if warm > WARM_P95_S:
            missed.append(f"{name}: warm p95 {_ms(warm)} above the floor > {_ms(WARM_P95_S)}")
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
        f"The harness floor, AppTest rendering a page that does nothing, is {_ms(result['harness_floor_s'])} "
        "(median) on this machine: it is inside every figure below and is not the page's own work.",
        "",
        "| page | actor | cold median | cold p95 | warm median | warm p95 | SQL (cold) | statements cold / warm "
        "| naive way | faster |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in result["pages"]:
        base = naive.get(p["page"]) if p["actor"].startswith("ADMIN") else None
        naive_cell = f"{_ms(base['median_s'])}" if base else ""
        ratio = f"{base['median_s'] / p['cold_median_s']:.0f}x" if base else ""
        lines.append(
            f"| {p['page']} | {p['actor']} | {_ms(p['cold_median_s'])} | {_ms(p['cold_p95_s'])} | "
            f"{_ms(p['warm_median_s'])} | {_ms(p['warm_p95_s'])} | {_ms(p['sql_median_s'])} | "
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
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"performance-scale-{str(result['scale']).replace('.', '_')}"
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md.write_text(render_markdown(result))
    js.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return md, js


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
