"""Messages to the reader (errors, warnings, notes, toasts) with any text they carry shown as text.

Streamlit renders every message as Markdown. A service's sentence may carry a name someone typed
(a patient, a resource, a hospital, an email), and a crafted one would otherwise render as a link
or an image fetched from anywhere; so every message goes through md_escape here.
"""

from __future__ import annotations

import streamlit as st

from dashboard.platform.formatting import md_escape


def error(text: str, *, icon: str | None = None, where=None) -> None:
    (where or st).error(md_escape(text), icon=icon)


def warning(text: str, *, icon: str | None = None, where=None) -> None:
    (where or st).warning(md_escape(text), icon=icon)


def info(text: str, *, icon: str | None = None, where=None) -> None:
    (where or st).info(md_escape(text), icon=icon)


def success(text: str, *, icon: str | None = None, where=None) -> None:
    (where or st).success(md_escape(text), icon=icon)


def toast(text: str, *, icon: str | None = None) -> None:
    st.toast(md_escape(text), icon=icon)
