"""Whether patients' wallets add up: the reconciliation, its checkpoints, and the hash chains.

The reconciliation replays each wallet's ledger in the order it was written (created_at, then id):
every transaction's balance_after must equal the previous one's (zero before the first) plus a
credit or minus a debit, and the wallet's balance must equal its last balance_after (zero with no
transactions). It runs as window functions in the database and returns only the wallets that fail,
each with the first transaction where its chain breaks.

At network scale it is incremental (migration 0011): `wallet_chain_checks` keeps, per wallet, the last
transaction verified; only the rows after it are replayed (the triggers on wallet_transactions mark a wallet
written to, and reset its checkpoint when a write reaches at or behind it). `refresh_reconciliation` advances
the checkpoints and refreshes the daily flows: `healthdash db reconcile` on a schedule, and the Financials
page's "Check now" (a command the reader presses, never a page render).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from dashboard.domains.money import wallet_checks
from dashboard.domains.money.wallet_checks import WalletProblem
from dashboard.domains.money.wallet_ledger import naira
from dashboard.domains.money.wallets import monthly_flows, require_network_scope
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import require_role
from db.models import User

MAX_PROBLEMS = 200  # a reconciliation that finds more has a systemic fault; the count says how many
RECONCILE = "reconcile patients' wallets"
EXPORT = "export patients' wallet figures"
# The owner's name (or email) in the raw SQL below, spelt as platform.people spells it everywhere else.
_OWNER = str(people.name_or(User.email).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


@dataclass(frozen=True)
class Reconciliation:
    wallets_checked: int
    transactions_checked: int
    problem_count: int  # every wallet that fails, even past MAX_PROBLEMS
    problems: list[WalletProblem]  # the first MAX_PROBLEMS of them, by owner name
    replayed: int = 0  # transactions replayed now (after their wallets' checkpoints); the rest were verified before

    @property
    def reconciles(self) -> bool:
        return self.problem_count == 0


# Each wallet to replay: never checked, written to since its checkpoint (pending), or every wallet (:full).
# Its rows after the checkpoint (all of them when there is none, or with :full), each with the balance_after it
# should carry: the previous row's, or the checkpoint's before the first, or zero; and its place from the last.
_CHAIN = """
    todo AS MATERIALIZED (
        SELECT w.id AS wallet_id, c.writes,
               CASE WHEN :full THEN NULL ELSE c.checked_through_created_at END AS at,
               CASE WHEN :full THEN NULL ELSE c.checked_through_id END AS tid,
               CASE WHEN :full THEN NULL ELSE c.balance_after END AS start_after,
               CASE WHEN :full THEN 0 ELSE coalesce(c.transactions, 0) END AS kept
          FROM wallets w LEFT JOIN wallet_chain_checks c ON c.wallet_id = w.id
         WHERE :full OR c.wallet_id IS NULL OR c.pending
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
    )
"""

_RECONCILE = text(
    "WITH"
    + _CHAIN
    + """, failing AS MATERIALIZED (
        SELECT w.id, w.user_id, w.balance, coalesce(l.balance_after, c.balance_after) AS last_after,
               b.id AS break_id, b.created_at, b.transaction_type, b.amount, b.balance_after, b.expected
          FROM wallets w
          LEFT JOIN wallet_chain_checks c ON c.wallet_id = w.id
          LEFT JOIN last l ON l.wallet_id = w.id
          LEFT JOIN first_break b ON b.wallet_id = w.id
         WHERE b.id IS NOT NULL OR w.balance <> coalesce(l.balance_after, c.balance_after, 0)
    )
    SELECT f.id, """
    + _OWNER
    + """ AS owner_name,
           f.balance, f.last_after, f.break_id, f.created_at, f.transaction_type, f.amount, f.balance_after,
           f.expected, count(*) OVER () AS problem_count,
           (SELECT count(*) FROM chain) AS replayed, (SELECT count(*) FROM wallets) AS wallets,
           (SELECT coalesce(sum(transactions), 0) FROM wallet_chain_checks) AS kept
      FROM failing f JOIN users ON users.id = f.user_id LEFT JOIN profiles ON profiles.user_id = users.id
     ORDER BY 2, f.id
     LIMIT :limit
    """
)
_COUNTS = text(
    "WITH"
    + _CHAIN
    + """SELECT (SELECT count(*) FROM chain), (SELECT count(*) FROM wallets),
               (SELECT coalesce(sum(transactions), 0) FROM wallet_chain_checks)"""
)


@permissions.reads("wallets", RECONCILE, replica=True)
def reconciliation(db: Session, actor: Actor) -> Reconciliation:
    """Every wallet whose balance differs from its last balance_after, or whose chain does not add up.

    Incremental (migration 0011): a wallet's rows up to its checkpoint were verified when it was written and have
    not been written since (the triggers reset a checkpoint that a write reaches behind), so only the rows after
    it are replayed, from the checkpoint's balance_after; every wallet's balance is compared with its last
    balance_after. The answer is exact whatever the checkpoints' age; they only decide how much is replayed.
    """
    require_network_scope(db, actor, RECONCILE)
    rows = db.execute(_RECONCILE, {"full": False, "limit": MAX_PROBLEMS}).all()
    if rows:
        replayed, wallets, kept = rows[0].replayed, rows[0].wallets, rows[0].kept
    else:
        replayed, wallets, kept = db.execute(_COUNTS, {"full": False}).one()
    problems = [WalletProblem(*row[:10]) for row in rows]
    if problems:  # patients' names beside their balances: who looked is on record
        audit.record_read(
            db, actor, action_type="wallet_reconciliation_viewed", resource_type="wallet",
            values={"problems": len(problems)},
        )  # fmt: skip
    return Reconciliation(
        wallets, int(kept) + int(replayed), rows[0].problem_count if rows else 0, problems, int(replayed)
    )


@dataclass(frozen=True)
class BalanceMismatch:
    """A wallet whose balance is not where its ledger ends."""

    wallet_id: str
    balance: Decimal
    ledger_ends_at: Decimal  # the last transaction's balance_after, in (created_at, id) order; 0 with none

    def sentence(self) -> str:
        return (
            f"Wallet {self.wallet_id} holds ₦{self.balance:,.2f}, but its ledger ends at ₦{self.ledger_ends_at:,.2f}."
        )


@dataclass(frozen=True)
class ChainBreak:
    """The first link of a hash chain (migration 0012) that does not hold."""

    chain: str  # "wallet <id>" or "audit trail"
    row_id: str  # the transaction or audit row where it breaks
    position: int  # its place in the chain, from 1
    reason: str

    def sentence(self) -> str:
        return f"The {self.chain}'s hash chain breaks at row {self.row_id} (link {self.position:,}): {self.reason}."


@dataclass(frozen=True)
class ChainHeads:
    """What an operator keeps elsewhere: a later rebuild of the chains changes these."""

    audit_rows: int
    audit_head: str | None  # the last audit row's hash (None: an empty trail)
    wallet_chains: int
    wallet_rows: int
    wallets_root: str  # sha256 of every wallet's (id, length, last hash), in wallet id order


@dataclass(frozen=True)
class ReconciliationRun:
    wallets_verified: int  # checkpoints advanced
    transactions_replayed: int
    problem_wallets: int  # wallets whose balance_after chain breaks or whose balance differs from it
    figures_as_of: datetime
    broken_wallets: tuple[str, ...] = ()  # the wallets whose balance_after chain breaks (the first MAX_PROBLEMS)
    balance_mismatches: tuple[BalanceMismatch, ...] = ()  # the first MAX_PROBLEMS
    chain_breaks: tuple[ChainBreak, ...] = ()  # with full: the first broken link of each broken chain
    heads: ChainHeads | None = None  # with full

    @property
    def sound(self) -> bool:
        return not (self.problem_wallets or self.chain_breaks)


# Every wallet's balance against its last transaction (one index probe each): exact whatever the checkpoints say.
_BALANCES = text(
    """
    SELECT w.id, w.balance, coalesce(l.balance_after, 0) AS ledger_end, count(*) OVER () AS total
      FROM wallets w
      LEFT JOIN LATERAL (SELECT t.balance_after FROM wallet_transactions t WHERE t.wallet_id = w.id
                          ORDER BY t.created_at DESC, t.id DESC LIMIT 1) l ON true
     WHERE w.balance <> coalesce(l.balance_after, 0)
     ORDER BY w.id
     LIMIT :limit
    """
)


def balance_mismatches(db: Session, limit: int = MAX_PROBLEMS) -> tuple[int, list[BalanceMismatch]]:
    """How many wallets hold a balance other than where their ledger ends, and the first `limit` of them."""
    rows = db.execute(_BALANCES, {"limit": limit}).all()
    return (rows[0].total if rows else 0), [BalanceMismatch(r.id, r.balance, r.ledger_end) for r in rows]


# Each link recomputed from the stored previous hash and the row's fields (migration 0012's functions): an edit
# breaks its own link; a rebuilt hash breaks the next one; a deleted row leaves a gap in chain_seq.
_WALLET_LINKS = text(
    """
    WITH links AS (
        SELECT t.wallet_id, t.id, t.chain_seq, t.chain_hash,
               row_number() OVER w AS n,
               healthdash_chain_link(lag(t.chain_hash) OVER w, healthdash_wallet_transaction_fields(to_jsonb(t)))
                   AS expected
          FROM wallet_transactions t
        WINDOW w AS (PARTITION BY t.wallet_id ORDER BY t.chain_seq NULLS LAST, t.created_at, t.id)
    )
    SELECT DISTINCT ON (wallet_id) wallet_id, id, n, chain_seq, chain_hash IS NOT DISTINCT FROM expected AS linked
      FROM links
     WHERE chain_seq IS DISTINCT FROM n OR chain_hash IS DISTINCT FROM expected
     ORDER BY wallet_id, n
    """
)
_AUDIT_LINKS = text(
    """
    WITH links AS (
        SELECT a.id, a.chain_seq, a.chain_hash,
               row_number() OVER w AS n,
               healthdash_chain_link(lag(a.chain_hash) OVER w, healthdash_audit_log_fields(to_jsonb(a))) AS expected
          FROM audit_logs a
        WINDOW w AS (ORDER BY a.chain_seq NULLS LAST, a.created_at, a.id)
    )
    SELECT 'audit trail', id, n, chain_seq, chain_hash IS NOT DISTINCT FROM expected AS linked
      FROM links
     WHERE chain_seq IS DISTINCT FROM n OR chain_hash IS DISTINCT FROM expected
     ORDER BY n
     LIMIT 1
    """
)
_HEADS = text(
    """
    WITH heads AS (
        SELECT DISTINCT ON (wallet_id) wallet_id, chain_seq, chain_hash FROM wallet_transactions
         ORDER BY wallet_id, chain_seq DESC NULLS LAST
    )
    SELECT (SELECT count(*) FROM audit_logs),
           (SELECT chain_hash FROM audit_logs ORDER BY chain_seq DESC NULLS LAST LIMIT 1),
           (SELECT count(*) FROM heads), (SELECT count(*) FROM wallet_transactions),
           encode(sha256(convert_to(coalesce(
               (SELECT string_agg(concat_ws(':', wallet_id, chain_seq, chain_hash), E'\\n' ORDER BY wallet_id)
                  FROM heads), ''), 'UTF8')), 'hex')
    """
)


def _why(chain_seq: int | None, position: int, linked: bool) -> str:
    if chain_seq is None:
        return "the row has no place in the chain (written with the database's triggers off)"
    if chain_seq != position:
        return f"it says it is link {chain_seq:,}, so a row before it is missing or out of place"
    if not linked:
        return "its hash does not match its contents and the link before it (the row, or the one before, was changed)"
    return "the link does not hold"  # pragma: no cover - the query returns only rows that fail one of the above


def verify_hash_chains(db: Session) -> tuple[list[ChainBreak], ChainHeads]:
    """Recompute every link of every wallet's chain and of the audit trail's; the first break of each, and the heads.

    Reads every row of wallet_transactions and audit_logs: for `healthdash db reconcile --full` (the owner's
    connection, or one in network scope).
    """
    breaks = [
        ChainBreak(f"wallet {wallet_id}", row_id, int(position), _why(seq, int(position), linked))
        for wallet_id, row_id, position, seq, linked in db.execute(_WALLET_LINKS)
    ]
    breaks += [
        ChainBreak(chain, row_id, int(position), _why(seq, int(position), linked))
        for chain, row_id, position, seq, linked in db.execute(_AUDIT_LINKS)
    ]
    audit_rows, audit_head, chains, wallet_rows, root = db.execute(_HEADS).one()
    return breaks, ChainHeads(int(audit_rows), audit_head, int(chains), int(wallet_rows), root)


def refresh_reconciliation(db: Session, actor: Actor | None, *, full: bool = False) -> ReconciliationRun:
    """Advance the checkpoints of the wallets that verify, and refresh the money summaries; a short write.

    The checkpoints move only through the owner's function `healthdash_advance_wallet_checkpoints` (migration
    0012), which replays the chains itself: the app role cannot set or reset one. Every wallet's balance is then
    compared with where its ledger ends (exact, whatever the checkpoints). `full` replays every wallet from its
    first row, ignoring the checkpoints (and resets those of wallets that break), and verifies the hash chains of
    the wallets and of the audit trail: the check that does not rely on the triggers, for a schedule
    (`healthdash db reconcile --full`). `actor` None is the command line (the owner's connection).
    """
    if actor is not None:
        require_role(db, actor, permissions.readers("wallets"), "check patients' wallets")
        require_network_scope(db, actor, "check patients' wallets")
    verified, replayed, broken, _ = db.execute(
        text("SELECT * FROM healthdash_advance_wallet_checkpoints(:full)"), {"full": full}
    ).one()
    broken_ids: tuple[str, ...] = ()
    if broken:
        problems = reconciliation_problems(db)
        broken_ids = tuple(p.wallet_id for p in problems if p.chain_breaks)
    mismatched, mismatches = balance_mismatches(db)
    chain_breaks: list[ChainBreak] = []
    heads = None
    if full:
        chain_breaks, heads = verify_hash_chains(db)
    as_of = db.scalar(text("SELECT healthdash_refresh_money_summaries()"))
    problem_wallets = len(set(broken_ids) | {m.wallet_id for m in mismatches}) + max(0, mismatched - len(mismatches))
    problem_wallets = max(int(broken), problem_wallets)
    # The verdict the Financials page shows until the next check (it never checks in its render).
    wallet_checks.record(
        db, full=full, problem_count=problem_wallets,
        problems=reconciliation_problems(db) if problem_wallets else [],
        run_by=actor.user_id if actor is not None else None,
    )  # fmt: skip
    return ReconciliationRun(
        int(verified),
        int(replayed),
        problem_wallets,
        as_of,
        broken_ids,
        tuple(mismatches),
        tuple(chain_breaks),
        heads,
    )


def reconciliation_problems(db: Session) -> list[WalletProblem]:
    """The failing wallets of the incremental reconciliation, without the role check (the command line's)."""
    return [WalletProblem(*row[:10]) for row in db.execute(_RECONCILE, {"full": False, "limit": MAX_PROBLEMS})]


@permissions.reads("wallets", EXPORT)
def export_wallet_figures(db: Session, actor: Actor, *, table: str, start: date, end: date) -> tuple[list, bool]:
    """The monthly credits and debits, or the last check's failing wallets (the ones the page lists), audited."""
    require_network_scope(db, actor, EXPORT)
    if table == "months":
        rows: list = monthly_flows(db, actor, start=start, end=end)
    elif table == "reconciliation":
        last = wallet_checks.last_check(db, actor)
        rows = last.problems if last is not None else []
    else:
        raise InvalidInput("Pick one of the wallet tables to export.")
    audit.record_export(
        db, actor, action_type="wallet_figures_exported", resource_type="wallet",
        filters={"table": table, "start": start, "end": end}, rows=len(rows),
    )  # fmt: skip
    return rows, False


# --- The whole ledger at once, for tests and the load test ------------------------------------------------

# Each wallet's ledger in order, with what its balance_after should be: the previous row's (0 before
# the first) plus a credit or minus a debit; and the wallet's balance against its last row.
_WHOLE_CHAIN = """
WITH ledger AS (
    SELECT t.wallet_id, t.id, t.balance_after,
           coalesce(lag(t.balance_after) OVER w, 0)
             + CASE t.transaction_type WHEN 'credit' THEN t.amount ELSE -t.amount END AS expected,
           row_number() OVER (PARTITION BY t.wallet_id ORDER BY t.created_at DESC, t.id DESC) AS from_end
    FROM wallet_transactions t
    WHERE (CAST(:wallet_ids AS text[]) IS NULL OR t.wallet_id = ANY(CAST(:wallet_ids AS text[])))
    WINDOW w AS (PARTITION BY t.wallet_id ORDER BY t.created_at, t.id)
)
SELECT 'chain' AS problem, wallet_id, id, balance_after, expected FROM ledger WHERE balance_after <> expected
UNION ALL
SELECT 'balance', w.id, l.id, w.balance, coalesce(l.balance_after, 0)
FROM wallets w LEFT JOIN ledger l ON l.wallet_id = w.id AND l.from_end = 1
WHERE (CAST(:wallet_ids AS text[]) IS NULL OR w.id = ANY(CAST(:wallet_ids AS text[])))
  AND (w.balance <> coalesce(l.balance_after, 0) OR w.balance < 0)
ORDER BY 2, 1, 3
"""


def ledger_invariants(db: Session, wallet_ids: list[str] | None = None) -> list[str]:
    """What is wrong with the wallets' ledgers (all of them, or `wallet_ids`), one sentence each; [] when sound.

    A row's balance_after must be the previous row's plus its credit or minus its debit (the first row
    starts from zero); a wallet's balance must equal its last row's balance_after (zero without rows),
    and never be negative.
    """
    problems = []
    for kind, wallet_id, row_id, found, expected in db.execute(text(_WHOLE_CHAIN), {"wallet_ids": wallet_ids}):
        if kind == "chain":
            problems.append(
                f"Wallet {wallet_id}: transaction {row_id} shows {naira(found)} after it, "
                f"but the rows before it add up to {naira(expected)}."
            )
        elif found < 0:
            problems.append(f"Wallet {wallet_id} has a negative balance of {naira(found)}.")
        else:
            problems.append(f"Wallet {wallet_id} holds {naira(found)}, but its ledger ends at {naira(expected)}.")
    return problems


def check_wallet(db: Session, wallet_id: str) -> list[str]:
    """ledger_invariants for one wallet."""
    return ledger_invariants(db, [wallet_id])
