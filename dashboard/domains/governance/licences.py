"""Facility licences: what each hospital holds, what expires next, and the bands that warn before it does.

A licence's status is derived from its expiry date and today (Lagos), never stored: expired once the
expiry date has passed, then three notice bands from db/settings (`licence_final_notice_days` 30,
`licence_second_notice_days` 60, `licence_first_notice_days` 90), and "later" beyond them. The list,
the cards, the Overview's alerts and Verification read the same band (`band_case`), so they cannot
disagree. The commands (add, renew) are in licence_commands.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, Select, case, cast, func, or_, select, true
from sqlalchemy.orm import Session

from dashboard.platform import audit, people, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import NotFound
from dashboard.platform.formatting import lagos_date
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope
from db import settings
from db.models import FacilityLicence, FacilityLicenceDocument, FacilityLicenceRenewal, Hospital, Profile
from db.models.licences import LICENCE_KINDS

RESOURCE_TYPE = "facility_licence"
KIND_WORDS = {"operating_licence": "Operating licence", "accreditation": "Accreditation", "other": "Other licence"}
assert set(KIND_WORDS) == set(LICENCE_KINDS)
BANDS = ("expired", "final", "second", "first", "later")  # most urgent first; the list's colours follow them
MOST_ALERTS = 200  # the Overview sums alerts up by kind past a few; a network never needs more than this read


@dataclass(frozen=True)
class Band:
    key: str
    word: str  # "Expired", "Within 30 days"
    mark: str  # a shape that says it without colour


def bands() -> dict[str, Band]:
    """The bands in force (their days come from the settings)."""
    limits = settings.current()
    within = {
        "final": limits.licence_final_notice_days,
        "second": limits.licence_second_notice_days,
        "first": limits.licence_first_notice_days,
    }
    marks = {"expired": "\u2717", "final": "!", "second": "\u25d0", "first": "\u25d4", "later": "\u2713"}
    words = {"expired": "Expired", "later": "Valid", **{k: f"Within {v:g} days" for k, v in within.items()}}
    return {key: Band(key, words[key], marks[key]) for key in BANDS}


def lagos_today() -> object:
    """Today in Lagos, in SQL: the day a licence's expiry is measured against when the caller gives none."""
    return cast(func.timezone("Africa/Lagos", func.now()), Date)


def _today(today: date | None) -> object:
    return today if isinstance(today, date) else lagos_today()


def days_left(today: date | None = None):
    """Days from today to the expiry date: 0 on the last valid day, negative once expired."""
    return FacilityLicence.expires_on - _today(today)


def band_case(today: date | None = None):
    """The band of each licence, in SQL, from the settings in force."""
    limits, left = settings.current(), days_left(today)
    return case(
        (left < 0, "expired"),
        (left <= limits.licence_final_notice_days, "final"),
        (left <= limits.licence_second_notice_days, "second"),
        (left <= limits.licence_first_notice_days, "first"),
        else_="later",
    )


@dataclass(frozen=True)
class LicenceRow:
    id: str
    hospital_id: str
    hospital_name: str
    kind: str
    issuer: str
    registry_number: str
    issued_on: date
    expires_on: date
    days_left: int
    band: str
    renewals: int
    last_renewed_at: datetime | None
    document_name: str | None  # the current paper's file name, None when none is stored

    @property
    def kind_word(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        return f"{self.kind_word} · {self.issuer} · {self.registry_number}"


def _list_select(actor: Actor, search: str, band: str | None, today: date | None) -> Select:
    renewals = (
        select(func.count(), func.max(FacilityLicenceRenewal.renewed_at))
        .where(FacilityLicenceRenewal.licence_id == FacilityLicence.id)
        .correlate(FacilityLicence)
        .lateral("renewals")
    )
    document = (
        select(FacilityLicenceDocument.file_name)
        .where(FacilityLicenceDocument.licence_id == FacilityLicence.id)
        .order_by(FacilityLicenceDocument.uploaded_at.desc(), FacilityLicenceDocument.id.desc())
        .limit(1)
        .correlate(FacilityLicence)
        .scalar_subquery()
    )
    the_band = band_case(today)
    stmt = (
        select(
            FacilityLicence.id, FacilityLicence.hospital_id, Hospital.name, FacilityLicence.kind,
            FacilityLicence.issuer, FacilityLicence.registry_number, FacilityLicence.issued_on,
            FacilityLicence.expires_on, days_left(today), the_band, renewals.c[0], renewals.c[1], document,
        )
        .join(Hospital, Hospital.id == FacilityLicence.hospital_id)
        .join(renewals, true())
    )  # fmt: skip
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(Hospital.name.ilike(pattern), FacilityLicence.issuer.ilike(pattern),
                FacilityLicence.registry_number.ilike(pattern), Hospital.state.ilike(pattern))
        )  # fmt: skip
    if band in BANDS:
        stmt = stmt.where(the_band == band)
    # What expires next comes first: the list is the network's calendar of renewals.
    return limit_to_scope(stmt, actor, FacilityLicence.hospital_id).order_by(
        FacilityLicence.expires_on, Hospital.name, FacilityLicence.id
    )


def _clean(search: object) -> str:
    return search if isinstance(search, str) else ""


@permissions.reads("licences", "see facility licences")
def list_licences(
    db: Session, actor: Actor, *, search: str = "", band: str | None = None, today: date | None = None,
    page: int = 1, page_size: int = 25,
) -> Page[LicenceRow]:  # fmt: skip
    """Licences in scope, the one that expires next first, with days left and band."""
    rows, total, page, page_size = fetch_page(db, _list_select(actor, _clean(search), band, today), page=page,
                                              page_size=page_size)  # fmt: skip
    return Page([LicenceRow(*r) for r in rows], total, page, page_size)


@permissions.reads("licences", "export facility licences")
def export_licences(
    db: Session, actor: Actor, *, search: str = "", band: str | None = None, today: date | None = None
) -> tuple[list[LicenceRow], bool]:
    rows, truncated = fetch_capped(db, _list_select(actor, _clean(search), band, today))
    audit.record_export(db, actor, action_type="licences_exported", resource_type=RESOURCE_TYPE,
                        filters={"search": _clean(search).strip() or None, "band": band}, rows=len(rows))  # fmt: skip
    return [LicenceRow(*r) for r in rows], truncated


@dataclass(frozen=True)
class LicenceSummary:
    expired: int
    final: int  # within the final notice period, still valid
    second: int
    first: int
    total: int


@permissions.reads("licences", "see facility licences")
def licence_summary(db: Session, actor: Actor, *, today: date | None = None) -> LicenceSummary:
    """The cards: how many licences in scope are in each band (one statement)."""
    the_band = band_case(today)
    stmt = select(*(func.count().filter(the_band == b) for b in BANDS[:4]), func.count()).select_from(FacilityLicence)
    row = db.execute(limit_to_scope(stmt, actor, FacilityLicence.hospital_id)).one()
    return LicenceSummary(*row)


@dataclass(frozen=True)
class LicenceAlert:
    id: str
    hospital_name: str
    kind: str
    issuer: str
    expires_on: date
    days_left: int
    band: str

    @property
    def kind_word(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)


@permissions.reads("licences", "see facility licences")
def licence_alerts(db: Session, actor: Actor, *, today: date | None = None) -> list[LicenceAlert]:
    """Licences expired or within the first notice period, most urgent first (the Overview's alert lines)."""
    left = days_left(today)
    stmt = (
        select(FacilityLicence.id, Hospital.name, FacilityLicence.kind, FacilityLicence.issuer,
               FacilityLicence.expires_on, left, band_case(today))
        .join(Hospital, Hospital.id == FacilityLicence.hospital_id)
        .where(left <= settings.current().licence_first_notice_days)
        .order_by(FacilityLicence.expires_on, FacilityLicence.id)
        .limit(MOST_ALERTS)
    )  # fmt: skip
    return [LicenceAlert(*r) for r in db.execute(limit_to_scope(stmt, actor, FacilityLicence.hospital_id))]


def expired_by_hospital(db: Session, hospital_ids: list[str]) -> dict[str, list[str]]:
    """For Verification (whose service has checked the role): each hospital's expired licences, in words."""
    if not hospital_ids:
        return {}
    rows = db.execute(
        select(FacilityLicence.hospital_id, FacilityLicence.kind, FacilityLicence.issuer, FacilityLicence.expires_on)
        .where(FacilityLicence.hospital_id.in_(hospital_ids), days_left() < 0)
        .order_by(FacilityLicence.expires_on)
    )
    found: dict[str, list[str]] = {}
    for hospital_id, kind, issuer, expires_on in rows:
        words = f"{KIND_WORDS.get(kind, kind)} expired {lagos_date(expires_on)} ({issuer})"
        found.setdefault(hospital_id, []).append(words)
    return found


@dataclass(frozen=True)
class RenewalRow:
    previous_expires_on: date
    new_expires_on: date
    renewed_by: str
    renewed_at: datetime
    note: str | None


@permissions.reads("licences", "see facility licences")
def renewals_of(db: Session, actor: Actor, licence_id: str) -> list[RenewalRow]:
    """One licence's renewals, the latest first, with who renewed it."""
    licence = _licence(db, actor, licence_id)
    renewer = people.name_or("a former user")
    stmt = (
        select(FacilityLicenceRenewal.previous_expires_on, FacilityLicenceRenewal.new_expires_on, renewer,
               FacilityLicenceRenewal.renewed_at, FacilityLicenceRenewal.note)
        .outerjoin(Profile, Profile.user_id == FacilityLicenceRenewal.renewed_by)
        .where(FacilityLicenceRenewal.licence_id == licence.id)
        .order_by(FacilityLicenceRenewal.renewed_at.desc(), FacilityLicenceRenewal.id.desc())
    )  # fmt: skip
    return [RenewalRow(*r) for r in db.execute(stmt)]


@dataclass(frozen=True)
class StoredDocument:
    file_name: str
    content_type: str
    content: bytes
    uploaded_at: datetime


@permissions.reads("licences", "download a licence's document")
def licence_document(db: Session, actor: Actor, licence_id: str) -> StoredDocument | None:
    """The licence's current paper (the latest uploaded), or None; each download is audited once a session."""
    licence = _licence(db, actor, licence_id)
    row = db.execute(
        select(FacilityLicenceDocument.id, FacilityLicenceDocument.file_name, FacilityLicenceDocument.content_type,
               FacilityLicenceDocument.content, FacilityLicenceDocument.uploaded_at)
        .where(FacilityLicenceDocument.licence_id == licence.id)
        .order_by(FacilityLicenceDocument.uploaded_at.desc(), FacilityLicenceDocument.id.desc())
        .limit(1)
    ).first()  # fmt: skip
    if row is None:
        return None
    audit.record_read(db, actor, action_type="licence_document_read", resource_type=RESOURCE_TYPE,
                      values={"licence": licence.id, "document": row.id})  # fmt: skip
    return StoredDocument(row.file_name, row.content_type, bytes(row.content), row.uploaded_at)


def _licence(db: Session, actor: Actor, licence_id: str) -> FacilityLicence:
    licence = db.get(FacilityLicence, licence_id) if usable_id(licence_id) else None
    if licence is None:
        raise NotFound("That licence no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=licence.id,
                     row_hospital_id=licence.hospital_id)  # fmt: skip
    return licence
