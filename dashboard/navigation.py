"""The one table of pages: where each lives, its section, and the roles that may open it.

app.py builds st.navigation from it and every page checks it again (gate.require_page_access), so
a page missing from someone's menu is also refused when reached some other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db.base import UserRole

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

ADMIN = UserRole.ADMIN
HOSPITAL_ADMIN = UserRole.HOSPITAL_ADMIN
EXECUTIVE = UserRole.EXECUTIVE
COMPLIANCE = UserRole.COMPLIANCE_OFFICER
EVERY_STAFF_ROLE = frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE, COMPLIANCE})

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


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", "Operations", "overview.py", ":material/dashboard:", EVERY_STAFF_ROLE),
    PageSpec(
        "hospitals",
        "Hospitals",
        "Management",
        "hospitals.py",
        ":material/local_hospital:",
        frozenset({ADMIN, HOSPITAL_ADMIN, COMPLIANCE}),
    ),
    PageSpec(
        "audit_trail",
        "Audit trail",
        "Management",
        "audit_trail.py",
        ":material/policy:",
        frozenset({ADMIN, HOSPITAL_ADMIN, COMPLIANCE}),
    ),
    PageSpec("users", "Users & roles", "Administration", "users.py", ":material/group:", frozenset({ADMIN})),
    PageSpec("my_account", "My account", "Administration", "my_account.py", ":material/person:", EVERY_STAFF_ROLE),
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
