"""How the floor's figures read: a count's age, an arrival's time, and the beds in use against their patients.

Resources & beds and Admissions tell the same story of the beds (bed_figures.BedTotals) in the same words.
"""

from __future__ import annotations

from datetime import datetime

from dashboard.domains.floor.bed_figures import BedCensus, BedTotals
from dashboard.platform.formatting import LAGOS, count, lagos_time, minutes_words


def age(hours: float | None) -> str:
    """'3 hours ago', or 'never' for a count never made."""
    return "never" if hours is None else f"{minutes_words(hours * 60)} ago"


def age_short(hours: float | None, stale: bool) -> str:
    """'3 h', '2 d', 'Stale: 27 h': short enough for a table that fits 1400 px."""
    if hours is None:
        return "Never"
    words = "< 1 h" if hours < 1 else f"{hours:,.0f} h" if hours < 48 else f"{hours / 24:,.0f} d"
    return f"Stale: {words}" if stale else words


def arrived(moment: datetime) -> str:
    """'03:41' today; '24 Nov, 18:05' for an arrival on an earlier day, so a long wait reads right."""
    local = moment.astimezone(LAGOS)
    if local.date() == datetime.now(LAGOS).date():
        return lagos_time(moment)
    return f"{local.day} {local:%b}, {local:%H:%M}"


def held(beds: BedTotals) -> str:
    """'97 counted in use, 7 admitted here: 90 not recorded in this system', or that the two agree."""
    if beds.in_use == 0:
        return "No bed counted in use"
    if beds.not_recorded == 0:
        return f"{count(beds.in_use)} in use, each held by a patient admitted here"
    return (
        f"{count(beds.in_use)} counted in use, {count(beds.held)} admitted here: "
        f"{count(beds.not_recorded)} not recorded in this system"
    )


def waiting_for_bed(census: BedCensus) -> str:
    """'2 admitted patients wait for a bed and hold none.', or nothing when nobody waits."""
    waiting = census.waiting_for_bed
    if not waiting:
        return ""
    if waiting == 1:
        return f"{count(waiting)} admitted patient waits for a bed and holds none."
    return f"{count(waiting)} admitted patients wait for a bed and hold none."


def in_hospital(in_hospital: int, census: BedCensus) -> str:
    """The patients in hospital against the beds the wards count in use, so the two numbers read as one story."""
    beds = census.total
    where = f"{count(in_hospital)} in hospital now: {count(beds.held)} in a bed"
    where += f", {count(census.waiting_for_bed)} waiting for one. " if census.waiting_for_bed else ". "
    if beds.not_recorded == 0:
        return where + f"The wards count {count(beds.in_use)} beds in use, each held by a patient admitted here."
    return where + (
        f"The wards count {count(beds.in_use)} beds in use, {count(beds.held)} admitted here: "
        f"{count(beds.not_recorded)} not recorded in this system."
    )
