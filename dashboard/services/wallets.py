"""Patients' wallets, read side: what is held, what came in and went out each month, and a reconciliation.

Wallets are patients' money, not any one hospital's, so every read here is for network administrators
and executives in network scope only (permissions "wallets"); a hospital-scoped actor is refused and
the attempt audited.

The reconciliation replays each wallet's ledger in the order it was written (created_at, then id):
every transaction's balance_after must equal the previous one's (zero before the first) plus a
credit or minus a debit, and the wallet's balance must equal its last balance_after (zero with no
transactions). It runs as window functions in the database and returns only the wallets that fail,
each with the first transaction where its chain breaks.

At network scale it is incremental (migration 0011): `wallet_chain_checks` keeps, per wallet, the last
transaction verified; only the rows after it are replayed (the triggers on wallet_transactions mark a wallet
written to, and reset its checkpoint when a write reaches at or behind it). `refresh_reconciliation` advances
the checkpoints and refreshes the daily flows (`healthdash db reconcile`, and the page when they are stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.services import audit, permissions
from dashboard.services.actors import Actor
from dashboard.services.dates import checked_range
from dashboard.services.errors import InvalidInput, OutOfScope
from dashboard.services.scope import require_role
from db.models import Profile, User, Wallet

READERS = permissions.readers("wallets")
ZERO = Decimal("0.00")
CATCH_UP_WALLETS = 1000  # pending wallets beyond which the page checks them itself instead of waiting for the schedule
MAX_PROBLEMS = 200  # a reconciliation that finds more has a systemic fault; the count says how many


def require_wallet_reader(db: Session, actor: Actor, what: str) -> None:
    """Wallet figures are network-wide: the role must read wallets, and the actor must be in network scope."""
    require_role(db, actor, READERS, what)
    if actor.network_wide:
        return
    audit.record_refusal(
        db, actor, action_type="scope_violation", resource_type="wallet", resource_id=None,
        detail={"attempted": what},
    )  # fmt: skip
    raise OutOfScope(
        "Wallets hold patients' money across the network, not one hospital's: pick All hospitals to see them."
    )


@dataclass(frozen=True)
class WalletTotals:
    wallets: int
    funded: int  # wallets holding more than zero
    balance_held: Decimal  # the sum of every wallet's balance
    transactions: int


@dataclass(frozen=True)
class WalletMonth:
    month: date  # the first of the month (Lagos)
    credits: Decimal
    debits: Decimal
    credit_count: int
    debit_count: int

    @property
    def net(self) -> Decimal:
        return self.credits - self.debits


@dataclass(frozen=True)
class WalletProblem:
    """A wallet that does not reconcile: its balance against its ledger, and where the ledger first breaks."""

    wallet_id: str
    owner_name: str  # the patient's name, or email when they have none
    balance: Decimal
    last_balance_after: Decimal | None  # None: no transactions at all
    # The first transaction whose balance_after is not the previous balance_after ± its amount (None: chain holds).
    break_transaction_id: str | None
    break_at: datetime | None
    break_type: str | None  # credit or debit
    break_amount: Decimal | None
    break_recorded: Decimal | None  # the balance_after it carries
    break_expected: Decimal | None  # what the previous balance_after and its amount give

    @property
    def balance_differs(self) -> bool:
        return self.balance != (self.last_balance_after if self.last_balance_after is not None else ZERO)

    @property
    def chain_breaks(self) -> bool:
        return self.break_transaction_id is not None


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


@dataclass(frozen=True)
class CheckStatus:
    """When the figures were last brought up to date, and how much waits for the next check."""

    figures_as_of: datetime | None  # the last refresh of the daily flows (None: never)
    last_checked_at: datetime | None  # the last reconciliation checkpoint written (None: never)
    pending_wallets: int  # wallets written to since their checkpoint (or never checked)


@dataclass(frozen=True)
class ReconciliationRun:
    wallets_verified: int  # checkpoints advanced
    transactions_replayed: int
    problem_wallets: int  # wallets whose chain breaks (left pending, checked again next time)
    figures_as_of: datetime


_FLOWS = text("SELECT max(refreshed_at) FROM wallet_flows_by_day")


@permissions.reads("wallets")
def check_status(db: Session, actor: Actor) -> CheckStatus:
    require_wallet_reader(db, actor, "see patients' wallets")
    as_of = db.scalar(_FLOWS)
    pending, checked = db.execute(
        text("SELECT count(*) FILTER (WHERE pending), max(checked_at) FROM wallet_chain_checks")
    ).one()
    never = db.scalar(
        text(
            "SELECT count(*) FROM wallets w "
            "WHERE NOT EXISTS (SELECT FROM wallet_chain_checks c WHERE c.wallet_id = w.id)"
        )
    )
    return CheckStatus(as_of, checked, pending + never)


@permissions.reads("wallets")
def wallet_totals(db: Session, actor: Actor) -> WalletTotals:
    """Balances now; the number of transactions as of the daily flows' last refresh (figures_as_of)."""
    require_wallet_reader(db, actor, "see patients' wallets")
    wallets, funded, held = db.execute(
        select(func.count(), func.count().filter(Wallet.balance > 0), func.coalesce(func.sum(Wallet.balance), ZERO))
    ).one()
    transactions = db.scalar(text("SELECT coalesce(sum(transactions), 0) FROM wallet_flows_by_day")) or 0
    return WalletTotals(wallets, funded, held, int(transactions))


@permissions.reads("wallets")
def monthly_flows(db: Session, actor: Actor, *, start: date, end: date) -> list[WalletMonth]:
    """Credits and debits by Lagos month of the transactions from `start` to `end`; every month shown.

    Read from the daily summary (migration 0011's wallet_flows_daily, by Lagos day), so the figures are as of its
    last refresh (check_status().figures_as_of).
    """
    require_wallet_reader(db, actor, "see patients' wallets")
    start, end = checked_range(start, end)
    first, last = start.replace(day=1), end.replace(day=1)
    stmt = text(
        """
        SELECT m.month::date, coalesce(sum(f.credits), 0), coalesce(sum(f.debits), 0),
               coalesce(sum(f.credit_count), 0)::bigint, coalesce(sum(f.debit_count), 0)::bigint
          FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') AS m(month)
          LEFT JOIN wallet_flows_by_day f
            ON f.day >= m.month::date AND f.day < (m.month + interval '1 month')::date
           AND f.day BETWEEN :start AND :end
         GROUP BY m.month ORDER BY m.month
        """
    )
    rows = db.execute(stmt, {"first": first, "last": last, "start": start, "end": end})
    return [WalletMonth(month, Decimal(c), Decimal(d), int(cc), int(dc)) for month, c, d, cc, dc in rows]


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
    SELECT f.id, coalesce(nullif(trim(concat_ws(' ', p.first_name, p.last_name)), ''), u.email) AS owner_name,
           f.balance, f.last_after, f.break_id, f.created_at, f.transaction_type, f.amount, f.balance_after,
           f.expected, count(*) OVER () AS problem_count,
           (SELECT count(*) FROM chain) AS replayed, (SELECT count(*) FROM wallets) AS wallets,
           (SELECT coalesce(sum(transactions), 0) FROM wallet_chain_checks) AS kept
      FROM failing f JOIN users u ON u.id = f.user_id LEFT JOIN profiles p ON p.user_id = u.id
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


@permissions.reads("wallets")
def reconciliation(db: Session, actor: Actor) -> Reconciliation:
    """Every wallet whose balance differs from its last balance_after, or whose chain does not add up.

    Incremental (migration 0011): a wallet's rows up to its checkpoint were verified when it was written and have
    not been written since (the triggers reset a checkpoint that a write reaches behind), so only the rows after
    it are replayed, from the checkpoint's balance_after; every wallet's balance is compared with its last
    balance_after. The answer is exact whatever the checkpoints' age; they only decide how much is replayed.
    """
    require_wallet_reader(db, actor, "reconcile patients' wallets")
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


# The checkpoints of the wallets that verified, advanced to their last row, only where no write came in since
# they were read (`writes` unchanged); with :full, the wallets that break lose theirs (replayed from the start
# next time). Returns one row per wallet written.
_ADVANCE = text(
    "WITH"
    + _CHAIN
    + """, counted AS (
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
         WHERE :full AND v.broken AND c.wallet_id = v.wallet_id AND c.writes = v.writes
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
    """
)


def refresh_reconciliation(db: Session, actor: Actor | None, *, full: bool = False) -> ReconciliationRun:
    """Advance the checkpoints of the wallets that verify, and refresh the money summaries; a short write.

    `full` replays every wallet from its first row, ignoring the checkpoints (and resets those of wallets that
    break): the check that does not rely on the triggers, for a schedule (`healthdash db reconcile --full`).
    `actor` None is the command line (the owner's connection).
    """
    if actor is not None:
        require_wallet_reader(db, actor, "check patients' wallets")
    verified, replayed, broken, _ = db.execute(_ADVANCE, {"full": full}).one()
    as_of = db.scalar(text("SELECT healthdash_refresh_money_summaries()"))
    return ReconciliationRun(int(verified), int(replayed), int(broken), as_of)


def export_wallet_figures(db: Session, actor: Actor, *, table: str, start: date, end: date) -> tuple[list, bool]:
    """The monthly credits and debits, or the reconciliation's failing wallets, audited as an export."""
    require_wallet_reader(db, actor, "export patients' wallet figures")
    if table == "months":
        rows: list = monthly_flows(db, actor, start=start, end=end)
    elif table == "reconciliation":
        rows = reconciliation(db, actor).problems
    else:
        raise InvalidInput("Pick one of the wallet tables to export.")
    audit.record_export(
        db, actor, action_type="wallet_figures_exported", resource_type="wallet",
        filters={"table": table, "start": start, "end": end}, rows=len(rows),
    )  # fmt: skip
    return rows, False


@dataclass(frozen=True)
class WalletChoice:
    wallet_id: str
    name: str
    email: str
    balance: Decimal


MIN_SEARCH = 2
MAX_MATCHES = 20


def find_wallets(db: Session, actor: Actor, typed: str) -> list[WalletChoice]:
    """Wallets whose owner's name or email contains `typed` (at least two characters), for the adjustment form."""
    from dashboard.services.paging import like_pattern

    require_wallet_reader(db, actor, "find patients' wallets")
    typed = (typed or "").strip() if isinstance(typed, str) else ""
    if len(typed) < MIN_SEARCH:
        return []
    pattern = like_pattern(typed)
    full_name = func.nullif(func.trim(func.concat_ws(" ", Profile.first_name, Profile.last_name)), "")
    name = func.coalesce(full_name, User.email)
    stmt = (
        select(Wallet.id, name, User.email, Wallet.balance)
        .join(User, User.id == Wallet.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(name.ilike(pattern) | User.email.ilike(pattern))
        .order_by(name, User.email)
        .limit(MAX_MATCHES)
    )
    return [WalletChoice(*row) for row in db.execute(stmt)]
