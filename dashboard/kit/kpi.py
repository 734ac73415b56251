"""Metric cards: a value, its change against the previous period, a status from thresholds, a link.

Status is told by icon and word as well as colour (blue for normal, orange for attention, grey for
no data), so it reads the same to colour-blind users and on every page.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import Enum
from typing import Literal

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from dashboard.platform import figures
from dashboard.shell import navigation
from dashboard.shell.gate import Viewer


class Status(Enum):
    NORMAL = ("Normal", ":material/check_circle:", "blue")
    ATTENTION = ("Needs attention", ":material/warning:", "orange")
    NO_DATA = ("No data", ":material/help:", "gray")

    @property
    def word(self) -> str:
        return self.value[0]


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    delta: str | None = None
    delta_description: str | None = None
    # Which way is good: "normal" up, "inverse" down, "off" neither (a change with no judgement). The
    # delta is drawn in the status palette (../shared/design/UX.md), never red against green: blue for a change the good
    # way, orange for one that needs attention, grey for none or no judgement; its arrow says which way.
    delta_color: Literal["normal", "inverse", "off"] = "off"
    help: str | None = None
    status: Status | None = None
    status_note: str | None = None  # what the status is measured against, e.g. "alert at 90%"
    page: str | None = None  # the page key that explains the figure
    figure: str | None = None  # its key in the figure catalogue (dashboard/platform/figures.py)


def figure_card(key: str, value: str, *, label: str | None = None, help_extra: str | None = None, **rest) -> Card:
    """A card for a figure of the catalogue: its label and its help text (the definition) come from there.

    `help_extra` adds a sentence after the definition (e.g. what the figure counted this time); the
    definition itself is never replaced, so every card of a figure explains it the same way.
    """
    spec = figures.figure(key)
    text = spec.help if not help_extra else f"{spec.help} {help_extra}"
    return Card(label or spec.label, value, help=text, figure=key, **rest)


def delta_colour(card: Card) -> Literal["blue", "orange", "gray"]:
    """The colour of a card's delta: blue a change the good way, orange the other way, grey otherwise."""
    if card.delta_color == "off" or not card.delta:
        return "gray"
    text = card.delta.strip()
    if not any(c in "123456789" for c in text.split("(")[0]):  # "+0", "+₦0 (+0.0%)": no change
        return "gray"
    up = not text.startswith(("-", "\u2212"))
    return "blue" if up == (card.delta_color == "normal") else "orange"


def _badge(status: Status, note: str | None) -> None:
    # The note goes on its own line: beside the word it was cut off in a card a quarter of 1400 px wide.
    word, icon, colour = status.value
    st.badge(word, icon=icon, color=colour)
    if note:
        st.caption(note)


def card_row(viewer: Viewer, cards: list[Card], *, per_row: int = 4) -> None:
    """Cards in rows of `per_row`; each links to its page when the viewer's role opens it."""
    for start in range(0, len(cards), per_row):
        columns = st.columns(per_row)
        for column, card in zip(columns, cards[start : start + per_row], strict=False):
            with column.container(border=True):
                st.metric(
                    card.label,
                    card.value,
                    delta=card.delta,
                    delta_color=delta_colour(card),
                    delta_description=card.delta_description,
                    delta_arrow="auto" if card.delta_color != "off" else "off",
                    help=card.help,
                )
                if card.status is not None:
                    _badge(card.status, card.status_note)
                link_to(viewer, card.page)


def link_to(viewer: Viewer, page_key: str | None, container=None, *, label: str | None = None) -> None:
    """A link to a page the viewer's role opens; nothing for a page that does not exist (yet) or is closed.

    A page run on its own (a test, a bare run) has no navigation to link into; the link is left out.
    """
    spec = navigation.PAGE_BY_KEY.get(page_key or "")
    if spec is None or viewer.user.role not in spec.roles:
        return
    with contextlib.suppress(StreamlitPageNotFoundError):
        (container or st).page_link(
            str(spec.path), label=label or f"Open {spec.title}", icon=":material/arrow_forward:", help=spec.title
        )


def signed_change(now: float | None, before: float | None, *, unit: str = "", digits: int = 0) -> str | None:
    """'+12', '-3.5 min', or None when there is nothing to compare with."""
    if now is None or before is None:
        return None
    change = now - before
    text = f"{change:+,.{digits}f}"
    return f"{text} {unit}".strip()
