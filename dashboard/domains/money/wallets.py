"""Patients' wallets, read side: what is held, what came in and went out each month, and finding a wallet.

Wallets are patients' money, not any one hospital's, so every read here is for network administrators
and executives in network scope only (permissions "wallets"); a hospital-scoped actor is refused and
the attempt audited. Postings are wallet_ledger.py (and wallet_adjustments.py for staff); whether the
ledgers add up is wallet_reconciliation.py.

Who keeps the figures fresh: the monthly flows come from a daily summary that `healthdash db reconcile`
refreshes on its schedule (with the reconciliation's checkpoints). A page render never writes: when the
summary is older than STALE_AFTER_SECONDS or more than CATCH_UP_WALLETS wallets wait for their check,
`CheckStatus.stale` says so, and the reader brings them up to date with the page's "Check now".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range
from dashboard.platform.errors import OutOfScope
from dashboard.platform.paging import like_pattern
from db.models import Profile, User, Wallet

SEE = "see patients' wallets"
FIND = "find patients' wallets"
ZERO = Decimal("0.00")
CATCH_UP_WALLETS = 1000  # pending wallets beyond which the schedule is behind and a check is worth pressing
STALE_AFTER_SECONDS = 3600
MIN_SEARCH = 2
MAX_MATCHES = 20


def shown_to(actor: Actor) -> bool:
    """The one rule of who sees the wallets: a role that reads them, working in network scope."""
    return actor.role in permissions.readers("wallets") and actor.network_wide


def require_network_scope(db: Session, actor: Actor, what: str) -> None:
    """Wallet figures are network-wide: an actor working in one hospital's scope is refused, and audited.

    The role is checked before this, by each read's @permissions.reads("wallets", ...) or the command's own check.
    """
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
class CheckStatus:
    """When the figures were last brought up to date, and how much waits for the next check."""

    figures_as_of: datetime | None  # the last refresh of the daily flows (None: never)
    last_checked_at: datetime | None  # the last reconciliation checkpoint written (None: never)
    pending_wallets: int  # wallets written to since their checkpoint (or never checked)

    @property
    def backlog(self) -> bool:
        """More wallets wait for a check than a page replays while it opens (the schedule is behind)."""
        return self.pending_wallets > CATCH_UP_WALLETS

    @property
    def stale(self) -> bool:
        """The schedule has not run for a while, or has a backlog: a check is worth pressing."""
        if self.figures_as_of is None or self.backlog:
            return True
        return (datetime.now(UTC) - self.figures_as_of).total_seconds() > STALE_AFTER_SECONDS


_FLOWS = text("SELECT max(refreshed_at) FROM wallet_flows_by_day")


@permissions.reads("wallets", SEE, replica=True)
def check_status(db: Session, actor: Actor) -> CheckStatus:
    require_network_scope(db, actor, SEE)
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


@permissions.reads("wallets", SEE, replica=True)
def wallet_totals(db: Session, actor: Actor) -> WalletTotals:
    """Balances now; the number of transactions as of the daily flows' last refresh (figures_as_of)."""
    require_network_scope(db, actor, SEE)
    wallets, funded, held = db.execute(
        select(func.count(), func.count().filter(Wallet.balance > 0), func.coalesce(func.sum(Wallet.balance), ZERO))
    ).one()
    transactions = db.scalar(text("SELECT coalesce(sum(transactions), 0) FROM wallet_flows_by_day")) or 0
    return WalletTotals(wallets, funded, held, int(transactions))


@permissions.reads("wallets", SEE, replica=True)
def monthly_flows(db: Session, actor: Actor, *, start: date, end: date) -> list[WalletMonth]:
    """Credits and debits by Lagos month of the transactions from `start` to `end`; every month shown.

    Read from the daily summary (migration 0011's wallet_flows_daily, by Lagos day), so the figures are as of its
    last refresh (check_status().figures_as_of).
    """
    require_network_scope(db, actor, SEE)
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


@dataclass(frozen=True)
class WalletChoice:
    wallet_id: str
    name: str
    email: str
    balance: Decimal


@permissions.reads("wallets", FIND, replica=True)
def find_wallets(db: Session, actor: Actor, typed: str) -> list[WalletChoice]:
    """Wallets whose owner's name or email contains `typed` (at least two characters), for the adjustment form."""
    require_network_scope(db, actor, FIND)
    typed = (typed or "").strip() if isinstance(typed, str) else ""
    if len(typed) < MIN_SEARCH:
        return []
    pattern = like_pattern(typed)
    name = people.name_or(User.email)
    stmt = (
        select(Wallet.id, name, User.email, Wallet.balance)
        .join(User, User.id == Wallet.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(name.ilike(pattern) | User.email.ilike(pattern))
        .order_by(name, User.email)
        .limit(MAX_MATCHES)
    )
    return [WalletChoice(*row) for row in db.execute(stmt)]
