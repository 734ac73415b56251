"""What makes a profile a dashboard account that may be signed in: one rule for sign-in, sessions and role changes.

A dashboard account has one of the four staff roles, is active, and, as a hospital administrator,
is linked to a hospital. Sign-in refuses an account that breaks the rule (sign_in.py), a session of
one that breaks it later ends on its next click (sessions.py), and a role change that would break it
is refused (staff.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.platform.actors import STAFF_ROLES
from db.base import UserRole
from db.models import Profile


@dataclass(frozen=True)
class Refusal:
    reason: str  # "not_staff", "inactive" or "no_hospital" (sign_in.LoginOutcome's values)
    message: str


def is_staff(profile: Profile | None) -> bool:
    return profile is not None and profile.role in STAFF_ROLES


def needs_a_hospital(role: UserRole, hospital_id: str | None) -> bool:
    """A hospital administrator runs one hospital: without one the account cannot work."""
    return role is UserRole.HOSPITAL_ADMIN and hospital_id is None


def refusal(profile: Profile | None) -> Refusal | None:
    """Why this profile may not use the dashboard now, in words for its owner; None when it may."""
    if not is_staff(profile):
        return Refusal(
            "not_staff",
            "Patient, physician and agent accounts cannot sign in to this dashboard. It is for hospital "
            "administrators, executives and compliance officers.",
        )
    if not profile.is_active:
        return Refusal(
            "inactive", "This account has been deactivated. Ask your network administrator to reactivate it."
        )
    if needs_a_hospital(profile.role, profile.hospital_id):
        return Refusal(
            "no_hospital",
            "This hospital administrator account is not linked to a hospital yet. Ask your network "
            "administrator to link it.",
        )
    return None
