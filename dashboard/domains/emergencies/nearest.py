"""The nearest hospitals with free beds for an open emergency: the network dispatch desk's question.

It needs every hospital's beds, which only the network scope reads. The search never measures the
distance to every hospital: it asks for hospitals inside a bounding box around the emergency (the
(is_active, latitude, longitude) index answers it) and widens the box only when too few hospitals
with free beds lie inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, select, true
from sqlalchemy.orm import Session

from dashboard.domains.emergencies import emergency as rules
from dashboard.domains.emergencies.diversion import diversion_holds
from dashboard.domains.emergencies.open_list import OpenEmergency, get_open
from dashboard.platform import permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, OutOfScope
from db import settings
from db.models import Hospital, HospitalResource
from db.rules import BED_CATEGORY

# Kilometres around the emergency, tried in turn until enough hospitals with free beds are found;
# None: every active hospital (a sparse network, or nothing nearer).
SEARCH_RADII_KM: tuple[float | None, ...] = (50, 150, 400, 1000, None)
KM_PER_DEGREE = 111.2


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


@permissions.reads("emergencies", "see the nearest hospitals")
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
    if not actor.network_wide:
        raise OutOfScope(
            "The nearest hospitals are the network dispatch desk's view: pick All hospitals as the working scope."
        )
    values = values or settings.current()
    emergency = get_open(db, actor, emergency_id, values)
    bed = rules.check_bed(bed_type or emergency.suggested_bed)
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
                hours_since_count=rules.as_float(r[10]),
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
