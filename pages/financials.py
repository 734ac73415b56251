"""Financials: placeholder while the page is built (replaced by its issue's work)."""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("financials")

from dashboard.components.header import page_header  # noqa: E402

page_header("Financials", "This page is being built.", viewer)
st.info("This page is being built.")
