"""Digests' add form: what to send (only what the role reads), for which scope, how often and when, and a list's
filters. A part of the Digests page (digests_page.py runs it); the service checks every field again and says
what to change in a sentence.
"""

from __future__ import annotations

from datetime import time

import streamlit as st

from dashboard.domains.digests import lists, subscriptions
from dashboard.domains.digests.schedule import WEEKDAYS, Schedule, ordinal
from dashboard.domains.governance import licences
from dashboard.kit import commands
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.formatting import md_escape
from dashboard.shell import data
from db.base import UserRole

SUBSCRIBE = Command("subscribe", subscriptions.subscribe,
                    done="Subscribed: {what} for {scope}. {when} (Lagos time); the first is sent at its next time.",
                    words=("what", "scope", "when"))  # fmt: skip
NETWORK = ""  # the scope picker's value for the whole network (a hospital's id otherwise)
APPOINTMENT_STATUS_WORDS = {None: "Any status", "pending": "Pending", "confirmed": "Confirmed",
                            "cancelled": "Cancelled", "completed": "Completed", "no_show": "No-show"}  # fmt: skip


def _scope(ctx: PageContext, key: str) -> tuple[str | None, str]:
    """(hospital id or None for the network, its name): a network administrator picks; everyone else has theirs."""
    if ctx.actor.role is not UserRole.ADMIN:
        name = ctx.viewer.scope_label
        st.caption(f"For {md_escape(name)}: your scope. A digest is only ever of the scope you work in.")
        return ctx.actor.hospital_id, name
    choices = {NETWORK: subscriptions.NETWORK_WORDS, **dict(data.hospital_choices(ctx.actor))}
    picked = st.selectbox("Scope", list(choices), format_func=choices.get, key=key,
                          help="The whole network, or one hospital's figures only.")  # fmt: skip
    return picked or None, choices[picked]


def _filters(list_key: str) -> dict:
    """The chosen list's own filters, inside the form."""
    chosen = lists.LISTS[list_key]
    picked: dict = {}
    if list_key == "appointments":
        first, second, third = st.columns(3)
        picked["days"] = first.selectbox("Appointments of", lists.APPOINTMENT_DAYS, index=1,
                                         format_func=lambda d: "The day it is sent" if d == 1 else f"{d} days from "
                                         "the day it is sent")  # fmt: skip
        picked["status"] = second.selectbox("Status", chosen.choices["status"],
                                            format_func=APPOINTMENT_STATUS_WORDS.get)  # fmt: skip
        picked["consultation_type"] = third.selectbox(
            "In person or virtual", chosen.choices["consultation_type"],
            format_func=lambda c: {None: "Both", "in_person": "In person", "virtual": "Virtual"}.get(c, c))  # fmt: skip
    elif list_key == "licences":
        words = licences.bands()
        picked["band"] = st.selectbox(
            "Licences", chosen.choices["band"], format_func=lambda b: "Every licence" if b is None else words[b].word
        )
    picked["search"] = st.text_input("Only rows matching (optional)", max_chars=lists.MAX_SEARCH_LENGTH,
                                     placeholder="As the list's search box: a name, a room, a number")  # fmt: skip
    return picked


def show_add(ctx: PageContext) -> None:
    with panel(ctx, "Add a digest", "add", icon=":material/add_alert:"):
        offered = subscriptions.kinds_for(ctx.actor.role)
        top_left, top_right = st.columns(2)
        with top_left:
            choice = st.selectbox("What to send", list(offered), format_func=offered.get, key=f"{ctx.key}_add_kind")
        with top_right:
            hospital_id, scope_name = _scope(ctx, f"{ctx.key}_add_scope")
        cadence = st.segmented_control("How often", ["daily", "weekly", "monthly"], default="daily",
                                       key=f"{ctx.key}_add_cadence", format_func=str.capitalize) or "daily"  # fmt: skip
        kind, _, list_key = choice.partition(":")
        with st.form(commands.form_key(ctx, "add"), border=False):
            left, right = st.columns(2)
            at = left.time_input("Time (Lagos)", value=time(7, 0), step=900)
            weekday = monthday = None
            if cadence == "weekly":
                weekday = right.selectbox("Day of the week", range(7), format_func=lambda d: WEEKDAYS[d])
            elif cadence == "monthly":
                monthday = right.selectbox("Day of the month", range(1, 29), format_func=ordinal,
                                           help="The 1st to the 28th: every month has those days.")  # fmt: skip
            filters = _filters(list_key) if kind == "list_excel" else None
            submitted = st.form_submit_button("Subscribe", type="primary")
        if submitted:
            when = Schedule(cadence, at, weekday, monthday).words()
            commands.run(ctx, SUBSCRIBE, kind=kind, hospital_id=hospital_id, list_key=list_key or None,
                         filters=filters, cadence=cadence, send_time=at, weekday=weekday, monthday=monthday,
                         affects=hospital_id, what=offered[choice], scope=scope_name, when=when)  # fmt: skip
