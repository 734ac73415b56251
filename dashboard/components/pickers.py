"""Pickers that forms share: the hospital an action happens in, and a patient found by name or email.

Each owns the widget keys it is given; the services behind them check scope again on every call.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import data
from dashboard.components import say
from dashboard.gate import Viewer
from dashboard.services.errors import ServiceError

MIN_SEARCH = 2


def hospital_for_action(viewer: Viewer, key: str, *, help: str, choose_first: bool = True) -> str | None:
    """The hospital a command acts in: a network-wide reader picks one; everyone else has their own."""
    actor = viewer.actor
    if not actor.network_wide:
        return actor.hospital_id
    choices = dict(data.hospital_choices(actor))
    return st.selectbox(
        "Hospital", list(choices), format_func=choices.get, key=key, help=help,
        index=0 if choose_first else None, placeholder="Pick the hospital",
    )  # fmt: skip


def patient(
    viewer: Viewer, find: Callable, key: str, *, note: Callable[[object], str] = lambda choice: ""
) -> tuple[str | None, str | None]:
    """Search patients by name or email (never a 20,000-item list); returns (user id, name) or (None, None).

    `find` is the page's service (db, actor, text) -> choices with user_id, name and email; `note`
    adds a few words to an option (e.g. where the patient is already admitted).
    """
    typed = st.text_input(
        "Find the patient",
        key=f"{key}_search",
        placeholder=f"Name, email, phone or patient number, at least {MIN_SEARCH} characters",
    )
    if len(typed.strip()) < MIN_SEARCH:
        return None, None
    try:
        found = data.call(find, viewer.actor, typed)
    except ServiceError as exc:
        say.error(str(exc))
        return None, None
    if not found:
        st.caption("No patient matches. Check the spelling, or search by email.")
        return None, None
    by_id = {p.user_id: p for p in found}
    chosen = st.selectbox(
        "Patient", list(by_id), format_func=lambda i: f"{by_id[i].name} ({by_id[i].email}){note(by_id[i])}", key=key
    )
    return chosen, by_id[chosen].name if chosen else None
