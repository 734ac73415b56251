"""Changing a resource's counts: the four numbers set together (they must add up), or confirmed unchanged.

A count typed into a form is checked here and refused in a sentence naming the field the reader
typed in; the resource row is locked, so two administrators cannot both change it; a bed ward's
in-use count never goes below the beds its admitted patients hold. Each change is one audit row. The counts
of a bed resource with beds on the bed board are the board's (migration 0015 sets them from the beds), so a
hand change of them is refused with a sentence saying so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard.domains.floor import supply_movements
from dashboard.domains.floor.resource_list import ResourceRow, get_resource
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db import settings
from db.models import Bed, Hospital, HospitalPatient, HospitalResource
from db.rules import CURRENT_ADMISSION_STATUSES, resource_status

RESOURCE_WRITERS = permissions.writers("resources")
CATEGORY_RESOURCES = "resource_management"
MAX_QUANTITY = 100_000  # more units of one resource than any hospital holds: a typo, not a count
QUANTITY_FIELDS = {
    "total": "The total",
    "available": "The number available",
    "in_use": "The number in use",
    "maintenance": "The number in maintenance",
}
# The words the edit form uses for each count, so a refusal names the field the reader typed in.
FORM_WORDS = {"total": "Total", "available": "Free", "in_use": "In use", "maintenance": "In maintenance"}

_audit = audit.Recorder(CATEGORY_RESOURCES, "hospital_resource")


def update_quantities(
    db: Session,
    actor: Actor,
    resource_id: str,
    *,
    total: Any,
    available: Any,
    in_use: Any,
    maintenance: Any,
    values: settings.Settings | None = None,
) -> ResourceRow:
    """Set a resource's four counts (they must add up); its status follows them. One audit row."""
    require_role(db, actor, RESOURCE_WRITERS, "change resource counts")
    resource, hospital_name = lock_resource(db, actor, resource_id)
    on_board = db.scalar(select(func.count()).select_from(Bed).where(Bed.resource_id == resource.id))
    if on_board:
        raise InvalidInput(
            f"The bed board keeps the counts of {resource.name} at {hospital_name}: they follow its "
            f"{on_board:,} beds. Add, block, clean or free beds on the Bed board instead."
        )
    new = {
        "total": _quantity("total", total),
        "available": _quantity("available", available),
        "in_use": _quantity("in_use", in_use),
        "maintenance": _quantity("maintenance", maintenance),
    }
    added = new["available"] + new["in_use"] + new["maintenance"]
    if added != new["total"]:
        raise InvalidInput(_sum_refusal(resource, new, added))
    held = _beds_held(db, resource.id)
    if new["in_use"] < held:
        holders = (
            f"a patient admitted at {hospital_name} holds one"
            if held == 1
            else f"{held} patients admitted at {hospital_name} hold one each"
        )
        raise InvalidInput(
            f"{resource.name} in use cannot go below {held}: {holders}. Discharge or transfer a patient first."
        )
    new_counts = {
        "total_quantity": new["total"],
        "available_quantity": new["available"],
        "in_use_quantity": new["in_use"],
        "maintenance_quantity": new["maintenance"],
        "status": resource_status(new["total"], new["available"], new["maintenance"]),
    }
    old_values, new_values = audit.changes(_counts(resource), new_counts)
    if not new_values:
        raise InvalidInput(
            f"Nothing to change: {resource.name} at {hospital_name} already has these counts. "
            "To record that they are still right, confirm the count instead."
        )
    stock_before = resource.available_quantity
    for column, value in new_counts.items():
        setattr(resource, column, value)
    db.flush()
    if supply_movements.is_consumable(resource) and stock_before != resource.available_quantity:
        # A consumable's history must end at the stock it shows, so a hand count joins it (migration 0018).
        supply_movements.record(db, actor, resource, kind="count", before=stock_before)
    _audit(db, actor, "resource_updated", resource.id, old=old_values, new={**new_values, "name": resource.name},
           hospital=resource.hospital_id)  # fmt: skip
    return get_resource(db, actor, resource.id, values=values)


def confirm_count(db: Session, actor: Actor, resource_id: str) -> datetime:
    """The counts are unchanged but checked now: their time moves to now, so they are no longer stale."""
    require_role(db, actor, RESOURCE_WRITERS, "confirm resource counts")
    resource, _ = lock_resource(db, actor, resource_id)
    previous = resource.updated_at
    confirmed = db.execute(
        update(HospitalResource)
        .where(HospitalResource.id == resource.id)
        .values(updated_at=func.now())
        .returning(HospitalResource.updated_at),
        execution_options={"synchronize_session": "fetch"},
    ).scalar_one()
    _audit(db, actor, "resource_count_confirmed", resource.id, old={"updated_at": previous},
           new={"updated_at": confirmed, "name": resource.name, **_counts(resource)},
           hospital=resource.hospital_id)  # fmt: skip
    return confirmed


def _sum_refusal(resource: HospitalResource, new: dict[str, int], added: int) -> str:
    """Why the four counts cannot stand, naming the one field that was changed when only one was."""
    sentence = (
        f"{resource.name}: Free ({new['available']:,}), In use ({new['in_use']:,}) and In maintenance "
        f"({new['maintenance']:,}) add up to {added:,}, not the total of {new['total']:,}"
    )
    stored = {
        "total": resource.total_quantity,
        "available": resource.available_quantity,
        "in_use": resource.in_use_quantity,
        "maintenance": resource.maintenance_quantity,
    }
    changed = [field for field, value in new.items() if value != stored[field]]
    if len(changed) == 1:
        field = changed[0]
        fits = added if field == "total" else new["total"] - (added - new[field])
        if fits >= 0:
            return f"{sentence}. With the other counts as they are, {FORM_WORDS[field]} should be {fits:,}."
    return f"{sentence}: change one of them."


def _quantity(field: str, value: Any) -> int:
    """A count typed into a form: a whole number from 0 to MAX_QUANTITY, or a sentence saying what is wrong."""
    label = QUANTITY_FIELDS[field]
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None:
        shown = str(value).replace("\x00", "")[:20]
        raise InvalidInput(f"{label} must be a whole number from 0 to {MAX_QUANTITY:,}, not {shown!r}.")
    if not 0 <= number <= MAX_QUANTITY:
        raise InvalidInput(f"{label} must be a whole number from 0 to {MAX_QUANTITY:,}, not {number:,}.")
    return number


def lock_resource(
    db: Session, actor: Actor, resource_id: str, *, gone: str = "That resource no longer exists."
) -> tuple[HospitalResource, str]:
    """The resource locked for the caller's change (two administrators cannot both change it), and its hospital.

    A missing one is NotFound with `gone`; one in another hospital is refused and the refusal audited.
    """
    if not usable_id(resource_id):
        raise NotFound(gone)
    row = db.execute(
        select(HospitalResource, Hospital.name)
        .join(Hospital, Hospital.id == HospitalResource.hospital_id)
        .where(HospitalResource.id == resource_id)
        .with_for_update(of=HospitalResource)
    ).first()
    if row is None:
        raise NotFound(gone)
    resource, hospital_name = row
    require_in_scope(
        db, actor, resource_type="hospital_resource", resource_id=resource.id, row_hospital_id=resource.hospital_id
    )
    return resource, hospital_name


def _beds_held(db: Session, resource_id: str) -> int:
    """How many current admissions hold a unit of this resource."""
    return (
        db.scalar(
            select(func.count()).where(
                HospitalPatient.bed_resource_id == resource_id,
                HospitalPatient.status.in_(CURRENT_ADMISSION_STATUSES),
                HospitalPatient.discharge_date.is_(None),
            )
        )
        or 0
    )


def _counts(resource: HospitalResource) -> dict[str, Any]:
    return {
        "total_quantity": resource.total_quantity,
        "available_quantity": resource.available_quantity,
        "in_use_quantity": resource.in_use_quantity,
        "maintenance_quantity": resource.maintenance_quantity,
        "status": resource.status,
    }
