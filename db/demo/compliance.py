"""Compliance assessments: six regulatory areas per hospital, with violations and corrective actions.

assessed_by holds users.id (a compliance officer), as the dashboard's own assessments do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from db.base import UserRole
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import demo_id
from db.demo.network import HospitalNode, Network
from db.demo.plan import COMPLIANCE_TYPES_PER_HOSPITAL

COMPLIANCE_COLUMNS = (
    "id", "hospital_id", "compliance_type", "status", "score", "last_assessment_date", "next_assessment_due",
    "assessed_by", "assessment_details", "violations", "corrective_actions", "created_at", "updated_at",
)  # fmt: skip
COMPLIANCE_TYPES = (
    (
        "NHIA accreditation",
        "National Health Insurance Authority",
        (
            ("NHIA-04", "Claims submitted without complete encounter forms", "medium"),
            ("NHIA-07", "Enrollee register not updated monthly", "low"),
            ("NHIA-11", "Drug formulary not displayed at the pharmacy", "low"),
            ("NHIA-15", "Referral letters missing for secondary care claims", "high"),
        ),
    ),
    (
        "Infection prevention and control",
        "State Ministry of Health",
        (
            ("IPC-02", "Hand hygiene stations without soap in two wards", "medium"),
            ("IPC-05", "Sharps containers overfilled in the theatre", "high"),
            ("IPC-09", "No isolation signage at the TB clinic", "medium"),
            ("IPC-12", "Autoclave validation log incomplete", "high"),
        ),
    ),
    (
        "NDPR data protection",
        "Nigeria Data Protection Commission",
        (
            ("NDP-01", "No data protection impact assessment for the telemedicine app", "high"),
            ("NDP-03", "Patient files left unattended at a nursing station", "medium"),
            ("NDP-06", "Staff sharing EMR logins", "high"),
            ("NDP-08", "Record of processing activities incomplete", "low"),
        ),
    ),
    (
        "Fire safety",
        "Federal Fire Service",
        (
            ("FIRE-02", "Two fire extinguishers past their service date", "medium"),
            ("FIRE-04", "Emergency exit blocked by stored equipment", "critical"),
            ("FIRE-07", "No fire drill in the last 12 months", "medium"),
        ),
    ),
    (
        "Pharmacy licensing (PCN)",
        "Pharmacy Council of Nigeria",
        (
            ("PCN-03", "Superintendent pharmacist's licence not renewed", "high"),
            ("PCN-06", "Controlled drugs register not balanced", "critical"),
            ("PCN-09", "Gaps in the vaccine fridge temperature log", "medium"),
        ),
    ),
    (
        "Medical waste management",
        "State Environmental Protection Agency",
        (
            ("WST-01", "Clinical waste mixed with general waste", "high"),
            ("WST-04", "Incinerator logbook missing", "medium"),
            ("WST-05", "Waste contractor's permit expired", "medium"),
        ),
    ),
)
ACTION_OWNERS = (
    "Medical Director",
    "Head of Nursing",
    "Facility Manager",
    "Data Protection Officer",
    "Chief Pharmacist",
)
COMPLIANCE_STATUSES = (("compliant", 55), ("partially_compliant", 25), ("non_compliant", 10), ("under_review", 10))
# Scores agree with the status: compliant is 85 or more, non-compliant below 60.
SCORE_RANGES = {
    "compliant": (85, 100),
    "partially_compliant": (60, 84),
    "non_compliant": (25, 59),
    "under_review": (55, 90),
}
VIOLATION_COUNTS = {"compliant": (0, 1), "partially_compliant": (1, 2), "non_compliant": (2, 3), "under_review": (0, 2)}
REASSESS_DAYS = {"compliant": 365, "partially_compliant": 180, "non_compliant": 90, "under_review": 30}


def write_compliance(network: Network, writer: CopyWriter) -> None:
    writer.write("hospital_compliance_tracking", COMPLIANCE_COLUMNS, _compliance(network))
    writer.finish("hospital_compliance_tracking")


def compliance_id(hospital: HospitalNode, position: int) -> str:
    return demo_id("hospital_compliance_tracking", hospital.index * COMPLIANCE_TYPES_PER_HOSPITAL + position)


def _compliance(network: Network) -> Iterator[tuple]:
    rng = network.rng("hospital_compliance_tracking")
    clock = network.clock
    statuses, weights = zip(*COMPLIANCE_STATUSES, strict=True)
    for hospital in network.hospitals:
        for position, (kind, body, catalogue) in enumerate(COMPLIANCE_TYPES):
            status = rng.choices(statuses, weights)[0]
            if hospital.verification_status == "pending" and kind == "NHIA accreditation":
                status = "under_review"  # accreditation is what a new hospital is waiting for
            low, high = SCORE_RANGES[status]
            score = rng.randint(low, high)
            earliest = max(hospital.joined_at, clock.now - timedelta(days=330))
            assessed = clock.between(rng, earliest, clock.now - timedelta(days=1))
            due = assessed + timedelta(days=REASSESS_DAYS[status])
            assessor = hospital.staff[UserRole.COMPLIANCE_OFFICER]
            if rng.random() < 0.3:
                assessor = network.network_staff[UserRole.COMPLIANCE_OFFICER]
            found = rng.sample(catalogue, rng.randint(*VIOLATION_COUNTS[status]))
            if status == "compliant":  # a compliant hospital has at most a minor finding
                found = [(code, text, "low") for code, text, _ in found]
            violations, actions, last_change = [], [], assessed
            for code, text, severity in found:
                found_on = f"{assessed:%Y-%m-%d}"
                violations.append({"code": code, "description": text, "severity": severity, "found_on": found_on})
                action_due = assessed + timedelta(days=rng.choice((14, 30, 60)))
                # A compliant hospital fixed its minor finding; others have closed about half the overdue ones.
                if status == "compliant" or (action_due < clock.now and rng.random() < 0.5):
                    state = "done"
                else:
                    state = rng.choice(("open", "in_progress"))
                actions.append(
                    {"violation_code": code, "action": f"Resolve: {text.lower()}", "owner": rng.choice(ACTION_OWNERS),
                     "due_date": f"{action_due:%Y-%m-%d}", "status": state}
                )  # fmt: skip
                if state != "open":
                    last_change = max(last_change, min(action_due, clock.now - timedelta(hours=1)))
            checklist = rng.choice((30, 40, 50))
            details = {
                "assessor_body": body,
                "method": rng.choice(("on-site inspection", "document review", "self-assessment")),
                "checklist_items": checklist,
                "items_passed": round(checklist * score / 100),
            }
            yield (
                compliance_id(hospital, position),
                hospital.id,
                kind,
                status,
                score,
                assessed,
                due,
                assessor.user_id,
                json.dumps(details),
                json.dumps(violations),
                json.dumps(actions),
                assessed,
                last_change,
            )
