"""The benchmark command runs end to end and prints its table (figures are not asserted: not a timed test)."""

from __future__ import annotations

from datetime import date

from db.bench import QUERIES, run_bench


def test_bench_prints_a_row_per_measure_with_a_baseline():
    output = run_bench(0.05, date(2026, 11, 25), progress=False)
    rows = [line for line in output.splitlines() if line.startswith("| ") and "measure" not in line]
    assert len(rows) == len(QUERIES) + 1
    assert "COPY" in rows[0] and "INSERT executemany" in rows[0]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[1]) > 0 and float(cells[2]) > 0
        assert cells[4].endswith("x")
    assert "PostgreSQL" in output.splitlines()[0]
