"""Reading the audit trail: scoped, limited to a date range, paginated, and itself audited (a sensitive read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ARRAY, Select, Text, any_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range, lagos_midnight
from dashboard.platform.formatting import humanise, lagos_datetime
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope
from db.models import (
    AuditLog,
    Hospital,
    HospitalComplianceTracking,
    HospitalPatient,
    HospitalResource,
    PatientWaitlist,
    Profile,
    User,
)

# A "view" row records that someone opened a list (audit.record_read names them "…_viewed"). They are
# most of the trail and rarely what a reader looks for, so the trail leaves them out unless asked.
VIEW_SUFFIX = "_viewed"
ANONYMOUS = audit.ANONYMOUS_USER


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
    resource_label: str | None = None  # the record by name (an email, a hospital, a resource, a patient)
    resource_hidden: bool = False  # a named kind of record the reader may not see (or that is gone)

    @property
    def who(self) -> str:
        if self.user_email:
            return self.user_email
        return "Not signed in" if self.user_id == ANONYMOUS else "Network staff (outside your scope)"

    @property
    def record(self) -> str:
        """The record by name ('Hospital resource Ventilators'), never by raw id."""
        kind = humanise(self.resource_type) if self.resource_type else ""
        if self.resource_label:
            return f"{kind} {self.resource_label}"
        if self.resource_hidden:
            return f"{kind} outside your scope"
        values = self.new_values if isinstance(self.new_values, dict) else {}
        named = values.get("report") or values.get("name")
        return f"{kind}: {humanise(str(named))}" if named else "—"

    @property
    def changed_fields(self) -> list[tuple[str, str, str]]:
        """(field, before, after) of each field that changed; unchanged fields and raw ids (never shown) left out."""
        old = self.old_values if isinstance(self.old_values, dict) else {}
        new = self.new_values if isinstance(self.new_values, dict) else {}
        return [
            (humanise(key), "" if key not in old else _value(old[key]), _value(after))
            for key, after in new.items()
            if not (key == "id" or key.endswith("_id")) and (key not in old or old[key] != after)
        ]

    @property
    def changes(self) -> str:
        """'Available quantity: 12 → 9'; unchanged fields and raw ids (never shown) are left out."""
        return "; ".join(f"{name}: {before} → {after}" if before else f"{name}: {after}"
                         for name, before, after in self.changed_fields)  # fmt: skip


def _value(value: object) -> str:
    """A recorded value as a reader reads it: moments in Lagos time, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return lagos_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _label_queries(actor: Actor) -> dict[str, Select]:
    """resource_type -> a query of (id, label), limited to what the reader may see.

    A record outside the reader's scope gets no label, so the trail never names another hospital,
    its staff or its patients to a hospital-scoped reader (the page says "outside your scope").
    """
    queries = {
        "user": (select(User.id, User.email).join(Profile, Profile.user_id == User.id), Profile.hospital_id),
        "hospital": (select(Hospital.id, Hospital.name), Hospital.id),
        "hospital_resource": (select(HospitalResource.id, HospitalResource.name), HospitalResource.hospital_id),
        "hospital_patient": (
            select(HospitalPatient.id, people.full_name()).join(Profile, Profile.user_id == HospitalPatient.patient_id),
            HospitalPatient.hospital_id,
        ),
        "patient_waitlist": (
            select(PatientWaitlist.id, func.concat(people.full_name(), " (", PatientWaitlist.department, ")")).join(
                Profile, Profile.user_id == PatientWaitlist.patient_id
            ),
            PatientWaitlist.hospital_id,
        ),
        "hospital_compliance_tracking": (
            select(HospitalComplianceTracking.id, func.replace(HospitalComplianceTracking.compliance_type, "_", " ")),
            HospitalComplianceTracking.hospital_id,
        ),
    }
    return {kind: limit_to_scope(stmt, actor, column) for kind, (stmt, column) in queries.items()}


def _with_labels(db: Session, actor: Actor, rows) -> list[AuditEntry]:
    """Entries whose records are named, looked up for these rows only (not joined into the paged query)."""
    labels: dict[tuple[str, str], str] = {}
    for resource_type, stmt in _label_queries(actor).items():
        ids = list({r.resource_id for r in rows if r.resource_type == resource_type and r.resource_id})
        if ids:
            # One array parameter, not one per id: an export can name tens of thousands.
            model_id = stmt.selected_columns[0]
            found = db.execute(stmt.where(model_id == any_(bindparam("ids", ids, ARRAY(Text)))))
            labels.update({(resource_type, rid): label for rid, label in found})
    return [
        AuditEntry(
            *r,
            resource_label=labels.get((r.resource_type, r.resource_id)),
            resource_hidden=bool(r.resource_id)
            and r.resource_type in _LABELLED
            and (r.resource_type, r.resource_id) not in labels,
        )
        for r in rows
    ]


_LABELLED = frozenset(
    {"user", "hospital", "hospital_resource", "hospital_patient", "patient_waitlist", "hospital_compliance_tracking"}
)


@dataclass(frozen=True)
class Question:
    """What a reader asks of the trail; the page and the export ask the same."""

    category: str | None
    search: str
    until: datetime | None
    include_views: bool
    start: date | None  # Lagos days, inclusive; None: from the first entry
    end: date | None

    @classmethod
    def of(cls, category, search, until, include_views, start, end) -> Question:
        if start is not None or end is not None:
            start, end = checked_range(start, end)
        return cls(category, search if isinstance(search, str) else "", until, include_views is True, start, end)

    @property
    def recorded(self) -> dict[str, Any]:
        """The question as the audit row of the read records it."""
        return {"category": self.category, "search": self.search.strip() or None, "include_views": self.include_views,
                "start": self.start, "end": self.end}  # fmt: skip


def _entries_query(actor: Actor, asked: Question) -> Select:
    """The scoped, filtered audit rows, newest first: one query for the page and the export.

    `until` holds the list still while someone pages through it: reading the trail writes a row,
    and without a fixed end every page turn would push the list down by one. The date range
    bounds the rows by Lagos day, so a partition outside it is not read.
    """
    category, search = asked.category, asked.search
    # A hospital-scoped reader sees the emails of their own hospital's accounts only: network staff
    # who worked in the hospital appear without their address.
    email = (
        User.email
        if actor.network_wide
        else case((Profile.hospital_id == actor.hospital_id, User.email), else_=None)
    )
    stmt = select(
        AuditLog.id,
        AuditLog.created_at,
        AuditLog.user_id,
        email,
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
    if not actor.network_wide:
        stmt = stmt.outerjoin(Profile, Profile.user_id == User.id)
    if asked.until is not None:
        stmt = stmt.where(AuditLog.created_at <= asked.until)
    if asked.start is not None and asked.end is not None:
        stmt = stmt.where(AuditLog.created_at >= lagos_midnight(asked.start),
                          AuditLog.created_at < lagos_midnight(asked.end + timedelta(days=1)))  # fmt: skip
    if category:
        stmt = stmt.where(AuditLog.action_category == category)
    if not asked.include_views:
        stmt = stmt.where(AuditLog.action_type.not_like("%" + VIEW_SUFFIX.replace("_", "\\_"), escape="\\"))
    if search.strip():
        pattern = like_pattern(search.strip())
        # The page shows "Login failed" for login_failed: the words people read must find the row too.
        action_words = func.replace(AuditLog.action_type, "_", " ")
        stmt = stmt.where(
            or_(email.ilike(pattern), AuditLog.action_type.ilike(pattern), action_words.ilike(pattern))
        )
    return limit_to_scope(stmt, actor, AuditLog.hospital_id).order_by(AuditLog.created_at.desc(), AuditLog.id)


@permissions.reads("audit_trail", "read the audit trail")
def list_entries(
    db: Session,
    actor: Actor,
    *,
    category: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 50,
    until: datetime | None = None,
    include_views: bool = False,
    start: date | None = None,
    end: date | None = None,
) -> Page[AuditEntry]:
    """One page of the trail, between `start` and `end` (Lagos days) when given; rows that only record someone
    viewing a list are left out unless `include_views`."""
    asked = Question.of(category, search, until, include_views, start, end)
    rows, total, page, page_size = fetch_page(db, _entries_query(actor, asked), page=page, page_size=page_size)
    audit.record_read(db, actor, action_type="audit_trail_viewed", resource_type="audit_log",
                      values={**asked.recorded, "page": page})  # fmt: skip
    return Page(_with_labels(db, actor, rows), total, page, page_size)


@permissions.reads("audit_trail", "export the audit trail")
def export_entries(
    db: Session,
    actor: Actor,
    *,
    category: str | None = None,
    search: str = "",
    until: datetime | None = None,
    include_views: bool = False,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[AuditEntry], bool]:
    """Every matching entry up to paging.EXPORT_LIMIT, for a CSV download; the export is itself audited.

    The same filter as the page, views included only when asked. Returns the entries and whether the
    limit cut the list short.
    """
    asked = Question.of(category, search, until, include_views, start, end)
    rows, truncated = fetch_capped(db, _entries_query(actor, asked))
    audit.record_export(db, actor, action_type="audit_trail_exported", resource_type="audit_log",
                        filters=asked.recorded, rows=len(rows))  # fmt: skip
    return _with_labels(db, actor, rows), truncated


@permissions.reads("audit_trail", "read the audit trail")
def categories(db: Session, actor: Actor) -> list[str]:
    stmt = limit_to_scope(select(AuditLog.action_category).distinct(), actor, AuditLog.hospital_id)
    return sorted(db.scalars(stmt))


@permissions.reads("audit_trail", "read the audit trail")
def snapshot_time(db: Session, actor: Actor) -> datetime:
    """The database's clock now: the end of the list a reader pages through (see _entries_query)."""
    return db.scalar(select(func.clock_timestamp()))
