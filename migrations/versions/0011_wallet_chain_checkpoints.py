"""Wallet chain checkpoints, and two summaries for the Financials page: reconciliation and money at network scale.

Reviewed by hand. Issue 13 (performance). At scale 50 (about 100,000 wallets) the Financials page spent
most of its 2.6-4.3 s cold render in four reads over every row: the reconciliation (window functions over
all of wallet_transactions, 1.3 s), the consultation revenue (every appointment of the range joined to its
video sessions, 0.3 s), the wallets' monthly credits and debits (0.26 s) and two count(*) of
wallet_transactions (0.17 s). Indexes do not help any of them: each must read every row of its range (a
covering index only turns a sequential scan into an index-only scan of as many entries), so the
algorithm changes instead:

- `wallet_chain_checks`, one row per wallet: how far its balance_after chain has been verified
  (`checked_through_created_at`, `checked_through_id`: the last verified transaction in (created_at, id)
  order, NULL when nothing is verified), the `balance_after` there, how many `transactions` lie up to
  it, `checked_at`, and two marks the triggers below keep: `pending` (the wallet was written to since:
  check it again) and `writes` (a counter of those writes). The reconciliation
  (dashboard/domains/money/wallets.py) replays only each pending wallet's rows after its checkpoint, starting
  from the checkpoint's balance_after, and compares every wallet's balance with its last balance_after
  (the checkpoint's, for a wallet with nothing new: a hash join, no scan of the transactions). Advancing
  the checkpoints of the wallets that verified is a separate short write (`refresh_reconciliation`,
  `healthdash db reconcile`), conditional on `writes` being what it read: a posting that commits in
  between bumps it, so its wallet stays pending rather than being marked verified past a row the check
  never saw. No foreign key to wallets (a checkpoint of a deleted wallet is inert: the reconciliation
  starts from wallets), so the Prisma model needs no relation on Wallet.
- Tampering behind a checkpoint is still found, exactly: statement-level triggers on wallet_transactions
  (with transition tables, one call per statement, so a COPY of a million rows costs one upsert, not a
  million) call `healthdash_wallet_chain_touched()`, which for every wallet a statement touches
  - resets the checkpoint (nothing verified: the next check replays that wallet from its first row)
    when an INSERTed row sorts at or before it, or an UPDATE or DELETE touches a row at or before it
    (an UPDATE that moves a row to another wallet resets both);
  - marks it pending and bumps `writes` (creating the row for a wallet never checked).
  TRUNCATE empties the checkpoints. What the triggers cannot see is a session that switches triggers
  off (`session_replication_role = replica`, `ALTER TABLE ... DISABLE TRIGGER`): only a superuser or the
  tables' owner can, and the owner could rewrite the checkpoints as well. For that case
  `healthdash db reconcile --full` replays every wallet from its first row, ignoring the checkpoints,
  and rebuilds them; a per-wallet fingerprint (count and sum of the rows up to the checkpoint) would
  have to read every row too, so it buys nothing over the full replay and is not kept.
- Both summaries below live in the schema `healthdash_summaries` (the owner's; the app has no USAGE on it)
  and are read through views in public, `wallet_flows_by_day` and `consultation_activity_by_month`.
- `wallet_flows_daily`, a MATERIALIZED VIEW of wallet_transactions by Lagos day: credits, debits, their
  counts, all transactions, and `refreshed_at`. By day, not month, so any date range of whole days is
  exact; the page sums a range's days by month (a few hundred rows). It also gives the total number of
  transactions (the page's two count(*)), as of its refresh.
- `consultation_activity_monthly`, a MATERIALIZED VIEW of appointments (left join consultation_sessions)
  by hospital and Lagos month ("YYYY-MM"): paid video sessions, their fees, completed appointments and
  completed virtual ones, and `refreshed_at`. appointments is under row-level security (0005) and a
  materialized view is not, so the app reads it only through `consultation_activity_by_month`, a security-barrier view that keeps the same rule:
  `healthdash_scope_allows(hospital_id)`, i.e. the transaction's healthdash.scope (and, as under the
  policies, a role with BYPASSRLS or a superuser sees every row). The view runs with its
  owner's rights on the materialized view, and a scope allows only its own hospital's rows.
- `healthdash_refresh_money_summaries()` (SECURITY DEFINER, the owner's: only the owner may refresh a
  materialized view) refreshes both CONCURRENTLY (readers are never blocked; each has the unique index
  that needs) and returns the time. The page calls it after an adjustment it posts and when its figures
  are older than an hour, and offers a button; `healthdash db reconcile` calls it too, the command to
  run on a schedule (cron every few minutes). The page shows "figures as of" the refresh time.

Why materialized views rather than summary tables kept by triggers: a trigger-kept daily total is one
row that every posting of the day would update, serialising every payment of the network behind one row
lock; a refresh reads the table once, off the write path. Why not hooks in the ledger: wallet rows also
come from the platform's other clients, which the triggers see and the ledger does not.

The downgrade drops the triggers, the function, the views and the table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMMARIES = "healthdash_summaries"
TOUCHED = "healthdash_wallet_chain_touched"
REFRESH = "healthdash_refresh_money_summaries"
TRIGGERS = {
    "trg_wallet_transactions_chain_insert": "AFTER INSERT ON wallet_transactions REFERENCING NEW TABLE AS new_rows",
    "trg_wallet_transactions_chain_update": (
        "AFTER UPDATE ON wallet_transactions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "trg_wallet_transactions_chain_delete": "AFTER DELETE ON wallet_transactions REFERENCING OLD TABLE AS old_rows",
}

_TOUCHED_SQL = f"""
CREATE FUNCTION {TOUCHED}() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT wallet_id, created_at, id FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT wallet_id, created_at, id FROM old_rows'
        ELSE 'SELECT wallet_id, created_at, id FROM old_rows UNION ALL SELECT wallet_id, created_at, id FROM new_rows'
    END;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM wallet_chain_checks;
        RETURN NULL;
    END IF;
    -- A row written at or before a wallet's checkpoint: the checkpoint no longer holds, verify from the start.
    EXECUTE format($q$
        UPDATE wallet_chain_checks c
           SET checked_through_created_at = NULL, checked_through_id = NULL, balance_after = NULL, transactions = 0
          FROM (SELECT DISTINCT ON (wallet_id) wallet_id, created_at, id FROM (%s) t
                ORDER BY wallet_id, created_at, id) f
         WHERE c.wallet_id = f.wallet_id AND c.checked_through_id IS NOT NULL
           AND (f.created_at, f.id) <= (c.checked_through_created_at, c.checked_through_id)
    $q$, source);
    -- Every wallet written to: check it again; `writes` tells a concurrent refresh that it read too early.
    EXECUTE format($q$
        INSERT INTO wallet_chain_checks AS c (wallet_id, pending, writes)
        SELECT DISTINCT wallet_id, true, 1 FROM (%s) t ORDER BY wallet_id
        ON CONFLICT (wallet_id) DO UPDATE SET pending = true, writes = c.writes + 1
    $q$, source);
    RETURN NULL;
END
$$
"""

_REFRESH_SQL = f"""
CREATE FUNCTION {REFRESH}() RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY healthdash_summaries.wallet_flows_daily;
    REFRESH MATERIALIZED VIEW CONCURRENTLY healthdash_summaries.consultation_activity_monthly;
    RETURN now();
END
$$
"""

_WALLET_FLOWS = """
CREATE MATERIALIZED VIEW healthdash_summaries.wallet_flows_daily AS
SELECT (timezone('Africa/Lagos', created_at))::date AS day,
       coalesce(sum(amount) FILTER (WHERE transaction_type = 'credit'), 0)::numeric(16, 2) AS credits,
       coalesce(sum(amount) FILTER (WHERE transaction_type = 'debit'), 0)::numeric(16, 2) AS debits,
       count(*) FILTER (WHERE transaction_type = 'credit') AS credit_count,
       count(*) FILTER (WHERE transaction_type = 'debit') AS debit_count,
       count(*) AS transactions,
       now() AS refreshed_at
  FROM wallet_transactions
 GROUP BY 1
"""

_CONSULTATIONS = """
CREATE MATERIALIZED VIEW healthdash_summaries.consultation_activity_monthly AS
SELECT a.hospital_id,
       to_char(timezone('Africa/Lagos', a.appointment_date), 'YYYY-MM') AS month,
       count(s.id) FILTER (WHERE s.payment_status = 'paid') AS video_sessions_paid,
       coalesce(sum(s.consultation_rate) FILTER (WHERE s.payment_status = 'paid'), 0)::numeric(16, 2)
           AS video_revenue,
       count(*) FILTER (WHERE a.status = 'completed') AS appointments_completed,
       count(*) FILTER (WHERE a.status = 'completed' AND a.consultation_type = 'virtual') AS virtual_completed,
       now() AS refreshed_at
  FROM appointments a
  LEFT JOIN consultation_sessions s ON s.appointment_id = a.id
 GROUP BY 1, 2
"""


def upgrade() -> None:
    op.create_table(
        "wallet_chain_checks",
        sa.Column("wallet_id", sa.Text(), nullable=False),
        sa.Column("checked_through_created_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("checked_through_id", sa.Text(), nullable=True),
        sa.Column("balance_after", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("transactions", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pending", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("writes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("checked_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(checked_through_id IS NULL) = (checked_through_created_at IS NULL) "
            "AND (checked_through_id IS NULL) = (balance_after IS NULL)",
            name=op.f("ck_wallet_chain_checks_checkpoint_complete"),
        ),
        sa.PrimaryKeyConstraint("wallet_id", name=op.f("pk_wallet_chain_checks")),
    )
    # The wallets still to check, found without reading the others.
    op.create_index(op.f("ix_wallet_chain_checks_pending"), "wallet_chain_checks", ["pending"], unique=False)
    op.execute(_TOUCHED_SQL)
    for name, event in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {event} FOR EACH STATEMENT EXECUTE FUNCTION {TOUCHED}()")
    op.execute(
        "CREATE TRIGGER trg_wallet_transactions_chain_truncate AFTER TRUNCATE ON wallet_transactions "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TOUCHED}()"
    )
    # Every wallet with transactions starts pending (nothing verified yet).
    op.execute(
        "INSERT INTO wallet_chain_checks (wallet_id, pending, writes) SELECT DISTINCT wallet_id, true, 1 "
        "FROM wallet_transactions"
    )

    # The summaries live in their own schema, the owner's: the app has no USAGE on it and reads them through the
    # views in public (so neither the Prisma mirror nor Alembic sees a table that is not one).
    op.execute(f"CREATE SCHEMA {SUMMARIES}")
    op.execute(f"REVOKE ALL ON SCHEMA {SUMMARIES} FROM PUBLIC")
    op.execute(_WALLET_FLOWS)
    op.execute(f"CREATE UNIQUE INDEX uq_wallet_flows_daily_day ON {SUMMARIES}.wallet_flows_daily (day)")
    op.execute(_CONSULTATIONS)
    op.execute(
        f"CREATE UNIQUE INDEX uq_consultation_activity_monthly ON {SUMMARIES}.consultation_activity_monthly "
        "(month, hospital_id)"
    )
    op.execute(f"CREATE VIEW wallet_flows_by_day AS SELECT * FROM {SUMMARIES}.wallet_flows_daily")
    op.execute(
        "CREATE VIEW consultation_activity_by_month WITH (security_barrier) AS "
        f"SELECT * FROM {SUMMARIES}.consultation_activity_monthly WHERE healthdash_scope_allows(hospital_id) "
        # as under the policies: a role that bypasses row-level security (the owner, a superuser) sees every row
        "OR (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user)"
    )
    op.execute(_REFRESH_SQL)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {REFRESH}()")
    op.execute("DROP VIEW consultation_activity_by_month")
    op.execute("DROP VIEW wallet_flows_by_day")
    op.execute(f"DROP SCHEMA {SUMMARIES} CASCADE")
    for name in [*TRIGGERS, "trg_wallet_transactions_chain_truncate"]:
        op.execute(f"DROP TRIGGER {name} ON wallet_transactions")
    op.execute(f"DROP FUNCTION {TOUCHED}()")
    op.drop_index(op.f("ix_wallet_chain_checks_pending"), table_name="wallet_chain_checks")
    op.drop_table("wallet_chain_checks")
