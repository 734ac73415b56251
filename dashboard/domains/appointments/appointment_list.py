"""The list of appointments in the actor's scope, and its export: by date range, physician, status and patient.

Upcoming appointments come first, the next at the top, then past ones, the latest first. Patient names
with their doctors and visits are health data: each list and export is audited, and never cached.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from dashboard.domains.appointments.records import (
    READERS,
    RESOURCE_TYPE,
    AppointmentRow,
    dated_within,
    lagos_day,
    patient_name,
    physician_name,
    select_rows,
)
from dashboard.platform import audit
from dashboard.platform.actors import Actor
from dashboard.platform.dates import LAGOS, checked_range, lagos_midnight
from dashboard.platform.errors import InvalidInput
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import MAX_PAGE_SIZE, Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_role
from db.models import Appointment, User
from db.vocab import APPOINTMENT_STATUSES, CONSULTATION_TYPES

# The page's cards, charts and list reach this far past the sidebar's range unless the reader turns it off:
# a booking is for the days ahead, and a range that ends today would hide every one just made.
UPCOMING_DAYS = 60


def covered(start: date, end: date, *, today: date, upcoming: bool) -> tuple[date, date]:
    """The days the page shows: the range asked for, reaching UPCOMING_DAYS past today when `upcoming`."""
    reach = today + timedelta(days=UPCOMING_DAYS)
    return (start, reach) if upcoming and end < reach else (start, end)


def list_appointments(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    physician_id: str | None = None,
    status: str | None = None,
    consultation_type: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 50,
) -> Page[AppointmentRow]:
    """Appointments dated from `start` to `end` (Lagos days, inclusive), searched by patient.

    Upcoming ones come first, the next at the top, then past ones, the latest first (`_list_order`).
    """
    require_role(db, actor, READERS, "see appointments")
    now = datetime.now(LAGOS)
    stmt = _listing(actor, start, end, physician_id, status, consultation_type, search, now=now)
    if (search if isinstance(search, str) else "").strip():
        # A search filters on the patient's name: the count needs the joins the list has.
        rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    else:
        rows, total, page, page_size = _unsearched_page(
            db, actor, start, end, physician_id, status, consultation_type, page=page, page_size=page_size, now=now
        )
    # Patient names with their doctors and visits are health data: who looked, at what, is on record.
    audit.record_read(
        db,
        actor,
        action_type="appointment_list_viewed",
        resource_type=RESOURCE_TYPE,
        values=_filters(start, end, physician_id, status, consultation_type, search) | {"page": page},
    )
    return Page([AppointmentRow(*r) for r in rows], total, page, page_size)


def export_appointments(
    db: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    physician_id: str | None = None,
    status: str | None = None,
    consultation_type: str | None = None,
    search: str = "",
) -> tuple[list[AppointmentRow], bool]:
    """Every appointment the list shows, in its order, up to paging.EXPORT_LIMIT, and whether the limit cut it."""
    require_role(db, actor, READERS, "export appointments")
    stmt = _listing(actor, start, end, physician_id, status, consultation_type, search)
    rows, truncated = fetch_capped(db, stmt)
    audit.record_export(
        db,
        actor,
        action_type="appointments_exported",
        resource_type=RESOURCE_TYPE,
        filters=_filters(start, end, physician_id, status, consultation_type, search),
        rows=len(rows),
    )
    return [AppointmentRow(*r) for r in rows], truncated


def _listing(
    actor: Actor,
    start: Any,
    end: Any,
    physician_id: str | None,
    status: str | None,
    consultation_type: str | None,
    search: str,
    *,
    now: datetime | None = None,
) -> Select:
    start, end = checked_range(start, end)
    stmt = select_rows().where(*dated_within(start, end))
    if physician_id is not None:
        if not usable_id(physician_id):
            raise InvalidInput("Pick a physician from the list.")
        stmt = stmt.where(Appointment.physician_id == physician_id)
    if status is not None:
        if status not in APPOINTMENT_STATUSES:
            raise InvalidInput("Pick a status from the list.")
        stmt = stmt.where(Appointment.status == status)
    if consultation_type is not None:
        if consultation_type not in CONSULTATION_TYPES:
            raise InvalidInput("Pick in person or virtual.")
        stmt = stmt.where(Appointment.consultation_type == consultation_type)
    search = (search if isinstance(search, str) else "").strip()
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(or_(patient_name.ilike(pattern), User.email.ilike(pattern)))
    return limit_to_scope(stmt, actor, Appointment.hospital_id).order_by(
        *_list_order(now), physician_name, Appointment.id
    )


def _list_order(now: datetime | None = None) -> tuple[Any, ...]:
    """Upcoming appointments first, the next one at the top; then past ones, the latest first.

    A reader opens the list to see who is coming; a range that ends today used to open at its oldest
    day, weeks back. Past ones follow newest first, so yesterday's sit just below today's. By the slot
    (Lagos day and "HH:MM" time), not by appointment_date: some clients stamp it at midnight.
    """
    now = (now or datetime.now(LAGOS)).astimezone(LAGOS)
    past = or_(
        lagos_day < now.date(),
        and_(lagos_day == now.date(), Appointment.appointment_time < f"{now:%H:%M}"),
    )
    return (
        past,  # false, upcoming, sorts first
        case((~past, lagos_day)).asc(),
        case((~past, Appointment.appointment_time)).asc(),
        case((past, lagos_day)).desc(),
        case((past, Appointment.appointment_time)).desc(),
    )


def _conditions(
    actor: Actor, start: Any, end: Any, physician_id: str | None, status: str | None, consultation_type: str | None
) -> Select:
    """The list's filters on appointments alone (no join), scoped: what the count and the page's ids need."""
    start, end = checked_range(start, end)
    stmt = select(Appointment.id).where(*dated_within(start, end))
    if physician_id is not None:
        stmt = stmt.where(Appointment.physician_id == physician_id)
    if status is not None:
        stmt = stmt.where(Appointment.status == status)
    if consultation_type is not None:
        stmt = stmt.where(Appointment.consultation_type == consultation_type)
    return limit_to_scope(stmt, actor, Appointment.hospital_id)


def _unsearched_page(
    db: Session,
    actor: Actor,
    start: Any,
    end: Any,
    physician_id: str | None,
    status: str | None,
    consultation_type: str | None,
    *,
    page: int,
    page_size: int,
    now: datetime | None = None,
) -> tuple[list, int, int, int]:
    """`fetch_page` of the list without search text, the same rows and total, without the joins on every row.

    The count reads appointments only: every appointment has its patient and physician (foreign keys),
    so the list's inner joins drop none, and its hospital join is an outer one. The page's ids come
    from appointments alone too, in the list's order by slot (`_list_order`), WITH TIES so every
    appointment level with the last one is kept; only those are joined to names and put in the full order.
    """
    conditions = _conditions(actor, start, end, physician_id, status, consultation_type)
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    total = db.scalar(select(func.count()).select_from(conditions.subquery())) or 0
    last_page = max(1, -(-total // page_size))
    page = max(1, min(int(page), last_page))
    offset = (page - 1) * page_size
    now = now or datetime.now(LAGOS)
    order = _list_order(now)
    ids = _page_ids_around_now(conditions, order, now, offset + page_size)
    stmt = (
        select_rows()
        .where(Appointment.id.in_(ids.scalar_subquery()))
        .order_by(*order, physician_name, Appointment.id)
        .limit(page_size)
        .offset(offset)
    )
    return db.execute(stmt).all(), total, page, page_size


def _page_ids_around_now(conditions: Select, order: tuple[Any, ...], now: datetime, reach: int):
    """The ids of the list's first `reach` rows, and every row level with the last, read from both sides of now.

    Upcoming slots come first, nearest first; past ones after, latest first (`_list_order`, by Lagos day and time).
    Ordering every appointment of the range instead sorted, at scale 50, the 254,000 of a network-wide 90-day range
    on disk (0.97 s) to show 25. Each side here reads only the Lagos days the page can reach: walking the
    appointment_date index away from now (migration 0014), the `reach`-th appointment's day is the last day the
    page can reach on that side (a Lagos day's appointments are contiguous in appointment_date order, whatever their
    time), so the candidates are that side's appointments up to the end (or from the start) of that day, a few
    thousand at most, put in the list's order in memory. The conditions stay on the column itself: under row-level
    security a condition through timezone() (not leakproof) cannot use an index.
    """
    now = now.astimezone(LAGOS)
    today, tomorrow = lagos_midnight(now.date()), lagos_midnight(now.date() + timedelta(days=1))
    date, hhmm = Appointment.appointment_date, f"{now:%H:%M}"
    upcoming = conditions.where(date >= today, or_(date >= tomorrow, Appointment.appointment_time >= hhmm))
    # `date < tomorrow` repeats what the OR implies, as a bound the index can start its walk back from.
    past = conditions.where(date < tomorrow, or_(date < today, Appointment.appointment_time < hhmm))
    # Each bound is one value computed apart (an InitPlan): a condition through timezone() or coalesce() beside the
    # column would stay a filter behind row-level security instead of bounding the index scan.
    ahead = upcoming.with_only_columns(_next_lagos_midnight(date)).order_by(date).offset(reach - 1).limit(1)
    behind = past.with_only_columns(_lagos_midnight_of(date)).order_by(date.desc()).offset(reach - 1).limit(1)
    candidates = union_all(
        upcoming.where(date < select(func.coalesce(ahead.scalar_subquery(), _ENDLESS)).scalar_subquery()),
        past.where(date >= select(func.coalesce(behind.scalar_subquery(), _BEGINNINGLESS)).scalar_subquery()),
    ).subquery()
    return (
        select(Appointment.id)
        .where(Appointment.id.in_(select(candidates.c.id)))
        .order_by(*order)
        .fetch(reach, with_ties=True)
    )


_ENDLESS, _BEGINNINGLESS = literal_column("'infinity'::timestamptz"), literal_column("'-infinity'::timestamptz")


def _lagos_midnight_of(moment):
    """The start of the Lagos day of `moment` (a timestamptz expression), as a timestamptz."""
    return func.timezone(LAGOS.key, _lagos_day_start(moment))


def _next_lagos_midnight(moment):
    """The start of the Lagos day after the one of `moment`."""
    return func.timezone(LAGOS.key, _lagos_day_start(moment) + timedelta(days=1))


def _lagos_day_start(moment):
    # Lagos wall-clock time truncated to its day: a timestamp without zone, so timezone() reads it as Lagos time
    # (a date would be cast to the session's timestamptz first, an hour off in UTC).
    return func.date_trunc("day", func.timezone(LAGOS.key, moment))


def _filters(start, end, physician_id, status, consultation_type, search) -> dict[str, Any]:
    return {
        "start": start,
        "end": end,
        "physician_id": physician_id,
        "status": status,
        "consultation_type": consultation_type,
        "search": (search if isinstance(search, str) else "").strip() or None,
    }
