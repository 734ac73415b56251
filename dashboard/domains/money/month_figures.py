"""A month's revenue, expenses and net against the month before and the same month a year before.

"This month" is the month of the range's end (month_figures; month_to_date for today's month, the one
source of the Overview's and the Financials' "Revenue this month"). A completed month is compared with
the whole month before and the same month a year earlier; a month still running with the same days of
both (1-7 Dec against 1-7 Nov and 1-7 Dec a year ago), never with whole months. A month with no ledger
rows has no figure (None), not zero: a hospital that has not reported is not a hospital that earned nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Date, case, cast, func, literal_column, select
from sqlalchemy.orm import Session

from dashboard.domains.money.hospital_ledger import SEE, Entry, month_key, month_label, scoped, shift_month
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput
from dashboard.platform.formatting import LAGOS


def _percent(now: Decimal | None, before: Decimal | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return float((now - before) / abs(before))


@dataclass(frozen=True)
class Comparison:
    """One figure this month, last month and the same month last year; None where nothing was booked."""

    now: Decimal | None
    last_month: Decimal | None
    last_year: Decimal | None

    @property
    def change_vs_last_month(self) -> Decimal | None:
        return None if self.now is None or self.last_month is None else self.now - self.last_month

    @property
    def change_vs_last_year(self) -> Decimal | None:
        return None if self.now is None or self.last_year is None else self.now - self.last_year

    @property
    def percent_vs_last_month(self) -> float | None:
        return _percent(self.now, self.last_month)

    @property
    def percent_vs_last_year(self) -> float | None:
        return _percent(self.now, self.last_year)


@dataclass(frozen=True)
class Days:
    """Days 1..last of a fiscal month; `whole` when they are the whole month."""

    month: str  # "YYYY-MM"
    last: int
    whole: bool

    @property
    def label(self) -> str:
        """'Nov 2025' for a whole month, '1–7 Nov 2025' for some of its days."""
        return month_label(self.month) if self.whole else f"{self._days} {month_label(self.month)}"

    @property
    def short_label(self) -> str:
        """'Nov 2025' for a whole month, '1–7 Nov' for some of its days (the year said elsewhere)."""
        return month_label(self.month) if self.whole else f"{self._days} {month_label(self.month)[:3]}"

    @property
    def _days(self) -> str:
        return "1" if self.last == 1 else f"1–{self.last}"


@dataclass(frozen=True)
class MonthToDate:
    """A month's revenue, expenses and net against the same days of the month before and of a year before.

    For a completed month the days are the whole months; for the month still running they are the
    days booked so far (`this.last`), the same days in the other two months.
    """

    this: Days
    last_month: Days
    last_year: Days
    running: bool  # the month has not ended: its figures are the days booked so far
    booked_to: date | None  # a running month's latest booking day (None: nothing booked for it yet)
    revenue: Comparison
    expenses: Comparison
    net: Comparison
    pro_rated: bool = False  # a comparison figure holds a share of entries that cover more days than the cut

    @property
    def month(self) -> str:
        return self.this.month

    @property
    def vs_last_month(self) -> str:
        """'1–7 Dec vs 1–7 Nov' or 'Nov 2025 vs Oct 2025'."""
        return f"{self.this.short_label} vs {self.last_month.short_label}"

    @property
    def vs_last_year(self) -> str:
        """'1–7 Dec 2025 vs 1–7 Dec 2024' or 'Nov 2025 vs Nov 2024'."""
        return f"{self.this.label} vs {self.last_year.label}"


def _days_in(key: str) -> int:
    return calendar.monthrange(int(key[:4]), int(key[5:7]))[1]


def _same_day_sums(
    db: Session, actor: Actor, cuts: dict[str, int], *, booked_before: datetime
) -> dict[str, tuple[Decimal, Decimal, bool]]:
    """Revenue and expenses of each month's days 1..cut: {month: (revenue, expenses, pro_rated)}.

    The ledger books by fiscal month, often in one entry per category at the month's close, so "the
    first 7 days of November" cannot be read off the rows. Each entry is taken to cover the days
    since its hospital's previous booking day in that month (from the 1st for the first one) up to
    its own booking day (Lagos date, kept inside its fiscal month), and counts for the days 1..cut in
    proportion: a daily entry counts whole or not at all, a month's close booked on the 30th counts
    7/30 for days 1-7. `pro_rated` says some entry was cut that way. A whole month (cut = its last day)
    is exactly its entries' sum, so it equals the monthly chart. A month with no entries is absent.
    An entry booked at or after `booked_before` (tomorrow) has not happened yet and counts for nothing.
    """
    first = func.to_date(Entry.fiscal_month, "YYYY-MM")
    last = cast(first + literal_column("interval '1 month'"), Date) - literal_column("1")
    day = func.least(func.greatest(cast(func.timezone("Africa/Lagos", Entry.transaction_date), Date), first), last)
    booked = scoped(
        select(
            Entry.hospital_id.label("hospital_id"),
            Entry.fiscal_month.label("month"),
            Entry.transaction_type.label("kind"),
            day.label("day"),
            first.label("first"),
            func.sum(Entry.amount).label("amount"),
        )
        .where(Entry.fiscal_month.in_(list(cuts)), Entry.transaction_date < booked_before)
        .group_by(Entry.hospital_id, Entry.fiscal_month, Entry.transaction_type, day),
        actor,
    ).subquery("booked")
    days = select(booked.c.hospital_id, booked.c.month, booked.c.day, booked.c.first).distinct().subquery("days")
    before = func.lag(days.c.day).over(partition_by=(days.c.hospital_id, days.c.month), order_by=days.c.day)
    spans = select(
        days.c.hospital_id, days.c.month, days.c.day, func.coalesce(before + 1, days.c.first).label("since")
    ).subquery("spans")
    cut = case(cuts, value=booked.c.month) - 1 + booked.c.first  # the last day counted (a date)
    overlap = func.greatest(0, func.least(booked.c.day, cut) - spans.c.since + 1)
    covered = booked.c.day - spans.c.since + 1
    share = booked.c.amount * overlap / covered

    def total(kind: str):
        return func.round(func.coalesce(func.sum(share).filter(booked.c.kind == kind), 0), 2)

    stmt = (
        select(booked.c.month, total("revenue"), total("expense"), func.bool_or((overlap > 0) & (overlap < covered)))
        .join(
            spans,
            (spans.c.hospital_id == booked.c.hospital_id)
            & (spans.c.month == booked.c.month)
            & (spans.c.day == booked.c.day),
        )
        .group_by(booked.c.month)
    )
    return {m: (Decimal(r), Decimal(e), bool(cut_)) for m, r, e, cut_ in db.execute(stmt)}


@permissions.reads("financials", SEE, replica=True)
def month_figures(db: Session, actor: Actor, *, month: date, today: date | None = None) -> MonthToDate:
    """Revenue, expenses and net of the month of `month` against the month before and a year before.

    A completed month is compared with whole months. A month still running (today's) holds every entry
    booked for it so far, up to its latest booking day (clamped to today; today's own day when
    nothing is booked yet), and is compared with the same days of the month before and of the same
    month last year, never with whole months (see _same_day_sums for how those days are cut).
    """
    if not isinstance(month, date):
        raise InvalidInput("Pick the month to compare.")
    today = today or datetime.now(LAGOS).date()
    now = month_key(month)
    before, year_ago = shift_month(now, -1), shift_month(now, -12)
    running = now >= month_key(today)
    booked_to = None
    if running:
        latest = db.scalar(
            scoped(
                select(func.max(cast(func.timezone("Africa/Lagos", Entry.transaction_date), Date))).where(
                    Entry.fiscal_month == now
                ),
                actor,
            )
        )
        if latest is not None:
            booked_to = max(date.fromisoformat(now + "-01"), min(latest, today))
        cut = booked_to.day if booked_to is not None and month_key(booked_to) == now else min(today.day, _days_in(now))
    else:
        cut = _days_in(now)
    this = Days(now, min(cut, _days_in(now)), whole=not running)
    # A running month's same days; a completed month's whole months (October's 31 days against November's 30).
    other = {k: Days(k, min(cut, _days_in(k)) if running else _days_in(k), not running) for k in (before, year_ago)}
    # A running month holds its days so far: an entry dated after today has not happened yet.
    found = _same_day_sums(
        db,
        actor,
        {now: this.last, before: other[before].last, year_ago: other[year_ago].last},
        booked_before=datetime.combine(today + timedelta(days=1), time.min, tzinfo=LAGOS),
    )

    def figure(key: str, part: int) -> Decimal | None:
        if key not in found:
            return None
        revenue, expenses, _ = found[key]
        return (revenue, expenses, revenue - expenses)[part]

    def comparison(part: int) -> Comparison:
        return Comparison(figure(now, part), figure(before, part), figure(year_ago, part))

    return MonthToDate(
        this, other[before], other[year_ago], running, booked_to,
        comparison(0), comparison(1), comparison(2),
        pro_rated=any(found.get(k, (0, 0, False))[2] for k in (before, year_ago)),
    )  # fmt: skip


def same_days_note(figures: MonthToDate) -> str:
    """How the same days of a month booked in one entry at its close are counted, in a sentence."""
    days, whole = figures.last_month.last, _days_in(figures.last_month.month)
    month = month_label(figures.last_month.month)
    return (
        "An entry counts for the days since its hospital's previous booking that month, so an entry covering "
        f"more days than those compared counts by its share: one booked at the close of {month} covers its "
        f"{whole} days, and {figures.last_month.short_label} holds {days}/{whole} of it."
    )


def year_before_note(figures: MonthToDate) -> str | None:
    """The sentence that stands for the comparison with a year before when nothing is booked for it, else None.

    The page and the board PDF both print it in place of rows that would each say "no figures".
    """
    if any(figure.last_year is not None for figure in (figures.revenue, figures.expenses, figures.net)):
        return None
    return f"Nothing is booked for {figures.last_year.label}, so there is no comparison with a year before."


def month_before_note(figures: MonthToDate) -> str | None:
    """The sentence that stands for the comparison with the month before when nothing is booked for it, else None."""
    if any(figure.last_month is not None for figure in (figures.revenue, figures.expenses, figures.net)):
        return None
    return f"Nothing is booked for {figures.last_month.label}, so there is no comparison with the month before."


@permissions.reads("financials", SEE, replica=True)
def month_to_date(db: Session, actor: Actor, *, today: date | None = None) -> MonthToDate:
    """This month so far (Lagos) against the same days of last month and of this month last year.

    The one source of "Revenue/Expenses/Net this month": the Overview card, the Financials cards and
    the board report all read it, so they agree to the kobo.
    """
    today = today or datetime.now(LAGOS).date()
    return month_figures(db, actor, month=today, today=today)
