"""Runs a page: access first, then the domain's `render(ctx)`.

`st.Page` points at `page_runner(spec)`, so no page module runs a line before its access check and
every page module keeps its imports at the top. A page refused to the role stops in
`gate.require_page_access`, which says why and audits the attempt. A browser session paired as a ward
screen opens its view and nothing else: `screen_gate.require_view` refuses every other page the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st

from dashboard.kit.page import PageContext
from dashboard.shell import gate, screen_gate
from dashboard.shell.navigation import PAGE_BY_KEY, PageSpec


def run_page(key: str) -> None:
    spec = PAGE_BY_KEY[key]
    # A screen is checked before anything else: it is never a staff member.
    viewer = screen_gate.require_view(key, spec.title) if screen_gate.is_a_screen() else gate.require_page_access(key)
    module = importlib.import_module(spec.module)
    module.render(PageContext(key, viewer))


def script(key: str) -> str:
    """A script that runs one page as the router does (AppTest of a single page, the page bench)."""
    return f"from dashboard.shell.router import run_page\n\nrun_page({key!r})\n"


def page_runner(spec: PageSpec) -> Callable[[], None]:
    def run() -> None:
        run_page(spec.key)

    run.__name__ = spec.key  # st.Page names a callable page after its function
    return run


def st_page(spec: PageSpec, *, hidden: bool = False) -> st.Page:
    """The page's entry in st.navigation: its title, icon and address, run through the router."""
    return st.Page(
        page_runner(spec),
        title=spec.title,
        icon=spec.icon,
        url_path=spec.url_path,
        visibility="hidden" if hidden else "visible",
    )
