"""Money in naira: patient wallets and their ledger, and hospitals' monthly finances."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import (
    Base,
    Json,
    Money,
    created_at_column,
    id_column,
    in_list,
    json_default,
    updated_at_column,
)
from db.vocab import FINANCE_TRANSACTION_TYPES, TRANSACTION_TYPES

if TYPE_CHECKING:
    from db.models.hospitals import Hospital
    from db.models.people import User


class Wallet(Base):
    __tablename__ = "wallets"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_non_negative"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    balance: Mapped[Money] = mapped_column(default=Decimal(0), server_default=text("0"))
    currency: Mapped[str] = mapped_column(default="NGN", server_default="NGN")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    user: Mapped[User] = relationship(back_populates="wallet")
    transactions: Mapped[list[WalletTransaction]] = relationship(back_populates="wallet")


class WalletTransaction(Base):
    __tablename__ = "wallet_transactions"
    __table_args__ = (
        CheckConstraint(in_list("transaction_type", TRANSACTION_TYPES), name="transaction_type"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index("idx_wallet_transactions_wallet_created", "wallet_id", "created_at"),
        Index("uq_wallet_transactions_wallet_id_chain_seq", "wallet_id", "chain_seq", unique=True),
    )

    id: Mapped[str] = id_column()
    wallet_id: Mapped[str] = mapped_column(ForeignKey("wallets.id"))
    transaction_type: Mapped[str]
    amount: Mapped[Money]
    balance_after: Mapped[Money]
    description: Mapped[str | None]
    reference_id: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
    # Migration 0008: the posting (idempotency key) that wrote the row; NULL for other clients' rows.
    posting_key: Mapped[str | None] = mapped_column(ForeignKey("wallet_postings.idempotency_key"), index=True)
    # Migration 0012: the row's place in its wallet's hash chain and its link, both set by the database.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    chain_hash: Mapped[str | None]

    wallet: Mapped[Wallet] = relationship(back_populates="transactions")
    posting: Mapped[WalletPosting | None] = relationship(back_populates="transactions")


# Migration 0008: what a ledger posting may be (dashboard/domains/money/ledger.py).
POSTING_KINDS = ("credit", "debit", "transfer", "payment", "refund", "adjustment")


class WalletPosting(Base):
    """One posting request of the ledger service, by its idempotency key (migration 0008)."""

    __tablename__ = "wallet_postings"
    __table_args__ = (
        CheckConstraint(in_list("kind", POSTING_KINDS), name="kind"),
        CheckConstraint("length(idempotency_key) BETWEEN 1 AND 200", name="idempotency_key_length"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    idempotency_key: Mapped[str] = mapped_column(primary_key=True)
    kind: Mapped[str]
    request_fingerprint: Mapped[str]  # SHA-256 hex of the request: same key, other request -> refused
    amount: Mapped[Money]
    description: Mapped[str | None]
    posted_by: Mapped[str | None]  # plain text, like audit_logs.user_id: the record outlives the user
    created_at: Mapped[datetime] = created_at_column()

    transactions: Mapped[list[WalletTransaction]] = relationship(back_populates="posting")


class WalletChainCheck(Base):
    """How far a wallet's balance_after chain has been verified (migration 0011; dashboard/domains/money/wallets.py).

    The triggers on wallet_transactions keep `pending` and `writes`, and reset the checkpoint when a row at or
    before it is written; no foreign key to wallets (a deleted wallet's checkpoint is inert).
    """

    __tablename__ = "wallet_chain_checks"
    __table_args__ = (
        CheckConstraint(
            "(checked_through_id IS NULL) = (checked_through_created_at IS NULL) "
            "AND (checked_through_id IS NULL) = (balance_after IS NULL)",
            name="checkpoint_complete",
        ),
    )

    wallet_id: Mapped[str] = mapped_column(primary_key=True)
    checked_through_created_at: Mapped[datetime | None]
    checked_through_id: Mapped[str | None]
    balance_after: Mapped[Money | None]
    transactions: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    pending: Mapped[bool] = mapped_column(default=True, server_default=text("true"), index=True)
    writes: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    checked_at: Mapped[datetime | None]


class WalletCheckRun(Base):
    """One run of the wallets' check (`healthdash db reconcile`, or "Check now"): what it found (migration 0014).

    The Financials page shows the last one and never checks in its render (dashboard/domains/money/wallet_checks.py);
    `problems` holds the first wallets that failed, as they stood then, for the page to list.
    """

    __tablename__ = "wallet_check_runs"
    __table_args__ = (
        CheckConstraint("wallets >= 0 AND transactions >= 0 AND problem_count >= 0", name="counts_non_negative"),
        Index(None, "checked_at"),
    )

    id: Mapped[str] = id_column()
    checked_at: Mapped[datetime] = created_at_column()
    full: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    wallets: Mapped[int]
    transactions: Mapped[int]
    problem_count: Mapped[int]
    problems: Mapped[Json] = mapped_column(default=list, server_default=json_default("[]"))
    run_by: Mapped[str | None]  # the user who pressed Check now; None for the schedule (the owner's command line)


class HospitalFinancialData(Base):
    __tablename__ = "hospital_financial_data"
    __table_args__ = (
        CheckConstraint(in_list("transaction_type", FINANCE_TRANSACTION_TYPES), name="transaction_type"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("fiscal_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="fiscal_month_yyyy_mm"),
        Index(None, "hospital_id", "fiscal_month"),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    transaction_type: Mapped[str]  # revenue or expense; amount is always positive
    category: Mapped[str]
    amount: Mapped[Money]
    currency: Mapped[str] = mapped_column(default="NGN", server_default="NGN")
    description: Mapped[str | None]
    transaction_date: Mapped[datetime] = created_at_column()
    fiscal_month: Mapped[str]  # "YYYY-MM"
    reference_id: Mapped[str | None]
    metadata_: Mapped[Json | None] = mapped_column("metadata", default=dict, server_default=json_default("{}"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    hospital: Mapped[Hospital] = relationship(back_populates="financial_data")
