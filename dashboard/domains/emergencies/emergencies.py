"""The dispatch desk's reads and the commands around them: open emergencies, the map, the nearest
hospitals with free beds, ambulances, and a hospital's diversion.

A hospital-scoped reader sees the emergencies its hospital holds and those referred to it (the
database's row-level security allows the same, migration 0009). Finding the nearest hospitals is
the network desk's question: it needs every hospital's beds, which only the network scope reads.

The nearest-hospital search never measures the distance to every hospital: it asks for hospitals
inside a bounding box around the emergency (the (is_active, latitude, longitude) index answers it)
and widens the box only when too few hospitals with free beds lie inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from dashboard.platform import audit, permissions, settings
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range, lagos_midnight
from dashboard.platform.errors import InvalidInput, NotFound, OutOfScope
from dashboard.platform.inputs import checked_text, usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import require_in_scope, require_role
from db.models import AmbulanceRequest, EmergencyRequest, Hospital, HospitalResource, Profile
from db.models.emergency import LIVE_REFERRAL_STATUSES, Referral
from db.rules import BED_CATEGORY, GENERAL_WARD_BEDS, ICU_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS

READERS = permissions.readers("emergencies")
WRITERS = permissions.writers("emergencies")
AUDIT_CATEGORY = "emergency_dispatch"
# The one definition of an open emergency, for this page and the Overview alike (figure "open_emergencies").
OPEN_STATUSES = ("pending", "dispatched", "in_progress")
# The open counts are figures the Overview shows too, so its readers may ask for them.
FIGURE_READERS = permissions.readers("emergencies") | permissions.readers("overview")
OPEN_AMBULANCE_STATUSES = ("pending", "dispatched", "en_route", "arrived")
AMBULANCE_ORDER = ("pending", "dispatched", "en_route", "arrived", "completed")
SEVERITY_ORDER = ("critical", "high", "medium", "low")
BED_TYPES = (ICU_BEDS, GENERAL_WARD_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS)
# Kilometres around the emergency, tried in turn until enough hospitals with free beds are found;
# None: every active hospital (a sparse network, or nothing nearer).
SEARCH_RADII_KM: tuple[float | None, ...] = (50, 150, 400, 1000, None)
KM_PER_DEGREE = 111.2
# Above this many open emergencies the map gets grid cells counted in SQL, not one point each.
MAP_POINT_LIMIT = 2_000
MAP_CELL_DEGREES = 0.25  # about 28 km, 7 pixels at the national zoom: Nigeria fits in under 2,000 cells
MAP_ARC_LIMIT = 500
MAX_ETA_MINUTES = 24 * 60
MAX_DIVERSION_DAYS = 7
MAX_REASON_LENGTH = 300

# Which beds an emergency needs by default; the dispatcher may pick another kind.
_BED_BY_TYPE = {
    "obstetric_emergency": MATERNITY_BEDS,
    "seizure": PAEDIATRIC_BEDS,
    "cardiac": ICU_BEDS,
    "stroke": ICU_BEDS,
    "respiratory_distress": ICU_BEDS,
}

_severity_rank = case({s: i for i, s in enumerate(SEVERITY_ORDER)}, value=EmergencyRequest.severity, else_=9)
_age_minutes = cast(func.extract("epoch", func.now() - EmergencyRequest.created_at), Float) / 60.0
# A diversion past its expected end no longer holds: the hospital counts as accepting again.
diversion_holds = and_(
    Hospital.accepting_patients.is_(False),
    or_(Hospital.diversion_until.is_(None), Hospital.diversion_until > func.now()),
)


def suggested_bed(emergency_type: str | None, severity: str | None) -> str:
    """The bed an emergency most likely needs: ICU for the critical, maternity for obstetric, ..."""
    if emergency_type in _BED_BY_TYPE:
        return _BED_BY_TYPE[emergency_type]
    return ICU_BEDS if severity == "critical" else GENERAL_WARD_BEDS


@dataclass(frozen=True)
class OpenEmergency:
    id: str
    hospital_id: str | None
    hospital_name: str | None
    patient_name: str
    emergency_type: str
    description: str | None
    severity: str
    status: str
    latitude: float | None
    longitude: float | None
    created_at: datetime
    age_minutes: float
    referral_status: str | None  # the latest referral's status, None when never referred
    referral_hospital: str | None
    referral_overdue: bool  # pending past the answer time limit

    @property
    def suggested_bed(self) -> str:
        return suggested_bed(self.emergency_type, self.severity)


@dataclass(frozen=True)
class OpenCounts:
    open: int  # figure "open_emergencies"
    critical: int  # figure "critical_emergencies"


@dataclass(frozen=True)
class NearHospital:
    hospital_id: str
    name: str
    city: str | None
    state: str | None
    latitude: float
    longitude: float
    verification_status: str
    distance_km: float
    bed_type: str
    free_beds: int
    counted_at: datetime | None  # None: the hospital reports no such beds
    hours_since_count: float | None
    stale: bool


@dataclass(frozen=True)
class DivertedHospital:
    hospital_id: str
    name: str
    distance_km: float
    reason: str | None
    until: datetime | None


@dataclass(frozen=True)
class Nearest:
    emergency: OpenEmergency
    bed_type: str
    hospitals: list[NearHospital]  # best first: fresh counts with free beds, then stale, then none free
    diverted: list[DivertedHospital]  # nearer than the furthest listed, left out because not accepting
    searched_km: float | None  # the radius searched; None: the whole network
    candidates: int  # hospitals whose distance was measured


@dataclass(frozen=True)
class MapHospital:
    id: str
    name: str
    latitude: float
    longitude: float
    verification_status: str
    free_beds: int
    accepting: bool


@dataclass(frozen=True)
class MapEmergency:
    id: str
    latitude: float
    longitude: float
    severity: str
    emergency_type: str
    age_minutes: float
    status: str


@dataclass(frozen=True)
class MapCell:
    latitude: float
    longitude: float
    emergencies: int
    critical: int


@dataclass(frozen=True)
class MapAmbulance:
    id: str
    from_latitude: float
    from_longitude: float
    to_latitude: float
    to_longitude: float
    status: str
    eta_minutes: int | None
    destination: str | None


@dataclass(frozen=True)
class MapData:
    hospitals: list[MapHospital]
    emergencies: list[MapEmergency]  # empty when aggregated
    cells: list[MapCell]  # grid cells when there are more than MAP_POINT_LIMIT open emergencies
    open_emergencies: int
    ambulances: list[MapAmbulance]
    ambulances_not_drawn: int

    @property
    def aggregated(self) -> bool:
        return bool(self.cells)


@dataclass(frozen=True)
class MonthlyAssignment:
    month: date
    median_minutes: float
    assigned: int  # emergencies whose referral was accepted that month


@dataclass(frozen=True)
class AmbulanceRow:
    id: str
    patient_name: str
    emergency_type: str
    status: str
    pickup_address: str
    destination: str | None
    hospital_name: str | None
    hospital_id: str | None
    eta_minutes: int | None
    created_at: datetime
    age_minutes: float


@dataclass(frozen=True)
class Diversion:
    hospital_id: str
    hospital_name: str
    accepting: bool  # counting a diversion past its expected end as over
    reason: str | None
    since: datetime | None
    until: datetime | None
    lapsed: bool  # marked not accepting, but the expected end has passed


# --- scope -----------------------------------------------------------------------------------


def _referred_to_or_from(hospital_id: str) -> Any:
    return exists().where(
        Referral.emergency_request_id == EmergencyRequest.id,
        or_(Referral.to_hospital_id == hospital_id, Referral.from_hospital_id == hospital_id),
    )


def _emergency_scope(stmt, actor: Actor):
    """A hospital sees its own emergencies and those referred to or from it; the network sees all."""
    if actor.network_wide:
        return stmt
    return stmt.where(or_(EmergencyRequest.hospital_id == actor.hospital_id, _referred_to_or_from(actor.hospital_id)))


def _in_emergency_scope(db: Session, actor: Actor, emergency: EmergencyRequest) -> None:
    if actor.network_wide or emergency.hospital_id == actor.hospital_id:
        return
    if db.scalar(select(_referred_to_or_from(actor.hospital_id)).where(EmergencyRequest.id == emergency.id)):
        return
    require_in_scope(
        db, actor, resource_type="emergency_request", resource_id=emergency.id, row_hospital_id=emergency.hospital_id
    )


# --- open emergencies --------------------------------------------------------------------------


def _latest_referral():
    """The latest referral of each emergency (DISTINCT ON), for the open list's referral column."""
    return (
        select(
            Referral.emergency_request_id.label("emergency_id"),
            Referral.status.label("status"),
            Referral.referred_at.label("referred_at"),
            Hospital.name.label("hospital_name"),
        )
        .join(Hospital, Hospital.id == Referral.to_hospital_id)
        .ext(distinct_on(Referral.emergency_request_id))
        .order_by(Referral.emergency_request_id, Referral.referred_at.desc(), Referral.id.desc())
        .subquery("latest_referral")
    )


def _open_query(actor: Actor, values: settings.Settings, *, severity: str | None = None):
    latest = _latest_referral()
    answer_by = latest.c.referred_at + func.make_interval(0, 0, 0, 0, 0, literal(values.referral_answer_minutes))
    patient_name = func.coalesce(
        func.nullif(func.concat_ws(" ", Profile.first_name, Profile.last_name), ""), "Unnamed patient"
    )
    stmt = (
        select(
            EmergencyRequest.id,
            EmergencyRequest.hospital_id,
            Hospital.name,
            patient_name,
            EmergencyRequest.emergency_type,
            EmergencyRequest.description,
            EmergencyRequest.severity,
            EmergencyRequest.status,
            EmergencyRequest.location_latitude,
            EmergencyRequest.location_longitude,
            EmergencyRequest.created_at,
            _age_minutes,
            latest.c.status,
            latest.c.hospital_name,
            func.coalesce(and_(latest.c.status == "pending", answer_by < func.now()), false()),
        )
        .outerjoin(Hospital, Hospital.id == EmergencyRequest.hospital_id)
        .outerjoin(Profile, Profile.user_id == EmergencyRequest.patient_id)
        .outerjoin(latest, latest.c.emergency_id == EmergencyRequest.id)
        .where(EmergencyRequest.status.in_(OPEN_STATUSES))
    )
    if severity:
        if severity not in SEVERITY_ORDER:
            raise InvalidInput(f"Pick one of the severities: {', '.join(SEVERITY_ORDER)}.")
        stmt = stmt.where(EmergencyRequest.severity == severity)
    # Oldest critical first: severity, then the longest waiting.
    return _emergency_scope(stmt, actor).order_by(_severity_rank, EmergencyRequest.created_at, EmergencyRequest.id)


def _open_row(r: Any) -> OpenEmergency:
    return OpenEmergency(
        id=r[0],
        hospital_id=r[1],
        hospital_name=r[2],
        patient_name=r[3],
        emergency_type=r[4],
        description=r[5],
        severity=r[6],
        status=r[7],
        latitude=_float(r[8]),
        longitude=_float(r[9]),
        created_at=r[10],
        age_minutes=float(r[11]),
        referral_status=r[12],
        referral_hospital=r[13],
        referral_overdue=bool(r[14]),
    )


@permissions.reads("emergencies")
def list_open(
    db: Session,
    actor: Actor,
    *,
    severity: str | None = None,
    search: str = "",
    page: int = 1,
    page_size: int = 25,
    values: settings.Settings | None = None,
) -> Page[OpenEmergency]:
    """Open emergencies in scope, oldest critical first (severity, then age), paginated in SQL."""
    require_role(db, actor, READERS, "see emergencies")
    stmt = _open_query(actor, values or settings.current(), severity=severity or None)
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(
                func.concat_ws(" ", Profile.first_name, Profile.last_name).ilike(pattern),
                EmergencyRequest.emergency_type.ilike(pattern.replace(" ", "_")),
                Hospital.name.ilike(pattern),
            )
        )
    rows, total, page, page_size = fetch_page(db, stmt, page=page, page_size=page_size)
    return Page([_open_row(r) for r in rows], total, page, page_size)


@permissions.reads(FIGURE_READERS)
def open_counts(db: Session, actor: Actor) -> OpenCounts:
    """The figures "Open emergencies" and "Critical, open": the rows `list_open` lists, counted in SQL.

    Open means OPEN_STATUSES (pending, dispatched, in progress); in scope means what the list shows
    a hospital: the emergencies it holds and those referred to or from it. So the card above the
    list and the list's "1–25 of N" are one number, and the Overview reads the same function.
    """
    require_role(db, actor, FIGURE_READERS, "see emergency figures")
    stmt = select(func.count(), func.count().filter(EmergencyRequest.severity == "critical")).where(
        EmergencyRequest.status.in_(OPEN_STATUSES)
    )
    total, critical = db.execute(_emergency_scope(stmt, actor)).one()
    return OpenCounts(int(total), int(critical))


def export_open(
    db: Session, actor: Actor, *, severity: str | None = None, search: str = "", values: settings.Settings | None = None
) -> tuple[list[OpenEmergency], bool]:
    """Every open emergency as the list shows it (up to the export limit); audited."""
    require_role(db, actor, READERS, "export emergencies")
    rows, truncated = fetch_capped(db, _open_query(actor, values or settings.current(), severity=severity or None))
    audit.record_export(
        db,
        actor,
        action_type="emergencies_exported",
        resource_type="emergency_request",
        filters={"severity": severity, "search": search.strip() or None},
        rows=len(rows),
    )
    return [_open_row(r) for r in rows], truncated


@permissions.reads("emergencies")
def open_choices(db: Session, actor: Actor, *, limit: int = 200) -> list[OpenEmergency]:
    """The open emergencies in scope a dispatcher picks from, oldest critical first (at most `limit`)."""
    require_role(db, actor, READERS, "see emergencies")
    stmt = _open_query(actor, settings.current()).limit(max(1, min(int(limit), 1000)))
    return [_open_row(r) for r in db.execute(stmt)]


def get_open(db: Session, actor: Actor, emergency_id: str, values: settings.Settings | None = None) -> OpenEmergency:
    """One emergency as the open list shows it; refused when closed, missing or outside the scope."""
    emergency = _emergency(db, actor, emergency_id)
    if emergency.status not in OPEN_STATUSES:
        raise InvalidInput(f"This emergency is already {_closed_word(emergency.status)}: nothing more can be done.")
    network = Actor(actor.user_id, actor.role, None, actor.client)  # the scope was checked just above
    row = db.execute(_open_query(network, values or settings.current()).where(EmergencyRequest.id == emergency.id))
    return _open_row(row.one())


def _emergency(db: Session, actor: Actor, emergency_id: Any, *, lock: bool = False) -> EmergencyRequest:
    if not usable_id(emergency_id):
        raise NotFound("That emergency no longer exists.")
    stmt = select(EmergencyRequest).where(EmergencyRequest.id == emergency_id)
    emergency = db.scalar(stmt.with_for_update() if lock else stmt)
    if emergency is None:
        raise NotFound("That emergency no longer exists.")
    _in_emergency_scope(db, actor, emergency)
    return emergency


def _closed_word(status: str) -> str:
    return {"resolved": "resolved", "cancelled": "cancelled"}.get(status, status.replace("_", " "))


# --- the nearest hospitals -----------------------------------------------------------------------


def _bed(bed_type: Any) -> str:
    if bed_type not in BED_TYPES:
        raise InvalidInput(f"Pick one of the bed types: {', '.join(BED_TYPES)}.")
    return bed_type


def check_coordinates(latitude: Any, longitude: Any) -> tuple[Decimal, Decimal]:
    """A point a form or a request gives: latitude -90..90, longitude -180..180, else a sentence."""
    try:
        lat, lon = Decimal(str(latitude)), Decimal(str(longitude))
    except (ArithmeticError, ValueError):
        raise InvalidInput(
            "Coordinates must be numbers: latitude from -90 to 90, longitude from -180 to 180."
        ) from None
    if not lat.is_finite() or not lon.is_finite() or not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise InvalidInput(
            f"The point ({latitude}, {longitude}) is outside the map: latitude runs from -90 to 90 and "
            "longitude from -180 to 180."
        )
    return lat, lon


def _box(latitude: Decimal, longitude: Decimal, radius_km: float) -> Any:
    """A latitude/longitude box holding every point within `radius_km`: the index narrows to it."""
    lat = float(latitude)
    d_lat = radius_km / KM_PER_DEGREE
    d_lon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return and_(
        Hospital.latitude.between(Decimal(f"{lat - d_lat:.6f}"), Decimal(f"{lat + d_lat:.6f}")),
        Hospital.longitude.between(
            Decimal(f"{float(longitude) - d_lon:.6f}"), Decimal(f"{float(longitude) + d_lon:.6f}")
        ),
    )


def distance_to(latitude: Decimal, longitude: Decimal) -> Any:
    """calculate_distance (the schema's SQL function, km) from a point to each hospital."""
    return func.calculate_distance(
        literal(latitude, type_=Hospital.latitude.type), literal(longitude, type_=Hospital.longitude.type),
        Hospital.latitude, Hospital.longitude,
    )  # fmt: skip


@permissions.reads("emergencies")
def nearest_hospitals(
    db: Session,
    actor: Actor,
    emergency_id: str,
    *,
    bed_type: str | None = None,
    limit: int = 5,
    values: settings.Settings | None = None,
) -> Nearest:
    """The nearest active hospitals to an open emergency, best first, with their free beds of `bed_type`.

    Best first: hospitals with free beds and a fresh count, by distance; then those whose count is
    stale (their beds may be gone), by distance; then those with none free. Hospitals on diversion
    are left out and listed apart with their reason.
    """
    require_role(db, actor, READERS, "see the nearest hospitals")
    if not actor.network_wide:
        raise OutOfScope(
            "The nearest hospitals are the network dispatch desk's view: pick All hospitals as the working scope."
        )
    values = values or settings.current()
    emergency = get_open(db, actor, emergency_id, values)
    bed = _bed(bed_type or emergency.suggested_bed)
    if emergency.latitude is None or emergency.longitude is None:
        raise InvalidInput("This emergency has no location, so no hospital can be measured from it.")
    lat, lon = check_coordinates(emergency.latitude, emergency.longitude)
    limit = max(1, min(int(limit), 20))
    stale_hours = values.stale.raise_at

    distance = distance_to(lat, lon)
    counted = func.max(HospitalResource.updated_at)
    hours = cast(func.extract("epoch", func.now() - counted), Float) / 3600.0
    free = func.coalesce(func.sum(HospitalResource.available_quantity), 0)
    stale = func.coalesce(hours >= stale_hours, true())
    rank = case((and_(free > 0, stale.is_(False)), 0), (free > 0, 1), else_=2)
    for radius in SEARCH_RADII_KM:
        where = [Hospital.is_active, Hospital.latitude.is_not(None), Hospital.longitude.is_not(None)]
        if radius is not None:
            where += [_box(lat, lon, radius), distance <= radius]
        candidates = (
            select(
                Hospital.id,
                Hospital.name,
                Hospital.city,
                Hospital.state,
                Hospital.latitude,
                Hospital.longitude,
                Hospital.verification_status,
                distance.label("distance"),
                free.label("free"),
                counted,
                hours,
                stale.label("stale"),
                rank.label("rank"),
                diversion_holds.label("diverted"),
                Hospital.diversion_reason,
                Hospital.diversion_until,
            )  # fmt: skip
            .outerjoin(
                HospitalResource,
                and_(
                    HospitalResource.hospital_id == Hospital.id,
                    HospitalResource.category == BED_CATEGORY,
                    HospitalResource.name == bed,
                ),
            )
            .where(*where)
            .group_by(Hospital.id)
        ).subquery("candidates")
        rows = db.execute(
            select(candidates).order_by(candidates.c.rank, candidates.c.distance, candidates.c.name)
        ).all()
        with_beds = sum(1 for r in rows if not r.diverted and r.rank < 2)
        if radius is None or with_beds >= limit:
            break
    accepting = [r for r in rows if not r.diverted][:limit]
    furthest = max((float(r.distance) for r in accepting), default=float("inf"))
    return Nearest(
        emergency=emergency,
        bed_type=bed,
        hospitals=[
            NearHospital(
                hospital_id=r.id,
                name=r.name,
                city=r.city,
                state=r.state,
                latitude=float(r.latitude),
                longitude=float(r.longitude),
                verification_status=r.verification_status,
                distance_km=round(float(r.distance), 1),
                bed_type=bed,
                free_beds=int(r.free),
                counted_at=r[9],
                hours_since_count=_float(r[10]),
                stale=bool(r.stale),
            )
            for r in accepting
        ],
        diverted=[
            DivertedHospital(r.id, r.name, round(float(r.distance), 1), r.diversion_reason, r.diversion_until)
            for r in sorted(rows, key=lambda r: float(r.distance))
            if r.diverted and float(r.distance) <= furthest
        ],
        searched_km=radius,
        candidates=len(rows),
    )


# --- the map ---------------------------------------------------------------------------------


@permissions.reads("emergencies")
def map_data(db: Session, actor: Actor) -> MapData:
    """What the map draws: hospitals in scope, open emergencies (or grid cells when many), ambulances on the way."""
    require_role(db, actor, READERS, "see the emergencies map")
    free = func.coalesce(
        select(func.sum(HospitalResource.available_quantity))
        .where(HospitalResource.hospital_id == Hospital.id, HospitalResource.category == BED_CATEGORY)
        .correlate(Hospital)
        .scalar_subquery(),
        0,
    )
    hospitals_stmt = select(
        Hospital.id, Hospital.name, Hospital.latitude, Hospital.longitude, Hospital.verification_status, free,
        diversion_holds,
    ).where(Hospital.is_active, Hospital.latitude.is_not(None), Hospital.longitude.is_not(None))  # fmt: skip
    if not actor.network_wide:
        hospitals_stmt = hospitals_stmt.where(Hospital.id == actor.hospital_id)
    hospitals = [
        MapHospital(r[0], r[1], float(r[2]), float(r[3]), r[4], int(r[5]), not r[6])
        for r in db.execute(hospitals_stmt.order_by(Hospital.name, Hospital.id))
    ]

    located = _emergency_scope(
        select(EmergencyRequest.id).where(
            EmergencyRequest.status.in_(OPEN_STATUSES),
            EmergencyRequest.location_latitude.is_not(None),
            EmergencyRequest.location_longitude.is_not(None),
        ),
        actor,
    )
    total = db.scalar(select(func.count()).select_from(located.subquery())) or 0
    emergencies: list[MapEmergency] = []
    cells: list[MapCell] = []
    if total > MAP_POINT_LIMIT:
        size = MAP_CELL_DEGREES
        cell_lat = func.round(EmergencyRequest.location_latitude / size) * size
        cell_lon = func.round(EmergencyRequest.location_longitude / size) * size
        stmt = _emergency_scope(
            select(cell_lat, cell_lon, func.count(), func.count().filter(EmergencyRequest.severity == "critical"))
            .where(
                EmergencyRequest.status.in_(OPEN_STATUSES),
                EmergencyRequest.location_latitude.is_not(None),
                EmergencyRequest.location_longitude.is_not(None),
            )
            .group_by(cell_lat, cell_lon),
            actor,
        )
        cells = [MapCell(float(r[0]), float(r[1]), int(r[2]), int(r[3])) for r in db.execute(stmt)]
    elif total:
        stmt = _emergency_scope(
            select(
                EmergencyRequest.id, EmergencyRequest.location_latitude, EmergencyRequest.location_longitude,
                EmergencyRequest.severity, EmergencyRequest.emergency_type, _age_minutes, EmergencyRequest.status,
            ).where(
                EmergencyRequest.status.in_(OPEN_STATUSES),
                EmergencyRequest.location_latitude.is_not(None),
                EmergencyRequest.location_longitude.is_not(None),
            ),
            actor,
        ).order_by(_severity_rank, EmergencyRequest.created_at)  # fmt: skip
        emergencies = [
            MapEmergency(r[0], float(r[1]), float(r[2]), r[3], r[4], float(r[5]), r[6]) for r in db.execute(stmt)
        ]

    arcs = select(
        AmbulanceRequest.id, AmbulanceRequest.pickup_latitude, AmbulanceRequest.pickup_longitude,
        AmbulanceRequest.destination_latitude, AmbulanceRequest.destination_longitude, AmbulanceRequest.status,
        AmbulanceRequest.ambulance_eta, AmbulanceRequest.destination_address,
    ).where(
        AmbulanceRequest.status.in_(OPEN_AMBULANCE_STATUSES),
        AmbulanceRequest.pickup_latitude.is_not(None), AmbulanceRequest.pickup_longitude.is_not(None),
        AmbulanceRequest.destination_latitude.is_not(None), AmbulanceRequest.destination_longitude.is_not(None),
    )  # fmt: skip
    if not actor.network_wide:
        arcs = arcs.where(AmbulanceRequest.assigned_hospital_id == actor.hospital_id)
    arc_total = db.scalar(select(func.count()).select_from(arcs.subquery())) or 0
    ambulances = [
        MapAmbulance(r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), r[5], r[6], r[7])
        for r in db.execute(arcs.order_by(AmbulanceRequest.created_at.desc()).limit(MAP_ARC_LIMIT))
    ]
    return MapData(hospitals, emergencies, cells, total, ambulances, max(0, arc_total - len(ambulances)))


# --- time to assignment -----------------------------------------------------------------------


@permissions.reads("emergencies")
def median_assignment_by_month(db: Session, actor: Actor, *, start: date, end: date) -> list[MonthlyAssignment]:
    """Median minutes from an emergency's request to the acceptance of its referral, by Lagos month.

    An emergency counts once, at its first accepted referral; the month is the request's. Requests
    from `start` to `end` (Lagos days).
    """
    require_role(db, actor, READERS, "see emergency response times")
    start, end = checked_range(start, end)
    answered = ("accepted", "dispatched", "arrived", "closed")
    first = (
        select(
            Referral.emergency_request_id.label("emergency_id"),
            func.min(Referral.answered_at).label("assigned_at"),
        )
        .where(Referral.status.in_(answered), Referral.answered_at.is_not(None))
        .group_by(Referral.emergency_request_id)
    )
    if not actor.network_wide:
        first = first.where(
            or_(Referral.to_hospital_id == actor.hospital_id, Referral.from_hospital_id == actor.hospital_id)
        )
    first = first.subquery("first_accepted")
    # At least 0: the demo's generated requests can be dated after the moment their referral was
    # answered (a request stamped later than "now"), and a negative wait would pull the median below
    # zero; a referral cannot be accepted before its request, so such a pair counts as answered at once.
    minutes = func.greatest(
        cast(func.extract("epoch", first.c.assigned_at - EmergencyRequest.created_at), Float) / 60.0, 0.0
    )
    month = func.date_trunc("month", func.timezone("Africa/Lagos", EmergencyRequest.created_at))
    stmt = (
        select(month, func.percentile_cont(0.5).within_group(minutes), func.count())
        .join(first, first.c.emergency_id == EmergencyRequest.id)
        .where(
            EmergencyRequest.created_at >= lagos_midnight(start),
            EmergencyRequest.created_at < lagos_midnight(end + timedelta(days=1)),
        )
        .group_by(month)
        .order_by(month)
    )
    return [MonthlyAssignment(r[0].date(), float(r[1]), int(r[2])) for r in db.execute(stmt)]


# --- ambulances --------------------------------------------------------------------------------


def _ambulance_query(actor: Actor):
    patient_name = func.coalesce(
        func.nullif(func.concat_ws(" ", Profile.first_name, Profile.last_name), ""), "Unnamed patient"
    )
    stmt = (
        select(
            AmbulanceRequest.id,
            patient_name,
            AmbulanceRequest.emergency_type,
            AmbulanceRequest.status,
            AmbulanceRequest.pickup_address,
            AmbulanceRequest.destination_address,
            Hospital.name,
            AmbulanceRequest.assigned_hospital_id,
            AmbulanceRequest.ambulance_eta,
            AmbulanceRequest.created_at,
            cast(func.extract("epoch", func.now() - AmbulanceRequest.created_at), Float) / 60.0,
        )  # fmt: skip
        .outerjoin(Hospital, Hospital.id == AmbulanceRequest.assigned_hospital_id)
        .outerjoin(Profile, Profile.user_id == AmbulanceRequest.patient_id)
        .where(AmbulanceRequest.status.in_(OPEN_AMBULANCE_STATUSES))
    )
    if not actor.network_wide:
        stmt = stmt.where(AmbulanceRequest.assigned_hospital_id == actor.hospital_id)
    return stmt.order_by(AmbulanceRequest.created_at, AmbulanceRequest.id)


@permissions.reads("emergencies")
def open_ambulances(db: Session, actor: Actor, *, limit: int = 200) -> list[AmbulanceRow]:
    """Ambulance requests not yet completed or cancelled, oldest first (at most `limit`)."""
    require_role(db, actor, READERS, "see ambulances")
    rows = db.execute(_ambulance_query(actor).limit(max(1, min(int(limit), 1000))))
    return [AmbulanceRow(*r[:10], age_minutes=float(r[10])) for r in rows]


def update_ambulance(db: Session, actor: Actor, ambulance_id: str, *, status: str, eta_minutes: Any) -> AmbulanceRow:
    """Set an ambulance request's status (forward only, or cancelled) and its ETA in minutes. One audit row."""
    require_role(db, actor, WRITERS, "update ambulances")
    if not usable_id(ambulance_id):
        raise NotFound("That ambulance request no longer exists.")
    ambulance = db.scalar(select(AmbulanceRequest).where(AmbulanceRequest.id == ambulance_id).with_for_update())
    if ambulance is None:
        raise NotFound("That ambulance request no longer exists.")
    require_in_scope(
        db, actor, resource_type="ambulance_request", resource_id=ambulance.id,
        row_hospital_id=ambulance.assigned_hospital_id,
    )  # fmt: skip
    if ambulance.status not in OPEN_AMBULANCE_STATUSES:
        raise InvalidInput(f"This ambulance request is already {ambulance.status}: it can no longer change.")
    if status not in (*AMBULANCE_ORDER, "cancelled"):
        raise InvalidInput(f"Pick one of the ambulance statuses: {', '.join((*AMBULANCE_ORDER, 'cancelled'))}.")
    if status != "cancelled" and AMBULANCE_ORDER.index(status) < AMBULANCE_ORDER.index(ambulance.status):
        raise InvalidInput(
            f"The ambulance is already {ambulance.status.replace('_', ' ')}; its status cannot go back to "
            f"{status.replace('_', ' ')}."
        )
    eta = check_eta(eta_minutes, required=status in ("dispatched", "en_route"))
    old = {"status": ambulance.status, "ambulance_eta": ambulance.ambulance_eta}
    new = {"status": status, "ambulance_eta": eta if eta is not None else ambulance.ambulance_eta}
    old_values, new_values = audit.changes(old, new)
    if not new_values:
        raise InvalidInput("Nothing to change: the ambulance already has this status and ETA.")
    ambulance.status, ambulance.ambulance_eta = new["status"], new["ambulance_eta"]
    db.flush()
    audit.record(
        db, actor, action_category=AUDIT_CATEGORY, action_type="ambulance_updated", resource_type="ambulance_request",
        resource_id=ambulance.id, old_values=old_values, new_values=new_values,
        concerns_hospital=ambulance.assigned_hospital_id,
    )  # fmt: skip
    row = db.execute(
        _ambulance_query(Actor(actor.user_id, actor.role, None)).where(AmbulanceRequest.id == ambulance.id)
    ).first()
    if row is None:  # closed now: it has left the open list
        return AmbulanceRow(ambulance.id, "", ambulance.emergency_type, ambulance.status, ambulance.pickup_address,
                            ambulance.destination_address, None, ambulance.assigned_hospital_id,
                            ambulance.ambulance_eta, ambulance.created_at, 0.0)  # fmt: skip
    return AmbulanceRow(*row[:10], age_minutes=float(row[10]))


def check_eta(value: Any, *, required: bool) -> int | None:
    """Minutes until the ambulance arrives: a whole number from 0 to a day, or a sentence."""
    if value is None or value == "":
        if required:
            raise InvalidInput("Give the ambulance's ETA in minutes.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput("The ETA must be a whole number of minutes.")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"The ETA must be a whole number of minutes, not {str(value)[:20]!r}.") from None
    if not number.is_integer() or not 0 <= number <= MAX_ETA_MINUTES:
        raise InvalidInput(f"The ETA must be a whole number of minutes from 0 to {MAX_ETA_MINUTES:,}.")
    return int(number)


# --- diversion ----------------------------------------------------------------------------------


def _diversion_row(r: Any) -> Diversion:
    marked_off = r[2] is False
    lapsed = bool(marked_off and r[5] is not None and r[6])
    return Diversion(r[0], r[1], accepting=not marked_off or lapsed, reason=r[3], since=r[4], until=r[5], lapsed=lapsed)


def _diversion_select():
    return select(
        Hospital.id, Hospital.name, Hospital.accepting_patients, Hospital.diversion_reason, Hospital.diversion_since,
        Hospital.diversion_until, func.coalesce(Hospital.diversion_until <= func.now(), false()),
    )  # fmt: skip


@permissions.reads("emergencies")
def diversion(db: Session, actor: Actor, hospital_id: str) -> Diversion:
    """Whether a hospital in scope accepts emergency referrals now, and if not why and until when."""
    require_role(db, actor, READERS, "see diversion")
    if not usable_id(hospital_id):
        raise NotFound("That hospital no longer exists.")
    row = db.execute(_diversion_select().where(Hospital.id == hospital_id)).first()
    if row is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    return _diversion_row(row)


@permissions.reads("emergencies")
def diversions(db: Session, actor: Actor) -> list[Diversion]:
    """Hospitals in scope not accepting referrals now (a lapsed diversion included, flagged)."""
    require_role(db, actor, READERS, "see diversion")
    stmt = _diversion_select().where(Hospital.is_active, Hospital.accepting_patients.is_(False))
    if not actor.network_wide:
        stmt = stmt.where(Hospital.id == actor.hospital_id)
    return [_diversion_row(r) for r in db.execute(stmt.order_by(Hospital.name, Hospital.id))]


def set_diversion(db: Session, actor: Actor, hospital_id: str, *, reason: Any, until: Any) -> Diversion:
    """Mark a hospital not accepting referrals, with a reason and an expected end (within a week). One audit row."""
    require_role(db, actor, WRITERS, "put a hospital on diversion")
    hospital = _lock_hospital(db, actor, hospital_id)
    reason = checked_text(reason, "The reason", MAX_REASON_LENGTH)
    if reason is None:
        raise InvalidInput('Say why the hospital cannot take patients (e.g. "ICU full, generator down").')
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise InvalidInput("Give the date and time you expect to accept patients again.")
    now = db.scalar(select(func.now()))
    if until <= now:
        raise InvalidInput("The expected end of the diversion must be in the future.")
    if until > now + timedelta(days=MAX_DIVERSION_DAYS):
        raise InvalidInput(
            f"A diversion can be set for at most {MAX_DIVERSION_DAYS} days; set a nearer end and extend it if needed."
        )
    old = {
        "accepting_patients": hospital.accepting_patients,
        "diversion_reason": hospital.diversion_reason,
        "diversion_until": hospital.diversion_until,
    }
    hospital.accepting_patients = False
    hospital.diversion_reason = reason
    hospital.diversion_until = until.astimezone(UTC)
    if old["accepting_patients"]:
        hospital.diversion_since = now
    db.flush()
    old_values, new_values = audit.changes(
        old,
        {"accepting_patients": False, "diversion_reason": reason, "diversion_until": hospital.diversion_until},
    )
    audit.record(
        db, actor, action_category=AUDIT_CATEGORY, action_type="diversion_set", resource_type="hospital",
        resource_id=hospital.id, old_values=old_values, new_values={**new_values, "name": hospital.name},
        impact_level="high", concerns_hospital=hospital.id,
    )  # fmt: skip
    return diversion(db, actor, hospital.id)


def end_diversion(db: Session, actor: Actor, hospital_id: str) -> Diversion:
    """The hospital accepts referrals again. One audit row."""
    require_role(db, actor, WRITERS, "end a diversion")
    hospital = _lock_hospital(db, actor, hospital_id)
    if hospital.accepting_patients:
        raise InvalidInput(f"{hospital.name} is already accepting patients.")
    old = {"accepting_patients": False, "diversion_reason": hospital.diversion_reason,
           "diversion_until": hospital.diversion_until}  # fmt: skip
    hospital.accepting_patients = True
    hospital.diversion_reason = hospital.diversion_since = hospital.diversion_until = None
    db.flush()
    audit.record(
        db, actor, action_category=AUDIT_CATEGORY, action_type="diversion_ended", resource_type="hospital",
        resource_id=hospital.id, old_values=old, new_values={"accepting_patients": True, "name": hospital.name},
        concerns_hospital=hospital.id,
    )  # fmt: skip
    return diversion(db, actor, hospital.id)


def _lock_hospital(db: Session, actor: Actor, hospital_id: Any) -> Hospital:
    if not usable_id(hospital_id):
        raise NotFound("That hospital no longer exists.")
    hospital = db.scalar(select(Hospital).where(Hospital.id == hospital_id).with_for_update())
    if hospital is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital.id, row_hospital_id=hospital.id)
    return hospital


def live_referral_exists(emergency_id: Any) -> Any:
    return exists().where(Referral.emergency_request_id == emergency_id, Referral.status.in_(LIVE_REFERRAL_STATUSES))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
