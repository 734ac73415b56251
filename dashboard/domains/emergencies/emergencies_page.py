"""Emergencies: the dispatch desk. An offline map of Nigeria with hospitals, open emergencies and
ambulances; the nearest hospitals with free beds for a chosen emergency; the referral the receiving
hospital accepts or declines; ambulances' status and ETA; and how fast emergencies get a hospital.

The network desk (an ADMIN on All hospitals) refers; a hospital's administrator answers the
referrals sent to it and can put the hospital on diversion; executives read.

One state per screen: every panel draws the referrals from one read (`referral_reads.board`), made
once per run, and which buttons a referral offers comes from `referral_reads.next_steps`. Nothing
redraws on its own schedule: a small fragment polls `referral_reads.fingerprint` every
live_refresh_seconds (a setting) and, when anything changed, runs the whole page again, so the table, the
emergency's history and the cards never disagree (a fragment redrawing only the table once left
"Accepted" beside "Waiting 0 min"). The page-side modules beside this one draw the panels:
emergencies_referrals_page, _dispatch_page, _ambulances_page, _diversion_page and _figures_page.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.emergencies import diversion, emergency, open_list, referral_reads, response_times
from dashboard.domains.emergencies import emergencies_ambulances_page as ambulance_panel
from dashboard.domains.emergencies import emergencies_dispatch_page as dispatch_panel
from dashboard.domains.emergencies import emergencies_diversion_page as diversion_panel
from dashboard.domains.emergencies import emergencies_figures_page as figures_panel
from dashboard.domains.emergencies import emergencies_referrals_page as referral_panel
from dashboard.domains.overview import overview_states_page
from dashboard.kit import listing
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import Noun, humanise, minutes_words
from dashboard.shell import data
from dashboard.shell.gate import live_fragment


def _referral(e: open_list.OpenEmergency) -> str | None:
    if e.referral_status is None:
        return None
    return ("Overdue" if e.referral_overdue else humanise(e.referral_status)) + f" · {e.referral_hospital}"


OPEN = listing.Listing(
    key="emergencies_open",
    noun=Noun("open emergency", "open emergencies"),
    list_service=open_list.list_open,
    export_service=open_list.export_open,
    # "Hospital" in every scope: a hospital's list holds the emergencies referred to or from it too.
    table=Table([Column("Severity", "severity", "code"), Column("Emergency", "emergency_type", "code"),
                 Column("Patient", "patient_name"), Column("Waiting", lambda e: minutes_words(e.age_minutes)),
                 Column("Hospital", "hospital_name", empty="Dispatch desk"), Column("Status", "status", "code"),
                 Column("Referral", _referral)]),  # fmt: skip
    file_stem="open-emergencies",
    search_label="Search by patient, emergency or hospital",
    search_placeholder="e.g. cardiac",
    empty="No open emergency in scope.",
    empty_filtered="No open emergency matches. Clear the search or pick All severities.",
)


@live_fragment(live=True)
def _watch(actor, seen: str, fresh: str) -> None:
    """Runs the whole page again when a referral, open emergency or ambulance in scope has changed."""
    if st.session_state.pop(fresh, False):  # drawn with the page, which read the fingerprint a moment ago
        return
    if data.call(referral_reads.fingerprint, actor) != seen:
        st.rerun(scope="app")


def _open_requests(ctx: PageContext) -> None:
    st.subheader("Open requests, oldest critical first")
    severity_column, search_column = st.columns([1, 2])
    severity = severity_column.selectbox(
        "Severity", [None, *emergency.SEVERITY_ORDER], key=f"{ctx.key}_severity",
        format_func=lambda s: "All severities" if s is None else humanise(s),
    )  # fmt: skip
    with search_column:
        search = listing.search_box(OPEN, ctx.viewer)
    listing.show(OPEN, ctx.viewer, filters={"severity": severity}, search=search)


def render(ctx: PageContext) -> None:
    ctx.header("Open emergencies on the map, the nearest hospitals with free beds, and referrals the receiving "
               "hospital answers.")  # fmt: skip
    ctx.done()
    state = dispatch_panel.read(ctx)
    diverted = data.cached(diversion.diversions, ctx.actor)
    monthly = data.cached(response_times.median_assignment_by_month, ctx.actor, start=ctx.period.start,
                          end=ctx.period.end)  # fmt: skip
    fresh = f"{ctx.key}_fingerprint_fresh"
    st.session_state[fresh] = True
    _watch(ctx.actor, state.board.fingerprint, fresh)
    figures_panel.cards(ctx, state.board, diverted, monthly)
    if not ctx.network_wide:
        referral_panel.inbox(ctx, state.board)
    dispatch_panel.show_map(ctx, state)
    if ctx.network_wide:
        dispatch_panel.dispatch(ctx, state)
        referral_panel.desk(ctx, state.board)
    _open_requests(ctx)
    overview_states_page.group_by_state(ctx, metric="state_open_emergencies")
    ambulance_panel.show(ctx)
    if ctx.network_wide:
        diversion_panel.network(ctx, diverted)
    else:
        diversion_panel.own(ctx)
    figures_panel.response_times(ctx, monthly)
