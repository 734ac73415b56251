"""The Overview's licence alerts: licences expired or within the first notice period, as the Licences page bands them.

A part of the Overview (overview_page.py runs it), for the roles that read licences.
"""

from __future__ import annotations

from dashboard.domains.governance import licences
from dashboard.kit import alerts, filters
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import count, lagos_date, md_escape
from dashboard.shell import data
from db.settings import Level, Settings


def licence_alerts(ctx: PageContext, limits: Settings) -> list[alerts.Alert]:
    """One line per licence expired or expiring within the first notice days (90 by default), most urgent first."""
    days = limits.licence_first_notice_days
    notice, found = Level(days, days, higher_is_worse=False), []
    for licence in data.cached(licences.licence_alerts, ctx.actor, today=filters.today()):
        name, when, left = md_escape(licence.hospital_name), lagos_date(licence.expires_on), licence.days_left
        what = f"{licence.kind_word} of {name} ({md_escape(licence.issuer)})"
        found.append(alerts.Alert(
            key=f"licence:{licence.id}", value=float(left), level=notice, page="licences",
            text=f"{what} expired on {when}." if left < 0 else f"{what} expires in {count(left)} "
            f"day{'' if left == 1 else 's'} ({when}).",
            kind="Licences expired" if left < 0 else "Licences expiring", short=f"{name} ({when})",
        ))  # fmt: skip
    return found
