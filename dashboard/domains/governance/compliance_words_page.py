"""Compliance on screen, shared by the page's parts: a score with its band's mark, the bands' legend, tints.

A part of the Compliance page (compliance_page.py runs it); no page of its own.
"""

from __future__ import annotations

import pandas as pd

from dashboard.domains.governance import compliance, compliance_scores
from dashboard.kit import charts, filters, kpi
from dashboard.platform.formatting import count
from dashboard.shell import data

KIND_WORDS = {"violation": "Violation", "action": "Corrective action"}
KIND_SHORT = {"violation": "Violation", "action": "Action"}
STATES = {"open": "open", "in progress": "in_progress", "closed": "closed"}  # as shown -> as stored
STATE_WORDS = {v: k for k, v in STATES.items()}


def legend() -> str:
    """The bands in their colours, each with its mark, words and range: "✓ Compliant 85 or more"."""
    return " · ".join(f":{charts.TONE_TEXT[b.tone]}[{charts.TONE_MARKS[b.tone]} {b.word} {b.range_text}]"
                      for b in compliance.score_bands())  # fmt: skip


def scored(score: int | None) -> str:
    """'◐ 72': a score with the mark of its band (the legend beside the table gives the words)."""
    band = compliance.band_of(score)
    return "—" if band is None else f"{charts.TONE_MARKS[band.tone]} {score}"


def tinted(frame: pd.DataFrame, column: str = "Score"):
    """The table with each score cell on its band's tint (the mark and the legend say the same in shapes and words)."""
    tints = {charts.TONE_MARKS[b.tone]: charts.TONE_TINTS[b.tone] for b in compliance.score_bands()}
    return frame.style.map(lambda v: f"background-color: {tints[v[0]]}" if isinstance(v, str) and v[:1] in tints
                           else "", subset=[column])  # fmt: skip


def state(entry_status: str, well_formed: bool = True) -> str:
    return STATE_WORDS.get(entry_status, entry_status).capitalize() if well_formed else "Not in the expected shape"


def score_card(figures, *, alarm_below_middle: bool = False, page: str | None = None) -> kpi.Card:
    """The average score card (compliance_scores.summary's figure), the same on Compliance and the Overview: the
    score with its band's mark, the band's words beneath. It needs attention outside the best band, or with
    `alarm_below_middle` (the Overview, where a network short of compliant is no alarm) in the lowest only."""
    band = compliance.band_of(None if figures.average_score is None else round(figures.average_score))
    alarm = band is not None and (band.tone == "poor" if alarm_below_middle else band.tone != "good")
    return kpi.figure_card(
        "compliance_score", "—" if band is None else f"{scored(round(figures.average_score))} / 100",
        status=None if band is None else (kpi.Status.ATTENTION if alarm else kpi.Status.NORMAL),
        status_note=None if band is None else f"{band.word} ({band.range_text})", page=page,
        help_extra=f"Over {count(figures.assessments)} current assessments. Bands: {compliance.bands_legend()}.",
    )  # fmt: skip


def average_card(ctx, **options) -> kpi.Card:
    """score_card of the scope's current assessments, as the Compliance page reads them (one cached read)."""
    return score_card(data.cached(compliance_scores.summary, ctx.actor, today=filters.today()), **options)
