"""Reading the audit trail: scoped, paginated, and itself audited (a sensitive read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Select, Text, any_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from dashboard.services import audit, permissions
from dashboard.services.actors import Actor
from dashboard.services.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.services.scope import limit_to_scope, require_role
from db.models import AuditLog, Hospital, User

AUDIT_READERS = permissions.readers("audit_trail")


@dataclass(frozen=True)
class AuditEntry:
    id: str
    created_at: datetime
    user_id: str
    user_email: str | None
    hospital_id: str | None
    action_category: str
    action_type: str
    resource_type: str | None
    resource_id: str | None
    old_values: Any
    new_values: Any
    impact_level: str
    compliance_relevant: bool
    ip_address: str | None
    resource_label: str | None = None  # a user's email or a hospital's name, where the record is one


# The records a reader knows by name rather than by id: resource_type -> (model, the column to show).
_LABELS = {"user": (User, User.email), "hospital": (Hospital, Hospital.name)}


def _with_labels(db: Session, rows) -> list[AuditEntry]:
    """Entries whose records are named, looked up for these rows only (not joined into the paged query)."""
    labels: dict[tuple[str, str], str] = {}
    for resource_type, (model, column) in _LABELS.items():
        ids = list({r.resource_id for r in rows if r.resource_type == resource_type and r.resource_id})
        if ids:
            # One array parameter, not one per id: an export can name tens of thousands.
            found = db.execute(select(model.id, column).where(model.id == any_(bindparam("ids", ids, ARRAY(Text)))))
            labels.update({(resource_type, rid): label for rid, label in found})
    return [AuditEntry(*r, resource_label=labels.get((r.resource_type, r.resource_id))) for r in rows]


def _entries_query(actor: Actor, category: str | None, search: str, until: datetime | None = None) -> Select:
    """The scoped, filtered audit rows, newest first: one query for the page and the export.

    `until` holds the list still while someone pages through it: reading the trail writes a row,
    and without a fixed end every page turn would push the list down by one.
    """
    stmt = select(
        AuditLog.id,
        AuditLog.created_at,
        AuditLog.user_id,
        User.email,
        AuditLog.hospital_id,
        AuditLog.action_category,
        AuditLog.action_type,
        AuditLog.resource_type,
        AuditLog.resource_id,
        AuditLog.old_values,
        AuditLog.new_values,
        AuditLog.impact_level,
        AuditLog.compliance_relevant,
        AuditLog.ip_address,
    ).outerjoin(User, User.id == AuditLog.user_id)
    if until is not None:
        stmt = stmt.where(AuditLog.created_at <= until)
    if category:
        stmt = stmt.where(AuditLog.action_category == category)
    if search.strip():
        pattern = like_pattern(search.strip())
        # The page shows "Login failed" for login_failed: the words people read must find the row too.
        action_words = func.replace(AuditLog.action_type, "_", " ")
        stmt = stmt.where(
            or_(User.email.ilike(pattern), AuditLog.action_type.ilike(pattern), action_words.ilike(pattern))
        )
    return limit_to_scope(stmt, actor, AuditLog.hospital_id).order_by(AuditLog.created_at.desc(), AuditLog.id)


def list_entries(
    db: Session,
    actor: Actor,
    *,
    category: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 50,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    require_role(db, actor, AUDIT_READERS, "read the audit trail")
    stmt = _entries_query(actor, category, search, until)
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    audit.record_read(
        db,
        actor,
        action_type="audit_trail_viewed",
        resource_type="audit_log",
        values={"category": category, "search": search.strip() or None, "page": page},
    )
    return Page(_with_labels(db, rows), total, page, page_size)


def export_entries(
    db: Session, actor: Actor, *, category: str | None = None, search: str = "", until: datetime | None = None
) -> tuple[list[AuditEntry], bool]:
    """Every matching entry up to paging.EXPORT_LIMIT, for a CSV download; the export is itself audited.

    Returns the entries and whether the limit cut the list short.
    """
    require_role(db, actor, AUDIT_READERS, "export the audit trail")
    rows, truncated = fetch_capped(db, _entries_query(actor, category, search, until))
    filters = {"category": category, "search": search.strip() or None}
    audit.record_export(
        db, actor, action_type="audit_trail_exported", resource_type="audit_log", filters=filters, rows=len(rows)
    )
    return _with_labels(db, rows), truncated


def categories(db: Session, actor: Actor) -> list[str]:
    require_role(db, actor, AUDIT_READERS, "read the audit trail")
    stmt = limit_to_scope(select(AuditLog.action_category).distinct(), actor, AuditLog.hospital_id)
    return sorted(db.scalars(stmt))


def snapshot_time(db: Session, actor: Actor) -> datetime:
    """The database's clock now: the end of the list a reader pages through (see _entries_query)."""
    require_role(db, actor, AUDIT_READERS, "read the audit trail")
    return db.scalar(select(func.clock_timestamp()))
