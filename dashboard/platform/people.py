"""People: how a person's name reads in SQL, and finding a patient to admit, book or waitlist.

`full_name(Profile)` is the one expression for "first and last name" (NULL when both are blank);
`name_or(fallback)` puts something in its place ("Unnamed patient", the email). Every module that
shows a person's name reads it from here.

Finding a patient (issue 23): one search for every picker, the way a clerk at a desk finds someone.

- By hospital number, the number on the patient's card at this hospital (migration 0016): "LUTH-000123"
  exactly, "LUTH-0001" (the start of the printed number: 100 to 199), or "123" (the number without its
  prefix and zeros). Only the numbers of the hospital the search is for: the actor's, or the one a
  network-wide user picked (checked in scope).
- By phone as it is said: "0803 123 4567", "+234 803 123 4567", "234-803-123-4567", or its start. Both
  sides are reduced to the national digits (no +234, no trunk 0, no marks) and compared as a range over
  an expression index, so "starts with" is an index read.
- By name with typos: pg_trgm word similarity ("Chukwma" finds "Chukwuma Obi") over a GIN trigram index.
- Also by email (its start) and by patient account id (whole), as before.

Ranked: a hospital number or account id first, then a phone, then an email, then names by how well
they match. The name and phone reads go through `healthdash_patient_candidates` (migration 0016): under
row-level security PostgreSQL keeps non-leakproof operators (pg_trgm's, regexp_replace) out of index
conditions, so the same query as the app role would scan every profile. Patients belong to no hospital,
so any active patient in the network may be found; the callers check that the actor may admit or book,
and each search is audited under the caller's action type, since it lists patients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput
from dashboard.platform.scope import hospital_in_scope, require_role
from db.base import UserRole
from db.models import PatientHospitalNumber, Profile, User

MIN_SEARCH = 2  # one character is the start of every name
MAX_SEARCH = 100  # longer is a paste of something else, not a name or a number
MIN_PHONE_DIGITS = 4  # national digits; fewer is the start of every number of a network
MAX_PATIENT_MATCHES = 50
NUMBER_WIDTH = 6  # LUTH-000123: the digits of a printed hospital number (more once a hospital passes 999,999)
SEARCHERS = permissions.writers("admissions") | permissions.writers("appointments")
# Only digits and the marks people write between them: "0803-123 4567", "+234 (803) 1234567".
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")
# A hospital number as typed: "LUTH-000123", "luth 123", "000123", "123".
_NUMBER_LIKE = re.compile(r"^([A-Za-z]{1,8})?\s*-?\s*(\d{1,9})$")
# Ranks: what identifies a patient outright comes before what only resembles them.
RANK_NUMBER, RANK_PHONE, RANK_EMAIL, RANK_NAME = 0, 1, 2, 3


@dataclass(frozen=True)
class PatientMatch:
    user_id: str
    name: str  # full name, or the email of a patient with no name on file
    email: str
    phone: str | None
    hospital_number: str | None = None  # at the hospital searched for; None before their first visit there
    date_of_birth: datetime | None = None

    @property
    def age(self) -> int | None:
        """Whole years on today's Lagos date."""
        if self.date_of_birth is None:
            return None
        born, today = self.date_of_birth.astimezone(LAGOS).date(), datetime.now(LAGOS).date()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def label(self) -> str:
        """How a picker shows the patient: "Amaka Eze · LUTH-000123 · 0803 555 0142 · age 41"."""
        parts = [self.name, self.hospital_number or "no number here yet"]
        if self.phone:
            parts.append(phone_text(self.phone))
        if self.age is not None:
            parts.append(f"age {self.age}")
        if not self.phone and self.name != self.email:
            parts.append(self.email)  # the one thing left that tells two namesakes apart
        return " · ".join(parts)


@dataclass(frozen=True)
class SearchTerms:
    """What a typed search can be, each part None when the text cannot be it."""

    number_range: tuple[int, int] | None  # sequence numbers, inclusive
    number_prefix: str | None  # the letters typed before the digits ("LUTH"), upper case
    phone_range: tuple[str, str | None] | None  # national digits [from, to); to None: no upper end
    name: str | None
    email: str | None
    account_id: str | None


def national_digits(phone: str) -> str:
    """A Nigerian number's digits without the country code or the trunk 0: '+234-803-1' -> '8031'."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("234"):
        return digits[3:]
    return digits[1:] if digits.startswith("0") else digits


def phone_text(phone: str) -> str:
    """A Nigerian mobile number as people say it, '0803 555 0142'; anything else as stored."""
    digits = national_digits(phone)
    if len(digits) == 10:
        return f"0{digits[:3]} {digits[3:6]} {digits[6:]}"
    return phone


def _after_prefix(digits: str) -> str | None:
    """The smallest digit string greater than every string starting with `digits` ('8039' -> '804')."""
    trimmed = digits.rstrip("9")
    return trimmed[:-1] + str(int(trimmed[-1]) + 1) if trimmed else None


def search_terms(text: str) -> SearchTerms:
    """Read a search box's text as a hospital number, a phone number, a name, an email and an account id."""
    number_range = number_prefix = phone_range = name = email = account_id = None
    number = _NUMBER_LIKE.match(text)
    if number:
        letters, digits = number.groups()
        if len(digits) >= NUMBER_WIDTH or not digits.startswith("0"):
            number_range = (int(digits), int(digits))  # the whole number, zeros left out or not
        else:  # "0001": the start of the printed "000123"
            span = 10 ** (NUMBER_WIDTH - len(digits))
            number_range = (int(digits) * span, int(digits) * span + span - 1)
        number_prefix = letters.upper() if letters else None
    if _PHONE_LIKE.match(text) and len(national_digits(text)) >= MIN_PHONE_DIGITS:
        digits = national_digits(text)
        phone_range = (digits, _after_prefix(digits))
    if any(c.isalpha() for c in text) and not (number and number_prefix):
        name = " ".join(text.lower().split())
    if not any(c.isspace() for c in text):  # an email's start or an account id: one index probe each
        account_id = email = text.lower()
    return SearchTerms(number_range, number_prefix, phone_range, name, email, account_id)


def full_name(profile=Profile) -> ColumnElement:
    """First and last name, trimmed; NULL when both are blank. `profile` may be an alias of Profile."""
    return func.nullif(func.trim(func.concat_ws(" ", profile.first_name, profile.last_name)), "")


def name_or(fallback: ColumnElement | str, profile=Profile) -> ColumnElement:
    """The person's name, or `fallback` (a column such as the email, or words) when they gave none."""
    return func.coalesce(full_name(profile), fallback)


def hospital_number(hospital_id: ColumnElement, patient_id: ColumnElement) -> ColumnElement:
    """The patient's number at that hospital (LUTH-000123), NULL before their first visit: a primary-key probe a row."""
    return (
        select(PatientHospitalNumber.number)
        .where(PatientHospitalNumber.hospital_id == hospital_id, PatientHospitalNumber.patient_id == patient_id)
        .scalar_subquery()
    )


def find_patients(
    db: Session,
    actor: Actor,
    text: str,
    *,
    hospital_id: str | None = None,
    limit: int = 20,
    audit_as: str = "patient_search",
) -> list[PatientMatch]:
    """Active patients by hospital number, phone, email, account id or name (typos allowed), best match first.

    `hospital_id` is the hospital the search is for (its numbers are searched and shown); a hospital's
    staff always search their own. At least MIN_SEARCH characters, else refused in a sentence. At most
    `limit` (capped at MAX_PATIENT_MATCHES). One statement, every part of it an index read.
    """
    require_role(db, actor, SEARCHERS, "find patients")
    text = (text if isinstance(text, str) else "").replace("\x00", "").strip()
    if len(text) < MIN_SEARCH:
        raise InvalidInput(f"Type at least {MIN_SEARCH} characters: a name, a hospital number or a phone number.")
    if len(text) > MAX_SEARCH:
        raise InvalidInput(f"That search is {len(text):,} characters long. Type a name, a number or a phone.")
    numbering = _numbering_hospital(db, actor, hospital_id)
    cap = max(1, min(int(limit), MAX_PATIENT_MATCHES))
    terms = search_terms(text)
    found = _found(terms, numbering, cap)
    if found is None:  # "{{7*7}} $": no name, number, phone or email in it
        audit.record_read(db, actor, action_type=audit_as, resource_type="user", values={"search": text})
        return []
    shown = func.coalesce(full_name(Profile), User.email)
    number = PatientHospitalNumber.number if numbering else null()
    stmt = (
        select(User.id, shown, User.email, Profile.phone, number, Profile.date_of_birth)
        .join(found, found.c.user_id == User.id)
        .join(Profile, Profile.user_id == User.id)
        .where(Profile.role == UserRole.PATIENT, Profile.is_active)
        .order_by(found.c.rank, found.c.score.desc(), found.c.position, shown, User.id)
        .limit(cap)
    )
    if numbering:
        stmt = stmt.outerjoin(
            PatientHospitalNumber,
            and_(PatientHospitalNumber.patient_id == User.id, PatientHospitalNumber.hospital_id == numbering),
        )
    rows = db.execute(stmt).all()
    audit.record_read(db, actor, action_type=audit_as, resource_type="user", values={"search": text})
    return [PatientMatch(*r) for r in rows]


def _numbering_hospital(db: Session, actor: Actor, hospital_id: str | None) -> str | None:
    """The hospital whose numbers are searched: the actor's own, or the one asked for, checked in scope."""
    if hospital_id is not None:
        hospital_in_scope(db, actor, hospital_id)  # a form naming another hospital is refused and audited
        return hospital_id
    return actor.hospital_id  # None: a network-wide search with no hospital picked, without numbers


def _found(terms: SearchTerms, numbering: str | None, cap: int):
    """(user_id, rank, score) of every patient some part of the search matches, one row per patient."""
    sources = []
    if numbering and terms.number_range:
        first, last = terms.number_range
        numbers = PatientHospitalNumber
        where = [numbers.hospital_id == numbering, numbers.sequence_number.between(first, last)]
        if terms.number_prefix:
            where.append(numbers.number.startswith(terms.number_prefix + "-", autoescape=True))
        sources.append(
            select(*_row(numbers.patient_id, RANK_NUMBER, position=numbers.sequence_number))
            .where(*where)
            .order_by(numbers.sequence_number)
            .limit(cap)
        )
    if terms.account_id:
        sources.append(select(*_row(User.id, RANK_NUMBER)).where(User.id == terms.account_id))
    if terms.email:  # its start, as a range over the unique index on email
        after = terms.email[:-1] + chr(ord(terms.email[-1]) + 1)
        sources.append(
            select(*_row(User.id, RANK_EMAIL))
            .where(User.email >= terms.email, User.email < after, User.email.startswith(terms.email, autoescape=True))
            .limit(cap)
        )
    if terms.name or terms.phone_range:
        phone_from, phone_to = terms.phone_range or (None, None)
        candidates = func.healthdash_patient_candidates(terms.name, phone_from, phone_to, cap).table_valued(
            "user_id", "matched_by", "score"
        )
        rank = case((candidates.c.matched_by == "phone", RANK_PHONE), else_=RANK_NAME)
        sources.append(select(*_row(candidates.c.user_id, rank, candidates.c.score)))
    if not sources:
        return None
    everything = union_all(*sources).subquery()
    return (
        select(
            everything.c.user_id,
            func.min(everything.c.rank).label("rank"),
            func.max(everything.c.score).label("score"),
            func.min(everything.c.position).label("position"),
        )
        .group_by(everything.c.user_id)
        .subquery()
    )


def _row(user_id, rank, score=1.0, position=0) -> tuple:
    """One candidate's columns, named alike in every part of the union; `position` orders numbers among themselves."""
    rank = literal(rank) if isinstance(rank, int) else rank
    score = literal(score) if isinstance(score, float) else score
    position = literal(position) if isinstance(position, int) else position
    return user_id.label("user_id"), rank.label("rank"), score.label("score"), position.label("position")
