"""Referrals of emergencies to other hospitals (migration 0009), with every step's time in order.

An emergency the home hospital cannot take is referred by the network's dispatch desk to a nearby
verified hospital. The receiver may decline (with a reason), or the desk may withdraw an unanswered
referral, and refer again to the next hospital; once one accepts, the emergency becomes that
hospital's, an ambulance is dispatched (or the family brings the patient in), the patient arrives,
and the referral is closed with the emergency resolved:

    created < referred_at < answered_at < dispatched_at < arrived_at < closed_at <= now

A chain of an open emergency stops at the last step already reached by "now", so the live lists
hold emergencies at every stage (emergency status / its live referral):
    pending (no referral) | pending / pending | pending / accepted | dispatched / dispatched |
    in_progress / arrived
as `dashboard/domains/emergencies/referrals.py` moves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.base import UserRole
from db.demo.network import HospitalNode, Network
from db.rules import GENERAL_WARD_BEDS, ICU_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS

REFERRAL_COLUMNS = (
    "id", "emergency_request_id", "from_hospital_id", "to_hospital_id", "status", "bed_type", "distance_km", "note",
    "decline_reason", "referred_by", "answered_by", "ambulance_request_id", "referred_at", "answered_at",
    "dispatched_at", "arrived_at", "closed_at", "withdrawn_at", "created_at", "updated_at",
)  # fmt: skip
STAGES = ("referred", "accepted", "dispatched", "arrived", "closed")
EMERGENCY_STATUS = {
    "referred": "pending", "accepted": "pending", "dispatched": "dispatched", "arrived": "in_progress",
    "closed": "resolved",
}  # fmt: skip
# The bed an emergency most likely needs, as dashboard/services/emergencies.suggested_bed proposes it.
BED_BY_TYPE = {
    "obstetric_emergency": MATERNITY_BEDS,
    "seizure": PAEDIATRIC_BEDS,
    "cardiac": ICU_BEDS,
    "stroke": ICU_BEDS,
    "respiratory_distress": ICU_BEDS,
}
DECLINE_REASONS = (
    "No ICU bed free",
    "Theatre fully booked for the next six hours",
    "No specialist on call tonight",
    "Ward full; two patients already waiting for a bed",
    "Oxygen supply running low",
)
RECEIVERS = 4  # the nearest verified hospitals the desk tries, in order
AMBULANCE_KMH = 22  # city traffic, sirens or not (as db/demo/emergencies.py)
BROUGHT_IN_SHARE = 0.15  # the family brings the patient in: no ambulance is dispatched


@dataclass(slots=True)
class Referral:
    to: HospitalNode
    status: str
    referred_at: datetime
    distance_km: float
    answered_at: datetime | None = None
    decline_reason: str | None = None
    withdrawn_at: datetime | None = None
    dispatched_at: datetime | None = None
    arrived_at: datetime | None = None
    closed_at: datetime | None = None
    eta_minutes: int | None = None

    @property
    def last_change(self) -> datetime:
        steps = (self.closed_at, self.arrived_at, self.dispatched_at, self.withdrawn_at, self.answered_at)
        return next((moment for moment in steps if moment is not None), self.referred_at)


@dataclass(slots=True)
class Chain:
    stage: str  # the furthest step reached: one of STAGES
    referrals: list[Referral] = field(default_factory=list)  # in time order; the last is the live or closed one

    @property
    def receiver(self) -> HospitalNode | None:
        """The hospital the emergency belongs to once accepted (None before)."""
        return self.referrals[-1].to if STAGES.index(self.stage) >= 1 else None

    @property
    def last_change(self) -> datetime:
        return self.referrals[-1].last_change


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    d_lat, d_lon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(d_lat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lon / 2) ** 2
    )
    return 2 * 6371 * math.asin(min(1.0, math.sqrt(a)))


class Receivers:
    """The verified hospitals nearest each hospital, computed when first asked (planar distance ranks them)."""

    def __init__(self, network: Network) -> None:
        self._verified = network.verified_hospitals
        self._nearest: dict[int, list[HospitalNode]] = {}

    def of(self, hospital: HospitalNode) -> list[HospitalNode]:
        if hospital.index not in self._nearest:
            lat, lon = hospital.site.latitude, hospital.site.longitude
            scale = math.cos(math.radians(lat))

            def planar(other: HospitalNode) -> float:
                return (other.site.latitude - lat) ** 2 + ((other.site.longitude - lon) * scale) ** 2

            others = [h for h in self._verified if h is not hospital]
            self._nearest[hospital.index] = sorted(others, key=planar)[:RECEIVERS]
        return self._nearest[hospital.index]


def referral_chain(rng, receivers: list[HospitalNode], created: datetime, location: tuple[float, float],
                   target: str, now: datetime, ambulance_left: bool) -> Chain | None:  # fmt: skip
    """The referrals of one emergency towards `target`, cut at the last step reached by `now`."""
    if not receivers:
        return None
    latest = now - timedelta(minutes=1)
    referrals: list[Referral] = []
    moment = created + timedelta(minutes=rng.uniform(4, 25))
    queue = list(receivers)
    while True:
        to = queue.pop(0)
        distance = km(*location, to.site.latitude, to.site.longitude)
        if moment > latest:
            break
        referral = Referral(to, "pending", moment, distance)
        referrals.append(referral)
        answer = moment + timedelta(minutes=rng.uniform(3, 35))
        draw = rng.random()
        if queue and draw < 0.2 and answer <= latest:  # declined: the desk refers to the next hospital
            referral.status, referral.answered_at = "declined", answer
            referral.decline_reason = rng.choice(DECLINE_REASONS)
            moment = answer + timedelta(minutes=rng.uniform(2, 10))
            continue
        if queue and draw < 0.25 and moment + timedelta(minutes=45) <= latest:  # unanswered: withdrawn
            referral.status, referral.withdrawn_at = "withdrawn", moment + timedelta(minutes=rng.uniform(30, 45))
            moment = referral.withdrawn_at + timedelta(minutes=rng.uniform(0, 3))
            continue
        break
    if not referrals:
        return None
    live = referrals[-1]
    if live.status != "pending":
        return None  # every receiver tried had already said no by the time of the next step
    stage, goal = "referred", STAGES.index(target)
    answer = live.referred_at + timedelta(minutes=rng.uniform(3, 35))
    if goal < 1 or answer > latest:
        return Chain(stage, referrals)
    live.status, live.answered_at, stage = "accepted", answer, "accepted"
    if ambulance_left and rng.random() >= BROUGHT_IN_SHARE:
        dispatched = answer + timedelta(minutes=rng.uniform(2, 12))
        if goal < 2 or dispatched > latest:
            return Chain(stage, referrals)
        eta = max(4, round(live.distance_km / AMBULANCE_KMH * 60 + rng.uniform(3, 12)))
        live.status, live.dispatched_at, live.eta_minutes, stage = "dispatched", dispatched, eta, "dispatched"
        arrival = dispatched + timedelta(minutes=eta * rng.uniform(0.9, 1.3))
    else:
        arrival = answer + timedelta(minutes=rng.uniform(20, 90))  # brought in by the family
    if goal >= 3 and arrival <= latest:
        live.status, live.arrived_at, stage = "arrived", arrival, "arrived"
        closing = arrival + timedelta(minutes=rng.uniform(15, 120))
        if goal >= 4 and closing <= latest:
            live.status, live.closed_at, stage = "closed", closing, "closed"
    return Chain(stage, referrals)


def referral_rows(network: Network, ids, chain: Chain, emergency_id: str, home: HospitalNode, bed_type: str,
                  note: str, ambulance_id: str | None, start: int) -> list[tuple]:  # fmt: skip
    """The chain's referrals as rows, numbered from `start`."""
    desk = network.network_staff[UserRole.ADMIN].user_id
    rows = []
    for offset, referral in enumerate(chain.referrals):
        answered_by = referral.to.staff[UserRole.HOSPITAL_ADMIN].user_id if referral.answered_at else None
        last = referral is chain.referrals[-1]
        rows.append((
            ids(start + offset), emergency_id, home.id, referral.to.id, referral.status, bed_type,
            f"{referral.distance_km:.2f}", note if offset == 0 else f"{note} (referred again)", referral.decline_reason,
            desk, answered_by, ambulance_id if last and referral.dispatched_at else None, referral.referred_at,
            referral.answered_at, referral.dispatched_at, referral.arrived_at, referral.closed_at,
            referral.withdrawn_at, referral.referred_at, referral.last_change,
        ))  # fmt: skip
    return rows


def suggested_bed(emergency_type: str, severity: str) -> str:
    if emergency_type in BED_BY_TYPE:
        return BED_BY_TYPE[emergency_type]
    return ICU_BEDS if severity == "critical" else GENERAL_WARD_BEDS
