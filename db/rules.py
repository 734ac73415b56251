"""Rules about the data that more than one layer applies: the demo generator writes rows by them and
the dashboard's services keep them when they change a row.

Plain Python with no imports from the layers above, so both `db.demo` and `dashboard.services` can
use it without one importing the other.
"""

from __future__ import annotations

from datetime import time

# hospital_resources.category of beds, and the bed resources the dashboard names on its own (free
# ICU beds, beds by ward). A hospital may run other bed resources; they count among its beds.
BED_CATEGORY = "beds"
GENERAL_WARD_BEDS = "General ward beds"
MATERNITY_BEDS = "Maternity beds"
PAEDIATRIC_BEDS = "Paediatric beds"
ICU_BEDS = "ICU beds"

# The resources that are used up rather than used (issue 23, part 4): their stock goes down as they are used
# and up with each delivery, so their history gives a burn rate and a run-out date.
CONSUMABLE_CATEGORIES = ("medication", "blood", "oxygen", "supplies")

# hospital_patients.status of an admission still in the hospital (the demo writes "admitted"; "active"
# is the document's default, so rows from other clients may carry it).
CURRENT_ADMISSION_STATUSES = ("admitted", "active")

# A resource with fewer than this share of its total free is "limited".
LIMITED_SHARE = 0.2


def resource_status(total: int, available: int, maintenance: int) -> str:
    """hospital_resources.status from its quantities: every unit in maintenance, none free, few free, or enough."""
    if total > 0 and maintenance == total:
        return "maintenance"
    if available == 0:
        return "unavailable"
    return "limited" if available < LIMITED_SHARE * total else "available"


# The booking grid: appointments are booked every SLOT_MINUTES from CLINIC_OPENS, the last one ending at
# CLINIC_CLOSES (Lagos time). The dashboard books and refuses by it and draws its day grid from it; the
# demo puts its clinic appointments on it, so the grid it shows holds the demo's bookings.
SLOT_MINUTES = 30
CLINIC_OPENS = time(8, 0)
CLINIC_CLOSES = time(17, 0)  # the last slot ends here


def slot_times(opens: time = CLINIC_OPENS, closes: time = CLINIC_CLOSES) -> tuple[str, ...]:
    """The "HH:MM" start of every SLOT_MINUTES slot from `opens` that ends by `closes`."""
    first = opens.hour * 60 + opens.minute
    last = closes.hour * 60 + closes.minute - SLOT_MINUTES
    return tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(first, last + 1, SLOT_MINUTES))


SLOT_TIMES = slot_times()  # "08:00", "08:30", ..., "16:30"
