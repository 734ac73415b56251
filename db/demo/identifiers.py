"""Deterministic row ids: db.ids.id_from_int of (table code, row number).

Each table has its own code in the high digits, so an id names its table at a glance and two
tables never share an id. Millions of ids are needed at large scales; calling id_from_int for each
costs ~4 us (24 divisions in Python), so it is called once per block of 36**3 numbers and the last
three base-36 digits are appended from a table: the result is exactly id_from_int's.
"""

from __future__ import annotations

import functools
import itertools

from db.ids import id_from_int

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TAIL_DIGITS = 3
_BLOCK = 36**_TAIL_DIGITS
_TABLE_SHIFT = 36**16  # 16 base-36 digits of row number: more rows than any scale writes

TABLE_CODES: dict[str, int] = {
    name: code
    for code, name in enumerate(
        (
            "hospitals",
            "users",
            "profiles",
            "emergency_contacts",
            "agent_assignments",
            "agent_assisted_patients",
            "wallets",
            "wallet_transactions",
            "appointments",
            "consultation_sessions",
            "consultation_rooms",
            "conversations",
            "messages",
            "health_records",
            "prescriptions",
            "emergency_requests",
            "ambulance_requests",
            "hospital_resources",
            "hospital_patients",
            "patient_waitlist",
            "hospital_financial_data",
            "hospital_compliance_tracking",
            "analytics_data",
            "documents",
            "notifications",
            "audit_logs",
            "referrals",  # migration 0009's, the one table beyond the seed schema the demo fills
            "physician_sessions",  # migration 0017's (db/demo/physician_hours.py)
            "physician_leave",
            "resource_stock_movements",  # migration 0018's (db/demo/supplies.py)
            "facility_licences",  # migration 0020's (db/demo/licences.py)
            "facility_licence_documents",
            "facility_licence_renewals",
            "ward_screens",  # migration 0019's (db/demo/ward_screens.py)
            "beds",  # migration 0015's (db/demo/bed_board.py)
            "compliance_checklist_answers",  # migration 0024's (db/demo/checklists.py)
            "compliance_evidence",
            "claims",  # migration 0023's (db/demo/claims.py)
            "hospital_budgets",  # migration 0022's (db/demo/budgets.py)
            "digest_subscriptions",  # migration 0025's (db/demo/digests.py)
            "digest_outbox",
        ),
        start=1,
    )
}


@functools.cache
def _tails() -> tuple[str, ...]:
    return tuple("".join(digits) for digits in itertools.product(_ALPHABET, repeat=_TAIL_DIGITS))


class IdMaker:
    """`ids = IdMaker("appointments"); ids(0), ids(1), ...` equal id_from_int(code * 36**16 + n)."""

    def __init__(self, table: str) -> None:
        self._base = TABLE_CODES[table] * _TABLE_SHIFT
        self._tails = _tails()
        self._block = -1
        self._head = ""

    def __call__(self, number: int) -> str:
        block, rest = divmod(number, _BLOCK)
        if block != self._block:
            self._block = block
            self._head = id_from_int(self._base + block * _BLOCK)[:-_TAIL_DIGITS]
        return self._head + self._tails[rest]


def demo_id(table: str, number: int) -> str:
    """One id, the slow and obvious way (for tests and one-off rows)."""
    return id_from_int(TABLE_CODES[table] * _TABLE_SHIFT + number)
