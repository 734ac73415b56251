"""Compliance scores: the cards' figures, the heat map of current scores, and the trend month by month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import CLOSED_WORDS, DUE_SOON_DAYS, HCT, current, lagos_today
from dashboard.domains.governance.compliance_findings import items_query
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import limit_to_scope
from db.models import Hospital
from db.vocab import COMPLIANCE_STATUSES

HEATMAP_HOSPITALS = 30


@dataclass(frozen=True)
class ScoreCell:
    hospital_id: str
    hospital_name: str
    compliance_type: str
    score: int | None
    status: str
    assessed_at: datetime


@dataclass(frozen=True)
class TrendPoint:
    month: date
    compliance_type: str
    average_score: float
    assessments: int


@dataclass(frozen=True)
class Summary:
    assessments: int  # current assessments in scope (one per hospital and type)
    average_score: float | None
    by_status: dict[str, int]
    overdue: int  # next assessment due before now
    due_soon: int  # due within DUE_SOON_DAYS
    open_violations: int
    open_actions: int
    overdue_items: int  # open violations and actions past their due date


@permissions.reads("compliance", "see compliance assessments", replica=True)
def summary(db: Session, actor: Actor, *, today: date | None = None) -> Summary:
    """The cards: current assessments by status, average score, due dates and open items."""
    today = today or lagos_today()
    latest = current(actor, HCT.status, HCT.score, HCT.next_assessment_due).subquery("current")
    now = func.now()
    # One pass by status; the totals are the sums of its rows (the average from the summed scores).
    rows = db.execute(
        select(
            latest.c.status,
            func.count(),
            func.sum(latest.c.score),
            func.count(latest.c.score),
            func.count().filter(latest.c.next_assessment_due < now),
            func.count().filter(
                latest.c.next_assessment_due >= now,
                latest.c.next_assessment_due < now + timedelta(days=DUE_SOON_DAYS),
            ),
        ).group_by(latest.c.status)
    ).all()
    by_status = {r[0]: r[1] for r in rows}
    score_sum = sum((r[2] or 0 for r in rows), 0)
    scored = sum(r[3] for r in rows)
    row = (
        sum(r[1] for r in rows),
        None if not scored else Decimal(score_sum) / Decimal(scored),
        sum(r[4] for r in rows),
        sum(r[5] for r in rows),
    )
    items = items_query(actor, today)
    open_ = items.c.status.not_in(CLOSED_WORDS)
    counts = db.execute(
        select(
            func.count().filter(open_, items.c.kind == "violation"),
            func.count().filter(open_, items.c.kind == "action"),
            func.count().filter(open_, items.c.overdue),
        )
    ).one()
    return Summary(
        assessments=row[0],
        average_score=None if row[1] is None else float(row[1]),
        by_status={s: by_status.get(s, 0) for s in COMPLIANCE_STATUSES} | {
            s: n for s, n in by_status.items() if s not in COMPLIANCE_STATUSES
        },
        overdue=row[2],
        due_soon=row[3],
        open_violations=counts[0],
        open_actions=counts[1],
        overdue_items=counts[2],
    )


@permissions.reads("compliance", "see compliance scores", replica=True)
def score_grid(db: Session, actor: Actor, *, most_hospitals: int = HEATMAP_HOSPITALS) -> list[ScoreCell]:
    """The current score of each hospital and type; in network scope the `most_hospitals` lowest on average."""
    latest = current(
        actor, HCT.hospital_id, HCT.compliance_type, HCT.score, HCT.status, HCT.last_assessment_date
    ).subquery("current")
    lowest = (
        select(latest.c.hospital_id)
        .group_by(latest.c.hospital_id)
        .order_by(func.avg(latest.c.score).asc().nulls_first(), latest.c.hospital_id)
        .limit(max(1, min(int(most_hospitals), 200)))
        .subquery("lowest")
    )
    rows = db.execute(
        select(latest.c.hospital_id, Hospital.name, latest.c.compliance_type, latest.c.score, latest.c.status,
               latest.c.last_assessment_date)
        .join(Hospital, Hospital.id == latest.c.hospital_id)
        .where(latest.c.hospital_id.in_(select(lowest.c.hospital_id)))
        .order_by(Hospital.name, latest.c.hospital_id, latest.c.compliance_type)
    ).all()  # fmt: skip
    return [ScoreCell(*r) for r in rows]


@permissions.reads("compliance", "see compliance trends", replica=True)
def score_trend(db: Session, actor: Actor, *, start: date, end: date) -> list[TrendPoint]:
    """Average score of each type's assessments by Lagos month, over [start, end]; every assessment counts."""
    if not isinstance(start, date) or not isinstance(end, date) or start > end:
        raise InvalidInput("Pick a start date on or before the end date.")
    month = func.date_trunc("month", func.timezone("Africa/Lagos", HCT.last_assessment_date))
    stmt = (
        select(month.label("month"), HCT.compliance_type, func.avg(HCT.score), func.count())
        .where(HCT.last_assessment_date >= lagos_midnight(start),
               HCT.last_assessment_date < lagos_midnight(end + timedelta(days=1)), HCT.score.is_not(None))
        .group_by("month", HCT.compliance_type)
        .order_by("month", HCT.compliance_type)
    )  # fmt: skip
    rows = db.execute(limit_to_scope(stmt, actor, HCT.hospital_id)).all()
    return [TrendPoint(m.date(), kind, float(avg), n) for m, kind, avg, n in rows]


