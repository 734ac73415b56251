"""`healthdash bench`: figures for the data layer, each against a baseline run in the same process.

On a throwaway database (the DATABASE_URL server, or a private embedded one) it builds the demo
network, then measures:

- the bulk write path: COPY against row-by-row INSERT (executemany) of the same rows;
- dashboard-shaped queries with the schema's indexes against the same query with index scans
  switched off (the planner falls back to sequential scans, as it would without the indexes).

Timings are medians of several runs after one warm-up run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, text

from db import migrate
from db.engine import make_engine
from db.scratch import create_database, drop_database, server_admin_url

QUERIES: dict[str, str] = {
    "appointments of one hospital, last 30 days, by day and status": """
        SELECT date_trunc('day', appointment_date) AS day, status, count(*)
        FROM appointments
        WHERE hospital_id = :hospital_id AND appointment_date >= CAST(:as_of AS timestamptz) - interval '30 days'
        GROUP BY 1, 2
    """,
    "one patient's appointments (seed index)": """
        SELECT id, appointment_date, status FROM appointments
        WHERE patient_id = :patient_id ORDER BY appointment_date DESC
    """,
    "one hospital's metric, last 90 days": """
        SELECT metric_date, metric_value FROM analytics_data
        WHERE hospital_id = :hospital_id AND metric_name = 'bed_occupancy_rate'
          AND metric_date >= CAST(:as_of AS timestamptz) - interval '90 days'
        ORDER BY metric_date
    """,
    "patients waiting at one hospital": """
        SELECT department, priority, count(*) FROM patient_waitlist
        WHERE hospital_id = :hospital_id AND status = 'waiting'
        GROUP BY 1, 2
    """,
    "one hospital's monthly revenue and expense": """
        SELECT fiscal_month, transaction_type, sum(amount) FROM hospital_financial_data
        WHERE hospital_id = :hospital_id GROUP BY 1, 2 ORDER BY 1
    """,
    "open emergencies, newest first (seed index)": """
        SELECT id, severity, created_at FROM emergency_requests
        WHERE status = 'pending' ORDER BY created_at DESC LIMIT 50
    """,
}

NO_INDEX_SCANS = (
    "SET LOCAL enable_indexscan = off",
    "SET LOCAL enable_bitmapscan = off",
    "SET LOCAL enable_indexonlyscan = off",
)


@dataclass
class Figure:
    name: str
    value_ms: float
    baseline_ms: float
    baseline_name: str

    @property
    def ratio(self) -> float:
        return self.baseline_ms / self.value_ms if self.value_ms else float("inf")


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up: caches and plans
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _query_runner(conn: Connection, sql: str, params: dict, *, without_indexes: bool) -> Callable[[], object]:
    def run():
        with conn.begin():
            if without_indexes:
                for setting in NO_INDEX_SCANS:
                    conn.execute(text(setting))
            return conn.execute(text(sql), params).all()

    return run


def query_figures(engine: Engine, as_of: date, repeat: int = 7) -> list[Figure]:
    with engine.connect() as conn:
        hospital_id = conn.execute(
            text("SELECT hospital_id FROM appointments GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()
        patient_id = conn.execute(text("SELECT patient_id FROM appointments LIMIT 1")).scalar_one()
        conn.commit()
        params = {"hospital_id": hospital_id, "patient_id": patient_id, "as_of": as_of.isoformat()}
        figures = []
        for name, sql in QUERIES.items():
            indexed = _median_ms(_query_runner(conn, sql, params, without_indexes=False), repeat)
            seq = _median_ms(_query_runner(conn, sql, params, without_indexes=True), repeat)
            figures.append(Figure(name, indexed, seq, "sequential scan"))
    return figures


def write_figure(engine: Engine, rows: int = 20_000) -> Figure:
    """COPY against executemany INSERT of the same analytics rows, into a temporary table."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cur:
            cur.execute("CREATE TEMP TABLE bench_rows (LIKE analytics_data INCLUDING DEFAULTS)")
            data = [
                (f"bench-{i}", None, "bench_metric", i % 97, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
                for i in range(rows)
            ]
            columns = "id, hospital_id, metric_name, metric_value, metric_date, created_at"

            def copy():
                cur.execute("TRUNCATE bench_rows")
                with cur.copy(f"COPY bench_rows ({columns}) FROM STDIN") as copy_:
                    for row in data:
                        copy_.write_row(row)

            def insert():
                cur.execute("TRUNCATE bench_rows")
                cur.executemany(f"INSERT INTO bench_rows ({columns}) VALUES (%s, %s, %s, %s, %s, %s)", data)

            copy_ms = _median_ms(copy, 3)
            insert_ms = _median_ms(insert, 3)
        driver.rollback()
    finally:
        raw.close()
    return Figure(f"write {rows:,} analytics rows: COPY", copy_ms, insert_ms, "INSERT executemany")


def render(figures: list[Figure], header: str) -> str:
    width = max(len(f.name) for f in figures)
    lines = [
        header,
        "",
        f"| {'measure':<{width}} | {'ms':>9} | {'baseline ms':>11} | {'baseline':<18} | {'speed-up':>8} |",
        f"|{'-' * (width + 2)}|{'-' * 11}|{'-' * 13}|{'-' * 20}|{'-' * 10}|",
    ]
    for f in figures:
        lines.append(
            f"| {f.name:<{width}} | {f.value_ms:>9.2f} | {f.baseline_ms:>11.2f} | {f.baseline_name:<18} "
            f"| {f.ratio:>7.1f}x |"
        )
    return "\n".join(lines)


def run_bench(scale: float, as_of: date, progress: bool = True) -> str:
    from db.demo import build_demo

    with server_admin_url() as (admin, where):
        url = create_database(admin, prefix="healthdash_bench")
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            report = build_demo(engine, scale=scale, as_of=as_of, progress=progress)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
                rows = sum(report.row_counts.values())
                version = conn.execute(text("SHOW server_version")).scalar_one()
            figures = [write_figure(engine), *query_figures(engine, as_of)]
        finally:
            engine.dispose()
            drop_database(admin, url.database)
    header = (
        f"healthdash bench: demo scale {scale:g} ({rows:,} rows, built in {report.seconds:.1f} s, "
        f"{rows / report.seconds:,.0f} rows/s) on PostgreSQL {version} ({where})"
    )
    return render(figures, header)
