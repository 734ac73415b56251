"""The alerts summary digest: what the Overview's alert panel lists, as plain sentences for an email.

It reads the same services the Overview's panel reads (resources running low, stale bed counts, patients waiting
past their target, licences expired or expiring), each for the subscriber and only those their role reads, and
applies each alert's raise level. The panel's hysteresis (an alert between its raise and clear levels stands
only if it stood a moment ago) needs a memory an email does not have: the email names what is at or past the
raise level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from dashboard.domains.floor import bed_figures, resource_list, waitlist_queue
from dashboard.domains.governance import licences
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.formatting import count, humanise, lagos_date, minutes_words
from db import settings

MOST_LINES_PER_KIND = 15  # a network's worth is summed up: "and 40 more"


@dataclass(frozen=True)
class AlertSection:
    title: str
    lines: list[str]
    more: int  # lines left out past MOST_LINES_PER_KIND


def _section(title: str, lines: list[str]) -> AlertSection | None:
    if not lines:
        return None
    return AlertSection(title, lines[:MOST_LINES_PER_KIND], max(0, len(lines) - MOST_LINES_PER_KIND))


def alert_sections(db: Session, actor: Actor, *, today: date) -> list[AlertSection]:
    """The alerts standing in the actor's scope, by kind; an empty list when nothing breaches a threshold."""
    limits, role = settings.current(), actor.role
    where = (lambda name: f" at {name}") if actor.network_wide else (lambda name: "")
    sections: list[AlertSection | None] = []
    if role in permissions.readers("resources"):
        low = [f"{r.name}{where(r.hospital_name)}: {count(r.available)} of {count(r.usable)} free "
               f"({r.free_percent:.0f}%)." for r in resource_list.low_availability_alerts(db, actor, values=limits)
               if r.at_raise_level]  # fmt: skip
        sections.append(_section("Running low", low))
        stale = []
        for beds in bed_figures.beds_by_hospital(db, actor, values=limits):
            if beds.stale:
                hours = beds.hours_since_update
                age = "never reported" if hours is None else f"last counted {minutes_words(hours * 60)} ago"
                stale.append(f"Bed counts at {beds.hospital_name} are stale ({age}).")
        sections.append(_section("Stale bed counts", stale))
    if role in permissions.readers("waitlist"):
        waits = [f"{b.patient_name} ({humanise(b.priority)}, {b.department}{where(b.hospital_name)}) has waited "
                 f"{minutes_words(b.waited_minutes)}."
                 for b in waitlist_queue.breaches(db, actor, values=limits) if b.over_target]  # fmt: skip
        sections.append(_section("Waiting past the target", waits))
    if role in permissions.readers("licences"):
        papers = []
        for lic in licences.licence_alerts(db, actor, today=today):
            what = f"{lic.kind_word} of {lic.hospital_name} ({lic.issuer})"
            when = lagos_date(lic.expires_on)
            days = f"{count(lic.days_left)} day{'' if lic.days_left == 1 else 's'}"
            papers.append(f"{what} expired on {when}." if lic.days_left < 0 else f"{what} expires in {days} ({when}).")
        sections.append(_section("Licences expired or expiring", papers))
    return [s for s in sections if s is not None]


def alerts_text(sections: list[AlertSection]) -> str:
    """The sections as the email's plain text."""
    if not sections:
        return "Nothing in this scope breaches a threshold right now."
    parts = []
    for section in sections:
        total = len(section.lines) + section.more
        parts.append(f"{section.title} ({count(total)})")
        parts.extend(f"  - {line}" for line in section.lines)
        if section.more:
            parts.append(f"  … and {count(section.more)} more: open the dashboard to see them all.")
        parts.append("")
    return "\n".join(parts).rstrip()
