"""Rules about the data that more than one layer applies: the demo generator writes rows by them and
the dashboard's services keep them when they change a row.

Plain Python with no imports from the layers above, so both `db.demo` and `dashboard.services` can
use it without one importing the other.
"""

from __future__ import annotations

# hospital_resources.category of beds, and the bed resources the dashboard names on its own (free
# ICU beds, beds by ward). A hospital may run other bed resources; they count among its beds.
BED_CATEGORY = "beds"
GENERAL_WARD_BEDS = "General ward beds"
MATERNITY_BEDS = "Maternity beds"
PAEDIATRIC_BEDS = "Paediatric beds"
ICU_BEDS = "ICU beds"

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
