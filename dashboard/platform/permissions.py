"""The one table of who may do what: each area's readers and writers.

`navigation.PAGES` opens a page to its area's readers, and the services check the same sets with
`scope.require_role`, so the menu and the server can never disagree about a role.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from db.base import UserRole

ADMIN = UserRole.ADMIN
HOSPITAL_ADMIN = UserRole.HOSPITAL_ADMIN
EXECUTIVE = UserRole.EXECUTIVE
COMPLIANCE = UserRole.COMPLIANCE_OFFICER
EVERY_STAFF_ROLE = frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE, COMPLIANCE})
NOBODY: frozenset[UserRole] = frozenset()


@dataclass(frozen=True)
class Access:
    read: frozenset[UserRole]
    write: frozenset[UserRole]


ACCESS: dict[str, Access] = {
    "overview": Access(read=EVERY_STAFF_ROLE, write=NOBODY),
    # Executives and compliance officers read capacity (it bears on finance and on licensing); only
    # those who run the hospital change it.
    "resources": Access(read=EVERY_STAFF_ROLE, write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    "admissions": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    # The bed board is the resources' beds one by one: read and run by those who read and change the counts.
    "bed_board": Access(read=EVERY_STAFF_ROLE, write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    "appointments": Access(
        read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=frozenset({ADMIN, HOSPITAL_ADMIN})
    ),
    "waitlist": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN}), write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    # The dispatch desk refers; a hospital's administrator answers referrals and sets diversion;
    # executives read it.
    "emergencies": Access(
        read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=frozenset({ADMIN, HOSPITAL_ADMIN})
    ),
    # Only a network administrator posts a refund or adjustment to a patient's wallet.
    "financials": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=frozenset({ADMIN})),
    # Wallets are patients' money, not a hospital's: network administrators and executives only
    # (the services also require network scope).
    "wallets": Access(read=frozenset({ADMIN, EXECUTIVE}), write=frozenset({ADMIN})),
    # NHIA and HMO claims: executives read what the payers owe; those who run a hospital record its claims' submission,
    # payment and denial (each within their scope).
    "claims": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    # Budgets (Financials' "Budget against actual"): a hospital's administrator sets its own hospital's, a network
    # administrator any hospital's; executives read them beside the ledger.
    "budgets": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    "analytics": Access(read=EVERY_STAFF_ROLE, write=NOBODY),
    # Peers set occupancy, stays, no-shows, compliance and revenue side by side: read by the roles that read all five.
    "peers": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, EXECUTIVE}), write=NOBODY),
    "compliance": Access(read=EVERY_STAFF_ROLE, write=frozenset({ADMIN, COMPLIANCE})),
    "verification": Access(read=frozenset({ADMIN}), write=frozenset({ADMIN})),
    # Licences: a hospital's administrator holds its papers and files each renewal; a compliance officer keeps
    # the regulatory file and records what an inspector or a regulator hands over; network administrators both.
    # Each within their scope; all three act on what they read, so readers and writers are the same.
    "licences": Access(
        read=frozenset({ADMIN, HOSPITAL_ADMIN, COMPLIANCE}), write=frozenset({ADMIN, HOSPITAL_ADMIN, COMPLIANCE})
    ),
    "hospitals": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, COMPLIANCE}), write=frozenset({ADMIN})),
    "audit_trail": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN, COMPLIANCE}), write=NOBODY),
    "users": Access(read=frozenset({ADMIN}), write=frozenset({ADMIN})),
    # Wall screens (Users & roles' "Ward screens" part): a hospital's administrator pairs and disconnects its own.
    "ward_screens": Access(read=frozenset({ADMIN, HOSPITAL_ADMIN}), write=frozenset({ADMIN, HOSPITAL_ADMIN})),
    # The ward TV view: no staff role opens it; only a paired screen does (dashboard/shell/screen_gate.py).
    "ward_screen": Access(read=NOBODY, write=NOBODY),
    "my_account": Access(read=EVERY_STAFF_ROLE, write=EVERY_STAFF_ROLE),
    # Digests by email: every staff user subscribes for themselves (to what their role reads, in their scope) and
    # cancels their own; a network administrator sees and cancels everyone's and the outbox (the services check).
    "digests": Access(read=EVERY_STAFF_ROLE, write=EVERY_STAFF_ROLE),
    # The figure catalogue: definitions only, no data; each reader sees the figures of the areas they read.
    "figures": Access(read=EVERY_STAFF_ROLE, write=NOBODY),
}


def readers(area: str) -> frozenset[UserRole]:
    return ACCESS[area].read


def writers(area: str) -> frozenset[UserRole]:
    return ACCESS[area].write


def reads(area: str | frozenset[UserRole], purpose: str | None = None, *, replica: bool = False):
    """A read service's one declaration: who may call it, what the refusal says, and where it may run.

    `@reads("resources", "see beds")` checks the actor's role against the area's readers before the
    service runs (a refusal says "Your role (...) cannot see beds." and is audited, scope.require_role),
    marks the service with those roles so `shell.data`'s cache refuses on a hit too, and with
    `replica=True` lets `platform.replica` send it to the read replica. Without a purpose the service
    is only marked (it checks the role itself, with words of its own).
    """
    allowed = readers(area) if isinstance(area, str) else area

    def declare(service):
        if purpose is None:
            checked = service
        else:

            @functools.wraps(service)
            def checked(db, actor, *args, **kwargs):
                from dashboard.platform.scope import require_role  # scope sits above this table

                require_role(db, actor, allowed, purpose)
                return service(db, actor, *args, **kwargs)

        checked.required_roles = allowed
        checked.replica = replica
        return checked

    return declare
