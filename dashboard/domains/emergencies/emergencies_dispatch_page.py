"""The Emergencies page's map and the desk's dispatch panel: pick an emergency, see the nearest hospitals, refer.

One state per screen: the open emergencies and the referral board are read once per run (`read`),
before anything is drawn, and every panel draws from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.domains.emergencies import dispatch_map, emergency, nearest, open_list, referral_commands, referral_reads
from dashboard.domains.emergencies.emergencies_referrals_page import HISTORY
from dashboard.domains.emergencies.open_list import OpenEmergency
from dashboard.kit import commands, say
from dashboard.kit import map as deck_map
from dashboard.kit.commands import Command
from dashboard.kit.tables import Column, Table
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import count, humanise, lagos_datetime, md_escape, minutes_words
from dashboard.shell import data

REFER = Command("refer", referral_commands.refer, done="Referred {name} to {hospital}; awaiting its answer.",
                words=("name", "hospital"))  # fmt: skip
WITHDRAW = Command("withdraw", referral_commands.withdraw, done="Withdrew the referral to {hospital}.",
                   words=("hospital",))  # fmt: skip


@dataclass(frozen=True)
class State:
    choices: dict[str, OpenEmergency]  # the open emergencies a dispatcher picks from, by id
    picked: str | None  # the emergency the dispatch panel shows (the desk's only)
    board: referral_reads.Board


def read(ctx) -> State:
    """The open emergencies and the referral board, read once before anything is drawn."""
    pick = f"{ctx.key}_pick"
    choices = {e.id: e for e in data.call(open_list.open_choices, ctx.actor)}
    if ctx.network_wide and choices and st.session_state.get(pick) not in choices:
        st.session_state[pick] = next(iter(choices))
    picked = st.session_state.get(pick) if ctx.network_wide and choices else None
    try:
        board = data.call(referral_reads.board, ctx.actor, emergency_id=picked)
    except ServiceError:  # the picked emergency left the scope between two runs: read without it
        board = data.call(referral_reads.board, ctx.actor)
        picked = None
    return State(choices, picked, board)


def show_map(ctx, state: State) -> None:
    # Full width: at the national zoom Nigeria is about 650 pixels wide.
    st.subheader("Map")
    points = data.call(dispatch_map.map_data, ctx.actor)
    clicked = deck_map.show(
        deck_map.emergency_deck(points, selected=state.picked),
        key=f"{ctx.key}_map",
        alt="Map of Nigeria with hospitals, open emergencies and ambulances",
    )
    # A new click picks that emergency; the page is read again so the panel's history is the clicked one's.
    last_click = f"{ctx.key}_last_click"
    if clicked in state.choices and clicked != st.session_state.get(last_click):
        st.session_state[last_click] = clicked
        if clicked != state.picked:
            st.session_state[f"{ctx.key}_pick"] = clicked
            st.rerun()
    deck_map.legend(aggregated=points.aggregated)
    if points.ambulances_not_drawn:
        st.caption(f"{count(points.ambulances_not_drawn)} older ambulance trips are not drawn.")


def _lower_first(words: str) -> str:
    """'ICU beds' stays so, 'General ward beds' becomes 'general ward beds', for use mid-sentence."""
    first = words.split(" ", 1)[0]
    return words if first.isupper() else words[:1].lower() + words[1:]


def _counted(h: nearest.NearHospital) -> str:
    if h.hours_since_count is None:
        return "never"
    return ("Stale: " if h.stale else "") + f"{minutes_words(h.hours_since_count * 60)} ago"


def _nearest_table(bed: str) -> Table:
    return Table([Column("Hospital", "name"), Column("Distance", lambda h: f"{h.distance_km:,.1f} km"),
                  Column(f"Free {_lower_first(bed)}", "free_beds", "count"), Column("Counted", _counted)])  # fmt: skip


def _refer_form(ctx, state: State, chosen: OpenEmergency, names: dict, bed: str, where) -> None:
    commitment = state.board.commitment
    if commitment is not None and commitment.blocking:
        say.warning(commitment.sentence, icon=":material/block:", where=where)
        return
    if commitment is not None:
        say.warning(f"{commitment.sentence} {referral_reads.ASK_REASON}", icon=":material/warning:", where=where)
    with where.form(commands.form_key(ctx, f"refer_{chosen.id}"), border=True):
        target = st.selectbox(
            "Refer to", list(names),
            format_func=lambda i: f"{names[i].name} · {names[i].distance_km:,.1f} km · {names[i].free_beds} free",
        )  # fmt: skip
        reason = (
            st.text_input("Why refer again (required)", max_chars=300, placeholder="e.g. Beta's ICU lost power")
            if commitment is not None
            else None
        )
        note = st.text_input("Note for the hospital (optional)", max_chars=300)
        sent = st.form_submit_button("Refer again" if commitment is not None else "Send referral", type="primary")
    if sent:
        commands.run(ctx, REFER, chosen.id, target, bed_type=bed, note=note, reason=reason, affects=None,
                     name=chosen.patient_name, hospital=names[target].name)  # fmt: skip


def _caption(chosen: OpenEmergency) -> str:
    # The referral's state when there is one, worded as the open requests' table words it, so the two
    # never disagree (the request's own status stays "pending" until an ambulance is dispatched).
    where = (
        f"referral {humanise(chosen.referral_status).lower()} · {md_escape(chosen.referral_hospital)}"
        if chosen.referral_status
        else f"{humanise(chosen.status)} · with {md_escape(chosen.hospital_name or 'the dispatch desk')}"
    )
    return f"Requested {minutes_words(chosen.age_minutes)} ago · {where}" + (
        f" · {md_escape(chosen.description)}" if chosen.description else ""
    )


def dispatch(ctx, state: State) -> None:
    st.subheader("Dispatch")
    if not state.choices or state.picked is None:
        say.info("No open emergency in scope. New requests appear here as they come in.")
        return
    by_id = state.choices
    pick_column, bed_column = st.columns([3, 1])
    pick_column.selectbox(
        "Emergency", list(by_id), key=f"{ctx.key}_pick",
        format_func=lambda i: f"{humanise(by_id[i].severity)} · {humanise(by_id[i].emergency_type)} · "
        f"{by_id[i].patient_name} · {minutes_words(by_id[i].age_minutes)}",
        help="Oldest critical first; or click an emergency on the map.",
    )  # fmt: skip
    chosen = by_id[state.picked]
    st.caption(_caption(chosen))
    bed = bed_column.selectbox(
        "Beds needed", emergency.BED_TYPES, key=f"{ctx.key}_bed_{state.picked}",
        index=emergency.BED_TYPES.index(chosen.suggested_bed),
    )  # fmt: skip
    try:
        found = data.call(nearest.nearest_hospitals, ctx.actor, state.picked, bed_type=bed)
    except ServiceError as exc:
        say.warning(str(exc))
        return
    if not found.hospitals:
        say.warning("No active hospital with a location was found.")
        return
    table_column, form_column = st.columns([3, 2])
    table_column.markdown("**Nearest hospitals**, best first")
    table_column.dataframe(_nearest_table(bed).frame(found.hospitals, network_wide=ctx.network_wide),
                           hide_index=True, width="stretch")  # fmt: skip
    for d in found.diverted:
        say.warning(f"{d.name} ({d.distance_km:,.1f} km) is not accepting patients: {d.reason or 'no reason given'}"
                    + (f", until {lagos_datetime(d.until)}" if d.until else ""),
                    icon=":material/block:", where=table_column)  # fmt: skip
    table_column.caption("Fresh counts with free beds come first, by distance; a stale count ranks below them.")
    if emergency.is_desk(ctx.actor):
        # The hospital already holding the emergency is no choice: refer it elsewhere.
        targets = {h.hospital_id: h for h in found.hospitals if h.hospital_id != chosen.hospital_id}
        if targets:
            _refer_form(ctx, state, chosen, targets, bed, form_column)
        else:
            say.info("No other hospital with a location to refer to.", where=form_column)
    elif state.board.commitment is not None:
        say.info(state.board.commitment.sentence, where=form_column)
    if state.board.history:
        st.markdown("**Referrals of this emergency**")
        st.dataframe(HISTORY.frame(state.board.history, network_wide=ctx.network_wide), hide_index=True,
                     width="stretch")  # fmt: skip
        waiting = referral_reads.withdrawable(state.board.history, ctx.actor)
        if waiting and st.button("Withdraw the waiting referral", key=f"{ctx.key}_withdraw_{waiting.id}"):
            commands.run(ctx, WITHDRAW, waiting.id, affects=None, hospital=waiting.to_hospital)
