"""The one table of pages: where each lives, its section, and the roles that may open it.

app.py builds st.navigation from it and every page checks it again (gate.require_page_access), so
a page missing from someone's menu is also refused when reached some other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.services.permissions import ADMIN, readers
from db.base import UserRole

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

__all__ = ["ADMIN", "PAGES", "PAGE_BY_KEY", "SECTIONS", "PageSpec", "pages_for"]

SECTIONS = ("Operations", "Management", "Administration")


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    section: str
    file: str
    icon: str
    roles: frozenset[UserRole]

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file

    @property
    def url_path(self) -> str:
        return self.key.replace("_", "-")



def _page(key: str, title: str, section: str, icon: str) -> PageSpec:
    """A page open to its area's readers in the permission table (services check the same sets)."""
    return PageSpec(key, title, section, f"{key}.py", icon, readers(key))


PAGES: tuple[PageSpec, ...] = (
    _page("overview", "Overview", "Operations", ":material/dashboard:"),
    _page("resources", "Resources & beds", "Operations", ":material/bed:"),
    _page("admissions", "Admissions", "Operations", ":material/personal_injury:"),
    _page("waitlist", "Waitlist", "Operations", ":material/queue:"),
    _page("appointments", "Appointments", "Operations", ":material/event:"),
    _page("emergencies", "Emergencies", "Operations", ":material/emergency:"),
    _page("financials", "Financials", "Management", ":material/payments:"),
    _page("analytics", "Analytics", "Management", ":material/monitoring:"),
    _page("compliance", "Compliance", "Management", ":material/verified_user:"),
    _page("hospitals", "Hospitals", "Management", ":material/local_hospital:"),
    _page("verification", "Verification", "Administration", ":material/fact_check:"),
    _page("audit_trail", "Audit trail", "Management", ":material/policy:"),
    _page("figures", "How figures are counted", "Management", ":material/menu_book:"),
    _page("users", "Users & roles", "Administration", ":material/group:"),
    _page("my_account", "My account", "Administration", ":material/person:"),
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
