"""Resources & beds: what is free, in use and in maintenance, where free ICU beds are, and how fresh each count is.

Counts go stale when nobody updates them, and staff elsewhere then phone the hospital anyway: every
count shows its age, stale ones are flagged, and an administrator can confirm an unchanged count
with one click (recorded with the time, audited).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.floor import bed_figures, resource_commands, resource_list, resources_supplies_page, words
from dashboard.domains.floor.bed_figures import BedTotals
from dashboard.kit import alerts, charts, commands, kpi, listing
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, count, humanise, md_escape, percent
from dashboard.shell import data
from db import settings
from db.vocab import RESOURCE_CATEGORIES


def _beds(label: str, part: str) -> Column:
    return Column(label, lambda w: getattr(w.beds, part), "count")


ICU = Table([Column("Hospital", "hospital_name"), Column("City", "place"), Column("Free ICU beds", "free_icu", "count"),
             Column("Counted", lambda h: words.age(h.hours_since_update)),
             Column("Fresh", lambda h: "Stale" if h.stale else "Yes")])  # fmt: skip
WARDS = Table([hospital_column(), Column("Ward", "ward_name"), _beds("Beds", "total"),
               _beds("Counted in use", "in_use"), _beds("Admitted here", "held"),
               _beds("Not recorded here", "not_recorded"), _beds("Free", "available"),
               _beds("Maint.", "maintenance")])  # fmt: skip
CATEGORIES = Table([Column("Category", "category", "code"), Column("Total", "total", "count"),
                    Column("Free", "available", "count"), Column("In use", "in_use", "count"),
                    Column("Maint.", "maintenance", "count"), Column("Use", "use", "percent")])  # fmt: skip
BY_HOSPITAL = Table([Column("Hospital", "hospital_name"), Column("Free beds", "free_total", "count"),
                     Column("General", "free_general", "count"), Column("ICU", "free_icu", "count"),
                     Column("Maternity", "free_maternity", "count"), Column("Paediatric", "free_paediatric", "count"),
                     Column("Occupancy", "occupancy_share", "percent"),
                     Column("Counted", lambda h: ("Stale · " if h.stale else "") + words.age(h.hours_since_update))],
                    )  # fmt: skip
RESOURCE_TABLE = Table([Column("Resource", "name"), hospital_column(), Column("Category", "category", "code"),
                        Column("Total", "total", "count"), Column("Free", "available", "count"),
                        Column("In use", "in_use", "count"), Column("Maintenance", "maintenance", "count"),
                        Column("Use", "use", "percent"), Column("Status", "standing", "code"),
                        Column("Counted", lambda r: words.age_short(r.hours_since_update, r.stale))])  # fmt: skip
RESOURCES = listing.Listing(
    key="resources", noun=Noun("resource", "resources"), list_service=resource_list.list_resources,
    export_service=resource_list.export_resources, table=RESOURCE_TABLE, file_stem="resources",
    search_label="Search by resource or hospital", search_placeholder="e.g. ICU",
    empty="No resources are recorded in this scope yet.",
    empty_filtered="No resources match. Clear the search or pick All categories.",
)  # fmt: skip
UPDATE = Command("update", resource_commands.update_quantities, done="{name} updated: {free} free of {of}.",
                 words=("name", "free", "of"))  # fmt: skip
CONFIRM = Command("confirm", resource_commands.confirm_count, done="{name}: count confirmed as unchanged just now.")


def _table(frame: pd.DataFrame, *, tall_after: int, height: int) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", height="content" if len(frame) <= tall_after else height)


def _running_low(ctx: PageContext, limits: settings.Settings) -> None:
    """Low availability and supplies running out first (as the Overview lists them): what is about to run out."""
    candidates = []
    for low in data.cached(resource_list.low_availability_alerts, ctx.actor):
        where = f"{md_escape(low.name)}{' at ' + md_escape(low.hospital_name) if ctx.network_wide else ''}"
        text = f"{where}: {count(low.available)} of {count(low.usable)} free ({low.free_percent:.0f}%)."
        candidates.append(alerts.Alert(key=f"low:{low.resource_id}", text=text, value=low.free_percent,
                                       level=limits.low_availability, kind="Running low", short=where))  # fmt: skip
    candidates = resources_supplies_page.with_running_out(ctx, candidates)
    alerts.panel(ctx.viewer, alerts.standing_alerts(ctx.viewer, candidates), title="Running low", empty=None)


def _cards(ctx: PageContext, limits, beds: BedTotals, by_hospital: list, stale: resource_list.StaleCounts) -> None:
    has_beds, occupancy, free_icu = beds.total > 0, beds.occupancy, bed_figures.free_icu(by_hospital)
    no_data = None if has_beds else kpi.Status.NO_DATA
    occupied = alerts.standing(ctx.viewer, "occupancy", occupancy, limits.occupancy) if occupancy is not None else None
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("free_beds", count(beds.available), status=no_data,
                        help_extra=f"{count(beds.available)} of {count(beds.usable)} usable beds."),
        kpi.figure_card("beds_in_use", f"{count(beds.in_use)} of {count(beds.usable)}", status=no_data,
                        help_extra=f"Now: {words.held(beds)}."),
        kpi.figure_card("bed_occupancy", percent(None if occupancy is None else occupancy / 100),
                        status=kpi.Status.NO_DATA if occupied is None else kpi.Status.ATTENTION if occupied
                        else kpi.Status.NORMAL, status_note=f"alert at {limits.occupancy.raise_at:.0f}%"),
        kpi.figure_card("free_icu_beds", count(free_icu),
                        status=no_data if not has_beds else kpi.Status.ATTENTION if free_icu == 0
                        else kpi.Status.NORMAL,
                        status_note="none free" if has_beds and free_icu == 0 else None),
        kpi.figure_card("stale_counts", f"{count(stale.stale)} of {count(stale.resources)}",
                        status=kpi.Status.ATTENTION if stale.stale else kpi.Status.NORMAL,
                        status_note=f"stale after {limits.stale_hours:.0f} h",
                        help_extra=f"{count(bed_figures.stale_hospitals(by_hospital))} hospitals have no fresh bed "
                        "count at all." if ctx.network_wide else None),
    ], per_row=5)  # fmt: skip


def _wards(ctx: PageContext, census: bed_figures.BedCensus) -> None:
    st.subheader("Beds in use and the patients holding them")
    explained = ("Admitting, discharging and moving a patient on the Admissions page changes these counts; "
                 "a ward's count typed in below may add beds for patients this system has no record of. ")  # fmt: skip
    st.markdown(f"**{md_escape(words.held(census.total))}.** "
                + (explained if census.total.not_recorded else "") + words.waiting_for_bed(census))  # fmt: skip
    _table(WARDS.frame(census.rows(subtotals=ctx.network_wide), network_wide=ctx.network_wide), tall_after=14,
           height=420)  # fmt: skip
    st.caption(
        "Admitted here: patients admitted in this system holding one of the ward's beds. Not recorded here: beds "
        "the ward counted in use with no admission recorded in this system."
        + (' Each hospital\'s row "All wards" follows its wards.' if ctx.network_wide else "")
    )


def _categories(ctx: PageContext, summary: list) -> None:
    parts = ["Free", "In use", "Maintenance"]
    frame = pd.DataFrame([(humanise(c.category), *c.shares) for c in summary], columns=["Category", *parts])
    counted = [(c.available, c.in_use, c.maintenance, c.total) for c in summary]
    notes = {p: [f"({n[i]:,} of {n[3]:,})" for n in counted] for i, p in enumerate(parts)}
    chart_column, table_column = st.columns([3, 2])
    with chart_column:
        charts.show(charts.bar(
            frame, x="Category", y=parts, title="Share of each category free, in use and in maintenance", x_title="",
            y_title="Share of units (%)", colours={"Free": charts.BLUE, "In use": charts.ORANGE,
            "Maintenance": charts.GREY}, horizontal=True, hover_format=".1f", value_suffix="%", height=300,
            notes=notes), key=f"{ctx.key}_categories")  # fmt: skip
    table_column.markdown("**By category**")
    table_column.dataframe(CATEGORIES.frame(summary, network_wide=ctx.network_wide), hide_index=True, width="stretch")


def _edit(ctx: PageContext, rows: list) -> None:
    st.subheader("Update a count")
    st.caption("The resources on this page of the list; search above to find another.")
    by_id = {r.id: r for r in rows}
    chosen = st.selectbox("Resource", list(by_id), key=f"{ctx.key}_edit_choice", format_func=lambda i: by_id[i].name
                          + (f" — {by_id[i].hospital_name}" if ctx.network_wide else ""))  # fmt: skip
    row = by_id[chosen]
    st.caption(f"Counted {words.age(row.hours_since_update)}{' (stale)' if row.stale else ''}. "
               "Free, in use and in maintenance must add up to the total.")  # fmt: skip
    with st.form(f"{ctx.key}_edit_{row.id}", border=True):
        total_col, free_col, use_col, maintenance_col = st.columns(4)
        # No bounds on the inputs: a number out of range is refused by the service with a sentence,
        # where the widget would only show a small red mark and save nothing.
        total = total_col.number_input("Total", value=row.total, step=1)
        available = free_col.number_input("Free", value=row.available, step=1)
        in_use = use_col.number_input("In use", value=row.in_use, step=1)
        maintenance = maintenance_col.number_input("In maintenance", value=row.maintenance, step=1)
        save, unchanged = st.columns(2)
        saved = save.form_submit_button("Save counts", type="primary", width="stretch")
        confirmed = unchanged.form_submit_button(
            "Confirm count unchanged", width="stretch", help="Records that the counts were checked now."
        )
    if saved:
        commands.run(ctx, UPDATE, row.id, total=total, available=available, in_use=in_use, maintenance=maintenance,
                     affects=row.hospital_id, name=row.name, free=count(available), of=count(total))  # fmt: skip
    if confirmed:
        commands.run(ctx, CONFIRM, row.id, affects=row.hospital_id, name=row.name)


def render(ctx: PageContext) -> None:
    ctx.header("Beds, equipment, medicines and staff: what is free now, what is in use, and how fresh each count is.")
    ctx.done()
    limits = settings.current()
    _running_low(ctx, limits)
    summary = data.cached(resource_list.category_summary, ctx.actor)
    beds = data.cached(bed_figures.bed_totals, ctx.actor)
    by_hospital = data.cached(bed_figures.beds_by_hospital, ctx.actor)
    _cards(ctx, limits, beds, by_hospital, resource_list.StaleCounts.of(summary))
    if ctx.network_wide:
        st.subheader("Where are free ICU beds now")
        icu = data.cached(bed_figures.free_icu_beds, ctx.actor)
        if not icu:
            st.warning("No hospital in scope reports a free ICU bed right now.", icon=":material/warning:")
        else:
            _table(ICU.frame(icu, network_wide=True), tall_after=10, height=400)
            st.caption("Most free first; a hospital whose count is stale is listed after fresh ones.")
    if beds.total > 0:
        _wards(ctx, data.cached(bed_figures.bed_census, ctx.actor))
    if summary:
        _categories(ctx, summary)
    else:
        st.info("No resources are recorded in this scope yet. Hospitals add them as they report their capacity.")
    if ctx.network_wide and by_hospital:
        st.subheader("Beds by hospital")
        _table(BY_HOSPITAL.frame(by_hospital, network_wide=True), tall_after=12, height=450)
        st.caption("Free beds by ward; occupancy is beds in use out of beds that can be used.")
    resources_supplies_page.show(ctx, limits)
    st.subheader("Every resource")
    category_column, search_column = st.columns([1, 2])
    category = category_column.selectbox(
        "Category", [None, *RESOURCE_CATEGORIES], format_func=lambda c: "All categories" if c is None else humanise(c),
        key=f"{ctx.key}_category",
    )  # fmt: skip
    with search_column:
        search = listing.search_box(RESOURCES, ctx.viewer)
    page = listing.show(RESOURCES, ctx.viewer, filters={"category": category}, search=search)
    if ctx.can_write and page.rows:
        _edit(ctx, page.rows)
