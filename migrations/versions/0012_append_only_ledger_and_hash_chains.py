"""An append-only, tamper-evident ledger and audit trail; audit rows dated and signed by the database.

Reviewed by hand. Issue 19, points 7 and 9. Until now the dashboard's role could UPDATE and DELETE
wallet_transactions and wallet_postings and DELETE wallets: it rewrote a wallet's last transaction
consistently (amount, balance_after, balance) and no reconciliation noticed; it could also write an audit
row naming another user, dated in the past. Additions beyond the document (ERRATA), each nullable or
defaulted, so other clients keep working:

- `wallet_transactions.chain_seq` and `chain_hash`: each wallet's rows form a hash chain. A BEFORE INSERT
  trigger (`trg_wallet_transactions_hash_chain`, function `healthdash_wallet_transaction_chain()`) locks the
  wallet's row (`FOR UPDATE`: the ledger holds that lock already, other clients wait for it, so two inserts
  can never take the same place), takes the wallet's last `chain_seq`/`chain_hash`, and sets
  `chain_seq = last + 1` and `chain_hash = sha256(previous hash || the row's canonical fields)`, whatever the
  client sent. The unique index `uq_wallet_transactions_wallet_id_chain_seq` makes a fork impossible even
  for a writer that found some way past the lock (it fails instead).
- `audit_logs.chain_seq` and `chain_hash`: one chain for the whole trail, in the order transactions
  commit. The row is linked at its transaction's commit by a deferred constraint trigger
  (`trg_audit_logs_link`, function `healthdash_audit_log_link()`, run as the owner): it takes a transaction
  advisory lock, reads the last link through `ix_audit_logs_chain_seq`, and sets the row's link (the one
  UPDATE the append-only guard lets through: only the two link columns, only from empty, only from inside
  this function). Linking at commit rather than at insert holds the lock for the commit only: a lock taken
  at the insert and held to the commit made every audited transaction of the network wait for the slowest
  one, and a refusal audited on its own connection (audit.record_independent) wait for the transaction it
  runs beside, forever. One chain rather than one a month or a hospital: its head is one line an operator
  can keep. Requires READ COMMITTED (the dashboard's), where the trigger sees the last committed link. A
  transaction that writes audit rows into the DEFAULT partition and then refiles them
  (`healthdash_ensure_month_partitions`) must link them first (`SET CONSTRAINTS ALL IMMEDIATE`): a table
  with pending links cannot be dropped.
- The canonical fields (`healthdash_wallet_transaction_fields(row)`, `healthdash_audit_log_fields(row)`)
  are a jsonb array of every column but the hash (timestamps as UTC text to the microsecond, money as its
  NUMERIC text), and `healthdash_chain_link(previous, fields)` = hex sha256 of the previous hash and the
  fields' jsonb text. `healthdash db reconcile --full` recomputes every link and names the first broken one
  of each chain: an edit by anyone (an owner with triggers off included) is found unless every later hash is
  rebuilt too, and it prints the chain heads so an operator can keep them elsewhere and notice a rebuild.
- Audit rows written by a role that row-level security holds (the dashboard's app role; not the owner,
  whose demo build loads a dated history, nor a superuser) are stamped by the database: `created_at` is
  `now()` whatever was sent (a backdated row in another month is refused by its partition), and the acting
  user comes from the transaction's `healthdash.user_id` setting, which the dashboard sets with its scope at
  the start of each unit of work (db/row_scope.py): a row naming someone else is refused. With no acting
  user set, only `authentication` rows may be written: a sign-in attempt, a throttle, a session that ended,
  before anyone is signed in (an unknown email is the user 'anonymous').
- The ledger is append-only: `trg_wallet_transactions_append_only` and `trg_wallet_postings_append_only`
  (BEFORE UPDATE OR DELETE, function `refuse_ledger_change()`) refuse every change, for every role; the
  owner switches one off on purpose, in one transaction, and the hash chain still shows what changed.
  `trg_wallets_keep_history` refuses deleting a wallet that holds money or has transactions. The app role
  also loses UPDATE and DELETE on the ledger tables (db/roles.py), so it cannot switch anything off either.
- Checkpoints the app cannot reset: `healthdash_wallet_chain_touched()` (0011) now runs as its owner
  (SECURITY DEFINER), and checkpoints advance only through `healthdash_advance_wallet_checkpoints(full)`
  (SECURITY DEFINER), which replays the chains itself before it moves one; the app keeps SELECT only on
  wallet_chain_checks. The function is 0011's advance query, moved into the database unchanged.
- Existing rows (the demo, an upgraded database) get their links here: each wallet's rows in (created_at, id)
  order, the audit trail in (created_at, id) order.

The downgrade drops the triggers, functions, indexes and columns, and makes 0011's function run as its caller again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A row's time as seconds since 1970 to the microsecond (exact numeric text), whatever the session's TimeZone.
UTC_TEXT = "extract(epoch FROM (r->>'created_at')::timestamptz)::text"

FUNCTIONS = f"""
CREATE FUNCTION healthdash_chain_link(previous text, fields jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(coalesce(previous, '') || fields::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION healthdash_wallet_transaction_fields(r jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_array(r->'chain_seq', r->'id', r->'wallet_id', r->'transaction_type', r->>'amount',
                             r->>'balance_after', r->'description', r->'reference_id', r->'posting_key',
                             {UTC_TEXT})
$$;

CREATE FUNCTION healthdash_audit_log_fields(r jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_array(r->'chain_seq', r->'id', r->'user_id', r->'hospital_id', r->'action_category',
                             r->'action_type', r->'resource_type', r->'resource_id', r->'old_values',
                             r->'new_values', r->'impact_level', r->'compliance_relevant', r->>'financial_impact',
                             r->'session_id', r->'ip_address', r->'user_agent', {UTC_TEXT})
$$;

CREATE FUNCTION healthdash_wallet_transaction_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- The wallet's row lock orders the inserts of one wallet (the ledger holds it already).
    PERFORM 1 FROM wallets WHERE id = NEW.wallet_id FOR UPDATE;
    SELECT t.chain_seq, t.chain_hash INTO last_seq, last_hash
      FROM wallet_transactions t
     WHERE t.wallet_id = NEW.wallet_id AND t.chain_seq IS NOT NULL
     ORDER BY t.chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.chain_hash := healthdash_chain_link(last_hash, healthdash_wallet_transaction_fields(to_jsonb(NEW)));
    RETURN NEW;
END
$$;

CREATE FUNCTION healthdash_audit_log_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    acting text := nullif(current_setting('healthdash.user_id', true), '');
    privileged boolean := (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user);
BEGIN
    -- A row the owner moves between partitions (healthdash_ensure_month_partitions refiles DEFAULT's rows
    -- through the parent) keeps its link; the verification would find one forged this way.
    IF privileged AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL THEN
        RETURN NEW;
    END IF;
    -- The link is the database's to write, at commit (healthdash_audit_log_link): never the client's.
    NEW.chain_seq := NULL;
    NEW.chain_hash := NULL;
    -- Runs as the inserting role: one held by row-level security is the dashboard, and the database
    -- vouches for its rows' time and author.
    IF NOT privileged THEN
        NEW.created_at := now();
        IF acting IS NOT NULL AND NEW.user_id IS DISTINCT FROM acting THEN
            RAISE EXCEPTION 'an audit row must name the user acting in this transaction (%), not %', acting, NEW.user_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF acting IS NULL AND NEW.action_category IS DISTINCT FROM 'authentication' THEN
            RAISE EXCEPTION 'no user is acting in this transaction: only sign-in rows may be written, not %',
                NEW.action_category USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION healthdash_audit_log_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    linked audit_logs;
BEGIN
    IF NEW.chain_seq IS NOT NULL THEN  -- a row refiled between partitions keeps its link
        RETURN NULL;
    END IF;
    -- One chain: one committing writer at a time, from here to its commit.
    PERFORM pg_advisory_xact_lock(hashtext('healthdash_audit_chain'));
    SELECT a.chain_seq, a.chain_hash INTO last_seq, last_hash
      FROM audit_logs a WHERE a.chain_seq IS NOT NULL ORDER BY a.chain_seq DESC LIMIT 1;
    linked := NEW;
    linked.chain_seq := coalesce(last_seq, 0) + 1;
    linked.chain_hash := healthdash_chain_link(last_hash, healthdash_audit_log_fields(to_jsonb(linked)));
    PERFORM set_config('healthdash.linking', 'on', true);
    UPDATE audit_logs a SET chain_seq = linked.chain_seq, chain_hash = linked.chain_hash
     WHERE a.id = NEW.id AND a.created_at = NEW.created_at AND a.chain_seq IS NULL;
    PERFORM set_config('healthdash.linking', '', true);
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION healthdash_audit_log_link() FROM PUBLIC;

-- The trail stays append-only (0002, 0010); the one change let through is the link's own, made at commit.
CREATE OR REPLACE FUNCTION refuse_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('healthdash.linking', true) = 'on'
       AND OLD.chain_seq IS NULL AND OLD.chain_hash IS NULL
       AND to_jsonb(OLD) - 'chain_seq' - 'chain_hash' = to_jsonb(NEW) - 'chain_seq' - 'chain_hash' THEN
        RETURN NEW;
    END IF;
    -- 0010: a partition's TRUNCATE goes through when its root's guard of the same name is switched off.
    IF TG_OP = 'TRUNCATE' AND EXISTS (
        SELECT FROM pg_trigger t
         WHERE t.tgrelid = pg_partition_root(TG_RELID) AND t.tgrelid <> TG_RELID
           AND t.tgname = TG_NAME AND t.tgenabled = 'D'
    ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'wallets' THEN
        IF OLD.balance <> 0 OR EXISTS (SELECT FROM wallet_transactions WHERE wallet_id = OLD.id) THEN
            RAISE EXCEPTION 'wallet % holds money or has a ledger: it cannot be deleted', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# Migration 0011's advance query (dashboard/domains/money/wallets.py), as the owner's function: the app may ask
# for checkpoints to move, and they move only past rows this replay verified.
ADVANCE = """
CREATE FUNCTION healthdash_advance_wallet_checkpoints(
    full_check boolean, OUT verified bigint, OUT replayed bigint, OUT broken bigint, OUT reset bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH todo AS MATERIALIZED (
    SELECT w.id AS wallet_id, c.writes,
           CASE WHEN full_check THEN NULL ELSE c.checked_through_created_at END AS at,
           CASE WHEN full_check THEN NULL ELSE c.checked_through_id END AS tid,
           CASE WHEN full_check THEN NULL ELSE c.balance_after END AS start_after,
           CASE WHEN full_check THEN 0 ELSE coalesce(c.transactions, 0) END AS kept
      FROM wallets w LEFT JOIN wallet_chain_checks c ON c.wallet_id = w.id
     WHERE full_check OR c.wallet_id IS NULL OR c.pending
), chain AS MATERIALIZED (
    SELECT t.id, t.wallet_id, t.created_at, t.transaction_type, t.amount, t.balance_after,
           coalesce(lag(t.balance_after) OVER w, d.start_after, 0)
               + CASE WHEN t.transaction_type = 'credit' THEN t.amount ELSE -t.amount END AS expected,
           row_number() OVER (PARTITION BY t.wallet_id ORDER BY t.created_at DESC, t.id DESC) AS from_last
      FROM todo d JOIN wallet_transactions t ON t.wallet_id = d.wallet_id
       AND (d.tid IS NULL OR (t.created_at, t.id) > (d.at, d.tid))
    WINDOW w AS (PARTITION BY t.wallet_id ORDER BY t.created_at, t.id)
), first_break AS (
    SELECT DISTINCT ON (wallet_id) * FROM chain WHERE balance_after <> expected ORDER BY wallet_id, created_at, id
), last AS (
    SELECT wallet_id, created_at, id, balance_after FROM chain WHERE from_last = 1
), counted AS (
    SELECT wallet_id, count(*) AS n FROM chain GROUP BY wallet_id
), verdict AS MATERIALIZED (
    SELECT d.wallet_id, coalesce(d.writes, 0) AS writes, d.at, d.tid, d.start_after, d.kept,
           b.wallet_id IS NOT NULL AS broken, coalesce(n.n, 0) AS replayed,
           l.created_at AS l_at, l.id AS l_id, l.balance_after AS l_after
      FROM todo d LEFT JOIN last l ON l.wallet_id = d.wallet_id
      LEFT JOIN first_break b ON b.wallet_id = d.wallet_id
      LEFT JOIN counted n ON n.wallet_id = d.wallet_id
), reset AS (
    UPDATE wallet_chain_checks c
       SET checked_through_created_at = NULL, checked_through_id = NULL, balance_after = NULL, transactions = 0,
           pending = true, checked_at = clock_timestamp()
      FROM verdict v
     WHERE full_check AND v.broken AND c.wallet_id = v.wallet_id AND c.writes = v.writes
    RETURNING c.wallet_id
), advanced AS (
    INSERT INTO wallet_chain_checks AS c
        (wallet_id, checked_through_created_at, checked_through_id, balance_after, transactions, pending, writes,
         checked_at)
    SELECT v.wallet_id, coalesce(v.l_at, v.at), coalesce(v.l_id, v.tid), coalesce(v.l_after, v.start_after),
           v.kept + v.replayed, false, v.writes, clock_timestamp()
      FROM verdict v WHERE NOT v.broken ORDER BY v.wallet_id
    ON CONFLICT (wallet_id) DO UPDATE
       SET checked_through_created_at = excluded.checked_through_created_at,
           checked_through_id = excluded.checked_through_id, balance_after = excluded.balance_after,
           transactions = excluded.transactions, pending = false, checked_at = excluded.checked_at
     WHERE c.writes = excluded.writes
    RETURNING c.wallet_id
)
SELECT (SELECT count(*) FROM advanced), (SELECT count(*) FROM chain),
       (SELECT count(*) FROM verdict WHERE broken), (SELECT count(*) FROM reset)
$$
"""

# Links for the rows already there: each wallet in (created_at, id) order, the trail in (created_at, id) order.
# A function of the owner's (no one else may run it), so a bulk load can write its rows with the linking
# triggers off and link them in one pass afterwards: the demo builder does (db/demo/build.py), since a
# trigger looking up each row's predecessor while the bulk load has the indexes dropped is quadratic.
RELINK = """
CREATE FUNCTION healthdash_relink_chains() RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    item record;
    previous text;
    current_wallet text;
    seq bigint;
    ids text[] := '{}';
    stamps timestamptz[] := '{}';
    seqs bigint[] := '{}';
    hashes text[] := '{}';
BEGIN
    FOR item IN SELECT t.* FROM wallet_transactions t ORDER BY t.wallet_id, t.created_at, t.id LOOP
        IF current_wallet IS DISTINCT FROM item.wallet_id THEN
            current_wallet := item.wallet_id;
            previous := NULL;
            seq := 0;
        END IF;
        seq := seq + 1;
        item.chain_seq := seq;
        previous := healthdash_chain_link(previous, healthdash_wallet_transaction_fields(to_jsonb(item)));
        ids := ids || item.id;
        seqs := seqs || seq;
        hashes := hashes || previous;
    END LOOP;
    UPDATE wallet_transactions t SET chain_seq = NULL WHERE t.chain_seq IS NOT NULL;
    UPDATE wallet_transactions t SET chain_seq = l.seq, chain_hash = l.hash
      FROM unnest(ids, seqs, hashes) AS l(id, seq, hash) WHERE t.id = l.id;

    ids := '{}'; seqs := '{}'; hashes := '{}'; previous := NULL; seq := 0;
    FOR item IN SELECT a.* FROM audit_logs a ORDER BY a.created_at, a.id LOOP
        seq := seq + 1;
        item.chain_seq := seq;
        previous := healthdash_chain_link(previous, healthdash_audit_log_fields(to_jsonb(item)));
        ids := ids || item.id;
        stamps := stamps || item.created_at;
        seqs := seqs || seq;
        hashes := hashes || previous;
    END LOOP;
    UPDATE audit_logs a SET chain_seq = l.seq, chain_hash = l.hash
      FROM unnest(ids, stamps, seqs, hashes) AS l(id, created_at, seq, hash)
     WHERE a.id = l.id AND a.created_at = l.created_at;
END
$$;
REVOKE EXECUTE ON FUNCTION healthdash_relink_chains() FROM PUBLIC;
"""

# 0010's guard, as the downgrade puts it back.
ORIGINAL_REFUSE_AUDIT_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND EXISTS (
        SELECT FROM pg_trigger t
         WHERE t.tgrelid = pg_partition_root(TG_RELID) AND t.tgrelid <> TG_RELID
           AND t.tgname = TG_NAME AND t.tgenabled = 'D'
    ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""

LEDGER_GUARDS = {
    "trg_wallet_transactions_append_only": "BEFORE UPDATE OR DELETE ON wallet_transactions",
    "trg_wallet_postings_append_only": "BEFORE UPDATE OR DELETE ON wallet_postings",
    "trg_wallets_keep_history": "BEFORE DELETE ON wallets",
}


def upgrade() -> None:
    for table in ("wallet_transactions", "audit_logs"):
        op.add_column(table, sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("chain_hash", sa.Text(), nullable=True))
    op.create_index(
        "uq_wallet_transactions_wallet_id_chain_seq", "wallet_transactions", ["wallet_id", "chain_seq"], unique=True
    )
    op.create_index("ix_audit_logs_chain_seq", "audit_logs", ["chain_seq"], unique=False)
    op.execute(FUNCTIONS)
    op.execute(ADVANCE)

    # The trail's append-only guard (0002) stays on for everyone but this one statement of the upgrade.
    op.execute("ALTER TABLE audit_logs DISABLE TRIGGER trg_audit_logs_append_only")
    op.execute(RELINK)
    op.execute("SELECT healthdash_relink_chains()")
    op.execute("ALTER TABLE audit_logs ENABLE TRIGGER trg_audit_logs_append_only")

    op.execute(
        "CREATE TRIGGER trg_wallet_transactions_hash_chain BEFORE INSERT ON wallet_transactions "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_wallet_transaction_chain()"
    )
    op.execute(
        "CREATE TRIGGER trg_audit_logs_stamp BEFORE INSERT ON audit_logs "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_audit_log_stamp()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER trg_audit_logs_link AFTER INSERT ON audit_logs DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_audit_log_link()"
    )
    for name, event in LEDGER_GUARDS.items():
        op.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change()")

    op.execute("ALTER FUNCTION healthdash_wallet_chain_touched() SECURITY DEFINER")


def downgrade() -> None:
    for name, event in LEDGER_GUARDS.items():
        op.execute(f"DROP TRIGGER {name} ON {event.rsplit(' ', 1)[1]}")
    op.execute("DROP TRIGGER trg_audit_logs_link ON audit_logs")
    op.execute("DROP TRIGGER trg_audit_logs_stamp ON audit_logs")
    op.execute(ORIGINAL_REFUSE_AUDIT_CHANGE)
    op.execute("DROP TRIGGER trg_wallet_transactions_hash_chain ON wallet_transactions")
    op.execute("ALTER FUNCTION healthdash_wallet_chain_touched() SECURITY INVOKER")
    for function in (
        "healthdash_relink_chains()",
        "refuse_ledger_change()",
        "healthdash_audit_log_stamp()",
        "healthdash_audit_log_link()",
        "healthdash_wallet_transaction_chain()",
        "healthdash_advance_wallet_checkpoints(boolean)",
        "healthdash_audit_log_fields(jsonb)",
        "healthdash_wallet_transaction_fields(jsonb)",
        "healthdash_chain_link(text, jsonb)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_index("ix_audit_logs_chain_seq", table_name="audit_logs")
    op.drop_index("uq_wallet_transactions_wallet_id_chain_seq", table_name="wallet_transactions")
    for table in ("audit_logs", "wallet_transactions"):
        op.drop_column(table, "chain_hash")
        op.drop_column(table, "chain_seq")
