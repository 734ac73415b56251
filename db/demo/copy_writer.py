"""Streams generated rows into PostgreSQL with COPY, one progress bar per table.

COPY is an order of magnitude faster than INSERT for millions of rows. Rows arrive as iterators
and go straight to the server, so memory stays flat whatever the scale. A table may be written by
several COPY statements (parents and children alternate in batches, because a child's foreign key
needs its parent written first); its bar and its count span them all.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

_BAR_REFRESH_ROWS = 2_000


class CopyWriter:
    def __init__(self, cursor: psycopg.Cursor, expected_rows: dict[str, int], progress: bool) -> None:
        self._cursor = cursor
        self._expected = expected_rows
        self._progress = progress
        self._bars: dict[str, tqdm] = {}
        self.counts: Counter[str] = Counter()

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """COPY `rows` (tuples in `columns` order) into `table`; returns how many were written."""
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        bar = self._bar(table)
        written = 0
        with self._cursor.copy(statement, writer=QueuedLibpqWriter(self._cursor)) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
                written += 1
                if bar is not None and written % _BAR_REFRESH_ROWS == 0:
                    bar.update(_BAR_REFRESH_ROWS)
        if bar is not None:
            bar.update(written % _BAR_REFRESH_ROWS)
        self.counts[table] += written
        return written

    def query(self, statement: str, params: Sequence | None = None) -> list[tuple]:
        """Run a statement in the build's own transaction; its rows, if any (a step reads what an earlier one wrote)."""
        self._cursor.execute(statement, params)
        return self._cursor.fetchall() if self._cursor.description else []

    def finish(self, *tables: str) -> None:
        """Close the bars of tables that are complete (the bar then shows the final count)."""
        for table in tables:
            bar = self._bars.pop(table, None)
            if bar is not None:
                bar.total = bar.n  # the plan's figure was an estimate for some tables
                bar.refresh()
                bar.close()

    def close(self) -> None:
        self.finish(*list(self._bars))

    def abandon(self) -> None:
        """Close the bars of an interrupted build where they stopped: a bar at 40 % must not end at 100 %.

        The build runs in one transaction, so nothing it wrote is kept; each open bar says so.
        """
        for table in list(self._bars):
            bar = self._bars.pop(table)
            bar.set_postfix_str("interrupted: nothing was kept", refresh=False)
            bar.refresh()
            bar.close()

    def _bar(self, table: str) -> tqdm | None:
        if not self._progress:
            return None
        if table not in self._bars:
            total = self._expected.get(table)
            self._bars[table] = tqdm(
                total=total,
                desc=f"{table:<28}",
                unit=" rows",
                unit_scale=(total or 0) >= 10_000,  # "1.05M" for big tables, exact counts for small ones
                file=sys.stderr,
                dynamic_ncols=True,
                leave=True,
            )
        return self._bars[table]
