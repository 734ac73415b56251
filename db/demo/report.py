"""What a build wrote and how long it took, as a table a person can read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DemoReport:
    row_counts: dict[str, int]  # rows written by the build, per table (seed records not included)
    seconds: float
    scale: float
    seed: int
    as_of: date

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    def summary(self) -> str:
        width = max(len(table) for table in self.row_counts)
        lines = [
            f"Demo network built: scale {self.scale:g}, seed {self.seed}, as of {self.as_of:%d %b %Y}.",
            "",
            f"  {'table':<{width}}  {'rows':>12}",
        ]
        lines += [f"  {table:<{width}}  {count:>12,}" for table, count in sorted(self.row_counts.items())]
        lines += [
            f"  {'total':<{width}}  {self.total_rows:>12,}",
            "",
            f"Finished in {self.seconds:.1f} s ({self.total_rows / max(self.seconds, 1e-9):,.0f} rows/s).",
            "Demo logins (password demo-pass-2026), one per staff role and hospital, are listed in README.md",
            "under 'Demo logins'. Network admin: admin@demo.healthdash.ng",
        ]
        return "\n".join(lines)
