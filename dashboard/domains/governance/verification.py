"""Verification: the queues of hospitals and user documents awaiting a network administrator's decision.

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

The decisions are in verification_decisions.py, the figures about the queues in verification_figures.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Float, Select, cast, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.governance import licences
from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import ROLE_NAMES, Actor
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope
from db.base import UserRole
from db.models import Document, Hospital, Profile, User

# The Overview shows how many documents wait to every staff role in its scope (a count, no names).
COUNT_READERS = permissions.readers("overview") | permissions.readers("verification")
DAYS_IN_MONTH = 365.25 / 12
SAFE_SCHEMES = ("http", "https")
_OWNER_NAME = people.name_or(User.email)


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
    # Its licences past their expiry date (licences.py), in words: nobody verifies it without seeing them.
    expired_licences: tuple[str, ...] = ()


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


def days_since(column) -> Any:
    return cast(func.extract("epoch", func.now() - column), Float) / 86400.0


def hospitals_select(actor: Actor, search: str) -> Select:
    stmt = select(
        Hospital.id, Hospital.name, Hospital.city, Hospital.state, Hospital.email, Hospital.created_at,
        days_since(Hospital.created_at), Hospital.verification_documents,
    ).where(Hospital.verification_status == "pending")  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(Hospital.name.ilike(pattern), Hospital.city.ilike(pattern),
                              Hospital.state.ilike(pattern)))  # fmt: skip
    return limit_to_scope(stmt, actor, Hospital.id).order_by(Hospital.created_at, Hospital.id)


def documents_select(actor: Actor, search: str) -> Select:
    owner_hospital = Hospital.__table__.alias("owner_hospital")
    stmt = (
        select(
            Document.id, Document.document_name, Document.document_type, Document.document_url, Document.user_id,
            _OWNER_NAME, User.email, Profile.role, owner_hospital.c.name, Document.upload_date,
            days_since(Document.upload_date),
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
                _OWNER_NAME.ilike(pattern), User.email.ilike(pattern), owner_hospital.c.name.ilike(pattern))
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
    expired = licences.expired_by_hospital(db, [r.id for r in rows])
    return [PendingHospital(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6]), documents[r.id],
                            tuple(expired.get(r.id, ()))) for r in rows]  # fmt: skip


def _pending_document(r) -> PendingDocument:
    role = ROLE_NAMES.get(UserRole(r[7])) if r[7] is not None else None
    return PendingDocument(r[0], r[1], r[2], r[3], safe_link(r[3]), r[4], r[5], r[6], role, r[8], r[9], float(r[10]))


def _clean_search(search: Any) -> str:
    return search if isinstance(search, str) else ""


@permissions.reads("verification", "see the verification queue")
def list_pending_hospitals(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[PendingHospital]:
    """Hospitals awaiting verification, longest waiting first."""
    rows, total, page, page_size = fetch_page(db, hospitals_select(actor, _clean_search(search)), page=page,
                                              page_size=page_size)  # fmt: skip
    return Page(_pending_hospitals(db, rows), total, page, page_size)


@permissions.reads("verification", "export the verification queue")
def export_pending_hospitals(db: Session, actor: Actor, *, search: str = "") -> tuple[list[PendingHospital], bool]:
    rows, truncated = fetch_capped(db, hospitals_select(actor, _clean_search(search)))
    audit.record_export(db, actor, action_type="verification_hospitals_exported", resource_type="hospital",
                        filters={"search": _clean_search(search).strip() or None}, rows=len(rows))  # fmt: skip
    return _pending_hospitals(db, rows), truncated


@permissions.reads("verification", "see the verification queue")
def list_pending_documents(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[PendingDocument]:
    """User documents awaiting review, longest waiting first."""
    rows, total, page, page_size = fetch_page(db, documents_select(actor, _clean_search(search)), page=page,
                                              page_size=page_size)  # fmt: skip
    return Page([_pending_document(r) for r in rows], total, page, page_size)


@permissions.reads("verification", "export the verification queue")
def export_pending_documents(db: Session, actor: Actor, *, search: str = "") -> tuple[list[PendingDocument], bool]:
    rows, truncated = fetch_capped(db, documents_select(actor, _clean_search(search)))
    audit.record_export(db, actor, action_type="verification_documents_exported", resource_type="document",
                        filters={"search": _clean_search(search).strip() or None}, rows=len(rows))  # fmt: skip
    return [_pending_document(r) for r in rows], truncated


def awaiting(db: Session, actor: Actor) -> AwaitingCounts:
    """Counts and oldest waits over the very queries the two queues list (no search), so the cards above a
    queue and the queue itself cannot disagree: the count is its total, the oldest wait its first row's."""
    hospitals = hospitals_select(actor, "").order_by(None).subquery("hospital_queue")
    documents = documents_select(actor, "").order_by(None).subquery("document_queue")
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


@permissions.reads(COUNT_READERS, "see how many documents await verification")
def awaiting_counts(db: Session, actor: Actor) -> AwaitingCounts:
    """Hospitals and documents awaiting a decision in the actor's scope: the Overview's "awaiting verification"
    card and the Verification page's cards read this one count (the page through `queue_summary`)."""
    return awaiting(db, actor)


