"""Recording a consumable's use or a delivery: its stock moves, its history gains a row, one audit row.

Used units leave the hospital (the available count and the total fall by them); delivered units join
it (both rise). The resource row is locked, so two administrators recording at once both count; more
used than is in stock is refused in a sentence, as is a count that is not a whole number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dashboard.domains.floor import supply_movements
from dashboard.domains.floor.resource_commands import MAX_QUANTITY, RESOURCE_WRITERS, lock_resource
from dashboard.platform import audit
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.platform.inputs import checked_text
from dashboard.platform.scope import require_role
from db.models import HospitalResource
from db.rules import resource_status

KINDS = {"usage": "used", "delivery": "delivered"}
NOTE_LIMIT = 200
_audit = audit.Recorder("resource_management", "hospital_resource")


def record_stock_change(
    db: Session, actor: Actor, resource_id: str, *, kind: Any, quantity: Any, note: Any = None
) -> int:
    """Record `quantity` units of a consumable used (kind "usage") or delivered ("delivery"); returns the stock."""
    require_role(db, actor, RESOURCE_WRITERS, "record supplies used or delivered")
    if kind not in KINDS:
        raise InvalidInput("Choose whether the units were used or delivered.")
    note = checked_text(note, "The note", NOTE_LIMIT)
    resource, hospital_name = _lock_consumable(db, actor, resource_id)
    units = _units(quantity, KINDS[kind])
    before = resource.available_quantity
    if kind == "usage" and units > before:
        raise InvalidInput(
            f"Only {before:,} {resource.name} {'is' if before == 1 else 'are'} in stock at {hospital_name}, so "
            f"{units:,} cannot have been used. Record the delivery that came first, or correct the count."
        )
    change = -units if kind == "usage" else units
    if resource.total_quantity + change > MAX_QUANTITY:
        raise InvalidInput(
            f"{resource.name} would then hold {resource.total_quantity + change:,} units, more than "
            f"{MAX_QUANTITY:,}: check the number delivered."
        )
    old = {"available_quantity": before, "total_quantity": resource.total_quantity, "status": resource.status}
    resource.available_quantity += change
    resource.total_quantity += change
    resource.status = resource_status(
        resource.total_quantity, resource.available_quantity, resource.maintenance_quantity
    )
    db.flush()
    movement = supply_movements.record(db, actor, resource, kind=kind, before=before, note=note)
    _audit(db, actor, f"supply_{KINDS[kind]}", resource.id, old=old,
           new={"available_quantity": resource.available_quantity, "total_quantity": resource.total_quantity,
                "status": resource.status, "name": resource.name, "movement_id": movement.id, "note": note},
           hospital=resource.hospital_id)  # fmt: skip
    return resource.available_quantity


def _units(value: Any, verb: str) -> int:
    """A number typed into the form: a whole number from 1 to MAX_QUANTITY, or a sentence saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"Enter the number {verb}: a whole number from 1 to {MAX_QUANTITY:,}.")
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= MAX_QUANTITY:
        shown = str(value).replace("\x00", "")[:20]
        raise InvalidInput(f"The number {verb} must be a whole number from 1 to {MAX_QUANTITY:,}, not {shown!r}.")
    return number


def _lock_consumable(db: Session, actor: Actor, resource_id: str) -> tuple[HospitalResource, str]:
    """The consumable locked for this change (two administrators recording at once both count), and its hospital."""
    resource, hospital_name = lock_resource(db, actor, resource_id, gone="That supply no longer exists.")
    if not supply_movements.is_consumable(resource):
        raise InvalidInput(f"{resource.name} is not used up like a supply: change its counts in the list instead.")
    return resource, hospital_name
