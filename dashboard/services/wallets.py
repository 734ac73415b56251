"""Patients' wallets, read side: what is held, what came in and went out each month, and a reconciliation.

Wallets are patients' money, not any one hospital's, so every read here is for network administrators
and executives in network scope only (permissions "wallets"); a hospital-scoped actor is refused and
the attempt audited.

The reconciliation replays each wallet's ledger in the order it was written (created_at, then id):
every transaction's balance_after must equal the previous one's (zero before the first) plus a
credit or minus a debit, and the wallet's balance must equal its last balance_after (zero with no
transactions). It runs as window functions in the database and returns only the wallets that fail,
each with the first transaction where its chain breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from dashboard.services import audit, permissions
from dashboard.services.actors import Actor
from dashboard.services.dates import checked_range, lagos_midnight
from dashboard.services.errors import InvalidInput, OutOfScope
from dashboard.services.scope import require_role
from db.models import Profile, User, Wallet, WalletTransaction

READERS = permissions.readers("wallets")
ZERO = Decimal("0.00")
MAX_PROBLEMS = 200  # a reconciliation that finds more has a systemic fault; the count says how many
_Tx = WalletTransaction


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

    @property
    def reconciles(self) -> bool:
        return self.problem_count == 0


@permissions.reads("wallets")
def wallet_totals(db: Session, actor: Actor) -> WalletTotals:
    require_wallet_reader(db, actor, "see patients' wallets")
    wallets, funded, held = db.execute(
        select(func.count(), func.count().filter(Wallet.balance > 0), func.coalesce(func.sum(Wallet.balance), ZERO))
    ).one()
    transactions = db.scalar(select(func.count()).select_from(_Tx)) or 0
    return WalletTotals(wallets, funded, held, transactions)


@permissions.reads("wallets")
def monthly_flows(db: Session, actor: Actor, *, start: date, end: date) -> list[WalletMonth]:
    """Credits and debits by Lagos month of the transactions from `start` to `end`; every month shown."""
    require_wallet_reader(db, actor, "see patients' wallets")
    start, end = checked_range(start, end)
    first, last = start.replace(day=1), end.replace(day=1)
    series = (
        func.generate_series(literal(first, Date), literal(last, Date), func.make_interval(0, 1))
        .table_valued("value")
        .render_derived(name="months")
    )
    month_of = cast(func.date_trunc("month", func.timezone("Africa/Lagos", _Tx.created_at)), Date)
    credit, debit = _Tx.transaction_type == "credit", _Tx.transaction_type == "debit"
    flows = (
        select(
            month_of.label("month"),
            func.coalesce(func.sum(_Tx.amount).filter(credit), ZERO).label("credits"),
            func.coalesce(func.sum(_Tx.amount).filter(debit), ZERO).label("debits"),
            func.count().filter(credit).label("credit_count"),
            func.count().filter(debit).label("debit_count"),
        )
        .where(_Tx.created_at >= lagos_midnight(start), _Tx.created_at < lagos_midnight(end + timedelta(days=1)))
        .group_by(month_of)
        .subquery()
    )
    month = cast(series.c.value, Date)
    stmt = (
        select(
            month,
            func.coalesce(flows.c.credits, ZERO),
            func.coalesce(flows.c.debits, ZERO),
            func.coalesce(flows.c.credit_count, 0),
            func.coalesce(flows.c.debit_count, 0),
        )
        .select_from(series)
        .outerjoin(flows, flows.c.month == month)
        .order_by(month)
    )
    return [WalletMonth(*row) for row in db.execute(stmt)]


@permissions.reads("wallets")
def reconciliation(db: Session, actor: Actor) -> Reconciliation:
    """Every wallet whose balance differs from its last balance_after, or whose chain does not add up."""
    require_wallet_reader(db, actor, "reconcile patients' wallets")
    order = (_Tx.created_at, _Tx.id)
    signed = case((_Tx.transaction_type == "credit", _Tx.amount), else_=-_Tx.amount)
    previous = func.lag(_Tx.balance_after).over(partition_by=_Tx.wallet_id, order_by=order)
    chain = select(
        _Tx.id,
        _Tx.wallet_id,
        _Tx.created_at,
        _Tx.transaction_type,
        _Tx.amount,
        _Tx.balance_after,
        (func.coalesce(previous, 0) + signed).label("expected"),
        func.row_number()
        .over(partition_by=_Tx.wallet_id, order_by=(_Tx.created_at.desc(), _Tx.id.desc()))
        .label("from_last"),
    ).subquery("chain")
    first_break = (
        select(chain)
        .where(chain.c.balance_after != chain.c.expected)
        .ext(distinct_on(chain.c.wallet_id))
        .order_by(chain.c.wallet_id, chain.c.created_at, chain.c.id)
        .subquery("first_break")
    )
    last = select(chain.c.wallet_id, chain.c.balance_after).where(chain.c.from_last == 1).subquery("last")
    full_name = func.nullif(func.trim(func.concat_ws(" ", Profile.first_name, Profile.last_name)), "")
    name = func.coalesce(full_name, User.email)
    failing = (first_break.c.id.is_not(None)) | (Wallet.balance != func.coalesce(last.c.balance_after, 0))
    found = (
        select(
            Wallet.id,
            name.label("owner_name"),
            Wallet.balance,
            last.c.balance_after,
            first_break.c.id,
            first_break.c.created_at,
            first_break.c.transaction_type,
            first_break.c.amount,
            first_break.c.balance_after,
            first_break.c.expected,
            func.count().over().label("problem_count"),
        )
        .select_from(Wallet)
        .join(User, User.id == Wallet.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(last, last.c.wallet_id == Wallet.id)
        .outerjoin(first_break, first_break.c.wallet_id == Wallet.id)
        .where(failing)
        .order_by(name, Wallet.id)
        .limit(MAX_PROBLEMS)
    )
    rows = db.execute(found).all()
    wallets = db.scalar(select(func.count()).select_from(Wallet)) or 0
    transactions = db.scalar(select(func.count()).select_from(_Tx)) or 0
    problems = [WalletProblem(*row[:10]) for row in rows]
    if problems:  # patients' names beside their balances: who looked is on record
        audit.record_read(
            db, actor, action_type="wallet_reconciliation_viewed", resource_type="wallet",
            values={"problems": len(problems)},
        )  # fmt: skip
    return Reconciliation(wallets, transactions, rows[0].problem_count if rows else 0, problems)


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
