"""The Emergencies page's ambulances on the way: the list a dispatcher scans, and one ambulance's details and status."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.emergencies import ambulances
from dashboard.kit import commands, say
from dashboard.kit.commands import Command
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import humanise, lagos_datetime, md_escape, minutes_words
from dashboard.shell import data

UPDATE = Command("ambulance", ambulances.update_ambulance, words=("name", "status_words", "eta"),
                 done="Ambulance for {name}: {status_words}, ETA {eta:.0f} min.")  # fmt: skip
# The columns a dispatcher scans at 1,400 pixels; pickup, emergency and the full destination are in
# the detail view under the table.
AMBULANCES = Table(
    [
        Column("Patient", "patient_name"),
        Column("Status", "status", "code"),
        Column("ETA", lambda a: None if a.eta_minutes is None else f"{a.eta_minutes} min"),
        Column("To", lambda a: a.hospital_name or a.destination),
        Column("Requested", lambda a: f"{minutes_words(a.age_minutes)} ago"),
    ]
)


def show(ctx) -> None:
    st.subheader("Ambulances on the way")
    rows = data.call(ambulances.open_ambulances, ctx.actor)
    if not rows:
        say.info("No ambulance is on its way in this scope.")
        return
    st.dataframe(AMBULANCES.frame(rows, network_wide=ctx.network_wide), hide_index=True, width="stretch",
                 height="content" if len(rows) <= 10 else 400)  # fmt: skip
    by_id = {a.id: a for a in rows}
    with panel(ctx, "Ambulance details" + (", status and ETA" if ctx.can_write else ""), "ambulance"):
        chosen = st.selectbox(
            "Ambulance", list(by_id), key=f"{ctx.key}_ambulance",
            format_func=lambda i: f"{by_id[i].patient_name} · {humanise(by_id[i].status)} · "
            f"{by_id[i].hospital_name or by_id[i].destination or 'no destination'}",
        )  # fmt: skip
        a = by_id[chosen]
        st.markdown(
            f"**{md_escape(humanise(a.emergency_type))}** for {md_escape(a.patient_name)} · "
            f"requested {lagos_datetime(a.created_at)}  \n"
            f"Pickup: {md_escape(a.pickup_address)}  \n"
            f"To: {md_escape(a.destination or a.hospital_name or 'not set')}"
        )
        if ctx.can_write:
            _status_form(ctx, a)


def _status_form(ctx, a: ambulances.AmbulanceRow) -> None:
    with st.form(commands.form_key(ctx, f"ambulance_form_{a.id}"), border=False):
        status_column, eta_column = st.columns(2)
        status = status_column.selectbox("Status", ambulances.STATUSES, index=ambulances.STATUSES.index(a.status),
                                         format_func=humanise)  # fmt: skip
        eta = eta_column.number_input("ETA (minutes)", value=a.eta_minutes or 0, step=1)
        saved = st.form_submit_button("Save")
    if saved:
        commands.run(ctx, UPDATE, a.id, status=status, eta_minutes=eta, affects=a.hospital_id, name=a.patient_name,
                     status_words=humanise(status), eta=eta)  # fmt: skip
