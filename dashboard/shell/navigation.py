"""The one table of pages: where each lives, its section, and the roles that may open it.

app.py builds st.navigation from it and the router checks it again before a page runs
(gate.require_page_access), so a page missing from someone's menu is also refused when reached some other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.platform.permissions import ADMIN, readers
from db.base import UserRole

DOMAINS_DIR = Path(__file__).resolve().parent.parent / "domains"

__all__ = ["ADMIN", "PAGES", "PAGE_BY_KEY", "SECTIONS", "PageSpec", "pages_for"]

SECTIONS = ("Operations", "Management", "Administration")


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    section: str
    domain: str
    icon: str
    roles: frozenset[UserRole]

    @property
    def file(self) -> str:
        return f"{self.key}_page.py"

    @property
    def module(self) -> str:
        return f"dashboard.domains.{self.domain}.{self.key}_page"

    @property
    def path(self) -> Path:
        return DOMAINS_DIR / self.domain / self.file

    @property
    def url_path(self) -> str:
        return self.key.replace("_", "-")


def _page(key: str, title: str, section: str, icon: str, domain: str, *, parts: tuple[str, ...] = ()) -> PageSpec:
    """A page open to its area's readers in the permission table (services check the same sets), and to the
    readers of the areas its `parts` show (each part checks its own area again)."""
    roles = readers(key).union(*(readers(part) for part in parts))
    return PageSpec(key, title, section, domain, icon, roles)


PAGES: tuple[PageSpec, ...] = (
    _page("overview", "Overview", "Operations", ":material/dashboard:", "overview"),
    _page("resources", "Resources & beds", "Operations", ":material/bed:", "floor"),
    _page("bed_board", "Bed board", "Operations", ":material/single_bed:", "floor"),
    _page("admissions", "Admissions", "Operations", ":material/personal_injury:", "floor"),
    _page("waitlist", "Waitlist", "Operations", ":material/queue:", "floor"),
    _page("appointments", "Appointments", "Operations", ":material/event:", "appointments"),
    _page("emergencies", "Emergencies", "Operations", ":material/emergency:", "emergencies"),
    _page("financials", "Financials", "Management", ":material/payments:", "money"),
    _page("claims", "Claims", "Management", ":material/receipt_long:", "money"),
    _page("analytics", "Analytics", "Management", ":material/monitoring:", "overview"),
    _page("peers", "Peers", "Management", ":material/groups:", "overview"),
    _page("compliance", "Compliance", "Management", ":material/verified_user:", "governance"),
    _page("hospitals", "Hospitals", "Management", ":material/local_hospital:", "governance"),
    _page("licences", "Licences", "Management", ":material/license:", "governance"),
    _page("verification", "Verification", "Administration", ":material/fact_check:", "governance"),
    _page("audit_trail", "Audit trail", "Management", ":material/policy:", "governance"),
    _page("figures", "How figures are counted", "Management", ":material/menu_book:", "governance"),
    # Hospital administrators open it for its "Ward screens" part alone (their hospital's wall screens).
    _page("users", "Users & roles", "Administration", ":material/group:", "people", parts=("ward_screens",)),
    _page("my_account", "My account", "Administration", ":material/person:", "people"),
    _page("digests", "Digests", "Administration", ":material/forward_to_inbox:", "digests"),
    # No staff role opens it: only a browser paired as a ward screen does (shell/screen_gate.py), in no menu.
    _page("ward_screen", "Ward screen", "Operations", ":material/tv:", "floor"),
)

PAGE_BY_KEY = {p.key: p for p in PAGES}


def pages_for(role: UserRole) -> dict[str, list[PageSpec]]:
    """The role's pages by section, in menu order; empty sections are left out."""
    sections: dict[str, list[PageSpec]] = {}
    for section in SECTIONS:
        allowed = [p for p in PAGES if p.section == section and role in p.roles]
        if allowed:
            sections[section] = allowed
    return sections
