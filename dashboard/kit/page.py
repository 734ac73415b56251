"""The page context: what every page's `render` is handed, so a page starts with its content.

The router (shell/router.py) checks access before a page runs and builds this context; the page
reads the viewer, the actor, the period and whether it may write from here instead of re-deriving
them, draws its header with `ctx.header`, and shows the words of its last command with `ctx.done`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from dashboard.kit import commands
from dashboard.kit.filters import DateRange, current_range
from dashboard.kit.header import page_header
from dashboard.platform.actors import Actor
from dashboard.platform.permissions import writers
from dashboard.shell.gate import Viewer
from dashboard.shell.navigation import PAGE_BY_KEY


@dataclass(frozen=True)
class PageContext:
    key: str  # the page's key in the navigation table, and the prefix of its widget keys
    viewer: Viewer

    @property
    def actor(self) -> Actor:
        return self.viewer.actor

    @property
    def network_wide(self) -> bool:
        """True when the page shows the whole network (a column naming the hospital is then needed)."""
        return self.viewer.actor.network_wide

    @property
    def title(self) -> str:
        return PAGE_BY_KEY[self.key].title

    @cached_property
    def can_write(self) -> bool:
        """The role may change what this page shows (the services check it again on every write)."""
        return self.viewer.user.role in writers(self.key)

    @cached_property
    def period(self) -> DateRange:
        """The sidebar's date range: its one owner is kit/filters.py."""
        return current_range()

    def header(self, purpose: str, *, title: str | None = None, shows_figures: bool = True) -> None:
        page_header(title or self.title, purpose, self.viewer, shows_figures=shows_figures)

    def done(self, key: str | None = None) -> None:
        """The words of the last command done on this page (or under `key`), above the refreshed page."""
        commands.show_done(key or self.key)
