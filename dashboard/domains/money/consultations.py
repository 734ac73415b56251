"""Consultation revenue checked three ways, by month: the ledger's own consultations and telemedicine
categories, the paid video sessions (consultation_sessions.consultation_rate, by the Lagos month of their
appointment) and the completed appointments, in scope through the appointment's hospital.

The sessions and appointments come from a summary by hospital and Lagos month (migration 0011's
consultation_activity_monthly, read through its row-level view), so they are as of its last refresh
(summary_status). Who keeps it fresh: `healthdash db reconcile` on its schedule refreshes every money
summary; a page render never writes, so when the summary is older than STALE_AFTER_SECONDS the status
says so (`stale`) and the reader may refresh it with a button (refresh_summaries, a command).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.money.hospital_ledger import (
    SEE,
    ZERO,
    Entry,
    fiscal_months,
    month_label,
    months_between,
    scoped,
)
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.scope import require_role

STALE_AFTER_SECONDS = 3600  # older figures are offered a refresh on the page


@dataclass(frozen=True)
class ConsultationCheck:
    """A month's consultation revenue as the ledger books it, beside what the sessions and appointments show."""

    month: str
    ledger_consultations: Decimal  # the ledger's "consultations" category (mostly in person)
    ledger_telemedicine: Decimal  # the ledger's "telemedicine" category
    video_sessions_paid: int
    video_revenue: Decimal  # the paid sessions' consultation rates
    appointments_completed: int
    virtual_completed: int

    @property
    def label(self) -> str:
        return month_label(self.month)


@permissions.reads("financials", SEE, replica=True)
def consultation_check(db: Session, actor: Actor, *, start: date, end: date) -> list[ConsultationCheck]:
    """By month: the ledger's consultation revenue, the paid video sessions and the completed appointments."""
    first, last = fiscal_months(start, end)
    ledger = scoped(
        select(
            Entry.fiscal_month,
            func.coalesce(func.sum(Entry.amount).filter(Entry.category == "consultations"), ZERO),
            func.coalesce(func.sum(Entry.amount).filter(Entry.category == "telemedicine"), ZERO),
        )
        .where(
            Entry.fiscal_month.between(first, last),
            Entry.transaction_type == "revenue",
            Entry.category.in_(("consultations", "telemedicine")),
        )
        .group_by(Entry.fiscal_month),
        actor,
    )
    booked = {m: (consultations, telemedicine) for m, consultations, telemedicine in db.execute(ledger)}
    # The summary by hospital and Lagos month (migration 0011), through its view that keeps row-level security's rule.
    visits = text(
        """
        SELECT month, sum(video_sessions_paid)::bigint, coalesce(sum(video_revenue), 0),
               sum(appointments_completed)::bigint, sum(virtual_completed)::bigint
          FROM consultation_activity_by_month
         WHERE month BETWEEN :first AND :last AND (CAST(:hospital AS text) IS NULL OR hospital_id = :hospital)
         GROUP BY month
        """
    )
    params = {"first": first, "last": last, "hospital": None if actor.network_wide else actor.hospital_id}
    seen = {
        m: (int(sessions), revenue, int(done), int(virtual))
        for m, sessions, revenue, done, virtual in db.execute(visits, params)
    }
    months = months_between(date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01"))
    return [
        ConsultationCheck(m, *booked.get(m, (ZERO, ZERO)), *seen.get(m, (0, ZERO, 0, 0)))  # type: ignore[arg-type]
        for m in months
    ]


@dataclass(frozen=True)
class SummaryStatus:
    figures_as_of: datetime | None  # the consultation summary's last refresh (None: never)

    @property
    def stale(self) -> bool:
        """Never refreshed, or longer ago than STALE_AFTER_SECONDS: worth a refresh before reading on."""
        if self.figures_as_of is None:
            return True
        return (datetime.now(UTC) - self.figures_as_of).total_seconds() > STALE_AFTER_SECONDS


@permissions.reads("financials", SEE, replica=True)
def summary_status(db: Session, actor: Actor) -> SummaryStatus:
    """When the consultation summary was last refreshed (its rows all carry the refresh's time)."""
    return SummaryStatus(db.scalar(text("SELECT max(refreshed_at) FROM consultation_activity_by_month")))


def refresh_summaries(db: Session, actor: Actor) -> datetime:
    """Refresh the materialized summaries (concurrently: readers are not blocked); returns the time."""
    require_role(db, actor, permissions.readers("financials"), "refresh the hospital finances")
    return db.scalar(text("SELECT healthdash_refresh_money_summaries()"))
