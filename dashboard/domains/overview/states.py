"""The network by state: each state's hospitals and figures, and the hospitals of one state; aggregated in SQL.

One query computes each hospital's share of the four state figures (beds in use and usable, revenue booked this
month, the sum and number of its current compliance scores, the open emergencies it holds); the states' rows are
that query grouped by state, and a state's hospitals are that query filtered by state, so a state's figure is the
sum of its hospitals' by construction (tests/overview/test_states.py holds it, and each against the figure's
network-wide source: bed_figures.bed_totals, month_figures.month_to_date, compliance_scores.summary).

A state is hospitals.state as the package naija-data spells it (the Hospitals form writes it so; migration 0021's
reference table holds the LGAs). Only the actor's scope is ever read: a hospital's user sees one state, theirs.
Revenue is given only to roles that read finances and open emergencies only to those that read emergencies; for
the others those figures are None, never computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import naija_data
from sqlalchemy import Float, Select, case, cast, func, literal, select
from sqlalchemy.orm import Session

from dashboard.domains.emergencies.emergency import OPEN_STATUSES
from dashboard.domains.floor.bed_figures import BED_CATEGORY
from dashboard.domains.floor.resource_list import USABLE
from dashboard.domains.governance.compliance import HCT, current
from dashboard.domains.money.hospital_ledger import Entry, month_key
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import limit_to_scope
from db.models import EmergencyRequest, Hospital, HospitalResource, NigerianLga

# The figures the map can colour states by: key -> the permission area whose readers may see it.
METRICS: dict[str, str] = {
    "state_bed_occupancy": "resources",
    "state_revenue_month_to_date": "financials",
    "state_compliance_score": "compliance",
    "state_open_emergencies": "emergencies",
}


@dataclass(frozen=True)
class StateFigures:
    """One state's row, or one hospital's (then `hospitals` is 1 and `hospital_name` names it)."""

    state: str
    hospitals: int
    verified_hospitals: int
    beds_in_use: int
    beds_usable: int
    revenue: Decimal | None  # None: nothing booked this month, or the role does not read finances
    score_sum: int
    scores: int  # current assessments with a score
    open_emergencies: int | None  # None: the role does not read emergencies
    hospital_id: str | None = None
    hospital_name: str | None = None
    lga: str | None = None

    @property
    def occupancy(self) -> float | None:
        """Percent (0-100) of usable beds in use; None with no usable bed."""
        return 100.0 * self.beds_in_use / self.beds_usable if self.beds_usable else None

    @property
    def compliance_score(self) -> float | None:
        return self.score_sum / self.scores if self.scores else None

    def value(self, metric: str) -> float | None:
        """The figure `metric` (a key of METRICS) as a number, for the map's colour."""
        found = {
            "state_bed_occupancy": self.occupancy,
            "state_revenue_month_to_date": None if self.revenue is None else float(self.revenue),
            "state_compliance_score": self.compliance_score,
            "state_open_emergencies": self.open_emergencies,
        }[metric]
        return None if found is None else float(found)


def state_names() -> list[str]:
    """The 36 states and the FCT, by name, as hospitals.state holds them."""
    return [s.name for s in naija_data.states()]


def lga_names(state: str) -> list[str]:
    """The LGAs of `state` by name (none for a name that is not a state)."""
    found = naija_data.get_state(state) if isinstance(state, str) else None
    return [] if found is None or found.name != state else [lga.name for lga in naija_data.lgas(found)]


def checked_state(state: object) -> str:
    """`state` when it names one of the 36 states or the FCT exactly; refused with a sentence otherwise."""
    if not isinstance(state, str) or state not in state_names():
        raise InvalidInput("That is not one of Nigeria's 36 states or the FCT. Pick a state on the map or in the list.")
    return state


def metrics_for(actor: Actor) -> list[str]:
    """The map's figures this actor's role may see, in the selector's order."""
    return [key for key, area in METRICS.items() if actor.role in permissions.readers(area)]


@permissions.reads("overview", "see the network by state", replica=True)
def state_figures(db: Session, actor: Actor, *, today: date | None = None) -> list[StateFigures]:
    """One row per state with a hospital in scope, by name; hospitals with no state last, as "Not recorded"."""
    per = _per_hospital(db, actor, today).subquery("per_hospital")
    stmt = (
        select(
            per.c.state,
            func.count(),
            func.count().filter(per.c.verified),
            func.sum(per.c.beds_in_use),
            func.sum(per.c.beds_usable),
            func.sum(per.c.revenue),
            func.sum(per.c.score_sum),
            func.sum(per.c.scores),
            func.sum(per.c.open_emergencies),
        )
        .group_by(per.c.state)
        .order_by(per.c.state.nulls_last())
    )
    return [
        StateFigures(r[0] or NOT_RECORDED, r[1], r[2], int(r[3]), int(r[4]), r[5], int(r[6]), int(r[7]), _count(r[8]))
        for r in db.execute(stmt)
    ]


@permissions.reads("overview", "see the network by state", replica=True)
def hospitals_in_state(db: Session, actor: Actor, state: str, *, today: date | None = None) -> list[StateFigures]:
    """Each hospital of `state` in the actor's scope, by name, with its share of the state's figures."""
    state = checked_state(state)
    per = _per_hospital(db, actor, today).where(Hospital.state == state).subquery("per_hospital")
    stmt = select(per).order_by(per.c.name, per.c.id)
    return [
        StateFigures(
            r.state, 1, int(r.verified), int(r.beds_in_use), int(r.beds_usable), r.revenue, int(r.score_sum),
            int(r.scores), _count(r.open_emergencies), hospital_id=r.id, hospital_name=r.name, lga=r.lga,
        )
        for r in db.execute(stmt)
    ]  # fmt: skip


NOT_RECORDED = "Not recorded"


def _count(value) -> int | None:
    return None if value is None else int(value)


def _per_hospital(db: Session, actor: Actor, today: date | None) -> Select:
    """Each hospital in scope with its share of every state figure (active hospitals' beds, as bed_figures)."""
    today = today or datetime.now(LAGOS).date()
    is_bed = HospitalResource.category == BED_CATEGORY
    beds = (
        select(
            HospitalResource.hospital_id.label("hospital_id"),
            func.sum(HospitalResource.in_use_quantity).label("in_use"),
            func.sum(USABLE).label("usable"),
        )
        .where(is_bed)
        .group_by(HospitalResource.hospital_id)
        .subquery("beds")
    )
    # Revenue this month, as month_figures.month_to_date counts a running month: every revenue entry of this fiscal
    # month booked before tomorrow (Lagos).
    tomorrow = datetime.combine(today + timedelta(days=1), time.min, tzinfo=LAGOS)
    revenue = (
        select(Entry.hospital_id.label("hospital_id"), func.sum(Entry.amount).label("amount"))
        .where(Entry.fiscal_month == month_key(today), Entry.transaction_type == "revenue")
        .where(Entry.transaction_date < tomorrow)
        .group_by(Entry.hospital_id)
        .subquery("revenue")
    )
    latest = current(actor, HCT.hospital_id, HCT.score).subquery("latest")
    scores = (
        select(
            latest.c.hospital_id.label("hospital_id"),
            func.coalesce(func.sum(latest.c.score), 0).label("score_sum"),
            func.count(latest.c.score).label("scores"),
        )
        .group_by(latest.c.hospital_id)
        .subquery("scores")
    )
    emergencies = (
        select(EmergencyRequest.hospital_id.label("hospital_id"), func.count().label("open"))
        .where(EmergencyRequest.status.in_(OPEN_STATUSES))
        .group_by(EmergencyRequest.hospital_id)
        .subquery("emergencies")
    )
    sees_money = actor.role in permissions.readers("financials")
    sees_emergencies = actor.role in permissions.readers("emergencies")
    active = Hospital.is_active
    stmt = (
        select(
            Hospital.id.label("id"),
            Hospital.name.label("name"),
            Hospital.state.label("state"),
            Hospital.lga.label("lga"),
            (Hospital.verification_status == "verified").label("verified"),
            # Beds count at active hospitals only (bed_figures' rule), so the sums meet its totals.
            func.coalesce(case((active, beds.c.in_use), else_=0), 0).label("beds_in_use"),
            func.coalesce(case((active, beds.c.usable), else_=0), 0).label("beds_usable"),
            (revenue.c.amount if sees_money else cast(literal(None), revenue.c.amount.type)).label("revenue"),
            func.coalesce(scores.c.score_sum, 0).label("score_sum"),
            func.coalesce(scores.c.scores, 0).label("scores"),
            (func.coalesce(emergencies.c.open, 0) if sees_emergencies else cast(literal(None), Float)).label(
                "open_emergencies"
            ),
        )
        .outerjoin(beds, beds.c.hospital_id == Hospital.id)
        .outerjoin(revenue, revenue.c.hospital_id == Hospital.id)
        .outerjoin(scores, scores.c.hospital_id == Hospital.id)
        .outerjoin(emergencies, emergencies.c.hospital_id == Hospital.id)
    )
    return limit_to_scope(stmt, actor, Hospital.id)


def lga_is_known(db: Session, state: str, lga: str) -> bool:
    """True when `lga` is one of `state`'s in the database's reference (migration 0021, filled from the same
    package as `lga_names`, so the form's list and this check agree)."""
    return db.scalar(select(func.count()).where(NigerianLga.state == state, NigerianLga.name == lga)) > 0
