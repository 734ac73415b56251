"""Compliance: assessments by type and hospital, their history, and violations and corrective actions to closure.

An assessment is one row of hospital_compliance_tracking. Recording a new one adds a row and leaves
the earlier ones as they were, so a hospital's assessments of one type read as a history; the
*current* assessment of a (hospital, type) is its latest one (by assessment date, then creation).
Scores, statuses, due dates and the open items are read from current assessments only; the trend
reads every assessment.

The JSON columns keep this shape (documented here; the schema holds jsonb and no more):

- `assessment_details`: an object. The dashboard writes `summary` (the assessor's notes); the demo
  also writes `assessor_body`, `method`, `checklist_items` and `items_passed`. Other keys are kept and
  shown as they are.
- `violations` and `corrective_actions`: arrays of entries, each an object with
  `description` (text, required), `severity` (low, medium, high or critical), `owner` (text),
  `due_date` ("YYYY-MM-DD"), `status` (open, in_progress or closed), optionally `code` (a violation's
  reference, e.g. "IPC-05") or `violation_code` (the violation an action answers), and once closed
  `closed_by` (users.id) and `closed_at` (an ISO timestamp).

Other clients write to these columns too, so they are read tolerantly: `action` stands in for a
missing `description`, `state` for `status`, and done, resolved or completed count as closed. An
element that is not an object, or a column that is not an array, is shown as its JSON text: it is
listed (it may be an open finding) but can only be replaced by recording a new assessment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

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
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions, settings
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, day_text, lagos_midnight
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.paging import MAX_PAGE_SIZE, Page, fetch_capped, like_pattern
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_in_scope, require_role
from db.models import Hospital, HospitalComplianceTracking, Profile, User
from db.vocab import COMPLIANCE_STATUSES, SEVERITIES

HCT = HospitalComplianceTracking
READERS = permissions.readers("compliance")
WRITERS = permissions.writers("compliance")
AUDIT_CATEGORY = "compliance"
RESOURCE_TYPE = "hospital_compliance_tracking"
KINDS = {"violation": ("violations", "Violation"), "action": ("corrective_actions", "Corrective action")}
ENTRY_STATUSES = ("open", "in_progress", "closed")
CLOSED_WORDS = ("closed", "done", "resolved", "completed")
# The types the network assesses (the demo's six); a hospital may record others.
KNOWN_TYPES = (
    "NHIA accreditation",
    "Infection prevention and control",
    "NDPR data protection",
    "Fire safety",
    "Pharmacy licensing (PCN)",
    "Medical waste management",
)
MAX_TYPE_LENGTH = 120
MAX_DETAILS_LENGTH = 4_000
MAX_DESCRIPTION_LENGTH = 500
MAX_OWNER_LENGTH = 200
MAX_CODE_LENGTH = 40
MAX_ENTRIES = 50
DUE_SOON_DAYS = 30
HISTORY_LIMIT = 100
HEATMAP_HOSPITALS = 30
TREND_MONTHS = 12
EARLIEST_ASSESSMENT = date(2000, 1, 1)
LATEST_DUE = timedelta(days=5 * 366)
_ISO_DAY = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


# --- Score bands -------------------------------------------------------------------------------------------

STATUS_WORDS = {
    "compliant": "Compliant",
    "partially_compliant": "Partially compliant",
    "non_compliant": "Non-compliant",
    "under_review": "Under review",
}


@dataclass(frozen=True)
class Band:
    """A range of scores and the status it means; `good`, `middle` or `poor` picks its colour."""

    status: str
    lower: int
    upper: int  # inclusive
    tone: str

    @property
    def word(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def range_text(self) -> str:
        if self.lower == 0:
            return f"below {self.upper + 1}"
        return f"{self.lower}–{self.upper}" if self.upper < 100 else f"{self.lower} or more"

    def holds(self, score: int) -> bool:
        return self.lower <= score <= self.upper


def score_bands() -> tuple[Band, Band, Band]:
    """The three bands of a score, best first, from the settings' thresholds."""
    current = settings.current()
    compliant, partial = round(current.compliance_compliant_score), round(current.compliance_partial_score)
    return (
        Band("compliant", compliant, 100, "good"),
        Band("partially_compliant", partial, compliant - 1, "middle"),
        Band("non_compliant", 0, partial - 1, "poor"),
    )


def band_of(score: int | None) -> Band | None:
    """The band a score falls in; None for no score."""
    if score is None:
        return None
    return next(b for b in score_bands() if b.holds(max(0, min(100, int(score)))))


def status_for_score(score: int) -> str:
    """The status a score means: compliant, partially compliant or non-compliant."""
    band = band_of(score)
    assert band is not None
    return band.status


def bands_legend() -> str:
    """'Compliant 85 or more · Partially compliant 60–84 · Non-compliant below 60'."""
    return " · ".join(f"{b.word} {b.range_text}" for b in score_bands())


# --- Reading the JSON columns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One violation or corrective action as stored; `raw` holds the JSON text of one not in the documented shape."""

    description: str
    severity: str | None = None
    owner: str | None = None
    due_date: date | None = None
    status: str = "open"  # open, in_progress, closed, or the text the row held
    code: str | None = None
    closed_by: str | None = None  # users.id
    closed_at: datetime | None = None
    raw: str | None = None

    @property
    def closed(self) -> bool:
        return self.raw is None and self.status in CLOSED_WORDS


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.strip() or None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_entry(element: Any) -> Entry:
    if not isinstance(element, dict):
        return Entry(description=json.dumps(element, ensure_ascii=False), status="unknown",
                     raw=json.dumps(element, ensure_ascii=False))  # fmt: skip
    description = _text(element.get("description")) or _text(element.get("action"))
    status = (_text(element.get("status")) or _text(element.get("state")) or "open").lower()
    return Entry(
        description=description or json.dumps(element, ensure_ascii=False),
        severity=_text(element.get("severity")),
        owner=_text(element.get("owner")),
        due_date=_day(element.get("due_date")),
        status=status,
        code=_text(element.get("code")) or _text(element.get("violation_code")),
        closed_by=_text(element.get("closed_by")),
        closed_at=_moment(element.get("closed_at")),
        raw=None if description else json.dumps(element, ensure_ascii=False),
    )


def parse_entries(value: Any) -> tuple[list[Entry], str | None]:
    """(entries, None) for an array; ([], its JSON text) for anything else but null."""
    if value is None:
        return [], None
    if not isinstance(value, list):
        return [], json.dumps(value, ensure_ascii=False)
    return [parse_entry(element) for element in value], None


def parse_details(value: Any) -> tuple[dict[str, str], str | None]:
    """({key: text}, None) for an object; ({}, its JSON text) for anything else but null."""
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return {}, json.dumps(value, ensure_ascii=False)
    return {str(k): _text(v) or "" for k, v in value.items()}, None


# --- Results -------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class DueAssessment:
    id: str
    hospital_id: str
    hospital_name: str
    compliance_type: str
    status: str
    score: int | None
    assessed_at: datetime
    next_due: datetime
    days_overdue: float  # negative while still ahead


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


@dataclass(frozen=True)
class Assessment:
    id: str
    hospital_id: str
    hospital_name: str
    compliance_type: str
    status: str
    score: int | None
    assessed_at: datetime
    next_due: datetime | None
    assessor: str | None  # a name, never an id
    details: dict[str, str]
    details_raw: str | None
    violations: list[Entry]
    violations_raw: str | None
    actions: list[Entry]
    actions_raw: str | None
    closed_by_names: dict[str, str] = field(default_factory=dict)  # users.id -> name, for closed entries


# --- SQL building blocks -------------------------------------------------------------------------------


def _current_ids(actor: Actor) -> Select:
    """The id of the current assessment of each (hospital, type) in scope: DISTINCT ON the pair, latest first."""
    stmt = (
        select(HCT.id)
        .ext(distinct_on(HCT.hospital_id, HCT.compliance_type))
        .order_by(HCT.hospital_id, HCT.compliance_type, HCT.last_assessment_date.desc(), HCT.created_at.desc(),
                  HCT.id.desc())  # fmt: skip
    )
    return limit_to_scope(stmt, actor, HCT.hospital_id)


def _current(actor: Actor, *columns) -> Select:
    """`columns` of the current assessment of each (hospital, type) in scope.

    The DISTINCT ON sorts narrow rows (the pair, the dates, the id) and only the chosen ids fetch the
    wide columns (the JSON lists): sorting every past assessment with its JSON was most of the time.
    """
    return select(*columns).where(HCT.id.in_(_current_ids(actor).scalar_subquery()))


def _as_array(value):
    return case((func.jsonb_typeof(value) == "array", value), else_=literal([], JSONB))


def _items_query(actor: Actor, today: date):
    """Every violation and corrective action of the current assessments, one row each, with its state."""
    current = _current(
        actor, HCT.id, HCT.hospital_id, HCT.compliance_type, HCT.last_assessment_date, HCT.violations,
        HCT.corrective_actions,
    ).cte("current")  # fmt: skip
    # A CTE, not a subquery: both branches below (violations, actions) read it, and it is computed once.
    parts = []
    for kind, (attribute, _) in KINDS.items():
        element = (
            func.jsonb_array_elements(_as_array(current.c[attribute]))
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
                current.c.id.label("assessment_id"),
                current.c.hospital_id,
                Hospital.name.label("hospital_name"),
                current.c.compliance_type,
                literal(kind, String).label("kind"),
                (cast(element.c.position, Integer) - 1).label("position"),
                description.label("description"),
                case((is_object, value["severity"].astext)).label("severity"),
                case((is_object, value["owner"].astext)).label("owner"),
                due.label("due_date"),
                status.label("status"),
                (cast(func.extract("epoch", func.now() - current.c.last_assessment_date), Float) / 86400.0).label(
                    "age_days"
                ),
                and_(due.is_not(None), due < today).label("overdue"),
                is_object.label("well_formed"),
            )
            .select_from(current)
            .join(Hospital, Hospital.id == current.c.hospital_id)
            .join(element, literal(True))
        )
    return union_all(*parts).subquery("items")


def _open_items_select(actor: Actor, today: date, search: str, kind: str | None) -> Select:
    items = _items_query(actor, today)
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


def _page_with_total(db: Session, stmt: Select, *, page: int, page_size: int) -> tuple[list, int, int, int]:
    """`paging.fetch_page` in one statement: the page's rows carry the total (count(*) OVER ()).

    The open findings are computed from the JSON of every current assessment; counting them in a
    second statement computed them twice. Only a page past the end (the list shrank) needs a count.
    """
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    counted = stmt.add_columns(func.count().over().label("total_rows"))
    rows = db.execute(counted.limit(page_size).offset((page - 1) * page_size)).all()
    if rows:
        return [tuple(r)[:-1] for r in rows], rows[0][-1], page, page_size
    total = 0
    if page > 1:
        total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        last_page = max(1, -(-total // page_size))
        if total:
            rows = db.execute(counted.limit(page_size).offset((last_page - 1) * page_size)).all()
            return [tuple(r)[:-1] for r in rows], total, last_page, page_size
    return [], total, 1, page_size


def _today() -> date:
    return datetime.now(LAGOS).date()


def _clean_search(search: Any) -> str:
    return search if isinstance(search, str) else ""


# --- Reads ---------------------------------------------------------------------------------------------


@permissions.reads("compliance")
def summary(db: Session, actor: Actor, *, today: date | None = None) -> Summary:
    """The cards: current assessments by status, average score, due dates and open items."""
    require_role(db, actor, READERS, "see compliance assessments")
    today = today or _today()
    current = _current(actor, HCT.status, HCT.score, HCT.next_assessment_due).subquery("current")
    now = func.now()
    # One pass by status; the totals are the sums of its rows (the average from the summed scores).
    rows = db.execute(
        select(
            current.c.status,
            func.count(),
            func.sum(current.c.score),
            func.count(current.c.score),
            func.count().filter(current.c.next_assessment_due < now),
            func.count().filter(
                current.c.next_assessment_due >= now,
                current.c.next_assessment_due < now + timedelta(days=DUE_SOON_DAYS),
            ),
        ).group_by(current.c.status)
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
    items = _items_query(actor, today)
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


@permissions.reads("compliance")
def score_grid(db: Session, actor: Actor, *, most_hospitals: int = HEATMAP_HOSPITALS) -> list[ScoreCell]:
    """The current score of each hospital and type; in network scope the `most_hospitals` lowest on average."""
    require_role(db, actor, READERS, "see compliance scores")
    current = _current(
        actor, HCT.hospital_id, HCT.compliance_type, HCT.score, HCT.status, HCT.last_assessment_date
    ).subquery("current")
    lowest = (
        select(current.c.hospital_id)
        .group_by(current.c.hospital_id)
        .order_by(func.avg(current.c.score).asc().nulls_first(), current.c.hospital_id)
        .limit(max(1, min(int(most_hospitals), 200)))
        .subquery("lowest")
    )
    rows = db.execute(
        select(current.c.hospital_id, Hospital.name, current.c.compliance_type, current.c.score, current.c.status,
               current.c.last_assessment_date)
        .join(Hospital, Hospital.id == current.c.hospital_id)
        .where(current.c.hospital_id.in_(select(lowest.c.hospital_id)))
        .order_by(Hospital.name, current.c.hospital_id, current.c.compliance_type)
    ).all()  # fmt: skip
    return [ScoreCell(*r) for r in rows]


@permissions.reads("compliance")
def score_trend(db: Session, actor: Actor, *, start: date, end: date) -> list[TrendPoint]:
    """Average score of each type's assessments by Lagos month, over [start, end]; every assessment counts."""
    require_role(db, actor, READERS, "see compliance trends")
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


def _due_select(actor: Actor, search: str) -> Select:
    current = _current(
        actor, HCT.id, HCT.hospital_id, HCT.compliance_type, HCT.status, HCT.score, HCT.last_assessment_date,
        HCT.next_assessment_due,
    ).subquery("current")  # fmt: skip
    overdue_days = cast(func.extract("epoch", func.now() - current.c.next_assessment_due), Float) / 86400.0
    stmt = (
        select(current.c.id, current.c.hospital_id, Hospital.name, current.c.compliance_type, current.c.status,
               current.c.score, current.c.last_assessment_date, current.c.next_assessment_due, overdue_days)
        .join(Hospital, Hospital.id == current.c.hospital_id)
        .where(current.c.next_assessment_due < func.now() + timedelta(days=DUE_SOON_DAYS))
    )  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(or_(Hospital.name.ilike(pattern), current.c.compliance_type.ilike(pattern)))
    return stmt.order_by(current.c.next_assessment_due, Hospital.name, current.c.compliance_type)


def list_due(
    db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25
) -> Page[DueAssessment]:
    """Current assessments overdue or due within DUE_SOON_DAYS, most overdue first."""
    require_role(db, actor, READERS, "see compliance due dates")
    rows, total, page, page_size = _page_with_total(db, _due_select(actor, _clean_search(search)), page=page,
                                                    page_size=page_size)  # fmt: skip
    return Page([DueAssessment(*r) for r in rows], total, page, page_size)


def export_due(db: Session, actor: Actor, *, search: str = "") -> tuple[list[DueAssessment], bool]:
    require_role(db, actor, READERS, "export compliance due dates")
    rows, truncated = fetch_capped(db, _due_select(actor, _clean_search(search)))
    audit.record_export(db, actor, action_type="compliance_due_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": _clean_search(search).strip() or None}, rows=len(rows))  # fmt: skip
    return [DueAssessment(*r) for r in rows], truncated


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
    require_role(db, actor, READERS, "see violations and corrective actions")
    stmt = _open_items_select(actor, today or _today(), _clean_search(search), kind)
    rows, total, page, page_size = _page_with_total(db, stmt, page=page, page_size=page_size)
    return Page([OpenItem(*r) for r in rows], total, page, page_size)


def export_open_items(
    db: Session, actor: Actor, *, search: str = "", kind: str | None = None, today: date | None = None
) -> tuple[list[OpenItem], bool]:
    require_role(db, actor, READERS, "export violations and corrective actions")
    rows, truncated = fetch_capped(db, _open_items_select(actor, today or _today(), _clean_search(search), kind))
    audit.record_export(db, actor, action_type="compliance_items_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": _clean_search(search).strip() or None, "kind": kind},
                        rows=len(rows))  # fmt: skip
    return [OpenItem(*r) for r in rows], truncated


@permissions.reads("compliance")
def compliance_types(db: Session, actor: Actor) -> list[str]:
    """The network's known types, then any other type assessed in scope."""
    require_role(db, actor, READERS, "see compliance types")
    found = db.scalars(limit_to_scope(select(HCT.compliance_type).distinct(), actor, HCT.hospital_id)).all()
    return [*KNOWN_TYPES, *sorted(t for t in found if t not in KNOWN_TYPES)]


def _names(db: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    name = func.coalesce(func.nullif(func.concat_ws(" ", Profile.first_name, Profile.last_name), ""), User.email)
    rows = db.execute(
        select(User.id, name).outerjoin(Profile, Profile.user_id == User.id).where(User.id.in_(list(user_ids)))
    )
    return dict(rows.all())


def _assessment(row, names: dict[str, str]) -> Assessment:
    details, details_raw = parse_details(row.assessment_details)
    violations, violations_raw = parse_entries(row.violations)
    actions, actions_raw = parse_entries(row.corrective_actions)
    return Assessment(
        id=row.id,
        hospital_id=row.hospital_id,
        hospital_name=row.name,
        compliance_type=row.compliance_type,
        status=row.status,
        score=row.score,
        assessed_at=row.last_assessment_date,
        next_due=row.next_assessment_due,
        assessor=names.get(row.assessed_by or "") if row.assessed_by else None,
        details=details,
        details_raw=details_raw,
        violations=violations,
        violations_raw=violations_raw,
        actions=actions,
        actions_raw=actions_raw,
        closed_by_names={
            e.closed_by: names[e.closed_by] for e in [*violations, *actions] if e.closed_by and e.closed_by in names
        },
    )


def _with_names(db: Session, rows) -> list[Assessment]:
    ids: set[str] = {r.assessed_by for r in rows if r.assessed_by}
    for r in rows:
        for value in (r.violations, r.corrective_actions):
            if isinstance(value, list):
                ids.update(e["closed_by"] for e in value if isinstance(e, dict) and isinstance(e.get("closed_by"), str))
    names = _names(db, {i for i in ids if usable_id(i)})
    return [_assessment(r, names) for r in rows]


def _assessment_columns():
    return (HCT.id, HCT.hospital_id, Hospital.name, HCT.compliance_type, HCT.status, HCT.score,
            HCT.last_assessment_date, HCT.next_assessment_due, HCT.assessed_by, HCT.assessment_details,
            HCT.violations, HCT.corrective_actions)  # fmt: skip


@permissions.reads("compliance")
def history(db: Session, actor: Actor, *, hospital_id: str, compliance_type: str) -> list[Assessment]:
    """A hospital's assessments of one type, newest first (at most HISTORY_LIMIT): the current one and its past."""
    require_role(db, actor, READERS, "see compliance history")
    hospital_in_scope(db, actor, hospital_id)
    if not isinstance(compliance_type, str) or not usable_id(compliance_type):
        raise InvalidInput("Pick a compliance type from the list.")
    rows = db.execute(
        select(*_assessment_columns())
        .join(Hospital, Hospital.id == HCT.hospital_id)
        .where(HCT.hospital_id == hospital_id, HCT.compliance_type == compliance_type)
        .order_by(HCT.last_assessment_date.desc(), HCT.created_at.desc(), HCT.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return _with_names(db, rows)


def get_assessment(db: Session, actor: Actor, assessment_id: str) -> Assessment:
    """One assessment by id; refused (and audited) when it belongs to a hospital outside the actor's scope."""
    require_role(db, actor, READERS, "see compliance assessments")
    row = None
    if usable_id(assessment_id):
        row = db.execute(
            select(*_assessment_columns()).join(Hospital, Hospital.id == HCT.hospital_id).where(HCT.id == assessment_id)
        ).first()
    if row is None:
        raise NotFound("That assessment no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=row.id, row_hospital_id=row.hospital_id)
    return _with_names(db, [row])[0]


# --- Commands: checking what a form sends ---------------------------------------------------------------


def checked_score(value: Any) -> int:
    """A whole number from 0 to 100, from a number box or a hand-made request."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value.strip())
    if number is None:
        shown = value if isinstance(value, str) else repr(value)
        raise InvalidInput(f'The score must be a whole number from 0 to 100; "{str(shown)[:40]}" is not one.')
    if not 0 <= number <= 100:
        raise InvalidInput(f"The score must be from 0 to 100; {number} is outside that range.")
    return number


def _checked_day(value: Any, label: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"{label} must be a date (for example 2026-03-31).")


def checked_entries(rows: Any, kind: str, *, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """The rows of a violations or corrective-actions editor, checked one by one; each refusal names its row."""
    _, label = KINDS[kind]
    if rows is None:
        return []
    if not isinstance(rows, list | tuple):
        raise InvalidInput(f"{label}s must be a list of entries.")
    if len(rows) > MAX_ENTRIES:
        raise InvalidInput(f"Record at most {MAX_ENTRIES} {label.lower()}s in one assessment; this has {len(rows)}.")
    checked = []
    for number, row in enumerate(rows, start=1):
        name = f"{label} {number}"
        if not isinstance(row, dict):
            raise InvalidInput(f"{name} must be an entry with a description, severity, owner, due date and state.")
        description = checked_text(row.get("description"), f"{name}'s description", MAX_DESCRIPTION_LENGTH)
        if description is None:
            raise InvalidInput(f"{name} has no description: describe it, or delete the row.")
        severity = row.get("severity") or "medium"
        if severity not in SEVERITIES:
            raise InvalidInput(f"{name}'s severity must be low, medium, high or critical.")
        status = row.get("status") or "open"
        if status not in ENTRY_STATUSES:
            raise InvalidInput(f"{name}'s state must be open, in progress or closed.")
        entry: dict[str, Any] = {
            "description": description,
            "severity": severity,
            "owner": checked_text(row.get("owner"), f"{name}'s owner", MAX_OWNER_LENGTH),
            "due_date": None,
            "status": status,
        }
        due = _checked_day(row.get("due_date"), f"{name}'s due date")
        if due is not None:
            if not EARLIEST_ASSESSMENT <= due <= now.date() + LATEST_DUE:
                raise InvalidInput(f"{name}'s due date, {day_text(due)}, is not a date the dashboard can hold.")
            entry["due_date"] = due.isoformat()
        if kind == "violation":
            # A violation nobody owns, or with no date to be put right by, is never chased: refuse it.
            shown = description if len(description) <= 60 else description[:59] + "…"
            if entry["owner"] is None:
                raise InvalidInput(f"{name} (\u201c{shown}\u201d) has no owner: name who will put it right.")
            if entry["due_date"] is None:
                raise InvalidInput(f"{name} (\u201c{shown}\u201d) has no due date: give the date it must be put "
                                   "right by.")  # fmt: skip
        code = checked_text(row.get("code"), f"{name}'s code", MAX_CODE_LENGTH)
        if code is not None:
            entry["code" if kind == "violation" else "violation_code"] = code
        if status == "closed":
            closed_by = row.get("closed_by") if usable_id(row.get("closed_by")) else None
            closed_at = _moment(row.get("closed_at"))
            entry["closed_by"] = closed_by or actor.user_id
            entry["closed_at"] = (closed_at or now).isoformat()
        checked.append(entry)
    return checked


def _snapshot(row: HospitalComplianceTracking | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "assessment_id": row.id,
        "status": row.status,
        "score": row.score,
        "last_assessment_date": row.last_assessment_date,
        "next_assessment_due": row.next_assessment_due,
        "assessment_details": row.assessment_details,
        "violations": row.violations,
        "corrective_actions": row.corrective_actions,
    }


def _current_row(db: Session, hospital_id: str, compliance_type: str) -> HospitalComplianceTracking | None:
    return db.scalars(
        select(HCT)
        .where(HCT.hospital_id == hospital_id, HCT.compliance_type == compliance_type)
        .order_by(HCT.last_assessment_date.desc(), HCT.created_at.desc(), HCT.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Recorded:
    id: str
    hospital_name: str
    compliance_type: str
    score: int
    status: str
    violations: int
    actions: int


def record_assessment(
    db: Session,
    actor: Actor,
    *,
    hospital_id: str,
    compliance_type: str,
    status: str | None = None,
    score: Any,
    assessed_on: Any,
    next_due: Any,
    details: str | None = None,
    violations: Any = None,
    corrective_actions: Any = None,
) -> Recorded:
    """Record a new assessment: a new row, so the earlier ones stay readable as its history.

    Checked field by field (each refusal one sentence naming the field); audited as
    compliance-relevant with the previous current assessment of the type as the old values. The
    status follows the score (`score_bands`): None takes the score's status; "under_review" may go
    with any score (the assessment is not settled yet); any other status must be the score's own.
    """
    require_role(db, actor, WRITERS, "record compliance assessments")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    kind = checked_text(compliance_type, "The compliance type", MAX_TYPE_LENGTH)
    if kind is None:
        raise InvalidInput("Pick the compliance type this assessment is for.")
    if status is not None and status not in COMPLIANCE_STATUSES:
        raise InvalidInput("The status must be compliant, partially compliant, non-compliant or under review.")
    score = checked_score(score)
    band = band_of(score)
    assert band is not None
    if status is None:
        status = band.status
    elif status not in ("under_review", band.status):
        raise InvalidInput(
            f"A score of {score} is {band.word.lower()} ({band.range_text}), so the status cannot be "
            f"{STATUS_WORDS[status].lower()}: let the status follow the score, or check the score."
        )
    now = db.scalar(select(func.now()))
    today = now.astimezone(LAGOS).date()
    assessed = _checked_day(assessed_on, "The assessment date")
    if assessed is None:
        raise InvalidInput("Give the date of the assessment.")
    if assessed > today:
        raise InvalidInput(f"The assessment date, {day_text(assessed)}, is in the future: pick today or earlier.")
    if assessed < EARLIEST_ASSESSMENT:
        raise InvalidInput("The assessment date is before 2000: check the year.")
    due = _checked_day(next_due, "The next due date")
    if due is None:
        raise InvalidInput("Give the date the next assessment is due.")
    if due <= assessed:
        raise InvalidInput(
            f"The next assessment is due on {day_text(due)}, not after the assessment on {day_text(assessed)}: "
            "pick a later date."
        )
    if due > assessed + LATEST_DUE:
        raise InvalidInput("The next assessment is due more than five years after this one: check the year.")
    notes = checked_text(details, "The assessment details", MAX_DETAILS_LENGTH)
    checked_violations = checked_entries(violations, "violation", actor=actor, now=now)
    checked_actions = checked_entries(corrective_actions, "action", actor=actor, now=now)

    previous = _current_row(db, hospital_id, kind)
    # Who assesses and how carry over from the previous assessment; the notes are this one's own.
    before = previous.assessment_details if previous is not None else None
    kept = {k: v for k, v in before.items() if k in ("assessor_body", "method")} if isinstance(before, dict) else {}
    new_details = {**kept, "summary": notes}
    # Today's assessment is stamped now; one entered for an earlier day at noon of that day in Lagos.
    assessed_at = now if assessed == today else datetime.combine(assessed, time(12), tzinfo=LAGOS)
    if previous is not None and assessed_at < previous.last_assessment_date:
        latest = day_text(previous.last_assessment_date.astimezone(LAGOS).date())
        raise InvalidInput(
            f"A later {kind} assessment of {hospital_name} exists (on {latest}): "
            "record an assessment on or after the latest one."
        )
    row = HCT(
        hospital_id=hospital_id,
        compliance_type=kind,
        status=status,
        score=score,
        last_assessment_date=assessed_at,
        next_assessment_due=lagos_midnight(due),
        assessed_by=actor.user_id,
        assessment_details=new_details,
        violations=checked_violations,
        corrective_actions=checked_actions,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type="compliance_assessment_recorded",
        resource_type=RESOURCE_TYPE,
        resource_id=row.id,
        old_values=_snapshot(previous),
        new_values={"hospital": hospital_name, "compliance_type": kind, **_snapshot(row)},
        impact_level="high" if status == "non_compliant" else "medium",
        compliance_relevant=True,
        concerns_hospital=hospital_id,
    )
    return Recorded(row.id, hospital_name, kind, score, status, len(checked_violations), len(checked_actions))


@dataclass(frozen=True)
class Closed:
    hospital_name: str
    compliance_type: str
    kind: str
    description: str
    closed_at: datetime


def close_item(
    db: Session, actor: Actor, assessment_id: str, *, kind: str, position: int, description: str
) -> Closed:
    """Close one violation or corrective action of a current assessment, recording who closed it and when.

    `description` is the item as the closer saw it: if the list changed in the meantime (someone
    closed it, or recorded a newer assessment), the command is refused rather than closing another item.
    """
    require_role(db, actor, WRITERS, "close violations and corrective actions")
    if kind not in KINDS:
        raise InvalidInput("Pick a violation or a corrective action to close.")
    attribute, label = KINDS[kind]
    row = None
    if usable_id(assessment_id):
        row = db.scalars(
            select(HCT).where(HCT.id == assessment_id).with_for_update().execution_options(populate_existing=True)
        ).first()
    if row is None:
        raise NotFound("That assessment no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=row.id, row_hospital_id=row.hospital_id)
    hospital_name = db.scalar(select(Hospital.name).where(Hospital.id == row.hospital_id)) or "the hospital"
    newer = db.scalar(
        select(
            exists().where(
                HCT.hospital_id == row.hospital_id,
                HCT.compliance_type == row.compliance_type,
                HCT.id != row.id,
                or_(HCT.last_assessment_date > row.last_assessment_date,
                    and_(HCT.last_assessment_date == row.last_assessment_date, HCT.created_at > row.created_at)),
            )
        )
    )  # fmt: skip
    if newer:
        raise InvalidInput(
            f"A newer {row.compliance_type} assessment of {hospital_name} has replaced this one; close the item there."
        )
    entries = getattr(row, attribute)
    if not isinstance(entries, list) or not isinstance(position, int) or not 0 <= position < len(entries):
        raise InvalidInput(f"That {label.lower()} is no longer on the assessment; look at the list again.")
    element = entries[position]
    entry = parse_entry(element)
    if not isinstance(element, dict):
        raise InvalidInput(
            f"This {label.lower()} is not in the expected shape, so it cannot be closed here; "
            "record a new assessment that replaces it."
        )
    if entry.description != (description.strip() if isinstance(description, str) else description):
        raise InvalidInput(f"That {label.lower()} has changed since you opened the page; look at the list again.")
    if entry.closed:
        names = _names(db, {entry.closed_by} if entry.closed_by and usable_id(entry.closed_by) else set())
        who = names.get(entry.closed_by or "", "someone")
        when = f" on {day_text(entry.closed_at.astimezone(LAGOS).date())}" if entry.closed_at else ""
        raise InvalidInput(f'"{entry.description}" was already closed by {who}{when}.')
    now = db.scalar(select(func.now()))
    closed = {**element, "status": "closed", "closed_by": actor.user_id, "closed_at": now.isoformat()}
    if "state" in element:
        closed["state"] = "closed"
    updated = list(entries)
    updated[position] = closed
    setattr(row, attribute, updated)  # a new list: the JSONB column sees the change
    db.flush()
    audit.record(
        db,
        actor,
        action_category=AUDIT_CATEGORY,
        action_type=f"compliance_{kind}_closed",
        resource_type=RESOURCE_TYPE,
        resource_id=row.id,
        old_values={"list": attribute, "position": position, "entry": element},
        new_values={"list": attribute, "position": position, "entry": closed},
        impact_level="medium",
        compliance_relevant=True,
        concerns_hospital=row.hospital_id,
    )
    return Closed(hospital_name, row.compliance_type, kind, entry.description, now)
