"""Ward screens (migration 0019): wall screens paired to show one hospital's ward view, and nothing else.

A screen is a device, not a person: it signs in with a secret handed out once when an administrator
creates it (the pairing link), and only a SHA-256 hash of that secret is kept. The secret is 32 random
bytes, so a fast hash is enough (nothing to brute-force, unlike a password); revoking the screen ends its
view at the next refresh.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamp, created_at_column, id_column

NAME_MAX = 80


class WardScreen(Base):
    """One paired wall screen: where it hangs, what it shows, and whether it may still show it."""

    __tablename__ = "ward_screens"
    __table_args__ = (
        CheckConstraint(f"length(btrim(name)) BETWEEN 1 AND {NAME_MAX}", name="named"),
        CheckConstraint("department IS NULL OR length(btrim(department)) > 0", name="department_named"),
        CheckConstraint("length(key_hash) = 64", name="key_hash_is_sha256"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_by IS NULL)", name="revoked_by_someone"),
        Index(None, "hospital_id", "created_at"),  # Users & roles lists a hospital's screens, newest first
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    name: Mapped[str]  # where it hangs: "Ward B nurses' station"
    department: Mapped[str | None]  # the waiting figures of one department; None: the whole hospital
    key_hash: Mapped[str] = mapped_column(unique=True)  # sha256 hex of the device secret, never the secret
    created_by: Mapped[str]  # the administrator's user id (plain text, like referred_by: history outlives users)
    created_at: Mapped[datetime] = created_at_column()
    last_seen_at: Mapped[Timestamp | None]
    revoked_at: Mapped[Timestamp | None]
    revoked_by: Mapped[str | None]
