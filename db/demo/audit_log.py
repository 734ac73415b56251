"""A year of staff actions in the audit log: sign-ins, resource updates, assessments, exports.

user_id holds users.id of a staff account; resource ids name rows the demo really wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from db.base import UserRole
from db.demo.amounts import naira
from db.demo.compliance import COMPLIANCE_TYPES, compliance_id
from db.demo.copy_writer import CopyWriter
from db.demo.hospitals import RESOURCE_CATALOGUE
from db.demo.identifiers import IdMaker, demo_id
from db.demo.network import HospitalNode, Network, Person
from db.demo.plan import COMPLIANCE_TYPES_PER_HOSPITAL, RESOURCES_PER_HOSPITAL

AUDIT_COLUMNS = (
    "id", "user_id", "hospital_id", "action_category", "action_type", "resource_type", "resource_id", "old_values",
    "new_values", "impact_level", "compliance_relevant", "financial_impact", "session_id", "ip_address",
    "user_agent", "created_at",
)  # fmt: skip

# (type, assessing body, possible violations (code, description, severity), corrective action per code)
IP_PREFIXES = ("102.89", "105.112", "197.210", "41.58", "129.205", "154.113")  # MTN, Airtel, Glo, MainOne ranges
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)


def write_audit_logs(network: Network, writer: CopyWriter) -> None:
    writer.write("audit_logs", AUDIT_COLUMNS, _audit_logs(network))
    writer.finish("audit_logs")


def _audit_logs(network: Network) -> Iterator[tuple]:
    rng = network.rng("audit_logs")
    ids = IdMaker("audit_logs")
    clock = network.clock
    staff = network.staff
    for number in range(network.plan.audit_logs):
        actor = rng.choice(staff)
        hospital = actor.hospital
        if hospital is None and rng.random() < 0.6:  # network staff often work in one hospital's scope
            hospital = rng.choice(network.hospitals)
        moment = clock.between(rng, max(actor.created_at, clock.history_start), clock.now - timedelta(minutes=1))
        action = _audit_action(rng, network, actor, hospital)
        session = f"sess_{rng.getrandbits(64):016x}"
        ip = f"{rng.choice(IP_PREFIXES)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        yield (
            ids(number),
            actor.user_id,
            hospital.id if hospital else None,
            *action,
            session,
            ip,
            rng.choice(USER_AGENTS),
            moment,
        )


def _action(
    category: str,
    kind: str,
    resource_type: str | None = None,
    resource_id: str | None = None,
    old: dict | None = None,
    new: dict | None = None,
    impact: str = "low",
    compliance_relevant: bool = False,
    financial_impact_kobo: int = 0,
) -> tuple:
    """The middle columns of an audit row, in AUDIT_COLUMNS order (action_category .. financial_impact)."""
    return (
        category,
        kind,
        resource_type,
        resource_id,
        json.dumps(old or {}),
        json.dumps(new or {}),
        impact,
        compliance_relevant,
        naira(financial_impact_kobo),
    )


def _audit_action(rng, network: Network, actor: Person, hospital: HospitalNode | None) -> tuple:
    """What a staff member did, drawn from the actions their role can take (mostly signing in)."""
    draw = rng.random()
    role = actor.role
    if draw < 0.45:
        return _action("authentication", "login_succeeded", "user", actor.user_id, new={"email": actor.email})
    if draw < 0.6:
        return _action("authentication", "logout", "user", actor.user_id)
    if draw < 0.64:
        failures = {"email": actor.email, "failures_in_window": rng.randint(1, 3)}
        return _action("authentication", "login_failed", "user", actor.user_id, new=failures, impact="medium")
    if hospital is not None and draw < 0.76 and role in (UserRole.HOSPITAL_ADMIN, UserRole.ADMIN):
        position = rng.randrange(RESOURCES_PER_HOSPITAL)
        category, name, _, _ = RESOURCE_CATALOGUE[position]
        before = rng.randint(0, 40)
        change = rng.randint(1, 10)  # an update changes the count: a no-op is not a change to record
        after = before + change if before < change or rng.random() < 0.5 else before - change
        resource_id = demo_id("hospital_resources", hospital.index * RESOURCES_PER_HOSPITAL + position)
        return _action(
            "resource_management",
            "resource_updated",
            "hospital_resource",
            resource_id,
            old={"name": name, "available_quantity": before},
            new={"name": name, "available_quantity": after},
            impact="medium" if category in ("beds", "ambulances") else "low",
        )
    if hospital is not None and draw < 0.84 and role in (UserRole.COMPLIANCE_OFFICER, UserRole.ADMIN):
        position = rng.randrange(COMPLIANCE_TYPES_PER_HOSPITAL)
        score = rng.randint(40, 100)
        return _action(
            "compliance",
            "assessment_recorded",
            "hospital_compliance_tracking",
            compliance_id(hospital, position),
            new={"compliance_type": COMPLIANCE_TYPES[position][0], "score": score},
            impact="high" if score < 60 else "medium",
            compliance_relevant=True,
        )
    if draw < 0.9 and role in (UserRole.EXECUTIVE, UserRole.ADMIN):
        report = rng.choice(("monthly_finance", "revenue_by_category", "network_overview"))
        export = {"report": report, "format": "csv", "rows": rng.randint(12, 5000)}
        return _action("data_access", "report_exported", "report", new=export, compliance_relevant=True)
    if draw < 0.93 and role in (UserRole.COMPLIANCE_OFFICER, UserRole.ADMIN):
        return _action("data_access", "audit_trail_viewed", "audit_log", new={"page": 1}, compliance_relevant=True)
    if draw < 0.95 and role is UserRole.ADMIN and hospital is not None:
        target = rng.choice(list(hospital.staff.values()))
        kind = "user_deactivated" if rng.random() < 0.5 else "user_activated"
        return _action(
            "user_management", kind, "user", target.user_id, new={"email": target.email}, impact="high",
            compliance_relevant=True,
        )  # fmt: skip
    if draw < 0.97 and role in (UserRole.HOSPITAL_ADMIN, UserRole.EXECUTIVE) and hospital is not None:
        amount = rng.choice((5_000, 10_000, 25_000, 50_000)) * 100
        return _action(
            "financial", "refund_approved", "wallet_transaction", new={"reason": "cancelled video consultation"},
            impact="medium", compliance_relevant=True, financial_impact_kobo=amount,
        )  # fmt: skip
    if draw < 0.985:
        attempt = {"attempted": "open the finance page"}
        return _action("security", "permission_denied", new=attempt, impact="high", compliance_relevant=True)
    return _action("data_access", "patient_list_viewed", "hospital_patient", new={"page": 1}, compliance_relevant=True)


def demo_replaced_audit_row(network: Network, deleted_audit_rows: int) -> tuple:
    """The one audit row left after --replace wipes the trail: who rebuilt the demo, and what went."""
    admin = network.network_staff[UserRole.ADMIN]
    details = {
        "scale": network.plan.scale,
        "seed": network.seed,
        "as_of": network.clock.as_of.isoformat(),
        "deleted_audit_rows": deleted_audit_rows,
    }
    action = _action(
        "system_admin", "demo_data_replaced", "database", new=details, impact="critical", compliance_relevant=True
    )
    row_id = demo_id("audit_logs", network.plan.audit_logs)
    return (row_id, admin.user_id, None, *action, None, None, "healthdash db demo --replace", network.clock.now)
