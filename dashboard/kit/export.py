"""Exports: the same table as CSV and as Excel, both formula-safe, built only when asked and audited.

The file is made by `prepare`, a service call that checks scope and records the export in the
audit trail. A prepared file is offered only while the filters (which include the scope) are the
ones it was made for, so a scope change never hands out the previous scope's rows.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.kit import say
from dashboard.platform.formatting import LAGOS, Noun, csv_safe
from dashboard.platform.paging import EXPORT_LIMIT

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens naira signs and accents right."""
    return frame.map(csv_safe).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """An .xlsx workbook through openpyxl. Text that starts like a formula is written as text.

    openpyxl stores a string beginning with "=" as a formula; csv_safe's apostrophe makes it plain
    text as it does for CSV. Headers are bold and columns sized to their content.
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe = frame.map(csv_safe)
        safe.to_excel(writer, index=False, sheet_name=sheet[:31] or "Sheet1")
        worksheet = writer.sheets[sheet[:31] or "Sheet1"]
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for position, column in enumerate(safe.columns, start=1):
            widest = max([len(str(column)), *(len(str(v)) for v in safe[column].head(500))])
            worksheet.column_dimensions[get_column_letter(position)].width = min(60, widest + 2)
        worksheet.freeze_panes = "A2"
    return buffer.getvalue()


def export_panel(
    key: str,
    *,
    filters: object,
    noun: Noun,
    file_stem: str,
    disabled: bool,
    prepare: Callable[[], tuple[pd.DataFrame, bool]],
) -> None:
    """An "Export" expander under a table: prepare once, then download as CSV or Excel."""
    with st.expander("Export (CSV or Excel)", key=f"{key}_panel", on_change="rerun"):
        st.caption(
            f"All {noun.plural} matching the filters above, up to {EXPORT_LIMIT:,}. "
            "Preparing an export is itself recorded in the audit trail."
        )
        if st.button("Prepare export", key=f"{key}_prepare", disabled=disabled):
            with st.spinner("Preparing the file…"):
                table, truncated = prepare()
                files = (csv_bytes(table), xlsx_bytes(table, file_stem.replace("-", " ").capitalize()))
            st.session_state[key] = (filters, files, len(table), truncated)
        prepared = st.session_state.get(key)
        if not prepared or prepared[0] != filters:
            return
        _, (csv, xlsx), rows, truncated = prepared
        if truncated:
            say.warning(f"Only the first {noun.count(rows)} are in the file; narrow the filters to get the rest.")
        stamp = f"{file_stem}-{datetime.now(LAGOS):%Y-%m-%d}"  # the reader's day, not UTC's
        as_csv, as_xlsx = st.columns(2)
        as_csv.download_button(
            f"Download {noun.count(rows)} (CSV)",
            data=csv,
            file_name=f"{stamp}.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"{key}_download_csv",
        )
        as_xlsx.download_button(
            f"Download {noun.count(rows)} (Excel)",
            data=xlsx,
            file_name=f"{stamp}.xlsx",
            mime=XLSX_MIME,
            icon=":material/table_view:",
            key=f"{key}_download_xlsx",
        )
