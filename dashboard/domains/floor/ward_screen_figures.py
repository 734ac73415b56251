"""The ward TV view's numbers, read through the figure catalogue's own functions (one truth).

Nothing is counted here: free beds are `bed_figures.bed_totals` (the "Free beds now" card of Overview and
Resources & beds) and, per ward, `bed_figures.bed_census` (the census table's rows); patients waiting and the
longest wait are `waitlist_queue.waiting_now` (the Waitlist's and Overview's cards), or for a screen of
one department the Waitlist's per-department summary (`queue_summary`); referrals awaiting are
`referral_reads.board`'s, and open emergencies `open_list.open_counts`'s. So the screen on the wall and the
pages on a desk show the same numbers (tests/people/test_ward_screens.py holds them equal).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dashboard.domains.emergencies import open_list, referral_reads
from dashboard.domains.floor import bed_figures, waitlist_queue
from dashboard.platform import permissions
from dashboard.platform.actors import Actor

# Whoever reads every figure the view shows: each read below checks its own area again.
VIEW_READERS = permissions.readers("resources") & permissions.readers("waitlist") & permissions.readers("emergencies")


@dataclass(frozen=True)
class WardFree:
    ward: str
    free: int
    usable: int


@dataclass(frozen=True)
class ScreenFigures:
    free_beds: int  # figure "free_beds"
    wards: list[WardFree]  # each ward's free beds, by ward name
    patients_waiting: int  # figure "patients_waiting" (of the department, for a department's screen)
    longest_wait_minutes: float | None  # figure "longest_wait_now"; None when nobody waits
    referrals_awaiting: int  # figure "referrals_awaiting"
    open_emergencies: int  # figure "open_emergencies"
    critical_emergencies: int  # figure "critical_emergencies"


@permissions.reads(VIEW_READERS)
def screen_figures(db: Session, actor: Actor, *, department: str | None = None) -> ScreenFigures:
    """Everything a ward screen shows for the actor's hospital, from the catalogue's sources."""
    totals = bed_figures.bed_totals(db, actor)
    census = bed_figures.bed_census(db, actor)
    wards = [WardFree(w.ward or "Ward", w.beds.available, w.beds.usable) for w in census.wards if w.resource_id]
    if department is None:
        now = waitlist_queue.waiting_now(db, actor)
        waiting, longest = now.waiting, now.longest_wait_minutes
    else:
        rows = [q for q in waitlist_queue.queue_summary(db, actor) if q.department == department]
        waiting = sum(q.waiting for q in rows)
        longest = max((q.longest_wait_minutes for q in rows), default=None)
    board = referral_reads.board(db, actor, limit=1)  # only its counts are shown; they count every row
    emergencies = open_list.open_counts(db, actor)
    return ScreenFigures(
        free_beds=totals.available,
        wards=sorted(wards, key=lambda w: w.ward),
        patients_waiting=waiting,
        longest_wait_minutes=longest,
        referrals_awaiting=board.awaiting,
        open_emergencies=emergencies.open,
        critical_emergencies=emergencies.critical,
    )
