"""How fast emergencies get a hospital: the median minutes from request to an accepted referral, by month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Float, cast, func, or_, select
from sqlalchemy.orm import Session

from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range, lagos_midnight
from db.models import EmergencyRequest
from db.models.emergency import Referral


@dataclass(frozen=True)
class MonthlyAssignment:
    month: date
    median_minutes: float
    assigned: int  # emergencies whose referral was accepted that month


@permissions.reads("emergencies", "see emergency response times")
def median_assignment_by_month(db: Session, actor: Actor, *, start: date, end: date) -> list[MonthlyAssignment]:
    """Median minutes from an emergency's request to the acceptance of its referral, by Lagos month.

    An emergency counts once, at its first accepted referral; the month is the request's. Requests
    from `start` to `end` (Lagos days).
    """
    start, end = checked_range(start, end)
    answered = ("accepted", "dispatched", "arrived", "closed")
    first = (
        select(
            Referral.emergency_request_id.label("emergency_id"),
            func.min(Referral.answered_at).label("assigned_at"),
        )
        .where(Referral.status.in_(answered), Referral.answered_at.is_not(None))
        .group_by(Referral.emergency_request_id)
    )
    if not actor.network_wide:
        first = first.where(
            or_(Referral.to_hospital_id == actor.hospital_id, Referral.from_hospital_id == actor.hospital_id)
        )
    first = first.subquery("first_accepted")
    # At least 0: the demo's generated requests can be dated after the moment their referral was
    # answered (a request stamped later than "now"), and a negative wait would pull the median below
    # zero; a referral cannot be accepted before its request, so such a pair counts as answered at once.
    minutes = func.greatest(
        cast(func.extract("epoch", first.c.assigned_at - EmergencyRequest.created_at), Float) / 60.0, 0.0
    )
    month = func.date_trunc("month", func.timezone("Africa/Lagos", EmergencyRequest.created_at))
    stmt = (
        select(month, func.percentile_cont(0.5).within_group(minutes), func.count())
        .join(first, first.c.emergency_id == EmergencyRequest.id)
        .where(
            EmergencyRequest.created_at >= lagos_midnight(start),
            EmergencyRequest.created_at < lagos_midnight(end + timedelta(days=1)),
        )
        .group_by(month)
        .order_by(month)
    )
    return [MonthlyAssignment(r[0].date(), float(r[1]), int(r[2])) for r in db.execute(stmt)]
