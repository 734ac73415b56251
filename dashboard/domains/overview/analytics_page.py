"""Analytics: a metric explorer over the daily metrics hospitals report: pick metrics and hospitals, aggregate by
day, week or month, compare hospitals on one chart, and read the summary statistics and the numbers behind it.

The database aggregates (date_trunc, percentile_cont, regr_slope) and returns only the series drawn.
"""

from __future__ import annotations

import streamlit as st
from plotly.subplots import make_subplots

from dashboard.domains.overview import analytics
from dashboard.kit import charts, listing, say
from dashboard.kit.export import export_panel
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import Noun, md_escape
from dashboard.shell import data

GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month"}
HOW_LABELS = {"mean": "Mean of the days", "sum": "Total of the days"}
POINTS = Noun("point", "points")
PER = {"day": "a day", "week": "a week", "month": "a month"}
PREFERRED_FIRST = ("daily_appointments", "revenue_ngn", "bed_occupancy_rate")
TICKS = {"day": (None, "%d %b"), "week": (7 * 86_400_000, "%d %b"), "month": ("M1", "%b %Y")}
WIDE = {"Metric": st.column_config.TextColumn(width="medium"), "Hospital": st.column_config.TextColumn(width="medium")}


def _number(value) -> str | None:
    return None if value is None else f"{float(value):,.2f}"


def render(ctx: PageContext) -> None:
    ctx.header(f"Compare the metrics hospitals report, over {ctx.period.label}, by day, week or month.")
    names = data.cached(analytics.metric_names, ctx.actor)
    if not names:
        say.info("No metrics have been reported in this scope yet. Hospitals' daily metrics appear here once recorded.")
        return
    question = _question(ctx, names)
    if question is None:
        say.info("Pick at least one metric to draw.")
        return
    try:
        found = data.cached(analytics.explore, ctx.actor, **question)
    except ServiceError as exc:
        say.error(str(exc))
        return
    _chart(ctx, found)
    _summary(found)
    st.subheader("The numbers behind the chart")
    numbers = _numbers_table(found)
    height = min(420, 38 + 35 * max(1, len(found.points)))
    st.dataframe(numbers.frame(found.points, network_wide=True), hide_index=True, width="stretch", height=height)

    def prepare():
        exploration, truncated = data.call(analytics.export_series, ctx.actor, **question)
        return _numbers_table(exploration).frame(exploration.points, network_wide=True, for_export=True), truncated

    key, asked = f"{ctx.key}_export__{ctx.actor.scope_key}", repr(sorted(question.items()))
    export_panel(key, filters=asked, noun=POINTS, file_stem="analytics", disabled=not found.points, prepare=prepare)


def _question(ctx: PageContext, names: list[str]) -> dict | None:
    """The metrics, hospitals, grain and way of combining picked above the chart; None without a metric."""
    metric_column, hospital_column = st.columns([3, 4])
    chosen = metric_column.multiselect(
        "Metrics", names, default=[next((m for m in PREFERRED_FIRST if m in names), names[0])],
        format_func=analytics.metric_label, max_selections=analytics.MAX_METRICS,
        key=f"{ctx.key}_metrics__{ctx.actor.scope_key}",
        help="The metrics recorded in your scope. Each gets its own panel, on its own scale.",
    )  # fmt: skip
    hospital_ids: tuple[str, ...] = ()
    if ctx.network_wide:
        choices = dict(data.hospital_choices(ctx.actor))
        hospital_ids = tuple(hospital_column.multiselect(
            "Hospitals to compare", list(choices), format_func=lambda h: choices.get(h, "Unknown hospital"),
            max_selections=analytics.MAX_HOSPITALS, placeholder="All hospitals together", key=f"{ctx.key}_hospitals",
            help=f"Up to {analytics.MAX_HOSPITALS}, one line each. None picked: every hospital together.",
        ))  # fmt: skip
    else:
        hospital_column.caption(f"Your hospital's own metrics: {md_escape(ctx.viewer.scope_label)}.")
    grain_column, how_column, _ = st.columns([2, 3, 2])
    grain = grain_column.segmented_control(
        "Aggregate by", list(GRAIN_LABELS), default="week", format_func=GRAIN_LABELS.get, key=f"{ctx.key}_grain"
    )
    how = how_column.radio(
        "Combine the days by", list(HOW_LABELS), format_func=HOW_LABELS.get, horizontal=True, key=f"{ctx.key}_how",
        help="For counts and naira: the mean of the days (a typical day) or their total. Rates, waits and ratings "
        "are always the mean of their days: a total of them means nothing.",
    )  # fmt: skip
    if not chosen:
        return None
    return {"metrics": tuple(chosen), "hospital_ids": hospital_ids or None, "start": ctx.period.start,
            "end": ctx.period.end, "grain": grain or "week", "how": how}  # fmt: skip


def _panel_title(found: analytics.Exploration, metric: str) -> str:
    """The metric, with how "All hospitals" combines it, and how its days combine into the period."""
    parts = [analytics.combined_as(metric)] if found.network else []
    if found.grain != "day":  # a day is its own one day
        parts.append(HOW_LABELS[found.how_of(metric)].lower())
    return analytics.metric_label(metric) + (f" ({', '.join(parts)})" if parts else "")


def _chart(ctx: PageContext, found: analytics.Exploration) -> None:
    """One panel a metric, one line a hospital; a week or month the range cuts has an open marker."""
    grain, rows = found.grain, len(found.metrics)
    colours = {h: charts.PALETTE[i % len(charts.PALETTE)] for i, h in enumerate(found.hospitals)}
    figure = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.12 / max(1, rows - 1) if rows > 1 else 0.0,
        subplot_titles=[_panel_title(found, m) for m in found.metrics] if rows > 1 else None,
    )  # fmt: skip
    for row, metric in enumerate(found.metrics, start=1):
        for hospital in found.hospitals:
            points = [p for p in found.points if p.metric == metric and p.hospital_id == hospital]
            days = [found.period_days(p.period) for p in points]
            whole = 8 if len(points) <= 62 else 0  # a long line's points are not marked, a cut period's always are
            figure.add_scatter(
                x=[p.period for p in points], y=[float(p.value) if p.value is not None else None for p in points],
                customdata=["" if i == w else f" ({i} of its {w} days in the range)" for i, w in days],
                marker={"symbol": ["circle-open" if i < w else "circle" for i, w in days],
                        "size": [8 if i < w else whole for i, w in days]},
                name=found.label(hospital), legendgroup=found.label(hospital), showlegend=row == 1,
                mode="lines+markers", line={"color": colours[hospital], "width": 2},
                hovertemplate=f"{found.series_label(metric, hospital)}<br>%{{x|%d %b %Y}}%{{customdata}}: "
                "%{y:,.2f}<extra></extra>", row=row, col=1,
            )  # fmt: skip
    what = " and ".join(analytics.metric_label(m) for m in found.metrics[:2]) + (" …" if rows > 2 else "")
    title = f"{_panel_title(found, found.metrics[0])} by {grain}" if rows == 1 else f"{what} by {grain}"
    figure.update_layout(template=charts.TEMPLATE, height=120 + 240 * rows, title=title, showlegend=True)
    figure.update_xaxes(title_text=f"{GRAIN_LABELS[grain]} starting (Lagos)", row=rows, col=1)
    figure.update_xaxes(dtick=TICKS[grain][0], tickformat=TICKS[grain][1], tick0="2000-01-03")  # weeks start Monday
    if rows > 1:  # the panels' own titles sit where the legend would: put it under the chart
        figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.08, "xanchor": "left", "x": 0})
    if not found.points:
        say.info(f"None of these metrics were recorded between {ctx.period.label}. Pick a longer range in the sidebar.")
    else:
        charts.show(figure, key=f"{ctx.key}_chart")
    if any(found.partial(p) for p in found.points):
        st.caption(f"Open markers: a {grain} the date range cuts; its figure is of its days in the range only.")
    _notes(found)


def _notes(found: analytics.Exploration) -> None:
    if found.network:
        st.caption(analytics.how_all_hospitals_combine(found.metrics))
    for metric in found.metrics:
        note = analytics.elsewhere(metric)
        if note:
            st.caption(f"{analytics.metric_label(metric)}: {note}")


def _summary(found: analytics.Exploration) -> None:
    st.subheader("Summary over the range")
    grain, per = GRAIN_LABELS[found.grain], PER[found.grain]
    table = Table(
        [
            Column("Metric", lambda s: analytics.metric_label(s.metric)),
            Column("Hospital", lambda s: found.series_label(s.metric, s.hospital_id)),
            Column(f"{grain}s", "periods", "count"),
            *(Column(label, lambda s, a=attribute: _number(getattr(s, a))) for label, attribute in
              (("Mean", "mean"), ("Median", "median"), ("Lowest", "minimum"), ("Highest", "maximum"))),
            Column(f"Trend ({per})", lambda s: None if s.trend_per_period is None else f"{s.trend_per_period:+,.2f}"),
        ]
    )  # fmt: skip
    listing.page_table(table.frame(found.summaries, network_wide=True), WIDE)
    st.caption(
        f"Each statistic is over the {grain.lower()}ly figures drawn above. The trend is the least-squares "
        f"slope: how much the figure rose (+) or fell (−) {per}, on average, over the range."
    )


def _numbers_table(found: analytics.Exploration) -> Table:
    """The points on screen (dates and values as text) and in the file (as dates and numbers)."""
    starting = f"{GRAIN_LABELS[found.grain]} starting"
    return Table(
        [
            Column(starting, "period", "date", screen_only=True),
            Column(starting, "period", export_only=True),
            Column("Metric", lambda p: analytics.metric_label(p.metric)),
            Column("Hospital", lambda p: found.series_label(p.metric, p.hospital_id)),
            Column("Value", lambda p: _number(p.value), screen_only=True),
            Column("Value", "value", export_only=True, empty=None),
            Column("Days behind it", "samples", "count"),
        ]
    )
