"""Compliance's charts: the heat map of current scores (or a hospital's bars), the trend, and the statuses.

A part of the Compliance page (compliance_page.py runs it).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.governance import compliance, compliance_scores
from dashboard.domains.governance.compliance import status_word
from dashboard.domains.governance.compliance_words_page import legend
from dashboard.kit import charts, heatmap, say
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import lagos_date
from dashboard.shell import data


def _heatmap(cells: list):
    """Hospitals (the lowest on average, in network scope) by types, each cell in its band's colour and mark."""
    types = [t for t in compliance.KNOWN_TYPES if any(c.compliance_type == t for c in cells)]
    types += sorted({c.compliance_type for c in cells} - set(types))
    hospitals = sorted({(c.hospital_name, c.hospital_id) for c in cells})
    at = {(c.hospital_id, c.compliance_type): c for c in cells}

    def cell(row: int, kind: str) -> heatmap.Cell | None:
        c = at.get((hospitals[row][1], kind))
        if c is None:
            return None
        band = compliance.band_of(c.score)
        shown = f"{c.score if c.score is not None else '—'} / 100 ({band.word.lower() if band else 'no score'})"
        return heatmap.Cell(c.score, f"{shown}, recorded as {status_word(c.status).lower()}, assessed "
                                     f"{lagos_date(c.assessed_at)}")  # fmt: skip

    bands = [heatmap.Band(b.lower, b.upper, charts.TONE_COLOURS[b.tone], charts.TONE_MARKS[b.tone], b.word,
                          b.range_text) for b in compliance.score_bands()]  # fmt: skip
    return heatmap.banded(rows=[name for name, _ in hospitals], columns=types, cell=cell, bands=bands,
                          title="Current score by hospital and compliance type (0–100)", scale_title="Score band")


def show_scores(ctx: PageContext, cells: list) -> None:
    if cells and ctx.network_wide:
        st.caption(f"Score bands: {legend()}. The thresholds are set in the dashboard's settings.")
    if not cells:
        say.info("No assessments are recorded in this scope yet. Record one under “Record an assessment” below.")
    elif ctx.network_wide:
        charts.show(_heatmap(cells), key=f"{ctx.key}_heatmap")
        shown = len({c.hospital_id for c in cells})
        if shown >= compliance_scores.HEATMAP_HOSPITALS:
            st.caption(f"The {shown} hospitals with the lowest average score; pick a hospital under Working "
                       "scope to see one alone.")  # fmt: skip
    else:
        frame = pd.DataFrame({"Type": [c.compliance_type for c in cells], "Score": [c.score or 0 for c in cells]})
        bands = [compliance.band_of(c.score) for c in cells]
        fig = charts.bar(frame, x="Type", y="Score", title="Current score by compliance type",
                         x_title="Compliance type", y_title="Score (0–100)", horizontal=True, height=300,
                         notes={"Score": [f"({b.word.lower() if b else 'no score'}, {lagos_date(c.assessed_at)})"
                                          for c, b in zip(cells, bands, strict=True)]})  # fmt: skip
        # Each bar in its band's colour, its band in words at its end.
        fig.update_traces(marker_color=[charts.TONE_COLOURS[b.tone] if b else charts.GREY for b in bands],
                          text=[b.word if b else "" for b in bands], textposition="inside")  # fmt: skip
        fig.update_layout(xaxis={"range": [0, 100]})
        charts.show(fig, key=f"{ctx.key}_scores")
        st.caption(f"Score bands: {legend()}.")


def show_trend_and_status(ctx: PageContext, figures: compliance_scores.Summary) -> None:
    months = ctx.period.at_least_a_year()
    trend = data.cached(compliance_scores.score_trend, ctx.actor, start=months.start, end=months.end)
    trend_column, status_column = st.columns([3, 2])
    with trend_column:
        if trend:
            points = pd.DataFrame([{"Month": p.month, "Type": p.compliance_type, "Score": p.average_score}
                                   for p in trend])  # fmt: skip
            wide = points.pivot_table(index="Month", columns="Type", values="Score", aggfunc="mean").reset_index()
            fig = charts.line(wide, x="Month", y=[c for c in wide.columns if c != "Month"],
                              title="Average score by type, month by month", x_title="Month of assessment",
                              y_title="Average score (0–100)", hover_format=".0f")  # fmt: skip
            fig.update_traces(connectgaps=True, mode="lines+markers")
            # The legend goes under the chart: above it, it ran into the title.
            fig.update_layout(showlegend=True, yaxis={"range": [0, 100]}, height=440,
                              legend={"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "left", "x": 0})
            charts.show(fig, key=f"{ctx.key}_trend")  # fmt: skip
            st.caption(f"Assessments from {lagos_date(months.start)} to {lagos_date(months.end)}, averaged by month.")
        else:
            say.info(f"No assessments between {lagos_date(months.start)} and {lagos_date(months.end)}.")
    with status_column:
        band_of_status = {b.status: b for b in compliance.score_bands()}
        statuses = pd.DataFrame({"Status": [status_word(s) for s in figures.by_status],
                                 "Assessments": list(figures.by_status.values())})  # fmt: skip
        charts.show(
            charts.bar(statuses, x="Status", y="Assessments", title="Current assessments by status", x_title="Status",
                       y_title="Assessments", horizontal=True, counts=True, height=440,
                       colours={"Assessments": charts.BLUE}).update_layout(yaxis_title=None)  # the labels say it
            # Each status in its band's colour, as on the heatmap; under review (no band) grey.
            .update_traces(marker_color=[charts.TONE_COLOURS[b.tone] if (b := band_of_status.get(s))
                                         else charts.GREY for s in figures.by_status]),
            key=f"{ctx.key}_status",
        )  # fmt: skip
