"""Beds as individual rows (migration 0015): the bed board of a hospital that runs one.

Each bed sits in a ward under a label, counts toward one bed resource of its hospital (the
"General ward beds" row of hospital_resources, say) and is in one state. The database keeps the
bed resource's four counts equal to its beds (migration 0015's trigger), so a hospital on the board
never types a bed count; the constraints below make a bed in an impossible state unwritable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column, in_list, updated_at_column

BED_TYPES = ("general", "icu", "maternity", "paediatric", "isolation")
BED_STATES = ("free", "occupied", "reserved", "cleaning", "blocked")
# How each state counts in its bed resource: a free bed is available, an occupied one in use (held by its
# admission, so "beds in use are admitted patients" stays true), and one being cleaned, blocked or reserved
# is neither free nor held: it is out of the free pool for now, the resource's "maintenance".
OUT_OF_SERVICE_STATES = ("cleaning", "blocked", "reserved")


class Bed(Base):
    """One bed of a ward: its state since when, why (blocked or reserved), and the admission in it."""

    __tablename__ = "beds"
    __table_args__ = (
        CheckConstraint(in_list("bed_type", BED_TYPES), name="bed_type"),
        CheckConstraint(in_list("state", BED_STATES), name="state"),
        # An occupied bed has its admission and only an occupied bed has one.
        CheckConstraint("(state = 'occupied') = (admission_id IS NOT NULL)", name="occupied_by_admission"),
        # Blocked says why; reserved says for whom or what.
        CheckConstraint(
            "state NOT IN ('blocked', 'reserved') OR length(btrim(coalesce(reason, ''))) > 0", name="reason_given"
        ),
        CheckConstraint("length(btrim(ward)) > 0 AND length(btrim(label)) > 0", name="named"),
        UniqueConstraint("hospital_id", "ward", "label"),  # also the board's read: a hospital's beds by ward
        Index(None, "resource_id", "state"),  # the trigger's recount of a bed resource
        Index(None, "admission_id", unique=True),  # one bed per admission; finds an admission's bed
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    resource_id: Mapped[str] = mapped_column(ForeignKey("hospital_resources.id"))
    ward: Mapped[str]
    label: Mapped[str]
    bed_type: Mapped[str] = mapped_column(default="general", server_default="general")
    state: Mapped[str] = mapped_column(default="free", server_default="free")
    state_since: Mapped[datetime] = created_at_column()
    reason: Mapped[str | None]
    admission_id: Mapped[str | None] = mapped_column(ForeignKey("hospital_patients.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    # No ORM relationships: the services join explicitly, and the document's models stay as they are.
