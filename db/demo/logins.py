"""The staff accounts the dashboard is shown with: three per hospital and three network-wide.

All demo accounts share one password. It is public (README.md, docs/demo-data.md): the demo is for
looking around, never for real patients.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.base import UserRole
from db.demo.geography import HospitalSite, hospital_sites
from db.demo.plan import plan_for

DEMO_EMAIL_DOMAIN = "demo.healthdash.ng"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - public by design, documented in README.md

# Role -> the local-part prefix of its e-mail address.
HOSPITAL_STAFF_ROLES: tuple[tuple[UserRole, str], ...] = (
    (UserRole.HOSPITAL_ADMIN, "hospital-admin"),
    (UserRole.EXECUTIVE, "executive"),
    (UserRole.COMPLIANCE_OFFICER, "compliance"),
)
NETWORK_STAFF_ROLES: tuple[tuple[UserRole, str], ...] = (
    (UserRole.ADMIN, "admin"),
    (UserRole.EXECUTIVE, "executive"),
    (UserRole.COMPLIANCE_OFFICER, "compliance"),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: UserRole
    hospital_name: str | None  # None: network-wide (profile.hospital_id is NULL)
    hospital_slug: str | None = None


def network_login(role: UserRole, prefix: str) -> DemoLogin:
    return DemoLogin(f"{prefix}@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, role, None)


def hospital_login(site: HospitalSite, role: UserRole, prefix: str) -> DemoLogin:
    return DemoLogin(f"{prefix}.{site.slug}@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, role, site.name, site.slug)


def demo_logins(scale: float = 1.0) -> list[DemoLogin]:
    """Network-wide logins first, then each hospital's three, in hospital order."""
    logins = [network_login(role, prefix) for role, prefix in NETWORK_STAFF_ROLES]
    for site in hospital_sites(plan_for(scale).hospitals):
        logins.extend(hospital_login(site, role, prefix) for role, prefix in HOSPITAL_STAFF_ROLES)
    return logins


def is_demo_email(email: str) -> bool:
    return email.lower().endswith("@" + DEMO_EMAIL_DOMAIN)
