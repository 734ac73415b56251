"""The working scope: which hospital (or the whole network) every page shows. Its one owner.

A network administrator picks it in the sidebar; everyone else has their own hospital, fixed. The
choice lives in the session under KEY and in the address bar as `?hospital=<id>` (one sync, here),
so a copied link opens the same view; the services check it again (scope.with_working_scope).
"""

from __future__ import annotations

import streamlit as st

from dashboard.kit import say
from dashboard.platform import scope
from dashboard.platform.actors import Actor
from dashboard.platform.errors import NotFound, ServiceError
from dashboard.shell import data

KEY = "_working_scope"  # an ADMIN's chosen hospital id, None for the whole network
QUERY_PARAM = "hospital"
WIDGET_KEY = "sidebar_scope_picker"
WHOLE_NETWORK = ""  # the picker's value for "All hospitals" (a selectbox option cannot be None)
ALL_HOSPITALS = "All hospitals"


def _show_in_url(hospital_id: str | None) -> None:
    """Keep the working scope in the address bar on every page, so a copied link opens the same view."""
    if hospital_id is None:
        if QUERY_PARAM in st.query_params:
            del st.query_params[QUERY_PARAM]
    elif st.query_params.get(QUERY_PARAM) != hospital_id:
        st.query_params[QUERY_PARAM] = hospital_id


def forget() -> None:
    """The user may no longer choose (their role changed): drop the choice and its address."""
    st.session_state.pop(KEY, None)
    _show_in_url(None)


def fixed(actor: Actor, own_label: str | None) -> str:
    """A user with a fixed scope: refuse a link naming another hospital (audited), and say what they see.

    The address bar must not keep claiming a hospital the page is not showing.
    """
    asked = st.query_params.get(QUERY_PARAM)
    if asked is not None:
        del st.query_params[QUERY_PARAM]
        if asked and asked != actor.hospital_id:
            try:
                data.call(scope.with_working_scope, actor, asked)
            except ServiceError as exc:
                say.warning(f"{exc} This link named another hospital; you are seeing your own scope.")
    return (own_label if actor.hospital_id else ALL_HOSPITALS) or ALL_HOSPITALS


def chosen(actor: Actor) -> tuple[Actor, str]:
    """A network administrator's working scope: the actor narrowed to it, and its name."""
    if KEY not in st.session_state:
        # A shared or bookmarked link carries the scope; the service below still checks it.
        st.session_state[KEY] = st.query_params.get(QUERY_PARAM) or None
    hospital_id = st.session_state.get(KEY)
    _show_in_url(hospital_id)
    if hospital_id is None:
        return actor, ALL_HOSPITALS
    try:
        scoped = data.call(scope.with_working_scope, actor, hospital_id)
    except NotFound as exc:
        forget()
        say.warning(str(exc))
        return actor, ALL_HOSPITALS
    names = dict(data.hospital_choices(actor))
    return scoped, names.get(hospital_id, "Selected hospital")


def _on_change() -> None:
    st.session_state[KEY] = st.session_state[WIDGET_KEY] or None


def picker(base: Actor) -> None:
    """The sidebar's "Working scope" box: one hospital, or the whole network, for every page."""
    names = dict(data.hospital_choices(base))
    options = [WHOLE_NETWORK, *names]
    current = st.session_state.get(KEY) or WHOLE_NETWORK
    st.selectbox(
        "Working scope",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda hid: ALL_HOSPITALS if hid == WHOLE_NETWORK else names.get(hid, "Unknown hospital"),
        key=WIDGET_KEY,
        on_change=_on_change,
        help="Every page shows this hospital, or all hospitals.",
    )
