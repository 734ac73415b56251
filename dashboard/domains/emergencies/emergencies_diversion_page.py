"""The Emergencies page's diversion: a hospital says it cannot take patients; the desk sees who cannot."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.emergencies import diversion
from dashboard.kit import commands, filters, say
from dashboard.kit.commands import Command
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import lagos_datetime, md_escape
from dashboard.shell import data

DIVERT = Command("divert", diversion.set_diversion, words=(),
                 done="The hospital is marked not accepting patients; the desk sees it at once.")  # fmt: skip
END = Command("end_diversion", diversion.end_diversion, done="The hospital accepts referrals again.", words=())
DIVERTED = Table(
    [
        Column("Hospital", "hospital_name"),
        Column("Reason", "reason", empty=""),
        Column("Since", "since", "datetime"),
        Column("Expected back", lambda d: ("—" if d.until is None else lagos_datetime(d.until))
               + (" (passed)" if d.lapsed else "")),  # fmt: skip
    ]
)


def own(ctx) -> None:
    """A hospital's own state, and (for its administrators) the form that changes it."""
    state = data.cached(diversion.diversion, ctx.actor, hospital_id=ctx.actor.hospital_id)
    st.subheader("Accepting emergency patients")
    if state.accepting and not state.lapsed:
        st.caption(f"{md_escape(state.hospital_name)} accepts referrals.")
    elif state.lapsed:
        say.warning(f"The diversion's expected end ({lagos_datetime(state.until)}) has passed, so the desk "
                    "sees the hospital as accepting again. End it, or set a new end.")  # fmt: skip
    else:
        say.warning(f"{state.hospital_name} is NOT accepting patients: {state.reason}. Expected back "
                    f"{lagos_datetime(state.until)} (set {lagos_datetime(state.since)}).",
                    icon=":material/block:")  # fmt: skip
    if not ctx.can_write:
        return
    with panel(ctx, "Not accepting patients (diversion)", "diversion"):
        with st.form(commands.form_key(ctx, "diversion"), border=False):
            reason = st.text_input("Reason", max_chars=300, placeholder="e.g. ICU full, generator down")
            day_column, time_column = st.columns(2)
            end_day = day_column.date_input("Expected back on", value=filters.today(), format="DD/MM/YYYY")
            end_time = time_column.time_input("at (Lagos time)", value=diversion.suggested_end_time())
            divert = st.form_submit_button("Stop accepting patients")
        if divert:
            commands.run(ctx, DIVERT, ctx.actor.hospital_id, reason=reason,
                         until=diversion.expected_end(end_day, end_time))  # fmt: skip
        if (not state.accepting or state.lapsed) and st.button("Accept patients again", key=f"{ctx.key}_end_diversion"):
            commands.run(ctx, END, ctx.actor.hospital_id)


def network(ctx, diverted: list[diversion.Diversion]) -> None:
    """The desk's list of hospitals not accepting patients."""
    if diverted:
        st.subheader("Hospitals not accepting patients")
        st.dataframe(DIVERTED.frame(diverted, network_wide=ctx.network_wide), hide_index=True, width="stretch")
