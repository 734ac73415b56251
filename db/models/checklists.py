"""Compliance checklists, their answers and their evidence (migration 0024, issue 24 part 4).

The items are the network's standard for each compliance type (seeded by the migration, read-only for the
dashboard). An answer and an evidence file belong to one assessment (a row of hospital_compliance_tracking)
and carry its hospital, held equal to the assessment's by a two-column foreign key, so row-level security
reads one column on each (`healthdash_scope_allows(hospital_id)`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, LargeBinary, UniqueConstraint, sql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.naming import conv

from db.base import Base, created_at_column, id_column, in_list

ANSWERS = ("met", "not_met", "not_applicable")
EVIDENCE_TYPES = ("application/pdf", "image/png", "image/jpeg")
# A certificate's scan or a photo of a fire exit fits in this; a bigger file is a photo to shrink.
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_NOTE_LENGTH = 1_000


class ComplianceChecklistItem(Base):
    """One point of a compliance type's standard checklist: required or not, and its weight in the score."""

    __tablename__ = "compliance_checklist_items"
    __table_args__ = (
        CheckConstraint("weight BETWEEN 1 AND 10", name="weight_1_10"),
        CheckConstraint("position >= 1", name="position_positive"),
        UniqueConstraint("compliance_type", "code"),
        UniqueConstraint("compliance_type", "position"),
    )

    id: Mapped[str] = id_column()
    compliance_type: Mapped[str]
    code: Mapped[str]  # e.g. "FIRE-C1"
    text: Mapped[str]
    required: Mapped[bool] = mapped_column(default=False, server_default=sql.false())
    weight: Mapped[int] = mapped_column(default=1, server_default=sql.text("1"))
    position: Mapped[int]  # the item's place in its checklist, from 1
    created_at: Mapped[datetime] = created_at_column()


def _keys(table: str) -> tuple[ForeignKeyConstraint, ForeignKeyConstraint]:
    """The assessment (with its hospital) and the item; named short: the convention's names pass 63 bytes."""
    return (
        ForeignKeyConstraint(
            ["assessment_id", "hospital_id"],
            ["hospital_compliance_tracking.id", "hospital_compliance_tracking.hospital_id"],
            ondelete="CASCADE",
            name=conv(f"fk_{table}_assessment"),
        ),
        ForeignKeyConstraint(["item_id"], ["compliance_checklist_items.id"], name=conv(f"fk_{table}_item")),
    )


class ComplianceChecklistAnswer(Base):
    """An assessment's answer to one item: met, not met or not applicable; changed in place, audited."""

    __tablename__ = "compliance_checklist_answers"
    __table_args__ = (
        CheckConstraint(in_list("answer", ANSWERS), name="answer"),
        CheckConstraint(f"note IS NULL OR char_length(note) <= {MAX_NOTE_LENGTH}", name="note_length"),
        *_keys("compliance_checklist_answers"),
        UniqueConstraint("assessment_id", "item_id"),
        Index(None, "item_id"),
    )

    id: Mapped[str] = id_column()
    assessment_id: Mapped[str]
    hospital_id: Mapped[str]
    item_id: Mapped[str]
    answer: Mapped[str]
    note: Mapped[str | None]
    answered_by: Mapped[str | None]  # a plain user id, like the audit trail's
    answered_at: Mapped[datetime] = created_at_column()


class ComplianceEvidence(Base):
    """A file proving an item (PDF, PNG or JPEG, checked by its content), stored in the database; only added to."""

    __tablename__ = "compliance_evidence"
    __table_args__ = (
        CheckConstraint(in_list("content_type", EVIDENCE_TYPES), name="content_type"),
        CheckConstraint(f"size_bytes = octet_length(content) AND size_bytes <= {MAX_EVIDENCE_BYTES}", name="size"),
        *_keys("compliance_evidence"),
        Index(None, "assessment_id", "item_id", "uploaded_at"),
        Index(None, "item_id"),
    )

    id: Mapped[str] = id_column()
    assessment_id: Mapped[str]
    hospital_id: Mapped[str]
    item_id: Mapped[str]
    file_name: Mapped[str]
    content_type: Mapped[str]
    size_bytes: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str | None]
    uploaded_at: Mapped[datetime] = created_at_column()
