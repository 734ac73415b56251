"""Who is acting: the actor a service is called for, where the request came from, and role names.

Its own module so that `scope` (which audits refusals) and `audit` (which records actors) both
import it and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from db.base import UserRole

STAFF_ROLES = frozenset({UserRole.ADMIN, UserRole.HOSPITAL_ADMIN, UserRole.EXECUTIVE, UserRole.COMPLIANCE_OFFICER})

ROLE_NAMES = {
    UserRole.ADMIN: "Network administrator",
    UserRole.HOSPITAL_ADMIN: "Hospital administrator",
    UserRole.EXECUTIVE: "Executive",
    UserRole.COMPLIANCE_OFFICER: "Compliance officer",
    UserRole.PHYSICIAN: "Physician",
    UserRole.PATIENT: "Patient",
    UserRole.AGENT: "Agent",
}


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, for the audit trail; each part only when Streamlit exposes it."""

    session_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Actor:
    """The acting user. `hospital_id` is the working scope; None means the whole network."""

    user_id: str
    role: UserRole
    hospital_id: str | None
    client: ClientInfo = field(default_factory=ClientInfo)

    @property
    def network_wide(self) -> bool:
        return self.hospital_id is None

    @property
    def scope_key(self) -> str:
        """A cache key part: results shared between users of the same scope only."""
        return self.hospital_id or "network"
