"""Analytics: a metric explorer over the daily metrics hospitals report: pick metrics and hospitals, aggregate by
day, week or month, compare hospitals on one chart, and read the summary statistics and the numbers behind it.

The database aggregates (date_trunc, percentile_cont, regr_slope) and returns only the series drawn.
"""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("analytics")

import pandas as pd  # noqa: E402
from plotly.subplots import make_subplots  # noqa: E402

from dashboard.domains.overview import analytics  # noqa: E402
from dashboard.kit import charts, filters, listing, say  # noqa: E402
from dashboard.kit.export import export_panel  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import Noun, lagos_date, md_escape  # noqa: E402
from dashboard.shell import data  # noqa: E402

KEY = "analytics"
GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month"}
HOW_LABELS = {"mean": "Mean of the days", "sum": "Total of the days"}
PREFERRED_FIRST = ("daily_appointments", "revenue_ngn", "bed_occupancy_rate")
actor = viewer.actor
period = filters.current_range()

page_header(
    "Analytics",
    f"Compare the metrics hospitals report, over {period.label}, by day, week or month.",
    viewer,
)

names = data.cached(analytics.metric_names, actor)
if not names:
    say.info("No metrics have been reported in this scope yet. Hospitals' daily metrics appear here once recorded.")
    st.stop()

metric_column, hospital_column = st.columns([3, 4])
default_metric = next((m for m in PREFERRED_FIRST if m in names), names[0])
chosen_metrics = metric_column.multiselect(
    "Metrics",
    names,
    default=[default_metric],
    format_func=analytics.metric_label,
    max_selections=analytics.MAX_METRICS,
    key=f"{KEY}_metrics__{actor.scope_key}",
    help="The metrics recorded in your scope. Each gets its own panel, on its own scale.",
)
hospital_ids: tuple[str, ...] = ()
if actor.network_wide:
    choices = dict(data.hospital_choices(actor))
    hospital_ids = tuple(
        hospital_column.multiselect(
            "Hospitals to compare",
            list(choices),
            format_func=lambda h: choices.get(h, "Unknown hospital"),
            max_selections=analytics.MAX_HOSPITALS,
            placeholder="All hospitals together",
            key=f"{KEY}_hospitals",
            help=f"Up to {analytics.MAX_HOSPITALS}, one line each. None picked: every hospital together.",
        )
    )
else:
    hospital_column.caption(f"Your hospital's own metrics: {md_escape(viewer.scope_label)}.")
grain_column, how_column, _ = st.columns([2, 3, 2])
grain = (
    grain_column.segmented_control(
        "Aggregate by", list(GRAIN_LABELS), default="week", format_func=GRAIN_LABELS.get, key=f"{KEY}_grain"
    )
    or "week"
)
how = how_column.radio(
    "Combine the days by",
    list(HOW_LABELS),
    format_func=HOW_LABELS.get,
    horizontal=True,
    key=f"{KEY}_how",
    help="For counts and naira: the mean of the days (a typical day) or their total. Rates, waits and ratings "
    "are always the mean of their days: a total of them means nothing.",
)

if not chosen_metrics:
    say.info("Pick at least one metric to draw.")
    st.stop()

question = {
    "metrics": tuple(chosen_metrics),
    "hospital_ids": hospital_ids or None,
    "start": period.start,
    "end": period.end,
    "grain": grain,
    "how": how,
}
try:
    found = data.cached(analytics.explore, actor, **question)
except ServiceError as exc:
    say.error(str(exc))
    st.stop()


def _panel_title(metric: str) -> str:
    """The metric, with how "All hospitals" combines it, and how its days combine into the period."""
    parts = [analytics.combined_as(metric)] if found.network else []
    if grain != "day":  # a day is its own one day
        parts.append(HOW_LABELS[found.how_of(metric)].lower())
    return analytics.metric_label(metric) + (f" ({', '.join(parts)})" if parts else "")


series_keys = list(found.hospitals)
colours = {h: charts.PALETTE[i % len(charts.PALETTE)] for i, h in enumerate(series_keys)}
rows = len(found.metrics)
figure = make_subplots(
    rows=rows,
    cols=1,
    shared_xaxes=True,
    vertical_spacing=0.12 / max(1, rows - 1) if rows > 1 else 0.0,
    subplot_titles=[_panel_title(m) for m in found.metrics] if rows > 1 else None,
)
for row, metric in enumerate(found.metrics, start=1):
    for hospital in series_keys:
        points = [p for p in found.points if p.metric == metric and p.hospital_id == hospital]
        figure.add_scatter(
            x=[p.period for p in points],
            y=[float(p.value) if p.value is not None else None for p in points],
            name=found.label(hospital),
            legendgroup=found.label(hospital),
            showlegend=row == 1,
            mode="lines+markers" if len(points) <= 62 else "lines",
            line={"color": colours[hospital], "width": 2},
            hovertemplate=f"{found.series_label(metric, hospital)}<br>%{{x|%d %b %Y}}: %{{y:,.2f}}<extra></extra>",
            row=row,
            col=1,
        )
what = " and ".join(analytics.metric_label(m) for m in found.metrics[:2]) + (" …" if rows > 2 else "")
figure.update_layout(
    template=charts.TEMPLATE,
    height=120 + 240 * rows,
    title=f"{_panel_title(found.metrics[0])} by {grain}" if rows == 1 else f"{what} by {grain}",
    showlegend=True,
)
figure.update_xaxes(title_text=f"{GRAIN_LABELS[grain]} starting (Lagos)", row=rows, col=1)
ticks = {"day": (None, "%d %b"), "week": (7 * 86_400_000, "%d %b"), "month": ("M1", "%b %Y")}[grain]
figure.update_xaxes(dtick=ticks[0], tickformat=ticks[1], tick0="2000-01-03")  # a Monday: weeks start on one
if rows > 1:  # the panels' own titles sit where the legend would: put it under the chart
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.08, "xanchor": "left", "x": 0})
if found.points:
    charts.show(figure, key=f"{KEY}_chart")
else:
    say.info(f"None of these metrics were recorded between {period.label}. Pick a longer range in the sidebar.")
if found.network:
    totals = [analytics.metric_label(m) for m in found.metrics if analytics.adds_up(m)]
    means = [analytics.metric_label(m) for m in found.metrics if not analytics.adds_up(m)]
    st.caption(
        " ".join(
            part
            for part in (
                f"All hospitals, for {', '.join(totals)}: the network's total, the hospitals' values of each day "
                "added up." if totals else "",
                f"All hospitals, for {', '.join(means)}: the mean of the hospitals' values of each day (a rate or "
                "an average does not add up)." if means else "",
            )
            if part
        )
    )  # fmt: skip
for metric in found.metrics:
    note = analytics.elsewhere(metric)
    if note:
        st.caption(f"{analytics.metric_label(metric)}: {note}")

# --- Summary statistics, from the database ------------------------------------------------------------------
st.subheader("Summary over the range")


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


per = {"day": "a day", "week": "a week", "month": "a month"}[grain]
summary = pd.DataFrame(
    {
        "Metric": [analytics.metric_label(s.metric) for s in found.summaries],
        "Hospital": [found.series_label(s.metric, s.hospital_id) for s in found.summaries],
        f"{GRAIN_LABELS[grain]}s": [s.periods for s in found.summaries],
        "Mean": [_number(s.mean) for s in found.summaries],
        "Median": [_number(s.median) for s in found.summaries],
        "Lowest": [_number(s.minimum) for s in found.summaries],
        "Highest": [_number(s.maximum) for s in found.summaries],
        f"Trend ({per})": [
            "—" if s.trend_per_period is None else f"{s.trend_per_period:+,.2f}" for s in found.summaries
        ],
    }
)
listing.page_table(
    summary,
    {"Metric": st.column_config.TextColumn(width="medium"), "Hospital": st.column_config.TextColumn(width="medium")},
)
st.caption(
    f"Each statistic is over the {GRAIN_LABELS[grain].lower()}ly figures drawn above. The trend is the "
    f"least-squares slope: how much the figure rose (+) or fell (−) {per}, on average, over the range."
)

# --- The numbers behind the chart -------------------------------------------------------------------------------
st.subheader("The numbers behind the chart")


def _frame(exploration, for_export: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            f"{GRAIN_LABELS[grain]} starting": [
                p.period if for_export else lagos_date(p.period) for p in exploration.points
            ],
            "Metric": [analytics.metric_label(p.metric) for p in exploration.points],
            "Hospital": [exploration.series_label(p.metric, p.hospital_id) for p in exploration.points],
            "Value": [
                p.value if for_export else _number(float(p.value)) if p.value is not None else "—"
                for p in exploration.points
            ],  # fmt: skip
            "Days behind it": [p.samples for p in exploration.points],
        }
    )
    return frame


st.dataframe(_frame(found), hide_index=True, width="stretch", height=min(420, 38 + 35 * max(1, len(found.points))))


def _prepare() -> tuple[pd.DataFrame, bool]:
    exploration, truncated = data.call(analytics.export_series, actor, **question)
    return _frame(exploration, for_export=True), truncated


export_panel(
    f"{KEY}_export__{actor.scope_key}",
    filters=repr(sorted(question.items())),
    noun=Noun("point", "points"),
    file_stem="analytics",
    disabled=not found.points,
    prepare=_prepare,
)
