"""Where a hospital stands: its state and local government area (migration 0021), set on the Hospitals page.

The state is one of the 36 and the FCT as the package naija-data names them, the LGA one of that state's
(the database's foreign key to nigerian_lgas holds the pair too). One transaction, one audit row; a bad
choice is refused with a sentence and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.overview.states import checked_state, lga_is_known
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.scope import require_in_scope, require_role
from db.models import Hospital

WRITERS = permissions.writers("hospitals")
_audit = audit.Recorder("hospital_management", "hospital", impact="low")


@dataclass(frozen=True)
class Location:
    hospital_id: str
    hospital_name: str
    state: str | None
    lga: str | None

    @property
    def words(self) -> str:
        if self.state is None:
            return "no state recorded"
        return f"{self.lga} LGA, {self.state}" if self.lga else f"{self.state} (no LGA recorded)"


@permissions.reads("hospitals", "see hospitals")
def hospital_locations(db: Session, actor: Actor) -> list[Location]:
    """(id, name, state, LGA) of each hospital in scope, by name: the form's hospital choice."""
    stmt = select(Hospital.id, Hospital.name, Hospital.state, Hospital.lga).order_by(Hospital.name, Hospital.id)
    if not actor.network_wide:
        stmt = stmt.where(Hospital.id == actor.hospital_id)
    return [Location(*row) for row in db.execute(stmt)]


def set_location(db: Session, actor: Actor, hospital_id: Any, *, state: Any, lga: Any) -> Location:
    """Record the hospital's state and LGA; refused in a sentence unless the LGA is one of the state's."""
    require_role(db, actor, WRITERS, "change where a hospital stands")
    hospital = None
    if usable_id(hospital_id):
        hospital = db.scalars(select(Hospital).where(Hospital.id == hospital_id).with_for_update()).first()
    if hospital is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital.id, row_hospital_id=hospital.id)
    if state is None or state == "":
        raise InvalidInput("Pick the hospital's state (one of the 36 states or the FCT).")
    state = checked_state(state)
    if lga is None or lga == "":
        raise InvalidInput(f"Pick the local government area in {state} where {hospital.name} stands.")
    # The database's reference (migration 0021) is what the foreign key holds the pair to.
    if not isinstance(lga, str) or not lga_is_known(db, state, lga):
        raise InvalidInput(f"{lga if isinstance(lga, str) else 'That'} is not a local government area of {state}. "
                           "Pick one from the list.")  # fmt: skip
    old = {"state": hospital.state, "lga": hospital.lga}
    if old == {"state": state, "lga": lga}:
        raise InvalidInput(f"{hospital.name} is already recorded in {lga} LGA, {state}; nothing to change.")
    hospital.state, hospital.lga = state, lga
    db.flush()
    _audit(db, actor, "hospital_location_changed", hospital.id, hospital=hospital.id, old=old,
           new={"state": state, "lga": lga})  # fmt: skip
    return Location(hospital.id, hospital.name, state, lga)
