"""Pickers that forms share: the hospital an action happens in, and a patient found by number, phone or name.

Each owns the widget keys it is given; the services behind them check scope again on every call.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.kit import say
from dashboard.platform.errors import ServiceError
from dashboard.shell import data
from dashboard.shell.gate import Viewer

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
    viewer: Viewer,
    find: Callable,
    key: str,
    *,
    hospital_id: str | None = None,
    note: Callable[[object], str] = lambda choice: "",
) -> tuple[str | None, str | None]:
    """Search patients by hospital number, phone or name (never a 20,000-item list); (user id, name) or (None, None).

    `find` is the page's service (db, actor, text, hospital_id=) -> choices with user_id, name, email and
    label (people.PatientMatch.label: name, hospital number, phone, age); `hospital_id` is the hospital the
    form acts in, whose numbers are searched and shown; `note` adds a few words to an option (e.g. where
    the patient is already admitted). The first search
    picks its first match; after that the box keeps the patient picked until the user picks another.

    Leaving the search box reruns the page while the user may be clicking a dropdown below it. Two
    things shut that list: a Patient box appearing above a row of columns (Streamlit's browser side
    keys a block such as the Ward row by its position, so the row is remade), and the Patient box's
    selection changing under its own open list (a keyed selectbox keeps its identity when its options
    change, but Streamlit resets a value that is no longer an option to the first one). So the picker
    always takes the same room (a disabled box until a search finds someone, inside a container of
    its own), and a new search never changes the picked patient nor its place in the list.
    """
    typed = st.text_input(
        "Find the patient",
        key=f"{key}_search",
        placeholder="Hospital number, phone or name (a misspelt name is found too)",
        help="A hospital number as on the card (LUTH-000123, or just 123), a phone however it is written "
        "(0803…, +234 803…, 234-803…) or its start, a name, or an email address.",
    )
    with st.container():
        return _patient_box(viewer, find, key, typed, note, hospital_id)


def _patient_box(
    viewer: Viewer, find: Callable, key: str, typed: str, note: Callable[[object], str], hospital_id: str | None
) -> tuple[str | None, str | None]:
    picked_key = f"{key}_picked"  # {user id: (option text, name)} of the patient in the box

    def idle(placeholder: str) -> tuple[None, None]:
        # Its own key: the live box's choice is dropped with it, so the next search picks afresh.
        st.session_state.pop(picked_key, None)
        st.selectbox("Patient", [], key=f"{key}_idle", placeholder=placeholder, disabled=True)
        return None, None

    if len(typed.strip()) < MIN_SEARCH:
        return idle(f"Type at least {MIN_SEARCH} characters above")
    try:
        found = data.call(find, viewer.actor, typed, hospital_id=hospital_id)
    except ServiceError as exc:
        outcome = idle("No patient found")
        say.error(str(exc))
        return outcome
    if not found:
        return idle("No patient matches. Try the hospital number or the phone number.")
    options = {p.user_id: (f"{p.label}{note(p)}", p.name) for p in found}
    current = st.session_state.get(key)  # the box's value as the browser sent it, before it is drawn
    kept = st.session_state.get(picked_key, {})
    if current is not None and current not in options and current in kept:
        options[current] = kept[current]
    if current in options:  # first: the browser's list keys an option by its place
        options = {current: options[current], **{i: o for i, o in options.items() if i != current}}
    chosen = st.selectbox("Patient", list(options), format_func=lambda i: options[i][0], key=key)
    st.session_state[picked_key] = {chosen: options[chosen]}
    return chosen, options[chosen][1]
