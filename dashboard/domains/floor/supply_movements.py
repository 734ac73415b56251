"""One row of a consumable's stock history, written in the caller's transaction beside the change it records.

Both the supply commands (use and deliveries) and the count form of the Resources page change a
consumable's available count; each calls `record` so the history (and the burn rate read from it)
always ends at the stock the resource shows.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dashboard.platform.actors import Actor
from db.models import HospitalResource, ResourceStockMovement
from db.rules import CONSUMABLE_CATEGORIES


def is_consumable(resource: HospitalResource) -> bool:
    return resource.category in CONSUMABLE_CATEGORIES


def record(
    db: Session, actor: Actor, resource: HospitalResource, *, kind: str, before: int, note: str | None = None
) -> ResourceStockMovement:
    """The movement from `before` to the resource's available count now: a fall is use, a rise a delivery."""
    after = resource.available_quantity
    movement = ResourceStockMovement(
        resource_id=resource.id,
        hospital_id=resource.hospital_id,
        kind=kind,
        used_quantity=max(0, before - after),
        received_quantity=max(0, after - before),
        stock_after=after,
        recorded_by=actor.user_id,
        note=note,
    )
    db.add(movement)
    db.flush()
    return movement
