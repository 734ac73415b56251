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

The module holds what every compliance module shares: the vocabulary, the score bands, reading the
JSON columns, and the one query of the current assessments. The reads and commands are beside it:
compliance_scores (cards, heat map, trend), compliance_findings (open violations and actions),
compliance_assessments (due dates, types, a type's history) and compliance_commands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on

from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.formatting import humanise
from dashboard.platform.scope import limit_to_scope
from db import settings
from db.models import HospitalComplianceTracking

HCT = HospitalComplianceTracking
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
DUE_SOON_DAYS = 30


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


def status_word(code: str | None) -> str:
    """'Partially compliant' for partially_compliant; another client's status as it reads."""
    return STATUS_WORDS.get(code or "", humanise(code))


def days_text(value: float | None) -> str:
    """'today', '1 day', '12 days' (rounded; negative for days ahead)."""
    if value is None:
        return "—"
    days = round(value)
    return "today" if days == 0 else f"{days:,} day{'s' if abs(days) != 1 else ''}"


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


def parse_moment(value: Any) -> datetime | None:
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
        closed_at=parse_moment(element.get("closed_at")),
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


# --- The current assessments ---------------------------------------------------------------------------------


def current_ids(actor: Actor) -> Select:
    """The id of the current assessment of each (hospital, type) in scope: DISTINCT ON the pair, latest first."""
    stmt = (
        select(HCT.id)
        .ext(distinct_on(HCT.hospital_id, HCT.compliance_type))
        .order_by(HCT.hospital_id, HCT.compliance_type, HCT.last_assessment_date.desc(), HCT.created_at.desc(),
                  HCT.id.desc())  # fmt: skip
    )
    return limit_to_scope(stmt, actor, HCT.hospital_id)


def current(actor: Actor, *columns) -> Select:
    """`columns` of the current assessment of each (hospital, type) in scope.

    The DISTINCT ON sorts narrow rows (the pair, the dates, the id) and only the chosen ids fetch the
    wide columns (the JSON lists): sorting every past assessment with its JSON was most of the time.
    """
    return select(*columns).where(HCT.id.in_(current_ids(actor).scalar_subquery()))


def lagos_today() -> date:
    return datetime.now(LAGOS).date()


def clean_search(search: Any) -> str:
    return search if isinstance(search, str) else ""
