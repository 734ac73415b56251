"""The stock history of consumable resources (migration 0018): what was used, what was delivered, and when.

A consumable (medication, blood, oxygen, supplies: db.rules.CONSUMABLE_CATEGORIES) is used up, so its
available count alone cannot say how long it will last. Each change of that count is one movement row,
written in the same transaction as the change: units used, units received, and the stock it left
(`stock_after`, the resource's available count just after). Burn rates and run-out dates are read from
these rows; the demo writes one row a day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column, in_list
from db.vocab import STOCK_MOVEMENT_KINDS


class ResourceStockMovement(Base):
    """One change of a consumable's stock: used, delivered, or a count changed by hand."""

    __tablename__ = "resource_stock_movements"
    __table_args__ = (
        CheckConstraint(in_list("kind", STOCK_MOVEMENT_KINDS), name="kind"),
        CheckConstraint(
            "used_quantity >= 0 AND received_quantity >= 0 AND stock_after >= 0", name="quantities_non_negative"
        ),
        # The per-resource history (burn rate, first record, chart) reads by resource and time.
        Index(None, "resource_id", "recorded_at"),
        Index(None, "hospital_id", "recorded_at"),
    )

    id: Mapped[str] = id_column()
    resource_id: Mapped[str] = mapped_column(ForeignKey("hospital_resources.id"))
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    kind: Mapped[str]
    used_quantity: Mapped[int]
    received_quantity: Mapped[int]
    stock_after: Mapped[int]
    recorded_at: Mapped[datetime] = created_at_column()
    # Plain user id (like the audit trail's), so the history outlives the account; NULL for imported history.
    recorded_by: Mapped[str | None]
    note: Mapped[str | None]
    # No ORM relationships: the services join explicitly, and the document's models stay as they are.
