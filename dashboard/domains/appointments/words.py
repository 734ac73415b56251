"""How an appointment's codes read: its type, how it is held, its status, and which status may follow which.

The page's tables, filters and grid, the patient's notifications and the refusals all read these words
from here, so a status reads the same wherever it shows.
"""

from __future__ import annotations

from dashboard.platform.transitions import Lifecycle

TYPE_LABELS = {
    "consultation": "consultation",
    "follow_up": "follow-up",
    "check_up": "check-up",
    "procedure": "procedure",
    "emergency": "emergency",
}
CONSULTATION_LABELS = {"in_person": "in person", "virtual": "virtual (video)"}
STATUS_LABELS = {
    "pending": "Pending",
    "confirmed": "Confirmed",
    "cancelled": "Cancelled",
    "completed": "Completed",
    "no_show": "No-show",
}
# How a status reads after "<the appointment> ...", for refusals.
STATUS_WORDS = {
    "pending": "is still pending",
    "confirmed": "is confirmed",
    "cancelled": "was cancelled",
    "completed": "is already completed",
    "no_show": "was marked as a no-show",
}

# A booking is pending until confirmed; either may then be cancelled, or closed once its time has come.
# Cancelled, completed and no-show are final. A move to another time keeps the status.
STATUSES = Lifecycle(
    "appointment",
    {
        "pending": {"confirmed", "cancelled", "completed", "no_show"},
        "confirmed": {"cancelled", "completed", "no_show"},
        "cancelled": set(),
        "completed": set(),
        "no_show": set(),
    },
    words={"no_show": "a no-show"},
)
OPEN_STATUSES = STATUSES.open_statuses  # the appointment has not happened, or not been closed, yet


def type_label(code: str) -> str:
    """The type as a table or a form shows it: "Follow-up"."""
    return TYPE_LABELS.get(code, code).capitalize()


def how_label(code: str) -> str:
    """In person or virtual, as a form shows it: "Virtual (video)"."""
    return CONSULTATION_LABELS.get(code, code).capitalize()


def status_label(code: str) -> str:
    return STATUS_LABELS.get(code, code)
