"""The Hospitals page's form: where a hospital stands, its state and local government area.

A part of the Hospitals page (hospitals_page.py runs it) for the roles that write hospitals. Not an st.form: the
LGA list follows the state as soon as it is picked. The command checks both again (hospital_location.set_location).
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.governance import hospital_location
from dashboard.domains.overview import states
from dashboard.kit import commands
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.shell import data

SET = Command("location", hospital_location.set_location, done="{name} is now recorded in {where}.",
              words=("name", "where"))  # fmt: skip
PICK = "Pick a state first"


def show(ctx: PageContext) -> None:
    with st.expander("Record a hospital's state and LGA", icon=":material/location_on:"):
        places = data.cached(hospital_location.hospital_locations, ctx.actor)
        if not places:
            st.info("There are no hospitals in your scope yet.")
            return
        key = commands.form_key(ctx, "location")
        chosen = st.selectbox("Hospital", places, format_func=lambda p: p.hospital_name, key=f"{key}_hospital")
        st.caption(f"Recorded now: {chosen.words}.")
        names = states.state_names()
        state = st.selectbox("State", names, index=names.index(chosen.state) if chosen.state in names else None,
                             placeholder="Pick one of the 36 states or the FCT",
                             key=f"{key}_state_{chosen.hospital_id}")  # fmt: skip
        lgas = states.lga_names(state) if state else []
        lga = st.selectbox("Local government area", lgas,
                           index=lgas.index(chosen.lga) if chosen.lga in lgas else None,
                           placeholder=f"Pick one of {state}'s {len(lgas)} LGAs" if state else PICK,
                           disabled=not state, key=f"{key}_lga_{chosen.hospital_id}_{state}")  # fmt: skip
        if st.button("Save the state and LGA", type="primary", key=f"{key}_save"):
            commands.run(ctx, SET, chosen.hospital_id, state=state, lga=lga, name=chosen.hospital_name,
                         where=f"{lga} LGA, {state}" if lga and state else "")  # fmt: skip
