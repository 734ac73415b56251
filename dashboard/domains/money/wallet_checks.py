"""What the last check of patients' wallets found, kept so the Financials page never checks in its render.

`healthdash db reconcile` (on its schedule) and the page's "Check now" run the check
(wallet_reconciliation.refresh_reconciliation) and record its verdict here, with the first wallets that failed as
they stood then; the page reads the last verdict and says how old it is and how many wallets were written to since
(docs/performance.md: at scale 50 checking in the render cost 0.4 s a visit, 6 s before the first scheduled run).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.money.wallets import SEE, ZERO, require_network_scope
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from db.models.money import Wallet, WalletChainCheck, WalletCheckRun

_DECIMALS = ("balance", "last_balance_after", "break_amount", "break_recorded", "break_expected")


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
class LastCheck:
    checked_at: datetime
    full: bool
    wallets: int
    transactions: int
    problem_count: int  # every wallet that failed, even past the problems kept
    problems: list[WalletProblem]  # the first of them, as they stood at the check

    @property
    def reconciles(self) -> bool:
        return self.problem_count == 0


def record(db: Session, *, full: bool, problem_count: int, problems: list, run_by: str | None) -> None:
    """Keep a check's verdict, in the check's own transaction (the wallets and transactions it covered)."""
    wallets = db.scalar(select(func.count()).select_from(Wallet))
    transactions = db.scalar(select(func.coalesce(func.sum(WalletChainCheck.transactions), 0)))
    db.add(
        WalletCheckRun(
            full=full,
            wallets=int(wallets or 0),
            transactions=int(transactions or 0),
            problem_count=problem_count,
            problems=[_stored(p) for p in problems],
            run_by=run_by,
        )
    )
    db.flush()


@permissions.reads("wallets", SEE, replica=True)
def last_check(db: Session, actor: Actor) -> LastCheck | None:
    """The last check's verdict (None: none has run yet)."""
    require_network_scope(db, actor, SEE)
    run = db.scalars(select(WalletCheckRun).order_by(WalletCheckRun.checked_at.desc()).limit(1)).first()
    if run is None:
        return None
    problems = [WalletProblem(**_loaded(p)) for p in run.problems]
    return LastCheck(run.checked_at, run.full, run.wallets, run.transactions, run.problem_count, problems)


def _stored(problem) -> dict:
    return {
        key: (str(value) if isinstance(value, Decimal) else value.isoformat() if isinstance(value, datetime) else value)
        for key, value in asdict(problem).items()
    }


def _loaded(stored: dict) -> dict:
    loaded = dict(stored)
    for key in _DECIMALS:
        if loaded.get(key) is not None:
            loaded[key] = Decimal(loaded[key])
    if loaded.get("break_at") is not None:
        loaded["break_at"] = datetime.fromisoformat(loaded["break_at"])
    return loaded
