"""Licence commands: record a licence (with its paper), and renew one. Each checks what a form sends, field by
field, refuses in a sentence, and is audited in the write's own transaction.

A paper's type is recognised from its content (the `filetype` package reads the first bytes), never from
its name or what the browser said: only PDF, PNG and JPEG are kept, at most 5 MB, and a name whose
extension says another type than the content is refused, so nobody downloads "licence.pdf" to find an image.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

import filetype
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.governance.licences import KIND_WORDS, RESOURCE_TYPE
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import day_text
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.scope import hospital_in_scope, require_in_scope, require_role
from db.models import FacilityLicence, FacilityLicenceDocument, FacilityLicenceRenewal
from db.models.licences import LICENCE_DOCUMENT_TYPES, MAX_DOCUMENT_BYTES

WRITERS = permissions.writers("licences")
MAX_ISSUER_LENGTH = 120
MAX_NUMBER_LENGTH = 60
MAX_NOTE_LENGTH = 500
MAX_FILE_NAME_LENGTH = 200
EARLIEST_ISSUE = date(1960, 1, 1)  # the oldest hospitals in the network were licensed after independence
LONGEST_TERM = timedelta(days=10 * 366)  # no Nigerian facility licence runs longer; more is a mistyped year
TYPE_WORDS = {"application/pdf": "a PDF", "image/png": "a PNG image", "image/jpeg": "a JPEG image"}
EXTENSIONS = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_audit = audit.Recorder("compliance", RESOURCE_TYPE, impact="medium", compliance_relevant=True)


@dataclass(frozen=True)
class CheckedDocument:
    file_name: str
    content_type: str
    content: bytes


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@dataclass(frozen=True)
class DocumentWords:
    """What an upload is called in its refusals: a licence's paper, or a compliance item's evidence."""

    attach: str  # "Attach the licence's document as a file (PDF, PNG or JPEG)."
    empty: str  # "attach the scanned licence itself."
    limit: str  # "a licence's document can be at most"
    kept_as: str  # "Attach the licence as a PDF, PNG or JPEG file."
    stem: str  # the name of a file with no name
    # A name saying another type than the content: refused (a licence), or renamed for the content (evidence).
    renames: bool = False


LICENCE_WORDS = DocumentWords(
    attach="Attach the licence's document as a file (PDF, PNG or JPEG).", empty="attach the scanned licence itself.",
    limit="a licence's document can be at most", kept_as="Attach the licence as a PDF, PNG or JPEG file.",
    stem="licence",
)  # fmt: skip


def checked_document(content: Any, file_name: Any, *, words: DocumentWords = LICENCE_WORDS) -> CheckedDocument:
    """A paper as uploaded: PDF, PNG or JPEG by its content, at most 5 MB, its name agreeing."""
    if not isinstance(content, bytes | bytearray | memoryview) or not isinstance(file_name, str):
        raise InvalidInput(words.attach)
    content = bytes(content)
    name = PurePath(file_name.replace("\\", "/").replace("\x00", "")).name.strip()[:MAX_FILE_NAME_LENGTH] or words.stem
    if not content:
        raise InvalidInput(f"“{name}” is empty; {words.empty}")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"“{name}” is {_megabytes(len(content))}; {words.limit} "
            f"{_megabytes(MAX_DOCUMENT_BYTES)}. Scan it at a lower resolution or save it as a PDF."
        )
    found = filetype.guess(content)
    mime = found.mime if found is not None else None
    if mime not in LICENCE_DOCUMENT_TYPES:
        what = f"its content is {found.mime}" if found is not None else "its content is not a PDF or an image"
        raise InvalidInput(f"“{name}” cannot be kept: {what}. {words.kept_as}")
    named = EXTENSIONS.get(PurePath(name).suffix.lower())
    if named is not None and named != mime and not words.renames:
        raise InvalidInput(f"“{name}” is named as {TYPE_WORDS[named]} but its content is {TYPE_WORDS[mime]}; "
                           "attach the real file, or name it for what it is.")  # fmt: skip
    if named != mime:  # no extension, one that says nothing, or another type's: the name gets the content's own
        name = f"{PurePath(name).stem or words.stem}{'.pdf' if mime == 'application/pdf' else '.' + found.extension}"
    return CheckedDocument(name, mime, content)


def _checked_day(value: Any, label: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"{label} must be a date (for example 2027-03-31).")


def _store(db: Session, actor: Actor, licence: FacilityLicence, document: CheckedDocument) -> FacilityLicenceDocument:
    stored = FacilityLicenceDocument(
        licence_id=licence.id, hospital_id=licence.hospital_id, file_name=document.file_name,
        content_type=document.content_type, size_bytes=len(document.content), content=document.content,
        uploaded_by=actor.user_id,
    )  # fmt: skip
    db.add(stored)
    return stored


@dataclass(frozen=True)
class Added:
    id: str
    hospital_name: str
    kind_word: str
    expires_on: date


def add_licence(
    db: Session, actor: Actor, *, hospital_id: str, kind: str, issuer: Any, registry_number: Any,
    issued_on: Any, expires_on: Any, document: Any = None, file_name: Any = None,
) -> Added:  # fmt: skip
    """Record a licence or accreditation of a hospital in scope, with its paper when one is attached."""
    require_role(db, actor, WRITERS, "record facility licences")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    if kind not in KIND_WORDS:
        raise InvalidInput("Pick what the paper is: an operating licence, an accreditation or another licence.")
    issuer = checked_text(issuer, "The issuer", MAX_ISSUER_LENGTH)
    number = checked_text(registry_number, "The registry number", MAX_NUMBER_LENGTH)
    if not issuer:
        raise InvalidInput("Name the issuer (for example HEFAMAA or the State Ministry of Health).")
    if not number:
        raise InvalidInput("Give the registry number printed on the licence.")
    issued, expires = _checked_day(issued_on, "The issue date"), _checked_day(expires_on, "The expiry date")
    today = db.scalar(select(func.timezone("Africa/Lagos", func.now()))).date()
    if not EARLIEST_ISSUE <= issued <= today:
        raise InvalidInput(f"The issue date must be between {day_text(EARLIEST_ISSUE)} and today.")
    if expires <= issued:
        raise InvalidInput("The expiry date must be after the issue date.")
    if expires - issued > LONGEST_TERM:
        raise InvalidInput("A licence runs at most ten years; check the expiry date's year.")
    paper = None if document is None else checked_document(document, file_name)
    licence = FacilityLicence(hospital_id=hospital_id, kind=kind, issuer=issuer, registry_number=number,
                              issued_on=issued, expires_on=expires, created_by=actor.user_id)  # fmt: skip
    db.add(licence)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise InvalidInput(f"{hospital_name} already has {issuer}'s licence number {number} on record; "
                           "renew that one instead.") from None  # fmt: skip
    if paper is not None:
        _store(db, actor, licence, paper)
        db.flush()
    _audit(db, actor, "licence_recorded", licence.id, hospital=hospital_id,
           new={"hospital": hospital_name, "kind": kind, "issuer": issuer, "registry_number": number,
                "issued_on": issued.isoformat(), "expires_on": expires.isoformat(),
                "document": paper.file_name if paper else None})  # fmt: skip
    return Added(licence.id, hospital_name, KIND_WORDS[kind], expires)


@dataclass(frozen=True)
class Renewed:
    hospital_name: str
    kind_word: str
    previous_expires_on: date
    new_expires_on: date


def renew_licence(
    db: Session, actor: Actor, licence_id: str, *, new_expires_on: Any, seen_expires_on: Any = None,
    note: Any = None, document: Any = None, file_name: Any = None,
) -> Renewed:  # fmt: skip
    """Extend a licence to its new expiry date; the renewal row says from when to when, who and when.

    `seen_expires_on` is the expiry the renewer saw: if someone renewed it in the meantime, the command is
    refused rather than renewing twice.
    """
    require_role(db, actor, WRITERS, "renew facility licences")
    licence = None
    if usable_id(licence_id):
        licence = db.scalars(select(FacilityLicence).where(FacilityLicence.id == licence_id).with_for_update()
                             .execution_options(populate_existing=True)).first()  # fmt: skip
    if licence is None:
        raise NotFound("That licence no longer exists.")
    require_in_scope(db, actor, resource_type=RESOURCE_TYPE, resource_id=licence.id,
                     row_hospital_id=licence.hospital_id)  # fmt: skip
    hospital_name = hospital_in_scope(db, actor, licence.hospital_id)
    previous = licence.expires_on
    if seen_expires_on is not None and _checked_day(seen_expires_on, "The expiry seen") != previous:
        raise InvalidInput(f"This licence was renewed a moment ago; it now expires on {day_text(previous)}. "
                           "Look at the list again.")  # fmt: skip
    new = _checked_day(new_expires_on, "The new expiry date")
    if new <= previous:
        raise InvalidInput(f"The new expiry date must be after the current one ({day_text(previous)}).")
    if new - max(previous, licence.issued_on) > LONGEST_TERM:
        raise InvalidInput("A renewal runs at most ten years; check the new expiry date's year.")
    words = checked_text(note, "The note", MAX_NOTE_LENGTH)
    paper = None if document is None else checked_document(document, file_name)
    renewal = FacilityLicenceRenewal(licence_id=licence.id, hospital_id=licence.hospital_id,
                                     previous_expires_on=previous, new_expires_on=new, renewed_by=actor.user_id,
                                     note=words)  # fmt: skip
    db.add(renewal)
    licence.expires_on = new
    if paper is not None:
        _store(db, actor, licence, paper)
    db.flush()
    _audit(db, actor, "licence_renewed", licence.id, hospital=licence.hospital_id,
           old={"expires_on": previous.isoformat()},
           new={"expires_on": new.isoformat(), "renewal": renewal.id, "note": words,
                "document": paper.file_name if paper else None})  # fmt: skip
    return Renewed(hospital_name, KIND_WORDS.get(licence.kind, licence.kind), previous, new)
