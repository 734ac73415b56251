"""Tables declared once: a `Table` of `Column`s makes the screen frame and the export frame.

A page used to build each table twice by hand (a `pd.DataFrame({...})` for the screen, another or a
`for_export` flag for the file) and to insert a "Hospital" column by hand when the scope is the whole
network. A `Column` says what it shows and of what kind; the kind decides both formats:

| kind       | on screen                  | in the export                     |
|------------|----------------------------|-----------------------------------|
| `text`     | the text, "—" when empty   | the same                          |
| `money`    | "₦1,234,567.00"            | the number (Excel can sum it)     |
| `count`    | "17,000" (separated)       | the whole number                  |
| `percent`  | "12.5 %" (value 0–1)       | the fraction                      |
| `date`     | "7 Dec 2026" (Lagos)       | the same                          |
| `datetime` | "7 Dec 2026, 14:05" (Lagos)| the same                          |
| `code`     | "In progress" (humanised)  | the same                          |
| `yes_no`   | "Yes" / "No"               | the same                          |

`network_only` columns (the hospital's name) appear only when the page shows the whole network;
`export_only` columns (phone, email) only in the file; `screen_only` ones only on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from dashboard.platform.formatting import count, humanise, lagos_date, lagos_datetime, naira, percent

Kind = Literal["text", "money", "count", "percent", "date", "datetime", "code", "yes_no"]
EMPTY = "—"


def _screen(kind: Kind, value: Any, empty: str) -> Any:
    if value is None or (kind == "text" and value == ""):
        return empty
    match kind:
        case "money":
            return naira(value)
        case "count":  # "17,000" as the cards write it; st.dataframe would show a bare 17000
            return count(value)
        case "percent":
            return percent(value)
        case "date":
            return lagos_date(value)
        case "datetime":
            return lagos_datetime(value)
        case "code":
            return humanise(value)
        case "yes_no":
            return "Yes" if value else "No"
    return value


def _export(kind: Kind, value: Any, empty: str) -> Any:
    if kind == "count":
        return value
    if kind in ("money", "percent"):
        return None if value is None else float(value)
    return _screen(kind, value, empty)


@dataclass(frozen=True)
class Column:
    label: str
    value: str | Callable[[Any], Any]  # an attribute of the row, or a function of it
    kind: Kind = "text"
    network_only: bool = False
    export_only: bool = False
    screen_only: bool = False
    empty: str = EMPTY

    def read(self, row: Any) -> Any:
        return getattr(row, self.value) if isinstance(self.value, str) else self.value(row)


def hospital_column(attribute: str = "hospital_name", *, empty: str = EMPTY) -> Column:
    """The "Hospital" column a network-wide table needs and a hospital's own table does not."""
    return Column("Hospital", attribute, network_only=True, empty=empty)


@dataclass(frozen=True)
class Table:
    columns: Sequence[Column]

    def shown(self, *, network_wide: bool, for_export: bool) -> list[Column]:
        return [
            c
            for c in self.columns
            if (network_wide or not c.network_only)
            and not (c.export_only and not for_export)
            and not (c.screen_only and for_export)
        ]

    def frame(self, rows: Iterable[Any], *, network_wide: bool, for_export: bool = False) -> pd.DataFrame:
        rows = list(rows)
        shape = _export if for_export else _screen
        return pd.DataFrame(
            {
                c.label: [shape(c.kind, c.read(r), c.empty) for r in rows]
                for c in self.shown(network_wide=network_wide, for_export=for_export)
            },
            columns=[c.label for c in self.shown(network_wide=network_wide, for_export=for_export)],
        )

    def screen(self, network_wide: bool) -> Callable[[list], pd.DataFrame]:
        """The screen's frame maker, for a `Listing` (which hands it one page of rows)."""
        return lambda rows: self.frame(rows, network_wide=network_wide)

    def export(self, network_wide: bool) -> Callable[[list], pd.DataFrame]:
        return lambda rows: self.frame(rows, network_wide=network_wide, for_export=True)
