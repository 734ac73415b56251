"""NHIA and HMO claims (migration 0023, issue 24 part 3): what a hospital billed a payer, and what became of it.

A claim's status is derived from its dates, never stored (not submitted, open, paid, denied); the CHECKs keep
those dates consistent (paid and denied exclude each other, each after a submission, with its amount or reason).
Its age, for the receivables' 0-30, 31-60, 61-90 and 90+ day buckets, counts from the submission.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Money, created_at_column, id_column, in_list, updated_at_column

PAYER_KINDS = ("nhia", "hmo")
NHIA = "NHIA"  # the one payer_name of an NHIA claim
# Why a payer refuses a claim (the words are the dashboard's: dashboard/domains/money/claims.py).
DENIAL_REASONS = (
    "not_covered", "no_authorisation", "enrollee_not_eligible", "duplicate", "incomplete_documents",
    "late_submission", "tariff_exceeded",
)  # fmt: skip
OPEN_CLAIM = "submitted_at IS NOT NULL AND paid_at IS NULL AND denied_at IS NULL"


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(in_list("payer_kind", PAYER_KINDS), name="payer_kind"),
        CheckConstraint(f"payer_kind <> 'nhia' OR payer_name = '{NHIA}'", name="nhia_named"),
        CheckConstraint("length(btrim(payer_name)) BETWEEN 1 AND 120", name="payer_name_length"),
        CheckConstraint("amount_billed > 0", name="amount_billed_positive"),
        CheckConstraint(
            "(paid_at IS NULL) = (amount_paid IS NULL) AND (amount_paid IS NULL OR "
            "(amount_paid > 0 AND amount_paid <= amount_billed))",
            name="paid_amount",
        ),
        CheckConstraint(
            f"(denied_at IS NULL) = (denial_reason IS NULL) AND (denial_reason IS NULL OR "
            f"{in_list('denial_reason', DENIAL_REASONS)})",
            name="denial_reason",
        ),
        CheckConstraint("paid_at IS NULL OR denied_at IS NULL", name="paid_or_denied"),
        CheckConstraint(
            "coalesce(paid_at, denied_at) IS NULL OR coalesce(paid_at, denied_at) >= submitted_at",
            name="decided_after_submission",
        ),
        CheckConstraint(
            "submitted_at IS NULL OR (submitted_at AT TIME ZONE 'Africa/Lagos')::date >= service_date",
            name="submitted_after_service",
        ),
        UniqueConstraint("hospital_id", "claim_number"),
        # Days to pay and the tie with the ledger read a hospital's claims by payment.
        Index(None, "hospital_id", "paid_at"),
        Index(None, "patient_id"),
        # The ageing reads the open claims by submission.
        Index("ix_claims_open_submitted_at", "submitted_at", postgresql_where=text(OPEN_CLAIM)),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    payer_kind: Mapped[str]
    payer_name: Mapped[str]  # "NHIA", or the HMO: "Hygeia HMO", "AXA Mansard Health", ...
    claim_number: Mapped[str]  # the hospital's reference on the claim form
    # The claim outlives the patient's account (a financial record): the patient is then "a former patient".
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    service_date: Mapped[date] = mapped_column(Date)
    amount_billed: Mapped[Money]
    submitted_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    amount_paid: Mapped[Money | None]
    denied_at: Mapped[datetime | None]
    denial_reason: Mapped[str | None]
    created_by: Mapped[str | None]  # a plain user id, like the audit trail's
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
