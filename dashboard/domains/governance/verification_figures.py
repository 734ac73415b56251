"""Verification figures: the cards above the queues, how long decisions took month by month, and the backlog by age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Float, Select, case, cast, func, select
from sqlalchemy.orm import Session

from dashboard.domains.governance.verification import awaiting, days_since
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import limit_to_scope
from db.models import Document, Hospital, Profile

# Backlog buckets of a wait, in days: [lower, upper); the last has no upper end.
AGE_BUCKETS: tuple[tuple[float, float | None], ...] = ((0, 1), (1, 3), (3, 7), (7, 14), (14, 30), (30, None))
BUCKET_LABELS = ("Under 1 day", "1–3 days", "3–7 days", "1–2 weeks", "2 weeks to a month", "Over a month")


@dataclass(frozen=True)
class QueueSummary:
    pending_hospitals: int
    pending_documents: int
    oldest_days: float | None  # the longest wait across both queues: the first row of one of them
    decided_last_30_days: int  # documents decided
    median_days_last_30: float | None
    median_days_previous_30: float | None


@dataclass(frozen=True)
class MonthMedian:
    month: date
    median_days: float
    decided: int


@dataclass(frozen=True)
class BacklogBucket:
    label: str
    lower_days: float
    upper_days: float | None
    hospitals: int
    documents: int


def _scoped_documents(actor: Actor, *columns) -> Select:
    stmt = select(*columns).select_from(Document).outerjoin(Profile, Profile.user_id == Document.user_id)
    return limit_to_scope(stmt, actor, Profile.hospital_id)


def _decided_days():
    return cast(func.extract("epoch", Document.verified_at - Document.upload_date), Float) / 86400.0


@permissions.reads("verification", "see the verification queue")
def queue_summary(db: Session, actor: Actor) -> QueueSummary:
    """The cards: how many wait in each queue, the longest wait, and how fast documents were decided lately."""
    waiting = awaiting(db, actor)
    decided = Document.verification_status.in_(("verified", "rejected")) & Document.verified_at.is_not(None)
    recent = decided & (Document.verified_at >= func.now() - timedelta(days=30))
    before = (
        decided
        & (Document.verified_at >= func.now() - timedelta(days=60))
        & (Document.verified_at < func.now() - timedelta(days=30))
    )
    row = db.execute(
        _scoped_documents(
            actor,
            func.count().filter(recent),
            func.percentile_cont(0.5).within_group(_decided_days()).filter(recent),
            func.percentile_cont(0.5).within_group(_decided_days()).filter(before),
        ).where(decided & (Document.verified_at >= func.now() - timedelta(days=60)))
    ).one()
    waits = [w for w in (waiting.oldest_hospital_days, waiting.oldest_document_days) if w is not None]
    return QueueSummary(
        pending_hospitals=waiting.hospitals,
        pending_documents=waiting.documents,
        oldest_days=max(waits) if waits else None,
        decided_last_30_days=row[0],
        median_days_last_30=None if row[1] is None else float(row[1]),
        median_days_previous_30=None if row[2] is None else float(row[2]),
    )


@permissions.reads("verification", "see verification times")
def median_days_to_verify(db: Session, actor: Actor, *, start: date, end: date) -> list[MonthMedian]:
    """Per Lagos month of the decision: the median days from upload to decision of documents decided then."""
    if not isinstance(start, date) or not isinstance(end, date) or start > end:
        raise InvalidInput("Pick a start date on or before the end date.")
    month = func.date_trunc("month", func.timezone("Africa/Lagos", Document.verified_at)).label("month")
    stmt = (
        _scoped_documents(actor, month, func.percentile_cont(0.5).within_group(_decided_days()), func.count())
        .where(
            Document.verification_status.in_(("verified", "rejected")),
            Document.verified_at >= lagos_midnight(start),
            Document.verified_at < lagos_midnight(end + timedelta(days=1)),
        )
        .group_by(month)
        .order_by(month)
    )
    return [MonthMedian(m.date(), float(median), n) for m, median, n in db.execute(stmt)]


def _bucket(days) -> Any:
    return case(
        *[(days < upper, index) for index, (_, upper) in enumerate(AGE_BUCKETS) if upper is not None],
        else_=len(AGE_BUCKETS) - 1,
    )


def _bucket_label(lower: float, upper: float | None) -> str:
    return BUCKET_LABELS[[b[0] for b in AGE_BUCKETS].index(lower)]


@permissions.reads("verification", "see the verification backlog")
def backlog_by_age(db: Session, actor: Actor) -> list[BacklogBucket]:
    """What waits now, by how long it has waited; every bucket, empty ones too."""
    hospital_bucket = _bucket(days_since(Hospital.created_at)).label("bucket")
    hospitals = dict(
        db.execute(
            limit_to_scope(
                select(hospital_bucket, func.count())
                .where(Hospital.verification_status == "pending")
                .group_by(hospital_bucket),
                actor,
                Hospital.id,
            )
        ).all()
    )
    document_bucket = _bucket(days_since(Document.upload_date)).label("bucket")
    documents = dict(
        db.execute(
            _scoped_documents(actor, document_bucket, func.count())
            .where(Document.verification_status == "pending")
            .group_by(document_bucket)
        ).all()
    )
    return [
        BacklogBucket(_bucket_label(lower, upper), lower, upper, hospitals.get(i, 0), documents.get(i, 0))
        for i, (lower, upper) in enumerate(AGE_BUCKETS)
    ]


