"""A panel: the folding box a page puts a form or a detail in, keyed under the page.

Its key (`<page>_<part>_panel`) keeps it open across reruns, and `on_change="rerun"` re-reads the
page when it opens, so what it shows is current (written 13 times by hand before this module).
"""

from __future__ import annotations

import streamlit as st


def panel(ctx, title: str, part: str, *, expanded: bool = False, icon: str | None = None):
    """`with panel(ctx, "Admit a patient", "admit"):` a folding box under the page's key."""
    return st.expander(
        title, expanded=expanded, icon=icon, key=f"{ctx.key}_{part}_panel", on_change="rerun"
    )
