"""Compliance assessments: six regulatory areas per hospital, each with its current assessment and three
past ones (about quarterly, scores that move), with violations and corrective actions.

assessed_by holds users.id (a compliance officer), as the dashboard's own assessments do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from db.base import UserRole
from db.demo.checklists import ANSWER_COLUMNS, EVIDENCE_COLUMNS, Checklists, answer, read_standard, status_of
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import demo_id
from db.demo.network import HospitalNode, Network
from db.demo.plan import COMPLIANCE_ASSESSMENTS_PER_TYPE, COMPLIANCE_TYPES_PER_HOSPITAL

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


# Past assessments before the current one, about quarterly: a trend and a history at every scale.
PAST_ASSESSMENTS = COMPLIANCE_ASSESSMENTS_PER_TYPE - 1
QUARTER = timedelta(days=91)


def write_compliance(network: Network, writer: CopyWriter) -> None:
    # Each current assessment's checklist is answered as it is written (db/demo/checklists.py): its score is the
    # checklist's. The answers and evidence follow, their assessments being in place.
    book = Checklists(read_standard(writer), network.rng("compliance_checklists"))
    writer.write("hospital_compliance_tracking", COMPLIANCE_COLUMNS, _compliance(network, book))
    writer.write("compliance_checklist_answers", ANSWER_COLUMNS, book.answers)
    writer.write("compliance_evidence", EVIDENCE_COLUMNS, book.evidence)
    writer.finish("hospital_compliance_tracking", "compliance_checklist_answers", "compliance_evidence")


def compliance_id(hospital: HospitalNode, position: int) -> str:
    """The current assessment of a hospital's type at `position` (the audit log names these)."""
    return demo_id("hospital_compliance_tracking", hospital.index * COMPLIANCE_TYPES_PER_HOSPITAL + position)


def past_compliance_id(network: Network, hospital: HospitalNode, position: int, round_: int) -> str:
    """Past assessments are numbered after every current one."""
    series = hospital.index * COMPLIANCE_TYPES_PER_HOSPITAL + position
    first = network.plan.hospitals * COMPLIANCE_TYPES_PER_HOSPITAL
    return demo_id("hospital_compliance_tracking", first + series * PAST_ASSESSMENTS + round_)


def _status_of(score: int) -> str:
    if score >= 85:
        return "compliant"
    return "partially_compliant" if score >= 60 else "non_compliant"


def _findings(rng, catalogue, status: str, assessed, clock_now, closer: str, *, settled_by=None) -> tuple:
    """(violations, corrective actions, last change) in the shape dashboard/domains/governance/compliance.py documents.

    `settled_by`: for a past assessment, the next one's date; every finding was closed before it.
    """
    found = rng.sample(catalogue, rng.randint(*VIOLATION_COUNTS[status]))
    if status == "compliant":  # a compliant hospital has at most a minor finding
        found = [(code, text, "low") for code, text, _ in found]
    violations, actions, last_change = [], [], assessed
    for code, text, severity in found:
        owner = rng.choice(ACTION_OWNERS)
        action_due = assessed + timedelta(days=rng.choice((14, 30, 60)))
        # Past findings were all settled; a compliant hospital fixed its minor finding; others have closed
        # about half the overdue ones.
        if settled_by is not None or status == "compliant" or (action_due < clock_now and rng.random() < 0.5):
            state = "closed"
        else:
            state = rng.choice(("open", "in_progress"))
        closed_at = None
        if state == "closed":
            latest = min(settled_by or clock_now, clock_now) - timedelta(hours=1)
            closed_at = max(assessed + timedelta(hours=2), min(action_due, latest))
        violation = {"code": code, "description": text, "severity": severity, "owner": owner,
                     "due_date": f"{action_due:%Y-%m-%d}", "status": "closed" if state == "closed" else "open",
                     "found_on": f"{assessed:%Y-%m-%d}"}  # fmt: skip
        action = {"violation_code": code, "description": f"Resolve: {text.lower()}", "severity": severity,
                  "owner": owner, "due_date": f"{action_due:%Y-%m-%d}", "status": state}  # fmt: skip
        if closed_at is not None:
            for entry in (violation, action):
                entry["closed_by"], entry["closed_at"] = closer, closed_at.isoformat()
        violations.append(violation)
        actions.append(action)
        if state != "open":
            last_change = max(last_change, closed_at or min(action_due, clock_now - timedelta(hours=1)))
    return violations, actions, last_change


def _compliance(network: Network, book: Checklists) -> Iterator[tuple]:
    rng = network.rng("hospital_compliance_tracking")
    clock = network.clock
    statuses, weights = zip(*COMPLIANCE_STATUSES, strict=True)
    largest = max(network.hospitals, key=lambda h: (h.size, -h.index))
    for hospital in network.hospitals:
        base = max(hospital.joined_at, clock.history_start)
        for position, (kind, body, catalogue) in enumerate(COMPLIANCE_TYPES):
            status = rng.choices(statuses, weights)[0]
            if hospital.verification_status == "pending" and kind == "NHIA accreditation":
                status = "under_review"  # accreditation is what a new hospital is waiting for
            low, high = SCORE_RANGES[status]
            score = rng.randint(low, high)
            # The current assessment falls in the last quarter of the hospital's time in the history window,
            # leaving room before it for the past ones.
            span = clock.now - timedelta(days=1) - base
            assessed = clock.between(rng, base + span * 0.75, clock.now - timedelta(days=1))
            gap = min(QUARTER, (assessed - base) / PAST_ASSESSMENTS)
            assessor = _assessor(rng, network, hospital)
            method = rng.choice(("on-site inspection", "document review", "self-assessment"))
            violations, actions, last_change = _findings(rng, catalogue, status, assessed, clock.now, assessor)
            answered = answer(book, assessment_id=compliance_id(hospital, position), hospital=hospital, kind=kind,
                              status=status, target=score, assessor=assessor, assessed=assessed,
                              story=hospital is largest and kind == "Fire safety")  # fmt: skip
            if answered is not None:
                score, *checklist = answered
                status = status_of(score, status)
            yield _row(compliance_id(hospital, position), hospital, kind, status, score, assessed,
                       assessed + timedelta(days=REASSESS_DAYS[status]), assessor, body, method, rng, violations,
                       actions, last_change, checklist=tuple(checklist) if answered else None)  # fmt: skip
            # Scores move: most hospitals improve towards today, some slip, a few hold steady.
            direction = rng.choices((1, -1, 0), (60, 25, 15))[0]
            step = rng.randint(3, 9)
            later = assessed
            for round_ in range(PAST_ASSESSMENTS):
                when = assessed - gap * (round_ + 1)
                past_score = max(25, min(100, score - direction * step * (round_ + 1) + rng.randint(-4, 4)))
                past_status = _status_of(past_score)
                past_assessor = _assessor(rng, network, hospital)
                past_violations, past_actions, past_change = _findings(
                    rng, catalogue, past_status, when, clock.now, past_assessor, settled_by=later
                )
                yield _row(past_compliance_id(network, hospital, position, round_), hospital, kind, past_status,
                           past_score, when, later, past_assessor, body, method, rng, past_violations, past_actions,
                           past_change)  # fmt: skip
                later = when


def _assessor(rng, network: Network, hospital: HospitalNode) -> str:
    if rng.random() < 0.3:
        return network.network_staff[UserRole.COMPLIANCE_OFFICER].user_id
    return hospital.staff[UserRole.COMPLIANCE_OFFICER].user_id


def _row(row_id, hospital, kind, status, score, assessed, due, assessor, body, method, rng, violations, actions,
         last_change, checklist: tuple[int, int] | None = None) -> tuple:  # fmt: skip
    drawn = rng.choice((30, 40, 50))  # drawn always, so the stream's later draws stay as they were
    # A current assessment's items are its standard checklist's (db/demo/checklists.py); a past one's as drawn.
    items, passed = checklist if checklist is not None else (drawn, round(drawn * score / 100))
    details = {
        "assessor_body": body,
        "method": method,
        "checklist_items": items,
        "items_passed": passed,
    }
    return (
        row_id,
        hospital.id,
        kind,
        status,
        score,
        assessed,
        due,
        assessor,
        json.dumps(details),
        json.dumps(violations),
        json.dumps(actions),
        assessed,
        last_change,
    )
