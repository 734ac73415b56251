"""The "By state" map: Nigeria's 36 states and the FCT coloured by a figure, drawn offline.

A part of the By state part (overview_states_page.py). A Plotly `Choroplethmap` with map_style "white-bg": no
tiles, fonts or styles are fetched; the outlines are dashboard/assets/nigeria_states.geojson (its source and licence
in dashboard/assets/README.md), each state keyed by its two-letter code, which a click on the map returns.
Compliance scores are coloured by the bands of their thresholds (red, amber, green), as everywhere else.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import plotly.graph_objects as go

from dashboard.domains.governance.compliance import band_of, score_bands
from dashboard.domains.overview import states
from dashboard.kit import charts
from dashboard.kit.map import ASSETS, NIGERIA
from dashboard.platform import figures as catalogue
from dashboard.platform.formatting import count, naira

NO_HOSPITALS = "#e6e9ec"  # a state with no hospital in scope: drawn, pale, no colour of the scale
# The figures the map can show, each from the catalogue (its label is the selector's word, its definition the help).
FIGURES = {
    "state_bed_occupancy": catalogue.figure("state_bed_occupancy"),
    "state_revenue_month_to_date": catalogue.figure("state_revenue_month_to_date"),
    "state_compliance_score": catalogue.figure("state_compliance_score"),
    "state_open_emergencies": catalogue.figure("state_open_emergencies"),
}
SHORT_WORDS = {
    "state_bed_occupancy": "Bed occupancy",
    "state_revenue_month_to_date": "Revenue this month",
    "state_compliance_score": "Compliance score",
    "state_open_emergencies": "Open emergencies",
}


@functools.cache
def state_outlines() -> dict[str, Any]:
    """The 36 states and the FCT (GeoJSON, keyed by properties.code), read once from the file the project ships."""
    return json.loads((ASSETS / "nigeria_states.geojson").read_text(encoding="utf-8"))


def codes() -> dict[str, str]:
    return {f["properties"]["name"]: f["properties"]["code"] for f in state_outlines()["features"]}


def shown(metric: str, value: float | None) -> str:
    """A state's figure in words, as the cards write it."""
    if value is None:
        return "no figure"
    match metric:
        case "state_bed_occupancy":
            return f"{value:.1f}% of beds in use"
        case "state_revenue_month_to_date":
            return naira(value)
        case "state_compliance_score":
            band = band_of(round(value))
            return f"{value:.1f} of 100" + (f" ({band.word})" if band else "")
    return count(int(value))


def state_map(rows: list[states.StateFigures], metric: str) -> go.Figure:
    """Every state drawn; those with hospitals in scope coloured by `metric`, the others pale grey."""
    codes_, found = codes(), {r.state: r for r in rows}
    outlines = state_outlines()
    names = list(codes_)
    covered = [n for n in names if n in found and found[n].value(metric) is not None]
    others = [n for n in names if n not in covered]
    fig = go.Figure()
    fig.add_trace(go.Choroplethmap(
        geojson=outlines, featureidkey="properties.code", locations=[codes_[n] for n in others],
        z=[0] * len(others), colorscale=[[0, NO_HOSPITALS], [1, NO_HOSPITALS]], showscale=False,
        marker={"line": {"color": "white", "width": 1}},
        customdata=[[n, "no hospital in scope" if n not in found else "no figure yet"] for n in others],
        hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>", name="No hospital",
        unselected={"marker": {"opacity": 0.8}},
    ))  # fmt: skip
    values = [found[n].value(metric) for n in covered]
    colour: dict[str, Any] = {"colorscale": "Blues", "colorbar": {"title": {"text": SHORT_WORDS[metric]}}}
    if metric == "state_compliance_score":
        bands = sorted(score_bands(), key=lambda b: b.lower)
        colour = {
            "colorscale": charts.stepped_colourscale(
                [b.lower for b in bands[1:]], [charts.TONE_COLOURS[b.tone] for b in bands]
            ),
            "zmin": 0, "zmax": 100,
            "colorbar": {"title": {"text": "Score"}, "tickvals": [b.lower for b in bands] + [100],
                         "ticktext": [f"{b.lower}" for b in bands] + ["100"]},
        }  # fmt: skip
    elif metric == "state_bed_occupancy":
        colour |= {"zmin": 0, "zmax": 100, "colorbar": {"title": {"text": "Beds in use"}, "ticksuffix": "%"}}
    fig.add_trace(go.Choroplethmap(
        geojson=outlines, featureidkey="properties.code", locations=[codes_[n] for n in covered], z=values,
        marker={"line": {"color": "white", "width": 1}},
        customdata=[[n, shown(metric, v), found[n].hospitals] for n, v in zip(covered, values, strict=True)],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>Hospitals: %{customdata[2]}<extra></extra>",
        name=SHORT_WORDS[metric], unselected={"marker": {"opacity": 0.45}}, **colour,
    ))  # fmt: skip
    fig.update_layout(
        template=charts.TEMPLATE, height=560, margin={"l": 0, "r": 0, "t": 40, "b": 0},
        title=f"{SHORT_WORDS[metric]} by state",
        map={"style": "white-bg", "center": {"lat": NIGERIA["latitude"], "lon": NIGERIA["longitude"]}, "zoom": 5.0},
        clickmode="event+select", showlegend=False,
    )  # fmt: skip
    return fig
