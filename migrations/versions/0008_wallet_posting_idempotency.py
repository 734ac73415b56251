"""Wallet postings: an idempotency key for every credit, debit, transfer, payment, refund and adjustment.

Reviewed by hand. An addition beyond the document (ERRATA "Additions beyond the document"): the
document's wallet_transactions table records each movement of a patient's money, but nothing says
which request a row came from, so a request retried after a timeout (the client never saw the first
answer) would post the money twice. The ledger service (dashboard/domains/money/ledger.py) takes an
idempotency key with every posting and records it here, in the same transaction as the movement:

- `wallet_postings`, one row per posting request: `idempotency_key` (the primary key: a second
  posting with the same key, even at the same moment from another connection, waits for the first
  and then finds it), `kind` (credit, debit, transfer, payment, refund, adjustment),
  `request_fingerprint` (a SHA-256 of what was asked: kind, wallets, amount, description, so the same
  key with another request is refused instead of being answered with the first one's result),
  `amount`, `description` (an adjustment's reason), `posted_by` (the user who asked, when a user
  did; NULL for the platform's own postings) and `created_at`. `posted_by` is plain text, like
  audit_logs.user_id: the record of who moved money outlives the user it names.
- `wallet_transactions.posting_key`, nullable, a foreign key to the posting that wrote the row
  (indexed), so a replay returns the first posting's transaction ids and balances. Rows written by
  the platform's other clients, and the ones written before this migration, leave it NULL.

Nothing existing changes: no row is touched, both additions are new or nullable. The downgrade
drops the column and the table (and with them the keys of postings already made).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTING_KINDS = ("credit", "debit", "transfer", "payment", "refund", "adjustment")


def upgrade() -> None:
    op.create_table(
        "wallet_postings",
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("request_fingerprint", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("posted_by", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in POSTING_KINDS) + ")",
            name=op.f("ck_wallet_postings_kind"),
        ),
        sa.CheckConstraint(
            "length(idempotency_key) BETWEEN 1 AND 200", name=op.f("ck_wallet_postings_idempotency_key_length")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_wallet_postings_amount_positive")),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_wallet_postings")),
    )
    op.add_column("wallet_transactions", sa.Column("posting_key", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_wallet_transactions_posting_key_wallet_postings"),
        "wallet_transactions",
        "wallet_postings",
        ["posting_key"],
        ["idempotency_key"],
    )
    op.create_index(op.f("ix_wallet_transactions_posting_key"), "wallet_transactions", ["posting_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wallet_transactions_posting_key"), table_name="wallet_transactions")
    op.drop_constraint(
        op.f("fk_wallet_transactions_posting_key_wallet_postings"), "wallet_transactions", type_="foreignkey"
    )
    op.drop_column("wallet_transactions", "posting_key")
    op.drop_table("wallet_postings")
