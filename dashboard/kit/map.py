"""The kit's map: pydeck layers that read without internet tiles.

No basemap is fetched: the deck has no map provider (Streamlit then draws no tiles either), and
Nigeria's outline, its neighbours and the 37 state capitals are drawn from files the project ships
(dashboard/assets, sources in its README.md). So the map means something on a network with no
internet, which many hospitals have.

Hospitals are rings (a faint fill, so what lies under them shows) coloured by verification status
from a palette of their own and sized by free beds; open emergencies are solid dots coloured by
severity, drawn above the hospitals with the ambulances' arcs from pickup to hospital above them.
Above dispatch_map.MAP_POINT_LIMIT open emergencies the services count them into grid cells in SQL
and the map draws a heatmap of the cells, so 20,000 emergencies cost the browser a few hundred
weighted points. Tooltips are plain text (deck.gl's `text` tooltip), so a name cannot inject markup.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import pydeck as pdk
import streamlit as st

from dashboard.platform.formatting import minutes_words

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NIGERIA = {"latitude": 9.1, "longitude": 8.7, "zoom": 5.3}
HEIGHT = 600  # Nigeria spans about 540 pixels north to south at zoom 5.3
# pydeck reads a plain string as a JavaScript expression ("pixels" would become the variable pixels).
PIXELS = pdk.types.String("pixels")

# Okabe–Ito, as the charts (components/charts.py); [r, g, b, alpha].
BLUE, ORANGE, SKY, VERMILLION, GREY, PURPLE, GREEN, INK = (
    [0, 114, 178], [230, 159, 0], [86, 180, 233], [213, 94, 0], [140, 140, 140], [204, 121, 167],
    [0, 158, 115], [17, 24, 32],
)  # fmt: skip
# Emergencies and hospitals share no colour: emergencies are solid dots in the severity colours,
# hospitals rings in green, purple and near-black (and white with a vermillion ring when diverting).
SEVERITY_COLOURS = {"critical": VERMILLION, "high": ORANGE, "medium": SKY, "low": GREY}
VERIFICATION_COLOURS = {"verified": GREEN, "pending": PURPLE, "rejected": INK, "suspended": INK}
AMBULANCE_COLOURS = {"pending": GREY, "dispatched": ORANGE, "en_route": ORANGE, "arrived": BLUE}
HOSPITAL_FILL_ALPHA = 60  # of 255: a faint fill, so dots, arcs and names under a hospital still show
# The words beside each colour in the legend, in the order shown; the markdown colour is Streamlit's nearest
# (None: the text's own colour, for near-black).
SEVERITY_LEGEND = (("critical", "red"), ("high", "orange"), ("medium", "blue"), ("low", "gray"))
VERIFICATION_LEGEND = (("verified", "green"), ("pending", "violet"), ("rejected or suspended", None))


@functools.cache
def nigeria_outline() -> dict[str, Any]:
    """Nigeria and its neighbours (GeoJSON), read once from the file the project ships."""
    return json.loads((ASSETS / "nigeria.geojson").read_text(encoding="utf-8"))


@functools.cache
def state_capitals() -> list[dict[str, Any]]:
    capitals = json.loads((ASSETS / "nigeria_state_capitals.json").read_text(encoding="utf-8"))["capitals"]
    return [{"name": c["capital"], "position": [c["lon"], c["lat"]]} for c in capitals]


# Label thinning at the opening zoom: deck.gl draws every label, so two capitals a few pixels apart
# print over each other (Lagos and Ikeja, Abeokuta and Ibadan). Each label is a box in degrees,
# from its text's length in pixels at the opening zoom; a box that meets one already kept is dropped.
LABEL_SIZE_PX = 11
LABEL_CHAR_PX = 6.2  # an average sans-serif character at 11 px
LABEL_GAP_PX = 4
# Whose name wins a collision: the federal capital, then the largest cities (2006 census), then the rest.
CAPITAL_RANK = {"Abuja": 0} | dict.fromkeys(
    ("Ikeja", "Kano", "Ibadan", "Port Harcourt", "Benin City", "Kaduna", "Maiduguri", "Enugu"), 1
)


def degrees_per_pixel(zoom: float = NIGERIA["zoom"]) -> float:
    """Degrees of longitude per screen pixel at `zoom` (Web Mercator: 256 pixels span 360° at zoom 0)."""
    return 360.0 / (256.0 * 2**zoom)


def thin_labels(
    labels: list[dict[str, Any]],
    *,
    centre: tuple[float, float] = (NIGERIA["longitude"], NIGERIA["latitude"]),
    zoom: float = NIGERIA["zoom"],
) -> list[dict[str, Any]]:
    """The labels that do not collide at `zoom`, each with "name", "position" [lon, lat] and an optional "rank".

    A lower "rank" wins first (the larger city); among equals the one nearer `centre`.
    Two labels collide when their text boxes, centred on their points, overlap with a small gap.
    The kept labels come back in their original order.
    """
    per_px = degrees_per_pixel(zoom)
    # Mercator stretches latitude by 1/cos(lat); Nigeria spans 4–14° N, so its middle serves.
    lat_per_px = per_px * math.cos(math.radians(centre[1]))

    def box(label: dict[str, Any]) -> tuple[float, float, float, float]:
        lon, lat = label["position"]
        half_w = (len(label["name"]) * LABEL_CHAR_PX + LABEL_GAP_PX) / 2 * per_px
        half_h = (LABEL_SIZE_PX + LABEL_GAP_PX) / 2 * lat_per_px
        return lon - half_w, lon + half_w, lat - half_h, lat + half_h

    def priority(item: tuple[int, dict[str, Any]]) -> tuple[float, float, int]:
        index, label = item
        lon, lat = label["position"]
        return label.get("rank", 2), math.hypot(lon - centre[0], lat - centre[1]), index

    kept: list[tuple[int, tuple[float, float, float, float]]] = []
    for index, label in sorted(enumerate(labels), key=priority):
        west, east, south, north = box(label)
        if all(east <= w or west >= e or north <= s or south >= n for _, (w, e, s, n) in kept):
            kept.append((index, (west, east, south, north)))
    return [labels[i] for i in sorted(i for i, _ in kept)]


@functools.cache
def capital_labels() -> list[dict[str, Any]]:
    """The state capitals whose names fit at the opening zoom (every capital keeps its dot)."""
    ranked = [{**c, "rank": CAPITAL_RANK.get(c["name"], 2)} for c in state_capitals()]
    return [{"name": c["name"], "position": c["position"]} for c in thin_labels(ranked)]


def _at(value: float) -> float:
    return round(value, 4)  # about 11 m: enough for a national map, and a short JSON


class CompactDeck(pdk.Deck):
    """A Deck whose JSON (what Streamlit sends to the browser) has no indentation: a third smaller."""

    def to_json(self) -> str:
        return json.dumps(json.loads(super().to_json()), separators=(",", ":"))


def base_layers() -> list[pdk.Layer]:
    """What makes the map readable with no tiles: the outline of Nigeria and its state capitals."""
    return [*_ground_layers(), _capital_names()]


def _ground_layers() -> list[pdk.Layer]:
    return [
        pdk.Layer(
            "GeoJsonLayer",
            id="nigeria-outline",
            data=nigeria_outline(),
            stroked=True,
            filled=True,
            get_fill_color="properties.home ? [236, 240, 243, 255] : [248, 248, 248, 255]",
            get_line_color="properties.home ? [90, 100, 110, 255] : [190, 190, 190, 255]",
            line_width_min_pixels=1,
            pickable=False,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="capital-dots",
            data=state_capitals(),
            get_position="position",
            get_fill_color=[120, 120, 120, 200],
            get_radius=2,
            radius_units=PIXELS,
            pickable=False,
        ),
    ]


def _capital_names() -> pdk.Layer:
    return pdk.Layer(
        "TextLayer",
        id="state-capitals",
        data=capital_labels(),
        get_position="position",
        get_text="name",
        get_size=11,
        get_color=[95, 95, 95, 255],
        get_pixel_offset=[0, 10],
        font_family=pdk.types.String("sans-serif"),
        pickable=False,
    )


def _hospital_layer(hospitals: Any) -> pdk.Layer:
    """Hospitals as rings in their verification colour with a faint fill, small enough to leave room."""
    rows = []
    for h in hospitals:
        ring = VERIFICATION_COLOURS.get(h.verification_status, INK) if h.accepting else VERMILLION
        rows.append(
            {
                "id": h.id,
                "position": [_at(h.longitude), _at(h.latitude)],
                "colour": [*ring, HOSPITAL_FILL_ALPHA] if h.accepting else [255, 255, 255, 160],
                "line": [*ring, 230],
                "radius": round(min(4 + 0.8 * math.sqrt(max(h.free_beds, 0)), 14), 1),
                "tooltip": f"{h.name}\n{h.free_beds:,} free beds · {h.verification_status}"
                + ("" if h.accepting else "\nNot accepting patients (diversion)"),
            }
        )
    return pdk.Layer(
        "ScatterplotLayer",
        id="hospitals",
        data=rows,
        get_position="position",
        get_fill_color="colour",
        get_line_color="line",
        stroked=True,
        line_width_min_pixels=2,
        get_radius="radius",
        radius_units=PIXELS,
        pickable=True,
    )


def emergency_deck(data: Any, *, selected: str | None = None, height: int = HEIGHT) -> pdk.Deck:
    """The dispatch map of `data` (domains/emergencies/dispatch_map.MapData); `selected` rings one emergency.

    Drawn bottom to top: the ground, the hospitals, the capitals' names, the emergencies, the
    ambulances' arcs and the ring of the selected emergency, so nothing hides an emergency.
    """
    layers = [*_ground_layers(), _hospital_layer(data.hospitals), _capital_names()]
    if data.aggregated:
        cells = [
            {"position": [_at(c.longitude), _at(c.latitude)], "weight": c.emergencies, "critical": c.critical}
            for c in data.cells
        ]
        layers.append(
            pdk.Layer(
                "HeatmapLayer",
                id="emergency-density",
                data=cells,
                get_position="position",
                get_weight="weight",
                radius_pixels=40,
                color_range=[[255, 237, 160], [254, 178, 76], [253, 141, 60], [240, 59, 32], [189, 0, 38]],
                pickable=False,
            )
        )
    points: list[dict[str, Any]] = []
    if not data.aggregated and data.emergencies:
        points = [
            {
                "id": e.id,
                "position": [_at(e.longitude), _at(e.latitude)],
                "colour": SEVERITY_COLOURS.get(e.severity, GREY),
                "tooltip": f"{e.severity.title()} emergency: {e.emergency_type.replace('_', ' ')}\n"
                f"Waiting {minutes_words(e.age_minutes)} · {e.status.replace('_', ' ')}",
            }
            for e in data.emergencies
        ]
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                id="emergencies",
                data=points,
                get_position="position",
                get_fill_color="colour",
                get_line_color=[255, 255, 255],
                stroked=True,
                line_width_min_pixels=1,
                get_radius=6,
                radius_units=PIXELS,
                pickable=True,
            )
        )
    if data.ambulances:
        arcs = [
            {
                "from": [_at(a.from_longitude), _at(a.from_latitude)],
                "to": [_at(a.to_longitude), _at(a.to_latitude)],
                "colour": AMBULANCE_COLOURS.get(a.status, GREY),
                "tooltip": f"Ambulance {a.status.replace('_', ' ')}"
                + (f", ETA {a.eta_minutes} min" if a.eta_minutes is not None else "")
                + (f"\nTo {a.destination}" if a.destination else ""),
            }
            for a in data.ambulances
        ]
        layers.append(
            pdk.Layer(
                "ArcLayer",
                id="ambulances",
                data=arcs,
                get_source_position="from",
                get_target_position="to",
                get_source_color="colour",
                get_target_color="colour",
                get_width=3,
                pickable=True,
            )
        )
    chosen = [p for p in points if p["id"] == selected]
    if chosen:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                id="selected-emergency",
                data=[{"position": chosen[0]["position"]}],
                get_position="position",
                filled=False,
                stroked=True,
                get_line_color=[17, 24, 32],
                line_width_min_pixels=3,
                get_radius=13,
                radius_units=PIXELS,
                pickable=False,
            )
        )
    return CompactDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(**NIGERIA),
        map_provider=None,  # no basemap, no tiles fetched: the outline layers stand in for it
        tooltip={"text": "{tooltip}", "style": {"fontSize": "13px", "whiteSpace": "pre-line"}},
        height=height,
    )


def show(deck: pdk.Deck, *, key: str, alt: str, selectable: bool = True) -> str | None:
    """Draw the deck; returns the id of the emergency or hospital clicked on this run, if any."""
    if not selectable:
        st.pydeck_chart(deck, height=deck.height if isinstance(deck.height, int) else HEIGHT, key=key, alt=alt)
        return None
    event = st.pydeck_chart(deck, height=HEIGHT, key=key, alt=alt, on_select="rerun", selection_mode="single-object")
    objects = (getattr(event, "selection", None) or {}).get("objects", {}) or {}
    for layer in ("emergencies", "hospitals"):
        picked = objects.get(layer) or []
        if picked and isinstance(picked[0], dict) and isinstance(picked[0].get("id"), str):
            return picked[0]["id"]
    return None


def legend(*, aggregated: bool) -> None:
    """The map's legend in words and colours (colour is never the only cue: each has its word)."""
    severity = " ".join(f":{colour}[●] {word.title()}" for word, colour in SEVERITY_LEGEND)
    hospitals = " ".join(
        (f":{colour}[○]" if colour else "○") + f" {word.capitalize()}" for word, colour in VERIFICATION_LEGEND
    )
    emergencies = (
        "**Open emergencies**: a heat map of how many (too many to draw one by one)"
        if aggregated
        else f"**Open emergencies**, dots by severity: {severity}"
    )
    st.caption(
        f"{emergencies} · **Hospitals**, rings by verification, larger with more free beds: {hospitals}; "
        ":red[○] white inside a red ring: not accepting patients · **Ambulances**: arcs from pickup to hospital, "
        ":orange[—] on the way, :blue[—] arrived. Grey dots are state capitals "
        "(names left out where they would overlap)."
    )
