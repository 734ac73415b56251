"""The lists a digest can send as Excel, each with the filters it keeps and how they are checked.

A subscription stores a list's key and its filters as JSON; `checked_filters` is the one gate they pass
(when the subscription is made, and again when a digest is rendered, since the JSON is data): unknown names,
wrong types and values outside the list's own choices are refused in a sentence. A list's rows come from the
same export service its page offers (scoped, audited as an export by the subscriber); its columns are the
page's own table (dashboard/digests_command.py puts the two together).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dashboard.domains.appointments import appointment_list
from dashboard.domains.appointments.words import how_label, status_label
from dashboard.domains.floor import admission_queries
from dashboard.domains.governance import licences
from dashboard.platform.errors import InvalidInput
from dashboard.platform.inputs import checked_text
from db.vocab import APPOINTMENT_STATUSES, CONSULTATION_TYPES

MAX_SEARCH_LENGTH = 80
APPOINTMENT_DAYS = (1, 7, 14, 30)  # the appointments from the send day on, this many days


@dataclass(frozen=True)
class DigestList:
    key: str
    label: str  # as the form and the email name it
    area: str  # the permission area whose readers may have it (the page that shows the list)
    export_service: Callable[..., tuple[list, bool]]  # (db, actor, *, search, **filters) -> (rows, truncated)
    choices: Mapping[str, tuple]  # filter name -> its allowed values (None: any); "search" is free text
    words: Callable[[Mapping[str, Any]], str]  # the filters in words, for the page and the email

    def service_filters(self, filters: Mapping[str, Any], send_day: date) -> dict[str, Any]:
        """The export service's keywords for the filters kept, on the day the digest is sent."""
        kept = {k: v for k, v in filters.items() if k != "days"}
        if self.key == "appointments":
            days = int(filters.get("days", 7))
            kept.update(start=send_day, end=send_day + timedelta(days=days - 1))
        elif self.key == "licences":
            kept["today"] = send_day
        kept.setdefault("search", "")
        return kept


def _search_words(filters: Mapping[str, Any]) -> str:
    return f", matching “{filters['search']}”" if filters.get("search") else ""


def _admitted_words(filters: Mapping[str, Any]) -> str:
    return "Everyone admitted" + _search_words(filters)


def _appointment_words(filters: Mapping[str, Any]) -> str:
    days = int(filters.get("days", 7))
    words = ["The send day" if days == 1 else f"Next {days} days"]
    if filters.get("status"):
        words.append(status_label(filters["status"]).lower())
    if filters.get("consultation_type"):
        words.append(how_label(filters["consultation_type"]).lower())
    return ", ".join(words) + _search_words(filters)


def _licence_words(filters: Mapping[str, Any]) -> str:
    band = filters.get("band")
    return ("Every licence" if not band else licences.bands()[band].word) + _search_words(filters)


LISTS: dict[str, DigestList] = {
    d.key: d
    for d in (
        DigestList("admitted", "Admitted patients", "admissions", admission_queries.export_admitted, {},
                   _admitted_words),
        DigestList("appointments", "Appointments", "appointments", appointment_list.export_appointments,
                   {"days": APPOINTMENT_DAYS, "status": (None, *APPOINTMENT_STATUSES),
                    "consultation_type": (None, *CONSULTATION_TYPES)}, _appointment_words),
        DigestList("licences", "Licences", "licences", licences.export_licences, {"band": (None, *licences.BANDS)},
                   _licence_words),
    )
}  # fmt: skip


def digest_list(key: Any) -> DigestList:
    found = LISTS.get(key) if isinstance(key, str) else None
    if found is None:
        raise InvalidInput("Pick a list to send: " + ", ".join(d.label.lower() for d in LISTS.values()) + ".")
    return found


def checked_filters(key: Any, filters: Any) -> dict[str, Any]:
    """A list's filters as stored: only its own names, each a value it offers; empty ones left out."""
    chosen = digest_list(key)
    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        raise InvalidInput("The list's filters must be a set of names and values.")
    unknown = sorted(str(name) for name in filters if name != "search" and name not in chosen.choices)
    if unknown:
        raise InvalidInput(f"The {chosen.label.lower()} list has no filter named {', '.join(unknown)}.")
    kept: dict[str, Any] = {}
    search = checked_text(filters.get("search"), "The search", MAX_SEARCH_LENGTH)
    if search:
        kept["search"] = search
    for name, allowed in chosen.choices.items():
        value = filters.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or value not in allowed:
            offered = ", ".join(str(a) for a in allowed if a is not None)
            raise InvalidInput(f"The filter {name.replace('_', ' ')} cannot be {value!r}; pick one of {offered}.")
        kept[name] = value
    return kept
