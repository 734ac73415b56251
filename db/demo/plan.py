"""How many rows of each kind a scale asks for: counts grow linearly with the scale.

Scale 1 is a regional network (20 hospitals, 2,000 patients, ~21,000 appointments a year); scale
50 is a national one (1,000 hospitals, 100,000 patients, over a million appointments, over two
million daily metrics). Small minimums keep every table non-empty at test scales such as 0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from db.demo.clock import HISTORY_DAYS

PHYSICIANS_PER_HOSPITAL = 12
AGENTS_PER_HOSPITAL = 2
STAFF_ROLES_PER_HOSPITAL = 3  # hospital admin, executive, compliance officer
NETWORK_STAFF = 3  # admin, executive, compliance officer with no hospital
RESOURCES_PER_HOSPITAL = 20  # the catalogue in db.demo.hospitals
# Consumables' stock history (db/demo/supplies.py): one row a day for each of a hospital's six consumables.
CONSUMABLES_PER_HOSPITAL = 6
SUPPLY_HISTORY_DAYS = 90
COMPLIANCE_TYPES_PER_HOSPITAL = 6
COMPLIANCE_ASSESSMENTS_PER_TYPE = 4  # the current assessment and three past ones (db/demo/compliance.py)
COMPLIANCE_ROWS_PER_HOSPITAL = COMPLIANCE_TYPES_PER_HOSPITAL * COMPLIANCE_ASSESSMENTS_PER_TYPE
CHECKLIST_ITEMS = 32  # migration 0024's standard checklists: 32 items over the six compliance types
FINANCE_CATEGORIES = 17  # revenue plus expense categories in db.demo.money
FINANCE_MONTHS = 12
DAILY_METRICS = 6
HOSPITAL_DOCUMENTS_PER_HOSPITAL = 2
SESSIONS_PER_PHYSICIAN = 7  # five weekday mornings and two more half-days (db/demo/physician_hours.py)
WARD_SCREENS = 2  # db/demo/ward_screens.py: one paired, one disconnected, at every scale (the story)
# Digests by email (db/demo/digests.py): the story's eight subscriptions at every scale, and about 30 days of their
# outbox (how many weekly and monthly times fall in the window depends on the day: an estimate).
DIGEST_SUBSCRIPTIONS = 8
DIGEST_OUTBOX = 110
# Facility licences (db/demo/licences.py): every hospital's operating licence, an NHIA accreditation at every
# ACCREDITED_EVERY-th, a renewal and the licence's PDF at every RENEWED_EVERY-th.
LICENCE_ACCREDITED_EVERY = 2
LICENCE_RENEWED_EVERY = 4
# NHIA and HMO claims per hospital (db/demo/claims.py): ~44 paid a month behind the ledger's two categories over
# 12 months, ~40 denied, 30 open and 4 not yet submitted; drawn, so an estimate.
CLAIMS_PER_HOSPITAL = 570

# Average children per parent, for the tables whose size is drawn at random (progress-bar totals
# and the scaling test use them; the build reports what it actually wrote).
WALLET_TRANSACTIONS_PER_WALLET = 7.5
MESSAGES_PER_CONVERSATION = 5.4
HEALTH_RECORDS_PER_PATIENT = 3.0
PRESCRIPTIONS_PER_PATIENT = 2.0
EMERGENCY_CONTACTS_PER_PATIENT = 1.5
VIRTUAL_SHARE = 0.16
# The ward simulation (db/demo/wards.py) draws each bed's stays, so admissions per hospital follow its beds.
ADMISSIONS_PER_HOSPITAL = 275
# The bed board (db/demo/bed_board.py): the first BOARD_SHARE of the hospitals keep their beds one by one, about
# BEDS_PER_BOARD_HOSPITAL each (a size-1.0 hospital's 21 beds and the story's 3, over the first hospitals' sizes).
BOARD_SHARE = 0.15
BEDS_PER_BOARD_HOSPITAL = 20
REFERRALS_PER_EMERGENCY = 0.14  # db/demo/referrals.py: about one emergency in eight is referred, a few twice

ESTIMATED_TABLES = frozenset(
    {
        "wallet_transactions",
        "messages",
        "health_records",
        "prescriptions",
        "emergency_contacts",
        "consultation_sessions",
        "consultation_rooms",
        "hospital_patients",
        "referrals",
        "beds",
        "claims",
        "digest_outbox",
        "compliance_evidence",  # the met required items of every other hospital: as many as the draws meet
    }
)


def board_hospital_count(hospitals: int) -> int:
    """How many hospitals keep a bed board: BOARD_SHARE of them, at least one, never all (the rest type counts)."""
    return max(1, min(hospitals - 1, math.ceil(hospitals * BOARD_SHARE)))


def _scaled(per_unit_scale: int, scale: float, minimum: int) -> int:
    return max(minimum, round(per_unit_scale * scale))


@dataclass(frozen=True)
class DemoPlan:
    scale: float
    hospitals: int
    patients: int
    desk_patients: int  # registered at a ward's desk for an admission, never app users (db/demo/network.py)
    appointments: int
    conversations: int
    emergency_requests: int
    ambulance_requests: int
    agent_assignments: int
    agent_assisted_patients: int
    waitlist_entries: int
    notifications: int
    audit_logs: int
    patient_documents: int

    @property
    def physicians(self) -> int:
        return self.hospitals * PHYSICIANS_PER_HOSPITAL

    @property
    def agents(self) -> int:
        return self.hospitals * AGENTS_PER_HOSPITAL

    @property
    def staff(self) -> int:
        return self.hospitals * STAFF_ROLES_PER_HOSPITAL + NETWORK_STAFF

    @property
    def users(self) -> int:
        return self.patients + self.desk_patients + self.physicians + self.agents + self.staff

    def expected_rows(self) -> dict[str, int]:
        """Rows per table; exact except for ESTIMATED_TABLES, whose sizes are drawn at random."""
        sessions = round(self.appointments * VIRTUAL_SHARE)
        return {
            "hospitals": self.hospitals,
            "users": self.users,
            "profiles": self.users,
            "emergency_contacts": round(self.patients * EMERGENCY_CONTACTS_PER_PATIENT),
            "agent_assignments": self.agent_assignments,
            "agent_assisted_patients": self.agent_assisted_patients,
            "wallets": self.patients,
            "wallet_transactions": round(self.patients * WALLET_TRANSACTIONS_PER_WALLET),
            "appointments": self.appointments,
            "physician_sessions": self.physicians * SESSIONS_PER_PHYSICIAN,  # db/demo/physician_hours.py
            "physician_leave": self.hospitals,  # the story's at the largest, one after the booking window elsewhere
            "consultation_sessions": sessions,
            "consultation_rooms": sessions,
            "conversations": self.conversations,
            "messages": round(self.conversations * MESSAGES_PER_CONVERSATION),
            "health_records": round(self.patients * HEALTH_RECORDS_PER_PATIENT),
            "prescriptions": round(self.patients * PRESCRIPTIONS_PER_PATIENT),
            "emergency_requests": self.emergency_requests,
            "ambulance_requests": self.ambulance_requests,
            "hospital_resources": self.hospitals * RESOURCES_PER_HOSPITAL,
            "resource_stock_movements": self.hospitals * CONSUMABLES_PER_HOSPITAL * SUPPLY_HISTORY_DAYS,
            "hospital_patients": self.hospitals * ADMISSIONS_PER_HOSPITAL,
            "referrals": round(self.emergency_requests * REFERRALS_PER_EMERGENCY),
            "beds": board_hospital_count(self.hospitals) * BEDS_PER_BOARD_HOSPITAL,
            "patient_waitlist": self.waitlist_entries,
            "hospital_financial_data": self.hospitals * FINANCE_MONTHS * FINANCE_CATEGORIES,
            "hospital_budgets": self.hospitals * 12 * FINANCE_CATEGORIES,  # db/demo/budgets.py: the demo year, by month
            "hospital_compliance_tracking": self.hospitals * COMPLIANCE_ROWS_PER_HOSPITAL,
            "analytics_data": self.hospitals * HISTORY_DAYS * DAILY_METRICS,
            "documents": self.physicians + self.hospitals * HOSPITAL_DOCUMENTS_PER_HOSPITAL + self.patient_documents,
            "notifications": self.notifications,
            "audit_logs": self.audit_logs,
            "ward_screens": WARD_SCREENS,
            "digest_subscriptions": DIGEST_SUBSCRIPTIONS,
            "digest_outbox": DIGEST_OUTBOX,
            "facility_licences": self.hospitals + -(-self.hospitals // LICENCE_ACCREDITED_EVERY),
            "facility_licence_documents": -(-self.hospitals // LICENCE_RENEWED_EVERY),
            "facility_licence_renewals": -(-self.hospitals // LICENCE_RENEWED_EVERY),
            # Checklists (db/demo/checklists.py): every item of each current assessment answered (a hospital is
            # assessed on all six types, so on the whole standard); evidence an estimate.
            "compliance_checklist_answers": self.hospitals * CHECKLIST_ITEMS,
            "compliance_evidence": self.hospitals * COMPLIANCE_TYPES_PER_HOSPITAL,
            "claims": self.hospitals * CLAIMS_PER_HOSPITAL,
        }


def plan_for(scale: float) -> DemoPlan:
    if not scale > 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    return DemoPlan(
        scale=scale,
        hospitals=_scaled(20, scale, 2),
        patients=_scaled(2_000, scale, 60),
        desk_patients=_scaled(3_000, scale, 90),
        appointments=_scaled(21_000, scale, 300),
        conversations=_scaled(3_000, scale, 30),
        emergency_requests=_scaled(1_500, scale, 20),
        ambulance_requests=_scaled(900, scale, 15),
        agent_assignments=_scaled(1_500, scale, 10),
        agent_assisted_patients=_scaled(800, scale, 10),
        waitlist_entries=_scaled(4_000, scale, 40),
        notifications=_scaled(6_000, scale, 60),
        audit_logs=_scaled(5_000, scale, 50),
        patient_documents=_scaled(400, scale, 10),
    )
