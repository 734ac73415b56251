"""The sidebar under the menu: who is signed in, their role and scope, the ADMIN's scope picker, log-out."""

from __future__ import annotations

import streamlit as st

from dashboard import data, gate
from dashboard.formatting import md_escape
from dashboard.gate import Viewer
from dashboard.services.actors import ROLE_NAMES

SCOPE_WIDGET_KEY = "sidebar_scope_picker"
# The whole network is the empty string in the picker, not None: a None option reads as "nothing
# selected" to widgets and tests alike.
WHOLE_NETWORK = ""


def _on_scope_change() -> None:
    st.session_state[gate.SCOPE_KEY] = st.session_state[SCOPE_WIDGET_KEY] or None


def scope_picker(viewer: Viewer) -> None:
    """ADMIN only: pick one hospital, or the whole network, as the working scope for every page."""
    base = viewer.user.actor(gate.client_info(viewer.user.session_id))
    choices = data.hospital_choices(base.scope_key, base.role.value, base)
    names = dict(choices)
    options = [WHOLE_NETWORK, *names]
    current = st.session_state.get(gate.SCOPE_KEY) or WHOLE_NETWORK
    st.selectbox(
        "Working scope",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda hid: gate.ALL_HOSPITALS if hid == WHOLE_NETWORK else names.get(hid, "Unknown hospital"),
        key=SCOPE_WIDGET_KEY,
        on_change=_on_scope_change,
        help="Every page shows this hospital, or all hospitals.",
    )


def render(viewer: Viewer) -> None:
    user = viewer.user
    with st.sidebar:
        st.markdown(f"**{md_escape(user.name)}**")
        st.text(user.email)  # plain text: Markdown would turn an address into a mailto link
        st.caption(f"{ROLE_NAMES.get(user.role, user.role.value)} · {md_escape(viewer.scope_label)}")
        if user.role is gate.navigation.ADMIN:
            scope_picker(viewer)
        if st.button("Log out", key="sidebar_log_out", icon=":material/logout:", width="stretch"):
            gate.log_out(viewer)
