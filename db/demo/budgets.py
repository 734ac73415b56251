"""Budgets (migration 0022): every hospital's budget for the demo year, each ledger category month by month.

The demo year is the year of the ledger's last fiscal month (db/demo/money.finance_months). Each hospital
planned its year from its size and the network's growth, as the ledger's own expectation does
(money.DAILY_REVENUE_NAIRA_AT_SIZE_1, the growth since the history began and the malaria season), shared out by
the ledger's category shares: revenue at the plan, expenses at 92% of it with a little headroom per category.

The story (docs/demo-data.md): the diesel was budgeted before the pump price rose, at three fifths of what the
generators now burn, so "Utilities and diesel" runs clearly over budget at every hospital (about two thirds over on
average, and at least a sixth over whatever the ledger's draws: its expense ratio and category weights) and
is the first category on Financials' "Budget against actual"; the others sit within a few per cent either side.
Every third hospital gave its budget month by month (phased by the season); the rest gave annual figures, kept
as twelve even parts with the kobo left over in December, as the dashboard keeps them. created_by holds the
hospital administrator's users.id.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from db.base import UserRole
from db.demo.amounts import naira
from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.money import (
    DAILY_REVENUE_NAIRA_AT_SIZE_1,
    EXPENSE_SHARES,
    REVENUE_SHARES,
    STEADY_SHARE,
    WEEKDAY_FACTORS,
    finance_months,
)
from db.demo.network import Network

BUDGET_COLUMNS = (
    "id", "hospital_id", "fiscal_month", "transaction_type", "category", "amount", "entered_as", "created_by",
    "updated_by", "created_at", "updated_at",
)  # fmt: skip
EXPENSE_PLAN = 0.92  # the ledger's expenses run at 78-103% of revenue: the plan expects about the middle
HEADROOM = 1.04  # each expense line is budgeted a little above its share, so only a real overrun shows
OVER_BUDGET_CATEGORY = "utilities_and_diesel"
# The diesel line was planned at three fifths of what it costs now: at three quarters, a hospital whose ledger drew a
# low expense ratio and a light diesel weight came out only a few per cent over (or under), and the story is "every
# hospital is over".
OVER_BUDGET_FACTOR = 0.6
MONTHLY_EVERY = 3  # every third hospital phased its year month by month


def write_budgets(network: Network, writer: CopyWriter) -> None:
    writer.write("hospital_budgets", BUDGET_COLUMNS, _budget_rows(network))
    writer.finish("hospital_budgets")


def demo_year(network: Network) -> int:
    """The year of the ledger's last fiscal month: the year Financials' budget part opens on."""
    return finance_months(network.clock)[-1][0].year


def _planned_revenue_kobo(network: Network, size: float, year: int, month: int, phased: bool) -> float:
    """A month's planned revenue: size, growth to mid-month, days, the average weekday and (phased) the season."""
    start = network.clock.history_start.date()
    middle = date(year, month, 15)
    growth = 1 + 0.15 * (middle - start).days / 365
    days = calendar.monthrange(year, month)[1]
    season = (1.12 if month in (7, 8, 9, 10) else 0.92 if month == 12 else 1.0) if phased else 1.03
    steady = STEADY_SHARE * season * sum(WEEKDAY_FACTORS) / 7
    return DAILY_REVENUE_NAIRA_AT_SIZE_1 * 100 * size * growth * days * (steady + 1 - STEADY_SHARE)


def _budget_rows(network: Network):
    rng = network.rng("hospital_budgets")
    ids = IdMaker("hospital_budgets")
    year = demo_year(network)
    set_on = datetime.combine(date(year, 1, 1) - timedelta(days=20), time(10), tzinfo=LAGOS)
    set_on = min(set_on, network.clock.now)
    number = 0
    for hospital in network.hospitals:
        admin = hospital.staff[UserRole.HOSPITAL_ADMIN].user_id
        phased = hospital.index % MONTHLY_EVERY == 0
        planned = [_planned_revenue_kobo(network, hospital.size, year, m, phased) for m in range(1, 13)]
        for kind, shares, scale in (("revenue", REVENUE_SHARES, 1.0), ("expense", EXPENSE_SHARES, EXPENSE_PLAN)):
            for category, share in shares:
                factor = scale * share * rng.uniform(0.98, 1.02)
                if kind == "expense":
                    factor *= OVER_BUDGET_FACTOR if category == OVER_BUDGET_CATEGORY else HEADROOM
                months = [int(p * factor) for p in planned]
                if not phased:  # an annual figure, in twelve even parts, the kobo left over in December
                    annual = sum(months) // 100 * 100  # planned to the naira
                    part = annual // 12
                    months = [part] * 11 + [annual - 11 * part]
                for month, kobo in enumerate(months, start=1):
                    yield (
                        ids(number), hospital.id, f"{year:04d}-{month:02d}", kind, category, naira(kobo),
                        "monthly" if phased else "annual", admin, admin, set_on, set_on,
                    )  # fmt: skip
                    number += 1
