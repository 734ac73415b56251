"""The sidebar under the menu: who is signed in, their role and scope, the app-wide filters, log-out."""

from __future__ import annotations

import streamlit as st

from dashboard.kit import filters
from dashboard.platform.actors import ROLE_NAMES
from dashboard.platform.formatting import md_escape
from dashboard.shell import gate, working_scope
from dashboard.shell.gate import Viewer


def render(viewer: Viewer) -> None:
    user = viewer.user
    with st.sidebar:
        st.markdown(f"**{md_escape(user.name)}**")
        st.text(user.email)  # plain text: Markdown would turn an address into a mailto link
        st.caption(f"{ROLE_NAMES.get(user.role, user.role.value)} · {md_escape(viewer.scope_label)}")
        if user.role is gate.navigation.ADMIN:
            working_scope.picker(user.actor(gate.client_info(user.session_id)))
        filters.date_range_picker()
        if st.button("Log out", key="sidebar_log_out", icon=":material/logout:", width="stretch"):
            gate.log_out(viewer)
