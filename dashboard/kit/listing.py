"""A list declared once: search box, SQL-paginated table with "1–50 of 12,480", empty state, audited export.

A page declares a `Listing` (its key, noun, list service, export service and how rows become a
frame) and calls `show`. Every session-state key this module makes carries the listing's key and
the viewer's scope, so a scope change starts a fresh list and never offers the previous scope's file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.kit import say
from dashboard.kit.export import export_panel
from dashboard.kit.tables import Table
from dashboard.platform.formatting import Noun, range_caption
from dashboard.platform.paging import Page
from dashboard.shell import data
from dashboard.shell.gate import Viewer


@dataclass(frozen=True)
class Listing:
    key: str
    noun: Noun
    list_service: Callable[..., Page]  # (db, actor, *, search, page, page_size, **filters) -> Page
    export_service: Callable[..., tuple[list, bool]]  # (db, actor, *, search, **filters) -> (rows, truncated)
    file_stem: str
    table: Table | None = None  # the columns, declared once for the screen and the file (kit/tables.py)
    to_frame: Callable[[list], pd.DataFrame] | None = None  # or a page's own frame maker
    export_frame: Callable[[list], pd.DataFrame] | None = None  # wider than the screen's, when it needs to be
    search_label: str | None = "Search"
    search_placeholder: str = ""
    page_size: int = 25
    empty: str = "Nothing here yet."
    empty_filtered: str = "Nothing matches these filters. Clear the search to see everything."
    column_config: dict[str, Any] = field(default_factory=dict)


def _frames(listing: Listing, viewer: Viewer) -> tuple[Callable[[list], pd.DataFrame], Callable[[list], pd.DataFrame]]:
    if listing.table is not None:
        network_wide = viewer.actor.network_wide
        return listing.table.screen(network_wide), listing.table.export(network_wide)
    assert listing.to_frame is not None, f"listing {listing.key} declares neither a table nor a frame maker"
    return listing.to_frame, listing.export_frame or listing.to_frame


def _scoped(listing: Listing, viewer: Viewer, part: str) -> str:
    return f"{listing.key}__{viewer.actor.scope_key}__{part}"


def page_number(key: str, reset_on: object) -> int:
    """The current page of a paginated table; back to page 1 whenever `reset_on` (the filters) changes."""
    marker = f"{key}__filters"
    if st.session_state.get(marker) != reset_on:
        st.session_state[marker] = reset_on
        st.session_state[key] = 1
    return int(st.session_state.get(key, 1))


def page_table(frame: pd.DataFrame, column_config: dict[str, Any] | None = None) -> None:
    """One page of a table, shown whole (no scrollbar inside a scrolling page)."""
    st.dataframe(frame, hide_index=True, height="content", width="stretch", column_config=column_config)


def pager(key: str, page: Page, noun: Noun) -> None:
    """'1–25 of 40 hospitals' with Previous and Next buttons that change the page kept under `key`."""
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="center")
    left.caption(range_caption(page.first, page.last, page.total, noun))
    if page.page_count <= 1:
        return
    if middle.button("Previous", key=f"{key}__prev", disabled=page.page <= 1, width="stretch"):
        st.session_state[key] = page.page - 1
        st.rerun()
    if right.button("Next", key=f"{key}__next", disabled=page.page >= page.page_count, width="stretch"):
        st.session_state[key] = page.page + 1
        st.rerun()


def search_box(listing: Listing, viewer: Viewer) -> str:
    if listing.search_label is None:
        return ""
    return st.text_input(
        listing.search_label, key=_scoped(listing, viewer, "search"), placeholder=listing.search_placeholder
    )


def show(
    listing: Listing,
    viewer: Viewer,
    *,
    filters: dict[str, Any] | None = None,
    search: str | None = None,
    export_filters: dict[str, Any] | None = None,
) -> Page:
    """Draw the list and its export; returns the page shown (its rows feed a page's own actions).

    `filters` go to both services as keywords; `search` is the page's own box when it drew one
    (otherwise the listing draws its own); `export_filters` are extra keywords for the export only.
    """
    filters = dict(filters or {})
    to_screen, to_file = _frames(listing, viewer)
    if search is None:
        search = search_box(listing, viewer)
    signature = (search, tuple(sorted((k, repr(v)) for k, v in filters.items())), viewer.actor.scope_key)
    page_key = _scoped(listing, viewer, "page")
    page = data.call(
        listing.list_service,
        viewer.actor,
        search=search,
        page=page_number(page_key, signature),
        page_size=listing.page_size,
        **filters,
    )
    if page.total == 0:
        filtered = bool(search.strip()) or any(v not in (None, "", [], ()) for v in filters.values())
        say.info(listing.empty_filtered if filtered else listing.empty)
    else:
        page_table(to_screen(page.rows), listing.column_config)
        pager(page_key, page, listing.noun)

    def _prepare() -> tuple[pd.DataFrame, bool]:
        rows, truncated = data.call(
            listing.export_service, viewer.actor, search=search, **filters, **(export_filters or {})
        )
        return to_file(rows), truncated

    export_panel(
        _scoped(listing, viewer, "export"),
        filters=(signature, repr(export_filters)),
        noun=listing.noun,
        file_stem=listing.file_stem,
        disabled=page.total == 0,
        prepare=_prepare,
    )
    return page
