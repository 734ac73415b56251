"""Compliance findings: the open violations and corrective actions of the current assessments, overdue first.

Each finding is one element of an assessment's `violations` or `corrective_actions` (compliance.py
documents their shape), expanded in SQL so the list pages and searches in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from dashboard.domains.governance.compliance import (
    CLOSED_WORDS,
    HCT,
    KINDS,
    RESOURCE_TYPE,
    clean_search,
    current,
    lagos_today,
)
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from db.models import Hospital

_ISO_DAY = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


@dataclass(frozen=True)
class OpenItem:
    assessment_id: str
    hospital_id: str
    hospital_name: str
    compliance_type: str
    kind: str  # "violation" or "action"
    position: int  # 0-based place in its list
    description: str
    severity: str | None
    owner: str | None
    due_date: date | None
    status: str
    age_days: float  # since the assessment that recorded it
    overdue: bool
    well_formed: bool  # False: the element is not an object; shown as its JSON text


def _as_array(value):
    return case((func.jsonb_typeof(value) == "array", value), else_=literal([], JSONB))


def items_query(actor: Actor, today: date):
    """Every violation and corrective action of the current assessments, one row each, with its state."""
    latest = current(
        actor, HCT.id, HCT.hospital_id, HCT.compliance_type, HCT.last_assessment_date, HCT.violations,
        HCT.corrective_actions,
    ).cte("current")  # fmt: skip
    # A CTE, not a subquery: both branches below (violations, actions) read it, and it is computed once.
    parts = []
    for kind, (attribute, _) in KINDS.items():
        element = (
            func.jsonb_array_elements(_as_array(latest.c[attribute]))
            .table_valued(column("value", JSONB), with_ordinality="position")
            .render_derived(name=f"{kind}_item")
            .lateral()
        )
        value = element.c.value
        is_object = func.jsonb_typeof(value) == "object"
        as_text = cast(value, Text)
        description = case(
            (is_object, func.coalesce(func.nullif(func.btrim(value["description"].astext), ""),
                                      func.nullif(func.btrim(value["action"].astext), ""), as_text)),
            else_=as_text,
        )  # fmt: skip
        status = case(
            (is_object, func.lower(func.coalesce(value["status"].astext, value["state"].astext, "open"))),
            else_="unknown",
        )
        due_text = case((is_object, value["due_date"].astext))
        due = case(
            (
                due_text.op("~")(_ISO_DAY),
                func.make_date(cast(func.substr(due_text, 1, 4), Integer), cast(func.substr(due_text, 6, 2), Integer),
                               1, type_=Date) + (cast(func.substr(due_text, 9, 2), Integer) - 1),
            ),
        )  # fmt: skip
        parts.append(
            select(
                latest.c.id.label("assessment_id"),
                latest.c.hospital_id,
                Hospital.name.label("hospital_name"),
                latest.c.compliance_type,
                literal(kind, String).label("kind"),
                (cast(element.c.position, Integer) - 1).label("position"),
                description.label("description"),
                case((is_object, value["severity"].astext)).label("severity"),
                case((is_object, value["owner"].astext)).label("owner"),
                due.label("due_date"),
                status.label("status"),
                (cast(func.extract("epoch", func.now() - latest.c.last_assessment_date), Float) / 86400.0).label(
                    "age_days"
                ),
                and_(due.is_not(None), due < today).label("overdue"),
                is_object.label("well_formed"),
            )
            .select_from(latest)
            .join(Hospital, Hospital.id == latest.c.hospital_id)
            .join(element, literal(True))
        )
    return union_all(*parts).subquery("items")


def open_items_select(actor: Actor, today: date, search: str, kind: str | None) -> Select:
    items = items_query(actor, today)
    stmt = select(
        items.c.assessment_id, items.c.hospital_id, items.c.hospital_name, items.c.compliance_type, items.c.kind,
        items.c.position, items.c.description, items.c.severity, items.c.owner, items.c.due_date, items.c.status,
        items.c.age_days, items.c.overdue, items.c.well_formed,
    ).where(items.c.status.not_in(CLOSED_WORDS))  # fmt: skip
    if kind in KINDS:
        stmt = stmt.where(items.c.kind == kind)
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(items.c.description.ilike(pattern), items.c.owner.ilike(pattern), items.c.hospital_name.ilike(pattern),
                items.c.compliance_type.ilike(pattern))
        )  # fmt: skip
    # Overdue first (most overdue at the top), then those due soonest, then the oldest findings.
    return stmt.order_by(
        items.c.overdue.desc(), items.c.due_date.asc().nulls_last(), items.c.age_days.desc(), items.c.hospital_name,
        items.c.compliance_type, items.c.kind, items.c.position,
    )  # fmt: skip


@permissions.reads("compliance", "see violations and corrective actions", replica=True)
def list_open_items(
    db: Session,
    actor: Actor,
    *,
    search: str = "",
    page: int = 1,
    page_size: int = 25,
    kind: str | None = None,
    today: date | None = None,
) -> Page[OpenItem]:
    """Open violations and corrective actions of the current assessments in scope; overdue ones first."""
    stmt = open_items_select(actor, today or lagos_today(), clean_search(search), kind)
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([OpenItem(*r) for r in rows], total, page, page_size)


@permissions.reads("compliance", "export violations and corrective actions")
def export_open_items(
    db: Session, actor: Actor, *, search: str = "", kind: str | None = None, today: date | None = None
) -> tuple[list[OpenItem], bool]:
    rows, truncated = fetch_capped(db, open_items_select(actor, today or lagos_today(), clean_search(search), kind))
    audit.record_export(db, actor, action_type="compliance_items_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": clean_search(search).strip() or None, "kind": kind},
                        rows=len(rows))  # fmt: skip
    return [OpenItem(*r) for r in rows], truncated


