"""Resources & beds: what is free, in use and in maintenance, where free ICU beds are, and how fresh each count is.

Counts go stale when nobody updates them, and staff elsewhere then phone the hospital anyway: every
count shows its age, stale ones are flagged, and an administrator can confirm an unchanged count
with one click (recorded with the time, audited).
"""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("resources")

import pandas as pd  # noqa: E402

from dashboard.domains.floor import resources  # noqa: E402
from dashboard.kit import alerts, charts, commands, kpi, listing  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions, settings  # noqa: E402
from dashboard.platform.formatting import Noun, count, humanise, md_escape, minutes_words, percent  # noqa: E402
from dashboard.shell import data  # noqa: E402
from db.vocab import RESOURCE_CATEGORIES  # noqa: E402

KEY = "resources"
actor = viewer.actor
limits = settings.current()
may_write = viewer.user.role in permissions.writers("resources")


def _age(hours: float | None) -> str:
    return "never" if hours is None else f"{minutes_words(hours * 60)} ago"


def _age_short(hours: float | None, stale: bool) -> str:
    """'3 h', '2 d', 'Stale: 27 h': short enough for a table that fits 1400 px."""
    if hours is None:
        return "Never"
    words = "< 1 h" if hours < 1 else f"{hours:,.0f} h" if hours < 48 else f"{hours / 24:,.0f} d"
    return f"Stale: {words}" if stale else words


page_header(
    "Resources & beds",
    "Beds, equipment, medicines and staff: what is free now, what is in use, and how fresh each count is.",
    viewer,
)
commands.show_done(KEY)

# Low availability first: the resources a hospital is about to run out of.
lows = data.cached(resources.low_availability_alerts, actor)
standing = alerts.standing_alerts(
    viewer,
    [
        alerts.Alert(
            key=f"low:{low.resource_id}",
            text=(
                f"{md_escape(low.name)}{' at ' + md_escape(low.hospital_name) if actor.network_wide else ''}: "
                f"{count(low.available)} of {count(low.usable)} free ({low.free_percent:.0f}%)."
            ),
            value=low.free_percent,
            level=limits.low_availability,
            kind="Running low",
            short=f"{md_escape(low.name)}{' at ' + md_escape(low.hospital_name) if actor.network_wide else ''}",
        )
        for low in lows
    ],
)
alerts.panel(viewer, standing, title="Running low", empty=None)

summary = data.cached(resources.category_summary, actor)
bed_count = data.cached(resources.bed_totals, actor)
census = data.cached(resources.bed_census, actor)
by_hospital = data.cached(resources.beds_by_hospital, actor)
has_beds = bed_count.total > 0
free_icu = sum(h.free_icu for h in by_hospital)
stale_hospitals = sum(h.stale for h in by_hospital)
stale_resources = sum(c.stale for c in summary)
all_resources = sum(c.resources for c in summary)
occupancy = bed_count.occupancy


def _held_words(beds: resources.BedTotals) -> str:
    """'97 counted in use, 7 admitted here: 90 not recorded in this system', or that the two agree."""
    if beds.in_use == 0:
        return "No bed counted in use"
    if beds.not_recorded == 0:
        return f"{count(beds.in_use)} in use, each held by a patient admitted here"
    return (
        f"{count(beds.in_use)} counted in use, {count(beds.held)} admitted here: "
        f"{count(beds.not_recorded)} not recorded in this system"
    )


kpi.card_row(
    viewer,
    [
        kpi.figure_card(
            "free_beds",
            count(bed_count.available),
            help_extra=f"{count(bed_count.available)} of {count(bed_count.usable)} usable beds.",
            status=None if has_beds else kpi.Status.NO_DATA,
        ),
        kpi.figure_card(
            "beds_in_use",
            f"{count(bed_count.in_use)} of {count(bed_count.usable)}",
            help_extra=f"Now: {_held_words(bed_count)}.",
            status=kpi.Status.NO_DATA if not has_beds else None,
        ),
        kpi.figure_card(
            "bed_occupancy",
            percent(None if occupancy is None else occupancy / 100),
            status=(
                kpi.Status.NO_DATA
                if occupancy is None
                else kpi.Status.ATTENTION
                if alerts.standing(viewer, "occupancy", occupancy, limits.occupancy)
                else kpi.Status.NORMAL
            ),
            status_note=f"alert at {limits.occupancy.raise_at:.0f}%",
        ),
        kpi.figure_card(
            "free_icu_beds",
            count(free_icu),
            status=kpi.Status.NO_DATA if not has_beds else kpi.Status.ATTENTION if free_icu == 0 else kpi.Status.NORMAL,
            status_note="none free" if has_beds and free_icu == 0 else None,
        ),
        kpi.figure_card(
            "stale_counts",
            f"{count(stale_resources)} of {count(all_resources)}",
            status=kpi.Status.ATTENTION if stale_resources else kpi.Status.NORMAL,
            status_note=f"stale after {limits.stale_hours:.0f} h",
            help_extra=(
                f"{count(stale_hospitals)} hospitals have no fresh bed count at all." if actor.network_wide else None
            ),
        ),
    ],
    per_row=5,
)

if actor.network_wide:
    st.subheader("Where are free ICU beds now")
    icu = data.cached(resources.free_icu_beds, actor)
    if not icu:
        st.warning("No hospital in scope reports a free ICU bed right now.", icon=":material/warning:")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Hospital": [h.hospital_name for h in icu],
                    "City": [", ".join(p for p in (h.city, h.state) if p) or "—" for h in icu],
                    "Free ICU beds": [h.free_icu for h in icu],
                    "Counted": [_age(h.hours_since_update) for h in icu],
                    "Fresh": ["Stale" if h.stale else "Yes" for h in icu],
                }
            ),
            hide_index=True,
            width="stretch",
            height="content" if len(icu) <= 10 else 400,
        )
        st.caption("Most free first; a hospital whose count is stale is listed after fresh ones.")

if has_beds:
    st.subheader("Beds in use and the patients holding them")
    waiting_words = (
        ""
        if not census.waiting_for_bed
        else f"{count(census.waiting_for_bed)} admitted patient waits for a bed and holds none."
        if census.waiting_for_bed == 1
        else f"{count(census.waiting_for_bed)} admitted patients wait for a bed and hold none."
    )
    st.markdown(
        f"**{md_escape(_held_words(census.total))}.** "
        + (
            "Admitting, discharging and moving a patient on the Admissions page changes these counts; "
            "a ward's count typed in below may add beds for patients this system has no record of. "
            if census.total.not_recorded
            else ""
        )
        + waiting_words
    )
    rows = [w for w in census.wards if w.resource_id is not None or actor.network_wide]
    ward_frame = pd.DataFrame(
        {
            "Ward": [w.ward if w.resource_id is not None else "All wards" for w in rows],
            "Beds": [w.beds.total for w in rows],
            "Counted in use": [w.beds.in_use for w in rows],
            "Admitted here": [w.beds.held for w in rows],
            "Not recorded here": [w.beds.not_recorded for w in rows],
            "Free": [w.beds.available for w in rows],
            "Maint.": [w.beds.maintenance for w in rows],
        }
    )
    if actor.network_wide:
        ward_frame.insert(0, "Hospital", [w.hospital_name for w in rows])
    st.dataframe(ward_frame, hide_index=True, width="stretch", height="content" if len(rows) <= 14 else 420)
    st.caption(
        "Admitted here: patients admitted in this system holding one of the ward's beds. Not recorded here: beds "
        "the ward counted in use with no admission recorded in this system."
        + (' Each hospital\'s row "All wards" follows its wards.' if actor.network_wide else "")
    )

if summary:
    frame = pd.DataFrame(
        {
            "Category": [humanise(c.category) for c in summary],
            "Free": [100 * c.available / c.total if c.total else 0 for c in summary],
            "In use": [100 * c.in_use / c.total if c.total else 0 for c in summary],
            "Maintenance": [100 * c.maintenance / c.total if c.total else 0 for c in summary],
        }
    )
    chart_column, table_column = st.columns([3, 2])
    figure = charts.bar(
        frame,
        x="Category",
        y=["Free", "In use", "Maintenance"],
        title="Share of each category free, in use and in maintenance",
        x_title="",
        y_title="Share of units (%)",
        colours={"Free": charts.BLUE, "In use": charts.ORANGE, "Maintenance": charts.GREY},
        horizontal=True,
        hover_format=".1f",
        value_suffix="%",
        height=300,
        notes={
            "Free": [f"({c.available:,} of {c.total:,})" for c in summary],
            "In use": [f"({c.in_use:,} of {c.total:,})" for c in summary],
            "Maintenance": [f"({c.maintenance:,} of {c.total:,})" for c in summary],
        },
    )
    with chart_column:
        charts.show(figure, key=f"{KEY}_categories")
    table_column.markdown("**By category**")
    table_column.dataframe(
        pd.DataFrame(
            {
                "Category": [humanise(c.category) for c in summary],
                "Total": [c.total for c in summary],
                "Free": [c.available for c in summary],
                "In use": [c.in_use for c in summary],
                "Maint.": [c.maintenance for c in summary],
                "Use": [percent(None if c.utilisation is None else c.utilisation / 100) for c in summary],
            }
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info("No resources are recorded in this scope yet. Hospitals add them as they report their capacity.")

if actor.network_wide and by_hospital:
    st.subheader("Beds by hospital")
    st.dataframe(
        pd.DataFrame(
            {
                "Hospital": [h.hospital_name for h in by_hospital],
                "Free beds": [h.free_total for h in by_hospital],
                "General": [h.free_general for h in by_hospital],
                "ICU": [h.free_icu for h in by_hospital],
                "Maternity": [h.free_maternity for h in by_hospital],
                "Paediatric": [h.free_paediatric for h in by_hospital],
                "Occupancy": [percent(None if h.occupancy is None else h.occupancy / 100) for h in by_hospital],
                "Counted": [("Stale · " if h.stale else "") + _age(h.hours_since_update) for h in by_hospital],
            }
        ),
        hide_index=True,
        width="stretch",
        height="content" if len(by_hospital) <= 12 else 450,
    )
    st.caption("Free beds by ward; occupancy is beds in use out of beds that can be used.")


def _as_table(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Resource": [r.name for r in rows],
            "Category": [humanise(r.category) for r in rows],
            "Total": [r.total for r in rows],
            "Free": [r.available for r in rows],
            "In use": [r.in_use for r in rows],
            "Maintenance": [r.maintenance for r in rows],
            "Use": [percent(None if r.utilisation is None else r.utilisation / 100) for r in rows],
            "Status": ["Low" if r.low else humanise(r.status) for r in rows],
            "Counted": [_age_short(r.hours_since_update, r.stale) for r in rows],
        }
    )
    if actor.network_wide:
        frame.insert(1, "Hospital", [r.hospital_name for r in rows])
    return frame


RESOURCES = listing.Listing(
    key="resources",
    noun=Noun("resource", "resources"),
    list_service=resources.list_resources,
    export_service=resources.export_resources,
    to_frame=_as_table,
    file_stem="resources",
    search_label="Search by resource or hospital",
    search_placeholder="e.g. ICU",
    empty="No resources are recorded in this scope yet.",
    empty_filtered="No resources match. Clear the search or pick All categories.",
)

st.subheader("Every resource")
category_column, search_column = st.columns([1, 2])
category = category_column.selectbox(
    "Category", [None, *RESOURCE_CATEGORIES], format_func=lambda c: "All categories" if c is None else humanise(c),
    key=f"{KEY}_category",
)  # fmt: skip
with search_column:
    search = listing.search_box(RESOURCES, viewer)
page = listing.show(RESOURCES, viewer, filters={"category": category}, search=search)

if may_write and page.rows:
    st.subheader("Update a count")
    st.caption("The resources on this page of the list; search above to find another.")
    by_id = {r.id: r for r in page.rows}
    chosen = st.selectbox(
        "Resource",
        list(by_id),
        format_func=lambda i: f"{by_id[i].name}" + (f" — {by_id[i].hospital_name}" if actor.network_wide else ""),
        key=f"{KEY}_edit_choice",
    )
    row = by_id[chosen]
    st.caption(
        f"Counted {_age(row.hours_since_update)}{' (stale)' if row.stale else ''}. "
        "Free, in use and in maintenance must add up to the total."
    )
    with st.form(f"{KEY}_edit_{row.id}", border=True):
        total_col, free_col, use_col, maintenance_col = st.columns(4)
        # No bounds on the inputs: a number out of range is refused by the service with a sentence,
        # where the widget would only show a small red mark and save nothing.
        limits_kw = {"step": 1}
        total = total_col.number_input("Total", value=row.total, **limits_kw)
        available = free_col.number_input("Free", value=row.available, **limits_kw)
        in_use = use_col.number_input("In use", value=row.in_use, **limits_kw)
        maintenance = maintenance_col.number_input("In maintenance", value=row.maintenance, **limits_kw)
        save, unchanged = st.columns(2)
        saved = save.form_submit_button("Save counts", type="primary", width="stretch")
        confirmed = unchanged.form_submit_button(
            "Confirm count unchanged", width="stretch", help="Records that the counts were checked now."
        )
    if saved:
        commands.perform(
            KEY, resources.update_quantities, actor, row.id, total=total, available=available, in_use=in_use,
            maintenance=maintenance, affects=row.hospital_id,
            message=f"{row.name} updated: {count(available)} free of {count(total)}.",
        )  # fmt: skip
    if confirmed:
        commands.perform(KEY, resources.confirm_count, actor, row.id, affects=row.hospital_id,
                        message=f"{row.name}: count confirmed as unchanged just now.")  # fmt: skip
