"""Facility licences and accreditations, their documents and their renewals (migration 0020, issue 23 part 5).

A licence belongs to one hospital; its status is derived from its dates (expired, or days left against the
notice thresholds of db/settings), never stored, so it cannot go stale. Documents and renewals carry the
licence's hospital too, held equal to the licence's by a two-column foreign key, so row-level security
reads one column on every table (`healthdash_scope_allows(hospital_id)`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column, id_column, in_list, updated_at_column

# What the paper is, and the document types stored (recognised by content, never by the file's name).
LICENCE_KINDS = ("operating_licence", "accreditation", "other")
LICENCE_DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")
# A scanned licence or an accreditation certificate fits in this; a bigger file is a photo to shrink.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class FacilityLicence(Base):
    __tablename__ = "facility_licences"
    __table_args__ = (
        CheckConstraint(in_list("kind", LICENCE_KINDS), name="kind"),
        CheckConstraint("expires_on > issued_on", name="expires_after_issue"),
        # The children's two-column foreign keys point here, so a document or renewal has its licence's hospital.
        UniqueConstraint("id", "hospital_id"),
        UniqueConstraint("hospital_id", "issuer", "registry_number"),
        # The network's "what expires next" reads licences by expiry date.
        Index(None, "expires_on"),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    kind: Mapped[str]
    issuer: Mapped[str]  # e.g. "HEFAMAA (Lagos)", "Kano State Ministry of Health", "NHIA"
    registry_number: Mapped[str]
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str | None]  # a plain user id, like the audit trail's: the record outlives the account
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class FacilityLicenceDocument(Base):
    """A licence's paper, stored in the database (PDF, PNG or JPEG, checked by its content); the latest is current."""

    __tablename__ = "facility_licence_documents"
    __table_args__ = (
        CheckConstraint(in_list("content_type", LICENCE_DOCUMENT_TYPES), name="content_type"),
        CheckConstraint(f"size_bytes = octet_length(content) AND size_bytes <= {MAX_DOCUMENT_BYTES}", name="size"),
        ForeignKeyConstraint(
            ["licence_id", "hospital_id"], ["facility_licences.id", "facility_licences.hospital_id"], ondelete="CASCADE"
        ),
        Index(None, "licence_id", "uploaded_at"),
    )

    id: Mapped[str] = id_column()
    licence_id: Mapped[str]
    hospital_id: Mapped[str]
    file_name: Mapped[str]
    content_type: Mapped[str]
    size_bytes: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str | None]
    uploaded_at: Mapped[datetime] = created_at_column()


class FacilityLicenceRenewal(Base):
    """One renewal: the expiry before and after, who renewed and when (append-only for the dashboard)."""

    __tablename__ = "facility_licence_renewals"
    __table_args__ = (
        CheckConstraint("new_expires_on > previous_expires_on", name="extends_expiry"),
        ForeignKeyConstraint(
            ["licence_id", "hospital_id"], ["facility_licences.id", "facility_licences.hospital_id"], ondelete="CASCADE"
        ),
        Index(None, "licence_id", "renewed_at"),
    )

    id: Mapped[str] = id_column()
    licence_id: Mapped[str]
    hospital_id: Mapped[str]
    previous_expires_on: Mapped[date] = mapped_column(Date)
    new_expires_on: Mapped[date] = mapped_column(Date)
    renewed_by: Mapped[str | None]
    renewed_at: Mapped[datetime] = created_at_column()
    note: Mapped[str | None]
