"""People: how a person's name reads in SQL, and finding a patient to admit or book.

`full_name(Profile)` is the one expression for "first and last name" (NULL when both are blank);
`name_or(fallback)` puts something in its place ("Unnamed patient", the email). Every module that
shows a person's name reads it from here.

Finding a patient: by name, email, phone or patient number, one search for every picker.

A clerk at a desk types what the patient gives them: a name ("amaka eze"), a phone number in any
of the ways Nigerians write one ("0803 123 4567", "+234 803 123 4567", "8031234567"), or the patient
number from a card or a letter. The schema has no hospital number (MRN) of its own: the patient
number is the patient's account id (`users.id`), matched whole.

Phones are stored as typed ("+234-803-123-4567"), so both sides are reduced to their national
digits (no "+234", no leading 0) and a typed number matches the start of a stored one. The search
is a scan of the active patients' profiles (the role index narrows it), as the name search always
was; an expression index on the phone digits would need a migration of its own.

Any active patient in the network may be found (patients belong to no hospital); the callers check
that the actor may admit or book before searching, and each search is audited under the caller's
action type, since it lists patients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.paging import like_pattern
from dashboard.platform.scope import require_role
from db.base import UserRole
from db.models import Profile, User

MIN_SEARCH = 2  # fewer characters find nobody rather than everybody
MIN_PHONE_DIGITS = 4  # national digits; fewer is the start of every number of a network
MAX_PATIENT_MATCHES = 50
SEARCHERS = permissions.writers("admissions") | permissions.writers("appointments")
# Only digits and the marks people write between them: "0803-123 4567", "+234 (803) 1234567".
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


@dataclass(frozen=True)
class PatientMatch:
    user_id: str
    name: str  # full name, or the email of a patient with no name on file
    email: str
    phone: str | None


def national_digits(phone: str) -> str:
    """A Nigerian number's digits without the country code or the trunk 0: '+234-803-1' -> '8031'."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("234"):
        return digits[3:]
    return digits[1:] if digits.startswith("0") else digits


def _national_digits_sql(column: ColumnElement) -> ColumnElement:
    """national_digits() in SQL, so the stored phones are compared in the same form as the typed one."""
    digits = func.regexp_replace(column, r"\D", "", "g")
    return func.regexp_replace(func.regexp_replace(digits, "^234", ""), "^0", "")


def full_name(profile=Profile) -> ColumnElement:
    """First and last name, trimmed; NULL when both are blank. `profile` may be an alias of Profile."""
    return func.nullif(func.trim(func.concat_ws(" ", profile.first_name, profile.last_name)), "")


def name_or(fallback: ColumnElement | str, profile=Profile) -> ColumnElement:
    """The person's name, or `fallback` (a column such as the email, or words) when they gave none."""
    return func.coalesce(full_name(profile), fallback)


def find_patients(
    db: Session, actor: Actor, text: str, *, limit: int = 20, audit_as: str = "patient_search"
) -> list[PatientMatch]:
    """Active patients whose name or email contains `text`, whose phone starts with it, or whose patient number it is.

    At least MIN_SEARCH characters (a phone number at least MIN_PHONE_DIGITS digits); shorter finds
    nobody. Ordered by name; at most `limit` (capped at MAX_PATIENT_MATCHES).
    """
    require_role(db, actor, SEARCHERS, "find patients")
    text = (text if isinstance(text, str) else "").replace("\x00", "").strip()
    if len(text) < MIN_SEARCH:
        return []
    name = full_name(Profile)
    matches = [name.ilike(like_pattern(text)), User.email.ilike(like_pattern(text)), User.id == text.lower()]
    if _PHONE_LIKE.match(text) and len(national_digits(text)) >= MIN_PHONE_DIGITS:
        prefix = like_pattern(national_digits(text))[1:]  # digits only: no wildcard to escape; anchored at the start
        matches.append(_national_digits_sql(Profile.phone).like(prefix))
    shown = func.coalesce(name, User.email)
    stmt = (
        select(User.id, shown, User.email, Profile.phone)
        .join(Profile, Profile.user_id == User.id)
        .where(Profile.role == UserRole.PATIENT, Profile.is_active, or_(*matches))
        .order_by(shown, User.email, User.id)
        .limit(max(1, min(int(limit), MAX_PATIENT_MATCHES)))
    )
    rows = db.execute(stmt).all()
    audit.record_read(db, actor, action_type=audit_as, resource_type="user", values={"search": text})
    return [PatientMatch(*r) for r in rows]
