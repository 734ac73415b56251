"""The network by state: a map of Nigeria's states coloured by a figure, the table behind it, and a state's hospitals.

A part that the Overview, Financials, Compliance and Emergencies pages each run (`by_state(ctx, metric=...)`), with
their own figure chosen first; the selector offers the figures the role reads (overview/states.py METRICS). A click
on a state (or the picker under the map) filters the part to that state: its hospitals are read from the database
for that state (states.hospitals_in_state), within the actor's scope, so a hospital's user never sees more.

The map (overview_states_map_page.py) is drawn offline: nothing is fetched.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.domains.governance.compliance import bands_legend
from dashboard.domains.overview import states
from dashboard.domains.overview.overview_states_map_page import FIGURES, SHORT_WORDS, codes, shown, state_map
from dashboard.kit import drill, filters, kpi
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import count, md_escape
from dashboard.shell import data

STATE_PARAM = "state"  # the chosen state in the address bar, so a copied link opens it
ALL_STATES = "All states"


def _columns(metrics: list[str], *, hospitals: bool) -> Table:
    first = [Column("Hospital", "hospital_name"), Column("LGA", "lga")] if hospitals else [
        Column("State", "state"), Column("Hospitals", "hospitals", "count"),
        Column("Verified", "verified_hospitals", "count"),
    ]  # fmt: skip
    if hospitals:
        first.append(Column("Verified", "verified_hospitals", "yes_no"))
    figures = {
        "state_bed_occupancy": Column("Bed occupancy", lambda r: None if r.occupancy is None else r.occupancy / 100,
                                      "percent"),
        "state_revenue_month_to_date": Column("Revenue this month", "revenue", "money"),
        "state_compliance_score": Column("Compliance score", lambda r: None if r.compliance_score is None
                                         else f"{r.compliance_score:.1f}"),
        "state_open_emergencies": Column("Open emergencies", "open_emergencies", "count"),
    }  # fmt: skip
    return Table([*first, *(figures[m] for m in metrics)])


def _pick(names: set[str]):
    """The map's click, as drill's selection: the state clicked when it has hospitals in scope (customdata[0])."""

    def pick(point: dict[str, Any]) -> dict[str, Any] | None:
        name = (point.get("customdata") or [None])[0]
        return {"filters": {"state": name}, "label": name} if name in names else None

    return pick


def by_state(ctx: PageContext, *, metric: str) -> None:
    """The "By state" part: cards, the map, a state picker and the table behind it (a state's hospitals once picked)."""
    actor, key = ctx.actor, f"{ctx.key}_states"
    metrics = states.metrics_for(actor)
    st.subheader("By state", help="Each state's figure is the sum of its hospitals' (the table under the map).")
    rows = data.cached(states.state_figures, actor, today=filters.today())
    if not rows:
        st.info("No hospital is in your scope yet. Hospitals appear here by their state once they join.")
        return
    code_of = codes()
    placed = [r for r in rows if r.state in code_of]  # "Not recorded" and another client's spelling: the table only
    unverified = [r.state for r in placed if r.verified_hospitals == 0]
    named = md_escape(", ".join(unverified[:3])) + ("…" if len(unverified) > 3 else "")
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("states_covered", f"{count(len(placed))} of 37"),
        kpi.figure_card("states_without_verified", count(len(unverified)),
                        status=kpi.Status.ATTENTION if unverified else kpi.Status.NORMAL,
                        status_note=named or "none"),
    ])  # fmt: skip
    chosen = st.segmented_control(
        "Colour the states by", metrics, default=metric if metric in metrics else metrics[0],
        format_func=lambda m: SHORT_WORDS[m], key=f"{key}_metric", help=FIGURES[metric].help,
    ) or (metric if metric in metrics else metrics[0])  # fmt: skip
    group = f"{key}__{actor.scope_key}"  # a scope change starts with nothing clicked
    drill.chart(state_map(placed, chosen), group=group, key=f"{key}_map", pick=_pick({r.state for r in placed}))
    if chosen == "state_compliance_score":
        st.caption(f"Scores: {bands_legend()}. Pale grey: no hospital in scope, or no figure yet.")
    else:
        st.caption(f"{FIGURES[chosen].help} Pale grey: no hospital in scope, or no figure yet. "
                   "Click a state to see its hospitals.")  # fmt: skip
    picker = f"{key}_picker"
    options = [ALL_STATES, *(r.state for r in placed)]
    if picker not in st.session_state:
        linked = st.query_params.get(STATE_PARAM)
        st.session_state[picker] = linked if linked in options else ALL_STATES
    clicked = ((drill.current(group) or {}).get("filters") or {}).get("state")
    if clicked is not None and clicked != st.session_state.get(f"{key}_last_click"):
        st.session_state[f"{key}_last_click"] = clicked  # a new click picks its state; the picker may move on
        st.session_state[picker] = clicked
    if st.session_state[picker] not in options:
        st.session_state[picker] = ALL_STATES
    state = st.selectbox("State", options, key=picker, help="Or click a state on the map.")
    if state == ALL_STATES:
        st.query_params.pop(STATE_PARAM, None)
        st.dataframe(_columns(metrics, hospitals=False).frame(rows, network_wide=True), hide_index=True,
                     width="stretch", height="content" if len(rows) <= 20 else 600)  # fmt: skip
        return
    st.query_params[STATE_PARAM] = state
    hospitals = data.cached(states.hospitals_in_state, actor, state=state, today=filters.today())
    total = next((r for r in rows if r.state == state), None)
    heading = f"{state}: {count(len(hospitals))} hospital{'' if len(hospitals) == 1 else 's'} in your scope"
    if total is not None and chosen in metrics:
        heading += f" · {SHORT_WORDS[chosen]}: {shown(chosen, total.value(chosen))}"
    st.markdown(f"**{md_escape(heading)}**")
    st.dataframe(_columns(metrics, hospitals=True).frame(hospitals, network_wide=True), hide_index=True,
                 width="stretch", height="content" if len(hospitals) <= 20 else 600)  # fmt: skip
    st.button("Show all states", key=f"{key}_clear", icon=":material/close:", on_click=_show_all,
              args=(key, group))  # fmt: skip


def _show_all(key: str, group: str) -> None:
    st.session_state[f"{key}_picker"] = ALL_STATES
    drill.select(group, None)  # the map drawn again with nothing highlighted
    st.session_state.pop(f"{key}_last_click", None)


def group_by_state(ctx: PageContext, *, metric: str) -> None:
    """The pages' group-by control: "Group by state" shows the part (with the page's own figure first).

    Off until asked for (the map is the page's heaviest part, and a page is read first for its own figures), and on
    when the link names a state (`?state=Kano`), so a shared link opens on what was shared.
    """
    if st.toggle(
        "Group by state",
        value=bool(st.query_params.get(STATE_PARAM)),
        key=f"{ctx.key}_by_state",
        help=f"{SHORT_WORDS[metric]} and the other figures you read, state by state, on a map of Nigeria.",
    ):
        by_state(ctx, metric=metric)
