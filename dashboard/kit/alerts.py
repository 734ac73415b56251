"""Threshold alerts that raise and clear at separate levels, and the panel that lists them.

Whether an alert stood a moment ago is remembered per process (scope and alert key), so a figure
hovering at its line raises once and clears only when it is clearly back (settings.Level). The
memory is shared by every user of the same scope, as the figures themselves are.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from dashboard.kit import kpi, say
from dashboard.shell.gate import Viewer
from db.settings import Level


@dataclass(frozen=True)
class Alert:
    key: str  # stable across reruns: what the alert is about, e.g. "low:<resource id>"
    text: str  # one plain sentence, already formatted
    value: float
    level: Level
    page: str | None = None  # the page key where it is dealt with
    kind: str = "Needs attention"  # alerts of one kind are summed up together when there are many
    short: str | None = None  # a few words naming the record, for that summary


class _Memory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raised: dict[tuple[str, str], bool] = {}

    def update(self, scope_key: str, key: str, value: float | None, level: Level) -> bool:
        with self._lock:
            was = self._raised.get((scope_key, key), False)
            now = level.breached(value, was_raised=was)
            if len(self._raised) > 50_000:  # bounded: forget everything rather than grow without end
                self._raised.clear()
            self._raised[(scope_key, key)] = now
            return now


@st.cache_resource(show_spinner=False)
def _memory() -> _Memory:
    return _Memory()


def standing(viewer: Viewer, key: str, value: float | None, level: Level) -> bool:
    """Whether the alert `key` stands at `value` in the viewer's scope, given whether it stood before."""
    return _memory().update(viewer.actor.scope_key, key, value, level)


def standing_alerts(viewer: Viewer, candidates: list[Alert]) -> list[Alert]:
    return [a for a in candidates if standing(viewer, a.key, a.value, a.level)]


def panel(
    viewer: Viewer,
    alerts: list[Alert],
    *,
    title: str = "Needs attention",
    empty: str | None = None,
    most_lines: int = 8,
) -> None:
    """The standing alerts, each a sentence with a link to where it is dealt with.

    More than `most_lines` alerts (a network's worth) are summed up per kind, one line each with
    the first few named, so the panel stays one screen and still says where to go.
    """
    if not alerts:
        if empty:
            say.success(empty, icon=":material/check_circle:")
        return
    with st.container(border=True):
        st.markdown(f"**{title}** ({len(alerts):,})")
        if len(alerts) <= most_lines:
            for alert in alerts:
                _line(viewer, alert.text, alert.page)
            return
        kinds: dict[str, list[Alert]] = {}
        for alert in alerts:
            kinds.setdefault(alert.kind, []).append(alert)
        for kind, members in kinds.items():
            named = ", ".join(a.short or a.text for a in members[:3])
            more = f" and {len(members) - 3:,} more" if len(members) > 3 else ""
            # One kind only: the panel's title already says what they are.
            what = "" if len(kinds) == 1 else f"**{kind}** ({len(members):,}): "
            _line(viewer, f"{what}{named}{more}.", members[0].page)


def _line(viewer: Viewer, text: str, page: str | None) -> None:
    words, link = st.columns([5, 1], vertical_alignment="center")
    words.markdown(f":orange[:material/warning:] {text}")
    kpi.link_to(viewer, page, link, label="Open")
