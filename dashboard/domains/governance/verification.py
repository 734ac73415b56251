"""Verification: hospitals and user documents awaiting a network administrator's decision.

Two queues, oldest first: hospitals whose `verification_status` is pending (with the documents they
listed in `verification_documents`), and `documents` rows (licences, registration papers, patients'
uploads) pending review. A decision sets the status (for a document also `verified_by` and
`verified_at`; a rejected document keeps who decided and when there too), tells the owner in a
`notifications` row (for a hospital, each of its administrators), and is audited as
compliance-relevant with the reason, all in the caller's one transaction. The reason lives in the
notification and the audit row: neither table has a column for it.

No double decision: the UPDATE carries `verification_status = 'pending'` in its WHERE. Two
administrators deciding the same item at once: the second UPDATE waits for the first's row lock,
then finds the row no longer pending, changes nothing, and is refused in a sentence naming who decided.

`verification_documents` (jsonb) holds an array of objects: `type` (what the paper is), `status`
(pending, verified or rejected), and either `document_id` (a `documents` row) or `url`. Anything
else a client wrote there is shown as its JSON text. Only http(s) addresses are ever offered as
links (`safe_link`); javascript:, data: and the like are shown as text.

A scoped network administrator (working scope: one hospital) sees that hospital and the documents
of users whose profile belongs to it; documents of users with no hospital need the network scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Float, Select, case, cast, func, or_, select, update
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import ROLE_NAMES, Actor
from dashboard.platform.dates import LAGOS, day_text, lagos_midnight
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope, require_role
from db.base import UserRole
from db.models import Document, Hospital, Notification, Profile, User

READERS = permissions.readers("verification")
# The Overview shows how many documents wait to every staff role in its scope (a count, no names).
COUNT_READERS = permissions.readers("overview") | READERS
WRITERS = permissions.writers("verification")
AUDIT_CATEGORY = "verification"
DECISIONS = {"approve": "verified", "reject": "rejected"}
MAX_REASON_LENGTH = 500
# Backlog buckets of a wait, in days: [lower, upper); the last has no upper end.
AGE_BUCKETS: tuple[tuple[float, float | None], ...] = ((0, 1), (1, 3), (3, 7), (7, 14), (14, 30), (30, None))
BUCKET_LABELS = ("Under 1 day", "1–3 days", "3–7 days", "1–2 weeks", "2 weeks to a month", "Over a month")
DAYS_IN_MONTH = 365.25 / 12


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def wait_text(days: float | None) -> str:
    """A wait in the unit a reader thinks in: '45 min', '5 h 20 min', '2 days 4 h', '9 days', '3 weeks',
    '4 months', '1 year 2 months' (never '1,321 days'). Whole units, rounded down past two weeks."""
    if days is None:
        return "—"
    days = max(0.0, float(days))
    if days < 1:
        minutes = round(days * 24 * 60)
        hours, rest = divmod(minutes, 60)
        if not hours:
            return f"{rest} min"
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    if days < 3:
        whole, hours = divmod(round(days * 24), 24)
        return _plural(whole, "day") + (f" {hours} h" if hours else "")
    if days < 14:
        return _plural(round(days), "day")
    if days < 2 * DAYS_IN_MONTH:
        return _plural(int(days // 7), "week")
    months = int(days // DAYS_IN_MONTH)
    if months < 12:
        return _plural(months, "month")
    years, months = divmod(months, 12)
    return _plural(years, "year") + (f" {_plural(months, 'month')}" if months else "")
SAFE_SCHEMES = ("http", "https")


def safe_link(address: Any) -> str | None:
    """The address itself when it is an http(s) URL with a host; None for anything else (javascript:, data:...)."""
    if not isinstance(address, str):
        return None
    value = address.strip()
    if not value or any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname:
        return None
    return value


# --- Results -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HospitalDocument:
    label: str  # what the paper is, or the entry's JSON text when it is not in the documented shape
    status: str | None
    link: str | None  # an http(s) address, safe to open
    address: str | None  # the address as stored, shown as text when it is not a safe link


@dataclass(frozen=True)
class PendingHospital:
    id: str
    name: str
    city: str | None
    state: str | None
    email: str | None
    waiting_since: datetime
    waited_days: float
    documents: tuple[HospitalDocument, ...]


@dataclass(frozen=True)
class PendingDocument:
    id: str
    document_name: str
    document_type: str
    address: str  # as stored
    link: str | None  # the address when it is a safe http(s) link
    owner_user_id: str
    owner_name: str
    owner_email: str
    owner_role: str | None  # a role's name, never a code
    hospital_name: str | None
    uploaded_at: datetime
    waited_days: float


@dataclass(frozen=True)
class AwaitingCounts:
    """What waits for a decision, counted by the same queries that list it."""

    hospitals: int
    documents: int
    oldest_hospital_days: float | None  # the wait of the first hospital in its queue
    oldest_document_days: float | None  # the wait of the first document in its queue


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


@dataclass(frozen=True)
class Decision:
    kind: str  # "hospital" or "document"
    name: str  # the hospital's name, or the document's
    status: str  # verified or rejected
    notified: int  # notifications written


# --- Queries -------------------------------------------------------------------------------------------


def _days_since(column) -> Any:
    return cast(func.extract("epoch", func.now() - column), Float) / 86400.0


def _owner_name():
    return func.coalesce(func.nullif(func.concat_ws(" ", Profile.first_name, Profile.last_name), ""), User.email)


def _hospitals_select(actor: Actor, search: str) -> Select:
    stmt = select(
        Hospital.id, Hospital.name, Hospital.city, Hospital.state, Hospital.email, Hospital.created_at,
        _days_since(Hospital.created_at), Hospital.verification_documents,
    ).where(Hospital.verification_status == "pending")  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(Hospital.name.ilike(pattern), Hospital.city.ilike(pattern),
                              Hospital.state.ilike(pattern)))  # fmt: skip
    return limit_to_scope(stmt, actor, Hospital.id).order_by(Hospital.created_at, Hospital.id)


def _documents_select(actor: Actor, search: str) -> Select:
    owner_hospital = Hospital.__table__.alias("owner_hospital")
    stmt = (
        select(
            Document.id, Document.document_name, Document.document_type, Document.document_url, Document.user_id,
            _owner_name(), User.email, Profile.role, owner_hospital.c.name, Document.upload_date,
            _days_since(Document.upload_date),
        )
        .join(User, User.id == Document.user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(owner_hospital, owner_hospital.c.id == Profile.hospital_id)
        .where(Document.verification_status == "pending")
    )  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(Document.document_name.ilike(pattern), Document.document_type.ilike(pattern),
                _owner_name().ilike(pattern), User.email.ilike(pattern), owner_hospital.c.name.ilike(pattern))
        )  # fmt: skip
    return limit_to_scope(stmt, actor, Profile.hospital_id).order_by(Document.upload_date, Document.id)


def _hospital_documents(db: Session, rows) -> dict[str, tuple[HospitalDocument, ...]]:
    """Each hospital's listed documents; entries naming a `documents` row take its name and address (one query)."""
    ids = {
        e["document_id"]
        for r in rows
        if isinstance(r.verification_documents, list)
        for e in r.verification_documents
        if isinstance(e, dict) and isinstance(e.get("document_id"), str) and usable_id(e["document_id"])
    }
    found = {}
    if ids:
        found = {
            d.id: d
            for d in db.execute(
                select(Document.id, Document.document_name, Document.document_url, Document.verification_status).where(
                    Document.id.in_(list(ids))
                )
            )
        }
    listed = {}
    for r in rows:
        value = r.verification_documents
        if value is None or value == []:
            listed[r.id] = ()
            continue
        if not isinstance(value, list):
            listed[r.id] = (HospitalDocument(json.dumps(value, ensure_ascii=False), None, None, None),)
            continue
        entries = []
        for entry in value:
            if not isinstance(entry, dict):
                entries.append(HospitalDocument(json.dumps(entry, ensure_ascii=False), None, None, None))
                continue
            stored = found.get(entry.get("document_id")) if isinstance(entry.get("document_id"), str) else None
            address = entry.get("url") if isinstance(entry.get("url"), str) else None
            address = address or (stored.document_url if stored else None)
            label = entry.get("type") if isinstance(entry.get("type"), str) and entry["type"].strip() else None
            label = label or (stored.document_name if stored else json.dumps(entry, ensure_ascii=False))
            status = entry.get("status") if isinstance(entry.get("status"), str) else None
            if stored is not None:
                status = stored.verification_status
            entries.append(HospitalDocument(label, status, safe_link(address), address))
        listed[r.id] = tuple(entries)
    return listed


def _pending_hospitals(db: Session, rows) -> list[PendingHospital]:
    documents = _hospital_documents(db, rows)
    return [PendingHospital(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6]), documents[r.id]) for r in rows]


def _pending_document(r) -> PendingDocument:
    role = ROLE_NAMES.get(UserRole(r[7])) if r[7] is not None else None
    return PendingDocument(r[0], r[1], r[2], r[3], safe_link(r[3]), r[4], r[5], r[6], role, r[8], r[9], float(r[10]))


def _clean_search(search: Any) -> str:
    return search if isinstance(search, str) else ""


# --- Reads ---------------------------------------------------------------------------------------------


def list_pending_hospitals(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[PendingHospital]:
    """Hospitals awaiting verification, longest waiting first."""
    require_role(db, actor, READERS, "see the verification queue")
    rows, total, page, page_size = fetch_page(db, _hospitals_select(actor, _clean_search(search)), page=page,
                                              page_size=page_size)  # fmt: skip
    return Page(_pending_hospitals(db, rows), total, page, page_size)


def export_pending_hospitals(db: Session, actor: Actor, *, search: str = "") -> tuple[list[PendingHospital], bool]:
    require_role(db, actor, READERS, "export the verification queue")
    rows, truncated = fetch_capped(db, _hospitals_select(actor, _clean_search(search)))
    audit.record_export(db, actor, action_type="verification_hospitals_exported", resource_type="hospital",
                        filters={"search": _clean_search(search).strip() or None}, rows=len(rows))  # fmt: skip
    return _pending_hospitals(db, rows), truncated


def list_pending_documents(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[PendingDocument]:
    """User documents awaiting review, longest waiting first."""
    require_role(db, actor, READERS, "see the verification queue")
    rows, total, page, page_size = fetch_page(db, _documents_select(actor, _clean_search(search)), page=page,
                                              page_size=page_size)  # fmt: skip
    return Page([_pending_document(r) for r in rows], total, page, page_size)


def export_pending_documents(db: Session, actor: Actor, *, search: str = "") -> tuple[list[PendingDocument], bool]:
    require_role(db, actor, READERS, "export the verification queue")
    rows, truncated = fetch_capped(db, _documents_select(actor, _clean_search(search)))
    audit.record_export(db, actor, action_type="verification_documents_exported", resource_type="document",
                        filters={"search": _clean_search(search).strip() or None}, rows=len(rows))  # fmt: skip
    return [_pending_document(r) for r in rows], truncated


def _scoped_documents(actor: Actor, *columns) -> Select:
    stmt = select(*columns).select_from(Document).outerjoin(Profile, Profile.user_id == Document.user_id)
    return limit_to_scope(stmt, actor, Profile.hospital_id)


def _decided_days():
    return cast(func.extract("epoch", Document.verified_at - Document.upload_date), Float) / 86400.0


def _awaiting(db: Session, actor: Actor) -> AwaitingCounts:
    """Counts and oldest waits over the very queries the two queues list (no search), so the cards above a
    queue and the queue itself cannot disagree: the count is its total, the oldest wait its first row's."""
    hospitals = _hospitals_select(actor, "").order_by(None).subquery("hospital_queue")
    documents = _documents_select(actor, "").order_by(None).subquery("document_queue")
    # The waited-days column is the 7th of the hospital queue and the 11th of the document queue.
    hospital_wait, document_wait = list(hospitals.c)[6], list(documents.c)[10]
    row = db.execute(
        select(
            select(func.count()).select_from(hospitals).scalar_subquery(),
            select(func.count()).select_from(documents).scalar_subquery(),
            select(func.max(hospital_wait)).scalar_subquery(),
            select(func.max(document_wait)).scalar_subquery(),
        )
    ).one()
    return AwaitingCounts(row[0], row[1], None if row[2] is None else float(row[2]),
                          None if row[3] is None else float(row[3]))  # fmt: skip


@permissions.reads(COUNT_READERS)
def awaiting_counts(db: Session, actor: Actor) -> AwaitingCounts:
    """Hospitals and documents awaiting a decision in the actor's scope: the Overview's "awaiting verification"
    card and the Verification page's cards read this one count (the page through `queue_summary`)."""
    require_role(db, actor, COUNT_READERS, "see how many documents await verification")
    return _awaiting(db, actor)


@permissions.reads("verification")
def queue_summary(db: Session, actor: Actor) -> QueueSummary:
    """The cards: how many wait in each queue, the longest wait, and how fast documents were decided lately."""
    require_role(db, actor, READERS, "see the verification queue")
    waiting = _awaiting(db, actor)
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


@permissions.reads("verification")
def median_days_to_verify(db: Session, actor: Actor, *, start: date, end: date) -> list[MonthMedian]:
    """Per Lagos month of the decision: the median days from upload to decision of documents decided then."""
    require_role(db, actor, READERS, "see verification times")
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


@permissions.reads("verification")
def backlog_by_age(db: Session, actor: Actor) -> list[BacklogBucket]:
    """What waits now, by how long it has waited; every bucket, empty ones too."""
    require_role(db, actor, READERS, "see the verification backlog")
    hospital_bucket = _bucket(_days_since(Hospital.created_at)).label("bucket")
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
    document_bucket = _bucket(_days_since(Document.upload_date)).label("bucket")
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


# --- Commands ------------------------------------------------------------------------------------------


def _checked_decision(decision: Any, reason: Any) -> tuple[str, str]:
    if decision not in DECISIONS:
        raise InvalidInput("Choose to approve or to reject.")
    text = checked_text(reason, "The reason", MAX_REASON_LENGTH)
    if text is None:
        raise InvalidInput("Give a reason for the decision: the owner reads it in their notification.")
    return DECISIONS[decision], text


def _decided_by(db: Session, user_id: str | None) -> str:
    if not user_id or not usable_id(user_id):
        return "another administrator"
    name = db.scalar(
        select(_owner_name()).select_from(User).outerjoin(Profile, Profile.user_id == User.id).where(User.id == user_id)
    )
    return name or "another administrator"


def _notify(db: Session, user_ids: list[str], kind: str, title: str, message: str) -> int:
    db.add_all([Notification(user_id=u, type=kind, title=title, message=message) for u in user_ids])
    db.flush()
    return len(user_ids)


def decide_hospital(db: Session, actor: Actor, hospital_id: str, *, decision: str, reason: str) -> Decision:
    """Verify or reject a pending hospital; its administrators are told why."""
    require_role(db, actor, WRITERS, "verify hospitals")
    status, reason = _checked_decision(decision, reason)
    name = db.scalar(select(Hospital.name).where(Hospital.id == hospital_id)) if usable_id(hospital_id) else None
    if name is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    changed = db.execute(
        update(Hospital)
        .where(Hospital.id == hospital_id, Hospital.verification_status == "pending")
        .values(verification_status=status)
        .returning(Hospital.id)
        .execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        now_status = db.scalar(select(Hospital.verification_status).where(Hospital.id == hospital_id))
        raise InvalidInput(f"{name} is no longer awaiting verification (it is {now_status} now); nothing was changed.")
    admins = list(
        db.scalars(
            select(Profile.user_id)
            .where(Profile.hospital_id == hospital_id, Profile.role == UserRole.HOSPITAL_ADMIN)
            .order_by(Profile.user_id)
        )
    )
    if status == "verified":
        title, kind = "Hospital verified", "success"
        message = f"{name} is now verified on the network. Note from the reviewer: {reason}"
    else:
        title, kind = "Hospital verification rejected", "warning"
        message = f"{name} was not verified. Reason: {reason} Update its documents and ask for a new review."
    notified = _notify(db, admins, kind, title, message)
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="hospital_verified" if status == "verified" else "hospital_verification_rejected",
        resource_type="hospital",
        resource_id=hospital_id,
        old_values={"verification_status": "pending"},
        new_values={"verification_status": status, "reason": reason, "notified": notified},
        impact_level="high",
        compliance_relevant=True,
        concerns_hospital=hospital_id,
    )
    return Decision("hospital", name, status, notified)


def decide_document(db: Session, actor: Actor, document_id: str, *, decision: str, reason: str) -> Decision:
    """Verify or reject a pending document: status, who and when; its owner is told why."""
    require_role(db, actor, WRITERS, "verify documents")
    status, reason = _checked_decision(decision, reason)
    found = None
    if usable_id(document_id):
        found = db.execute(
            select(Document.document_name, Document.user_id, Profile.hospital_id)
            .select_from(Document)
            .outerjoin(Profile, Profile.user_id == Document.user_id)
            .where(Document.id == document_id)
        ).first()
    if found is None:
        raise NotFound("That document no longer exists.")
    name, owner, owner_hospital = found
    if not actor.network_wide:
        require_in_scope(db, actor, resource_type="document", resource_id=document_id, row_hospital_id=owner_hospital)
    changed = db.execute(
        update(Document)
        .where(Document.id == document_id, Document.verification_status == "pending")
        .values(verification_status=status, verified_by=actor.user_id, verified_at=func.now())
        .returning(Document.verified_at)
        .execution_options(synchronize_session=False)
    ).first()
    if changed is None:
        now_status, by, at = db.execute(
            select(Document.verification_status, Document.verified_by, Document.verified_at).where(
                Document.id == document_id
            )
        ).one()
        when = f" on {day_text(at.astimezone(LAGOS).date())}" if at else ""
        raise InvalidInput(
            f'"{name}" was already {now_status} by {_decided_by(db, by)}{when}; nothing was changed.'
        )
    if status == "verified":
        title, kind = "Document verified", "success"
        message = f"Your document \u201c{name}\u201d is verified. Note from the reviewer: {reason}"
    else:
        title, kind = "Document rejected", "warning"
        message = f"Your document \u201c{name}\u201d was not accepted. Reason: {reason} Upload a new copy to try again."
    notified = _notify(db, [owner], kind, title, message)
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="document_verified" if status == "verified" else "document_rejected",
        resource_type="document",
        resource_id=document_id,
        old_values={"verification_status": "pending", "verified_by": None, "verified_at": None},
        new_values={"verification_status": status, "verified_by": actor.user_id, "verified_at": changed[0],
                    "reason": reason, "owner": owner},
        impact_level="high",
        compliance_relevant=True,
        concerns_hospital=owner_hospital,
    )  # fmt: skip
    return Decision("document", name, status, notified)
