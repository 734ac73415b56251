"""Compliance: scores by type and hospital, assessments overdue or due, violations and corrective actions
tracked to closure, each hospital's history of a type, and the assessment form.

Every staff role reads it in scope; compliance officers and network administrators record
assessments and close items (one service call, one transaction, one audit row each). Text from the
database reaches the screen in tables (always plain text), through md_escape, or as st.text.
"""

from datetime import date, datetime, timedelta

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("compliance")

import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402

from dashboard.domains.governance import compliance  # noqa: E402
from dashboard.kit import charts, commands, filters, kpi, listing, pickers, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import LAGOS, Noun, count, humanise, lagos_date  # noqa: E402
from dashboard.shell import data  # noqa: E402

KEY = "compliance"
actor = viewer.actor
may_write = viewer.user.role in permissions.writers("compliance")
period = filters.current_range()
STATUS_WORDS = compliance.STATUS_WORDS
BANDS = compliance.score_bands()
STATUS_BAND = {b.status: b for b in BANDS}
# The bands as a legend in their colours, each with its mark, words and range: "✓ Compliant 85 or more".
LEGEND = " · ".join(f":{charts.TONE_TEXT[b.tone]}[{charts.TONE_MARKS[b.tone]} {b.word} {b.range_text}]" for b in BANDS)
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_LABELS = {s.capitalize(): s for s in SEVERITIES}  # as shown in the form -> as stored
STATES = {"open": "open", "in progress": "in_progress", "closed": "closed"}  # as shown -> as stored
STATE_WORDS = {v: k for k, v in STATES.items()}
STATE_LABELS = {k.capitalize(): v for k, v in STATES.items()}  # as shown in the form -> as stored
STATE_LABEL_OF = {v: k for k, v in STATE_LABELS.items()}
KIND_WORDS = {"violation": "Violation", "action": "Corrective action"}
KIND_SHORT = {"violation": "Violation", "action": "Action"}


def _status(code: str | None) -> str:
    return STATUS_WORDS.get(code or "", humanise(code))


def _scored(score: int | None) -> str:
    """'◐ 72': a score with the mark of its band (the legend beside the table gives the words)."""
    band = compliance.band_of(score)
    return "—" if band is None else f"{charts.TONE_MARKS[band.tone]} {score}"


def _tinted(frame: pd.DataFrame, column: str = "Score"):
    """The table with each score cell on its band's tint (the mark and the legend say the same in shapes and words)."""
    tints = {charts.TONE_MARKS[b.tone]: charts.TONE_TINTS[b.tone] for b in BANDS}
    return frame.style.map(lambda v: f"background-color: {tints[v[0]]}" if isinstance(v, str) and v[:1] in tints
                           else "", subset=[column])  # fmt: skip


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    days = round(value)
    return "today" if days == 0 else f"{days:,} day{'s' if abs(days) != 1 else ''}"


page_header(
    "Compliance",
    "Where each hospital stands by compliance type, what is overdue, and the findings still open.",
    viewer,
)
commands.show_done(KEY)

# --- The cards --------------------------------------------------------------------------------------------
figures = data.cached(compliance.summary, actor, today=filters.today())
open_items = figures.open_violations + figures.open_actions
average_band = compliance.band_of(None if figures.average_score is None else round(figures.average_score))
kpi.card_row(
    viewer,
    [
        kpi.figure_card(
            "assessments_overdue",
            count(figures.overdue),
            status=kpi.Status.ATTENTION if figures.overdue else kpi.Status.NORMAL,
            status_note="next assessment date passed",
        ),
        kpi.figure_card("assessments_due_soon", count(figures.due_soon)),
        kpi.figure_card(
            "open_findings",
            count(open_items),
            status=kpi.Status.ATTENTION if figures.overdue_items else kpi.Status.NORMAL,
            status_note=f"{count(figures.overdue_items)} past their due date",
            help_extra=f"{count(figures.open_violations)} violations and {count(figures.open_actions)} corrective "
            "actions now.",
        ),
        kpi.figure_card(
            "compliance_score",
            "—" if average_band is None else f"{figures.average_score:.0f} / 100",
            status=None if average_band is None else (kpi.Status.NORMAL if average_band.tone == "good"
                                                      else kpi.Status.ATTENTION),
            status_note=None if average_band is None else f"{average_band.word} ({average_band.range_text})",
            help_extra=f"Over {count(figures.assessments)} current assessments. Bands: {compliance.bands_legend()}.",
        ),
    ],
)

# --- Scores: by hospital and type, over time, by status ------------------------------------------------------
cells = data.cached(compliance.score_grid, actor)


def _wrap(text: str, width: int = 16) -> str:
    """A column label on lines of about `width` characters, for a chart."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _score_heatmap(cells: list) -> go.Figure:
    types = [t for t in compliance.KNOWN_TYPES if any(c.compliance_type == t for c in cells)]
    types += sorted({c.compliance_type for c in cells} - set(types))
    hospitals = sorted({(c.hospital_name, c.hospital_id) for c in cells})
    at = {(c.hospital_id, c.compliance_type): c for c in cells}
    z, labels, hover = [], [], []
    for _, hospital_id in hospitals:
        row = [at.get((hospital_id, t)) for t in types]
        bands = [None if c is None else compliance.band_of(c.score) for c in row]
        z.append([c.score if c else None for c in row])
        # Each cell marks its band with a shape as well as a colour, the legend naming both: colour is never
        # the only signal (the band's words are in the hover too).
        labels.append(["" if b is None else f"{c.score} {charts.TONE_MARKS[b.tone]}"
                       for c, b in zip(row, bands, strict=True)])  # fmt: skip
        hover.append(["not assessed" if c is None else
                      f"{c.score if c.score is not None else '—'} / 100 ({b.word.lower() if b else 'no score'}), "
                      f"recorded as {_status(c.status).lower()}, assessed {lagos_date(c.assessed_at)}"
                      for c, b in zip(row, bands, strict=True)])  # fmt: skip
    # Red, amber and green bands with hard edges at the thresholds (settings), the legend naming each
    # band with its range; the edges sit half a point below each band's lowest whole score.
    ordered = sorted(BANDS, key=lambda b: b.lower)
    scale = charts.stepped_colourscale([b.lower - 0.5 for b in ordered[1:]],
                                       [charts.TONE_COLOURS[b.tone] for b in ordered])  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            x=types, y=[name for name, _ in hospitals], z=z, zmin=0, zmax=100, text=labels, texttemplate="%{text}",
            customdata=hover, hovertemplate="%{y}<br>%{x}: %{customdata}<extra></extra>", xgap=2, ygap=2,
            colorscale=scale, textfont={"size": 12, "color": charts.TEXT},  # dark text reads on all three
            colorbar={"title": {"text": "Score band"}, "thickness": 12, "tickvals": [(b.lower + b.upper) / 2
                      for b in ordered], "ticktext": [f"{charts.TONE_MARKS[b.tone]} {b.word}<br>{b.range_text}"
                                                            for b in ordered]},
        )
    )  # fmt: skip
    # The type names sit level above the columns, wrapped onto short lines, and the title is pinned to the
    # top of the figure with room for them below it: angled names ran up into the title.
    wrapped = [_wrap(t) for t in types]
    top = 60 + 17 * max((w.count("<br>") + 1 for w in wrapped), default=1)
    fig.update_layout(
        template=charts.TEMPLATE,
        title={"text": "Current score by hospital and compliance type (0–100)", "yref": "container", "y": 1,
               "yanchor": "top", "pad": {"t": 10}},
        height=max(260, top + 20 + 26 * len(hospitals)),
        xaxis={"side": "top", "type": "category", "gridcolor": "rgba(0,0,0,0)", "tickangle": 0,
               "tickvals": types, "ticktext": wrapped},
        yaxis={"autorange": "reversed", "type": "category", "gridcolor": "rgba(0,0,0,0)"},
        margin={"l": 10, "r": 10, "t": top, "b": 10},
    )  # fmt: skip
    return fig


if cells and actor.network_wide:
    st.caption(f"Score bands: {LEGEND}. The thresholds are set in the dashboard's settings.")
if not cells:
    say.info("No assessments are recorded in this scope yet. Record one under “Record an assessment” below.")
elif actor.network_wide:
    hospitals_shown = len({c.hospital_id for c in cells})
    charts.show(_score_heatmap(cells), key=f"{KEY}_heatmap")
    if hospitals_shown >= compliance.HEATMAP_HOSPITALS:
        st.caption(f"The {hospitals_shown} hospitals with the lowest average score; pick a hospital under Working "
                   "scope to see one alone.")  # fmt: skip
else:
    frame = pd.DataFrame({"Type": [c.compliance_type for c in cells], "Score": [c.score or 0 for c in cells]})
    cell_bands = [compliance.band_of(c.score) for c in cells]
    fig = charts.bar(frame, x="Type", y="Score", title="Current score by compliance type", x_title="Compliance type",
                     y_title="Score (0–100)", horizontal=True, height=300,
                     notes={"Score": [f"({b.word.lower() if b else 'no score'}, {lagos_date(c.assessed_at)})"
                                      for c, b in zip(cells, cell_bands, strict=True)]})  # fmt: skip
    # Each bar in its band's colour, its band in words at its end.
    fig.update_traces(marker_color=[charts.TONE_COLOURS[b.tone] if b else charts.GREY for b in cell_bands],
                      text=[b.word if b else "" for b in cell_bands], textposition="inside")  # fmt: skip
    fig.update_layout(xaxis={"range": [0, 100]})
    charts.show(fig, key=f"{KEY}_scores")
    st.caption(f"Score bands: {LEGEND}.")

trend_start = min(period.start, period.end - timedelta(days=365))
trend = data.cached(compliance.score_trend, actor, start=trend_start, end=period.end)
trend_column, status_column = st.columns([3, 2])
with trend_column:
    if trend:
        wide = (
            pd.DataFrame([{"Month": p.month, "Type": p.compliance_type, "Score": p.average_score} for p in trend])
            .pivot_table(index="Month", columns="Type", values="Score", aggfunc="mean")
            .reset_index()
        )
        series = [c for c in wide.columns if c != "Month"]
        fig = charts.line(
            wide,
            x="Month",
            y=series,
            title="Average score by type, month by month",
            x_title="Month of assessment",
            y_title="Average score (0–100)",
            hover_format=".0f",
        )
        fig.update_traces(connectgaps=True, mode="lines+markers")
        # The legend goes under the chart: above it, it ran into the title.
        fig.update_layout(
            showlegend=True,
            yaxis={"range": [0, 100]},
            height=440,
            legend={"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "left", "x": 0},
        )
        charts.show(fig, key=f"{KEY}_trend")  # fmt: skip
        st.caption(f"Assessments from {lagos_date(trend_start)} to {lagos_date(period.end)}, averaged by month.")
    else:
        say.info(f"No assessments between {lagos_date(trend_start)} and {lagos_date(period.end)}.")
with status_column:
    statuses = pd.DataFrame(
        {"Status": [_status(s) for s in figures.by_status], "Assessments": list(figures.by_status.values())}
    )
    charts.show(
        charts.bar(statuses, x="Status", y="Assessments", title="Current assessments by status", x_title="Status",
                   y_title="Assessments", horizontal=True, counts=True, height=440,
                   colours={"Assessments": charts.BLUE}).update_layout(yaxis_title=None)  # the labels say it
        # Each status in its band's colour, as on the heatmap; under review (no band) grey.
        .update_traces(marker_color=[charts.TONE_COLOURS[b.tone] if (b := STATUS_BAND.get(s)) else charts.GREY
                                     for s in figures.by_status]),
        key=f"{KEY}_status",
    )  # fmt: skip

# --- Findings to close ------------------------------------------------------------------------------------------
st.subheader("Violations and corrective actions still open")
st.caption("From each hospital's current assessment of each type; overdue ones first, then those due soonest.")


def _state(r) -> str:
    return STATE_WORDS.get(r.status, r.status).capitalize() if r.well_formed else "Not in the expected shape"


def _due(r) -> str:
    return (lagos_date(r.due_date) if r.due_date else "—") + (" · overdue" if r.overdue else "")


def _recorded(age_days: float) -> str:
    return "today" if round(age_days) == 0 else f"{_days(age_days)} ago"


def _items_frame(rows: list) -> pd.DataFrame:
    """The columns a reader scans, narrow enough to fit 1,400 px; the whole finding is in its detail below."""
    frame = pd.DataFrame(
        {
            "Due": [_due(r) for r in rows],
            "Type": [r.compliance_type for r in rows],
            "Finding": [f"{KIND_SHORT.get(r.kind, r.kind)}, {r.severity.lower()}" if r.severity else
                        KIND_SHORT.get(r.kind, r.kind) for r in rows],
            "Description": [r.description for r in rows],
            "Owner": [r.owner or "—" for r in rows],
            "State": [_state(r) for r in rows],
        }
    )  # fmt: skip
    if actor.network_wide:
        frame.insert(1, "Hospital", [r.hospital_name for r in rows])
    return frame


def _items_export(rows: list) -> pd.DataFrame:
    """The export keeps every field in its own column: a spreadsheet has room the screen has not."""
    frame = pd.DataFrame(
        {
            "Hospital": [r.hospital_name for r in rows],
            "Type": [r.compliance_type for r in rows],
            "Kind": [KIND_SHORT.get(r.kind, r.kind) for r in rows],
            "Description": [r.description for r in rows],
            "Severity": [humanise(r.severity) if r.severity else "—" for r in rows],
            "Owner": [r.owner or "—" for r in rows],
            "Due": [lagos_date(r.due_date) if r.due_date else "—" for r in rows],
            "Overdue": ["Overdue" if r.overdue else "" for r in rows],
            "State": [_state(r) for r in rows],
            "Age": [_days(r.age_days) for r in rows],
        }
    )
    return frame if actor.network_wide else frame.drop(columns=["Hospital"])


ITEMS = listing.Listing(
    key=f"{KEY}_items",
    noun=Noun("open finding", "open findings"),
    list_service=compliance.list_open_items,
    export_service=compliance.export_open_items,
    to_frame=_items_frame,
    export_frame=_items_export,
    file_stem="compliance-open-findings",
    search_label="Search findings",
    search_placeholder="Description, owner, hospital or type",
    empty="Nothing is open: every violation and corrective action of the current assessments is closed.",
    empty_filtered="No open finding matches. Clear the search or the filter to see them all.",
    # Widths that fit the table in the page at 1,400 px (sidebar open), Owner and Due included.
    column_config={
        "Due": st.column_config.TextColumn(width=150),
        "Hospital": st.column_config.TextColumn(width=135),
        "Type": st.column_config.TextColumn(width=120),
        "Finding": st.column_config.TextColumn(width=115),
        "Description": st.column_config.TextColumn(width=170 if actor.network_wide else 300),  # no Hospital column
        "Owner": st.column_config.TextColumn(width=125),
        "State": st.column_config.TextColumn(width=90),
    },
)
kind_choice = st.segmented_control(
    "Show", [None, "violation", "action"], default=None, key=f"{KEY}_items_kind",
    format_func=lambda k: "Both" if k is None else KIND_WORDS[k] + "s",
)  # fmt: skip
items_page = listing.show(ITEMS, viewer, filters={"kind": kind_choice, "today": filters.today()})

if items_page.rows:
    # The detail of one finding: the whole description and every field, which the table cuts short.
    with st.container(border=True):
        st.markdown("**A finding in full**" + (" (and closing it)" if may_write else ""))
        by_key = {f"{r.assessment_id}:{r.kind}:{r.position}": r for r in items_page.rows}

        def _label(key: str) -> str:
            r = by_key[key]
            where = f" · {r.hospital_name}" if actor.network_wide else ""
            late = "Overdue · " if r.overdue else ""
            return f"{late}{KIND_WORDS[r.kind]}: {r.description[:90]} · {r.compliance_type}{where}"

        chosen = by_key[st.selectbox("Finding", list(by_key), format_func=_label, key=f"{KEY}_close_choice")]
        st.text(chosen.description)
        st.dataframe(
            pd.DataFrame({"Field": ["Hospital", "Type", "Kind", "Severity", "Owner", "Due", "State", "Recorded"],
                          "Value": [chosen.hospital_name, chosen.compliance_type, KIND_WORDS[chosen.kind],
                                    humanise(chosen.severity) if chosen.severity else "—", chosen.owner or "—",
                                    _due(chosen), _state(chosen), _recorded(chosen.age_days)]}),
            hide_index=True, width=520,
        )  # fmt: skip
        if may_write:
            if not chosen.well_formed:
                st.caption("This finding is not in the expected shape, so it cannot be closed here; record a new "
                           "assessment that replaces it.")  # fmt: skip
            elif st.button("Close this finding…", key=f"{KEY}_close"):
                commands.ask(
                    KEY,
                    f"Close “{chosen.description[:200]}” ({chosen.compliance_type}, {chosen.hospital_name})? "
                    "It is recorded as closed by you, now.",
                    assessment_id=chosen.assessment_id, kind=chosen.kind, position=chosen.position,
                    description=chosen.description, hospital_id=chosen.hospital_id,
                )  # fmt: skip
if may_write and (pending := commands.confirmed(KEY)):
    commands.perform(
        KEY, compliance.close_item, actor, pending["assessment_id"], kind=pending["kind"],
        position=pending["position"], description=pending["description"], affects=pending["hospital_id"],
        message=f"Closed: {pending['description'][:200]}",
    )  # fmt: skip

# --- Due --------------------------------------------------------------------------------------------------------
st.subheader("Assessments overdue or due in the next 30 days")


def _due_frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Type": [r.compliance_type for r in rows],
            "Due": [lagos_date(r.next_due) for r in rows],
            "When": [f"{_days(r.days_overdue)} overdue" if r.days_overdue >= 1 else
                     ("due today" if r.days_overdue > -1 else f"in {_days(-r.days_overdue)}") for r in rows],
            "Score": [_scored(r.score) for r in rows],
            "Status": [_status(r.status) for r in rows],
            "Last assessed": [lagos_date(r.assessed_at) for r in rows],
        }
    )  # fmt: skip
    if actor.network_wide:
        frame.insert(0, "Hospital", [r.hospital_name for r in rows])
    return frame


DUE = listing.Listing(
    key=f"{KEY}_due",
    noun=Noun("assessment", "assessments"),
    list_service=compliance.list_due,
    export_service=compliance.export_due,
    to_frame=lambda rows: _tinted(_due_frame(rows)),
    export_frame=_due_frame,
    file_stem="compliance-due",
    search_label="Search by hospital or type",
    empty="No assessment is overdue or due in the next 30 days.",
    empty_filtered="None matches this search. Clear it to see them all.",
    page_size=10,
)
st.caption(f"Score bands: {LEGEND}.")
listing.show(DUE, viewer)

# --- History ------------------------------------------------------------------------------------------------------
st.subheader("History of an assessment type")
types = data.cached(compliance.compliance_types, actor)
just_saved = st.session_state.pop(f"{KEY}__history_next", None)
if just_saved:
    saved_hospital, saved_type = just_saved
    if actor.network_wide and saved_hospital:
        st.session_state[f"{KEY}_history_hospital"] = saved_hospital
    st.session_state[f"{KEY}_history_type"] = saved_type
left, right = st.columns(2)
with left:
    history_hospital = pickers.hospital_for_action(viewer, f"{KEY}_history_hospital",
                                                   help="Whose assessments to show.")  # fmt: skip
with right:
    # The types this hospital has been assessed on come first, so the history opens on something.
    assessed = {c.compliance_type for c in cells if c.hospital_id == history_hospital}
    ordered = [t for t in types if t in assessed] + [t for t in types if t not in assessed]
    if just_saved and just_saved[1] not in ordered:
        ordered.insert(0, just_saved[1])
    history_type = st.selectbox("Show the history of", ordered, key=f"{KEY}_history_type")


def _entries_frame(entries: list, closed_by: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Description": [e.description for e in entries],
            "Severity": [humanise(e.severity) if e.severity else "—" for e in entries],
            "Owner": [e.owner or "—" for e in entries],
            "Due": [lagos_date(e.due_date) if e.due_date else "—" for e in entries],
            "State": ["Not in the expected shape" if e.raw is not None else
                      STATE_WORDS.get(e.status, e.status).capitalize() for e in entries],
            "Closed": [
                (f"{closed_by.get(e.closed_by or '', 'someone')}, {lagos_date(e.closed_at)}" if e.closed_at else
                 closed_by.get(e.closed_by or "", "—")) if e.closed else "—" for e in entries
            ],
        }
    )  # fmt: skip


def _show_entries(title: str, entries: list, raw: str | None, closed_by: dict[str, str]) -> None:
    st.markdown(f"**{title}** ({count(len(entries))})")
    if raw is not None:
        st.caption("Stored in a shape the dashboard does not read; shown as it is:")
        st.text(raw)
    elif entries:
        st.dataframe(_entries_frame(entries, closed_by), hide_index=True, width="stretch",
                     column_config={"Description": st.column_config.TextColumn(width="large")})  # fmt: skip
    else:
        st.caption("None recorded.")


past = []
if history_hospital and history_type:
    try:
        past = data.call(compliance.history, actor, hospital_id=history_hospital, compliance_type=history_type)
    except ServiceError as exc:
        say.error(str(exc))
if history_hospital and history_type and not past:
    say.info(f"No {history_type} assessment is recorded for this hospital yet.")
elif past:
    table = pd.DataFrame(
        {
            "Assessed": [lagos_date(a.assessed_at) for a in past],
            "Score": [_scored(a.score) for a in past],
            "Status": [_status(a.status) for a in past],
            "Next due": [lagos_date(a.next_due) for a in past],
            "Assessor": [a.assessor or "—" for a in past],
            "Violations open": [f"{sum(not v.closed for v in a.violations)} of {len(a.violations)}" for a in past],
            "Actions open": [f"{sum(not v.closed for v in a.actions)} of {len(a.actions)}" for a in past],
        }
    )
    graph, rows = st.columns([2, 3])
    with graph:
        scored = [a for a in past if a.score is not None]
        line = pd.DataFrame({"Assessed": [pd.Timestamp(a.assessed_at.astimezone(LAGOS).date()) for a in scored],
                             "Score": [a.score for a in scored]})  # fmt: skip
        fig = charts.line(line.sort_values("Assessed"), x="Assessed", y="Score",
                          title=f"{history_type}: score at each assessment", x_title="Assessment date",
                          y_title="Score (0–100)", height=300)  # fmt: skip
        fig.update_layout(yaxis={"range": [0, 100]}, xaxis={"type": "date", "tickformat": "%d %b %Y"})
        for band in BANDS:  # the bands behind the line, faintly, in the heatmap's colours
            fig.add_hrect(y0=band.lower, y1=min(100, band.upper + 1), fillcolor=charts.TONE_COLOURS[band.tone],
                          opacity=0.08, line_width=0, layer="below")  # fmt: skip
        charts.show(fig, key=f"{KEY}_history_chart")
    with rows:
        st.dataframe(_tinted(table), hide_index=True, width="stretch", height="content")
    for position, assessment in enumerate(past[:6]):
        title = (f"{lagos_date(assessment.assessed_at)} · {assessment.score if assessment.score is not None else '—'}"
                 f"/100 · {_status(assessment.status)}" + (" (current)" if position == 0 else ""))  # fmt: skip
        with st.expander(title, expanded=position == 0):
            if assessment.details_raw is not None:
                st.caption("Assessment details, in a shape the dashboard does not read; shown as they are:")
                st.text(assessment.details_raw)
            elif assessment.details:
                st.dataframe(
                    pd.DataFrame({"Detail": [humanise(k) for k in assessment.details],
                                  "Value": list(assessment.details.values())}),
                    hide_index=True, width="stretch",
                )  # fmt: skip
            _show_entries("Violations", assessment.violations, assessment.violations_raw, assessment.closed_by_names)
            _show_entries("Corrective actions", assessment.actions, assessment.actions_raw,
                          assessment.closed_by_names)  # fmt: skip
    if len(past) > 6:
        st.caption(f"The table lists all {count(len(past))} assessments; the six most recent are opened above.")

# --- The form -----------------------------------------------------------------------------------------------------
# New rows start blank (an empty text, not "None") with Medium and Open chosen; the choices are shown
# capitalised and mapped back to the stored words in _rows_of.
EDITOR_COLUMNS = {
    "Description": st.column_config.TextColumn("Description", width="large", required=True, max_chars=500,
                                               default=""),
    "Severity": st.column_config.SelectboxColumn("Severity", options=list(SEVERITY_LABELS), default="Medium",
                                                 required=True),
    "Owner": st.column_config.TextColumn("Owner", max_chars=200, default=""),
    "Due date": st.column_config.DateColumn("Due date", format="D MMM YYYY"),
    "State": st.column_config.SelectboxColumn("State", options=list(STATE_LABELS), default="Open", required=True),
}  # fmt: skip


def _editor_frame(entries: list) -> pd.DataFrame:
    """The open entries of the previous assessment, carried forward so they are not lost."""
    carried = [e for e in entries if e.raw is None and not e.closed]
    return pd.DataFrame(
        {
            "Description": pd.Series([e.description for e in carried], dtype="object"),
            "Severity": pd.Series([(e.severity if e.severity in SEVERITIES else "medium").capitalize()
                                   for e in carried], dtype="object"),
            "Owner": pd.Series([e.owner or "" for e in carried], dtype="object"),
            "Due date": pd.Series([e.due_date for e in carried], dtype="object"),
            "State": pd.Series([STATE_LABEL_OF.get(e.status, "Open") for e in carried], dtype="object"),
        }
    )  # fmt: skip


def _saved_status(score: str, status: str | None) -> str:
    """'72/100, partially compliant' for the saved message (the service has checked the score by then)."""
    try:
        band = compliance.band_of(compliance.checked_score(score))
    except ServiceError:
        band = None
    word = STATUS_WORDS["under_review"] if status == "under_review" else (band.word if band else "")
    return f"{str(score).strip()}/100, {word.lower()}"


def _blank(value) -> bool:
    return (
        value is None
        or (not isinstance(value, str | date) and pd.isna(value))
        or (isinstance(value, str) and not value.strip())
    )


def _rows_of(frame: pd.DataFrame) -> list[dict]:
    """The editor's rows as entries; a row left wholly empty is not one."""
    rows = []
    for record in frame.to_dict("records"):
        description, owner, due = record.get("Description"), record.get("Owner"), record.get("Due date")
        if _blank(description) and _blank(owner) and _blank(due):
            continue
        if isinstance(due, pd.Timestamp | datetime):
            due = None if pd.isna(due) else due.date()
        severity, state = record.get("Severity"), record.get("State")
        rows.append(
            {
                "description": None if _blank(description) else str(description),
                "severity": None if _blank(severity) else SEVERITY_LABELS.get(severity, severity),
                "owner": None if _blank(owner) else str(owner),
                "due_date": None if _blank(due) else due,
                "status": STATE_LABELS.get(state) or STATES.get(state or "open", state),
            }
        )
    return rows


if may_write:
    with st.expander("Record an assessment", expanded=False, key=f"{KEY}_form_panel", on_change="rerun"):
        st.caption("A new assessment keeps the earlier ones as its history. Open findings of the current "
                   "assessment of this type are carried into the lists below; close or edit them there.")  # fmt: skip
        nonce = commands.nonce(KEY)
        top_left, top_right = st.columns(2)
        with top_left:
            hospital_id = pickers.hospital_for_action(viewer, f"{KEY}_form_hospital",
                                                      help="The hospital assessed.")  # fmt: skip
        with top_right:
            picked_type = st.selectbox("Compliance type", [*types, "Another type…"], key=f"{KEY}_form_type")
        kind = picked_type
        if picked_type == "Another type…":
            kind = st.text_input("Name of the compliance type", max_chars=compliance.MAX_TYPE_LENGTH,
                                 key=f"{KEY}_form_type_other")  # fmt: skip
        previous = None
        if hospital_id and kind and kind != "Another type…":
            try:
                earlier = data.call(compliance.history, actor, hospital_id=hospital_id, compliance_type=kind)
                previous = earlier[0] if earlier else None
            except ServiceError as exc:
                say.error(str(exc))
        if previous is not None:
            shown_score = previous.score if previous.score is not None else "—"
            st.caption(f"Current assessment: {lagos_date(previous.assessed_at)}, score {shown_score}, "
                       f"{_status(previous.status)}.")  # fmt: skip
        today = filters.today()
        suffix = f"{nonce}_{hospital_id}_{kind}"
        with st.form(f"{KEY}_form_{nonce}", border=False):
            first, second, third, fourth = st.columns(4)
            # A text box, not a bounded number box: a bounded box turns red on 101 and the form sends
            # nothing, silently; the service checks the score and says what is wrong in a sentence.
            score = first.text_input("Score (0–100)", max_chars=12,
                                      value=str(previous.score if previous and previous.score is not None else 80),
                                      key=f"{KEY}_form_score_{suffix}")  # fmt: skip
            # The status follows the score (the service derives it); only "under review" may stand apart.
            status = second.selectbox("Status", ["follows", "under_review"], key=f"{KEY}_form_status_{suffix}",
                                      format_func={"follows": "Follows the score", "under_review": "Under review"}.get,
                                      help=f"From the score: {compliance.bands_legend()}. Choose Under review "
                                      "while the assessment is not settled.")  # fmt: skip
            assessed_on = third.date_input("Assessment date", value=today, max_value=today, format="DD/MM/YYYY",
                                           key=f"{KEY}_form_assessed_{suffix}")  # fmt: skip
            next_due = fourth.date_input("Next assessment due", value=today + timedelta(days=180),
                                         min_value=date(2000, 1, 1), format="DD/MM/YYYY",
                                         key=f"{KEY}_form_due_{suffix}")  # fmt: skip
            details = st.text_area("Assessment details", max_chars=compliance.MAX_DETAILS_LENGTH, height=90,
                                   placeholder="What was inspected, how, and what stood out.",
                                   key=f"{KEY}_form_details_{suffix}")  # fmt: skip
            st.caption(f"Status from the score: {LEGEND}.")
            st.markdown("**Violations found**")
            st.caption("Each violation needs an owner and a due date.")
            violations = st.data_editor(
                _editor_frame(previous.violations if previous else []), num_rows="dynamic", hide_index=True,
                column_config=EDITOR_COLUMNS, width="stretch", placeholder="",
                key=f"{KEY}_form_violations_{suffix}",
            )  # fmt: skip
            st.markdown("**Corrective actions**")
            actions = st.data_editor(
                _editor_frame(previous.actions if previous else []), num_rows="dynamic", hide_index=True,
                column_config=EDITOR_COLUMNS, width="stretch", placeholder="",
                key=f"{KEY}_form_actions_{suffix}",
            )  # fmt: skip
            st.caption("Add a row with the + at the top right of each table; a row left empty is ignored.")
            submitted = st.form_submit_button("Save assessment", type="primary")
        if submitted:
            # Once saved, the history below opens on this hospital and type (read before its widgets).
            st.session_state[f"{KEY}__history_next"] = (hospital_id, kind)
            if not commands.perform(
                KEY, compliance.record_assessment, actor, hospital_id=hospital_id, compliance_type=kind,
                status=None if status == "follows" else status,
                score=score, assessed_on=assessed_on, next_due=next_due, details=details,
                violations=_rows_of(violations), corrective_actions=_rows_of(actions), affects=hospital_id,
                message=f"{kind} assessment saved ({_saved_status(score, status)}).",
            ):  # fmt: skip
                st.session_state.pop(f"{KEY}__history_next", None)
else:
    st.caption("Compliance officers and network administrators record assessments and close findings.")
