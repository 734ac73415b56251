"""What the dispatch map draws: hospitals in scope, open emergencies (or grid cells when many), ambulances."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.emergencies import emergency as rules
from dashboard.domains.emergencies.ambulances import OPEN_AMBULANCE_STATUSES
from dashboard.domains.emergencies.diversion import diversion_holds
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from db.models import AmbulanceRequest, EmergencyRequest, Hospital, HospitalResource
from db.rules import BED_CATEGORY

# Above this many open emergencies the map gets grid cells counted in SQL, not one point each.
MAP_POINT_LIMIT = 2_000
MAP_CELL_DEGREES = 0.25  # about 28 km, 7 pixels at the national zoom: Nigeria fits in under 2,000 cells
MAP_ARC_LIMIT = 500


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


@permissions.reads("emergencies", "see the emergencies map")
def map_data(db: Session, actor: Actor) -> MapData:
    """What the map draws: hospitals in scope, open emergencies (or grid cells when many), ambulances on the way."""
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

    on_the_map = (
        EmergencyRequest.status.in_(rules.OPEN_STATUSES),
        EmergencyRequest.location_latitude.is_not(None),
        EmergencyRequest.location_longitude.is_not(None),
    )
    located = rules.scoped(select(EmergencyRequest.id).where(*on_the_map), actor)
    total = db.scalar(select(func.count()).select_from(located.subquery())) or 0
    emergencies: list[MapEmergency] = []
    cells: list[MapCell] = []
    if total > MAP_POINT_LIMIT:
        size = MAP_CELL_DEGREES
        cell_lat = func.round(EmergencyRequest.location_latitude / size) * size
        cell_lon = func.round(EmergencyRequest.location_longitude / size) * size
        stmt = rules.scoped(
            select(cell_lat, cell_lon, func.count(), func.count().filter(EmergencyRequest.severity == "critical"))
            .where(*on_the_map)
            .group_by(cell_lat, cell_lon),
            actor,
        )
        cells = [MapCell(float(r[0]), float(r[1]), int(r[2]), int(r[3])) for r in db.execute(stmt)]
    elif total:
        stmt = rules.scoped(
            select(
                EmergencyRequest.id, EmergencyRequest.location_latitude, EmergencyRequest.location_longitude,
                EmergencyRequest.severity, EmergencyRequest.emergency_type, rules.age_minutes, EmergencyRequest.status,
            ).where(*on_the_map),
            actor,
        ).order_by(rules.severity_rank, EmergencyRequest.created_at)  # fmt: skip
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
