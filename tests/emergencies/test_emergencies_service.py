"""The dispatch desk's reads and commands (dashboard/domains/emergencies/: open list, nearest, map, ambulances,
diversion), on a real PostgreSQL.

Each test builds a small network around Lagos inside a rolled-back transaction: hospitals at known
coordinates with ICU beds counted fresh, stale or not at all, one on diversion, one inactive. The
nearest-hospital order is checked against distances computed here in Python (haversine), not by
the function under test.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, text

from dashboard.domains.emergencies import (
    ambulances,
    dispatch_map,
    diversion,
    emergency,
    nearest,
    open_list,
    response_times,
)
from dashboard.kit import map as deck_map
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AmbulanceRequest, AuditLog, EmergencyRequest, Hospital, HospitalResource, Profile, User
from db.models.emergency import Referral

EMERGENCY_POINT = (6.5200, 3.3700)  # Lagos mainland


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    d_lat, d_lon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(d_lat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lon / 2) ** 2
    )
    return 2 * 6371 * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Desk:
    hospitals: dict[str, Hospital]
    coords: dict[str, tuple[float, float]]
    patient: str
    emergency: str
    admin: Actor
    executive: Actor
    ha_near: Actor
    ha_far: Actor


# label: (lat, lon, free ICU beds or None for no ICU resource, hours since counted, active, diverted)
SITES = {
    "near": (6.6000, 3.3500, 2, 1, True, False),
    "stale": (6.5100, 3.3800, 3, 30, True, False),  # nearest, but its count is a day old
    "full": (7.1500, 3.3600, 0, 1, True, False),
    "ibadan": (7.3800, 3.9500, 4, 2, True, False),
    "kano": (12.0000, 8.5900, 5, 1, True, False),
    "diverted": (6.4500, 3.4700, 6, 1, True, True),
    "inactive": (6.5300, 3.3600, 9, 1, False, False),
    "no_icu": (6.7000, 3.4000, None, 1, True, False),
}


def _patient(db, email: str) -> str:
    user = User(email=email, password="x")
    user.profile = Profile(first_name="Bola", last_name="Ade", role=UserRole.PATIENT, phone="+2348030000000")
    db.add(user)
    db.flush()
    return user.id


@pytest.fixture
def desk(db_session) -> Desk:
    db = db_session
    now = db.scalar(select(func.now()))
    hospitals, coords = {}, {}
    for label, (lat, lon, free, hours, active, diverted) in SITES.items():
        hospital = Hospital(
            name=f"Desk {label.title()} Hospital", latitude=Decimal(str(lat)), longitude=Decimal(str(lon)),
            is_active=active, verification_status="verified" if label != "kano" else "pending",
            accepting_patients=not diverted, diversion_reason="Generator down" if diverted else None,
            diversion_until=now + timedelta(hours=6) if diverted else None,
        )  # fmt: skip
        db.add(hospital)
        db.flush()
        if free is not None:
            db.add(HospitalResource(hospital_id=hospital.id, name="ICU beds", category="beds", total_quantity=10,
                                    available_quantity=free, in_use_quantity=10 - free,
                                    updated_at=now - timedelta(hours=hours)))  # fmt: skip
        db.add(HospitalResource(hospital_id=hospital.id, name="General ward beds", category="beds",
                                total_quantity=20, available_quantity=7, in_use_quantity=13))  # fmt: skip
        hospitals[label], coords[label] = hospital, (lat, lon)
    patient = _patient(db, "desk.patient@test.healthdash.ng")
    emergency = EmergencyRequest(
        patient_id=patient, emergency_type="cardiac", severity="critical", hospital_id=hospitals["full"].id,
        location_latitude=Decimal(str(EMERGENCY_POINT[0])), location_longitude=Decimal(str(EMERGENCY_POINT[1])),
        created_at=now - timedelta(minutes=40),
    )  # fmt: skip
    db.add(emergency)
    db.flush()
    return Desk(
        hospitals, coords, patient, emergency.id,
        admin=Actor("desk-admin", UserRole.ADMIN, None),
        executive=Actor("desk-exec", UserRole.EXECUTIVE, None),
        ha_near=Actor("desk-ha-near", UserRole.HOSPITAL_ADMIN, hospitals["near"].id),
        ha_far=Actor("desk-ha-kano", UserRole.HOSPITAL_ADMIN, hospitals["kano"].id),
    )  # fmt: skip


def _ours(desk: Desk, rows) -> list[str]:
    names = {h.id: label for label, h in desk.hospitals.items()}
    return [names[r.hospital_id] for r in rows if r.hospital_id in names]


def test_nearest_hospitals_rank_fresh_free_beds_by_true_distance(db_session, desk):
    found = nearest.nearest_hospitals(db_session, desk.admin, desk.emergency, limit=6)
    assert found.bed_type == "ICU beds"  # a critical cardiac emergency needs an ICU bed
    # Fresh counts with free beds by distance, then the stale count, then none free (or no ICU), by distance.
    assert _ours(desk, found.hospitals) == ["near", "ibadan", "kano", "stale", "no_icu", "full"]
    for row in found.hospitals:
        label = _ours(desk, [row])[0]
        expected = haversine_km(*EMERGENCY_POINT, *desk.coords[label])
        assert row.distance_km == pytest.approx(expected, abs=0.06), label
    fresh = [r for r in found.hospitals if r.free_beds > 0 and not r.stale]
    assert [r.distance_km for r in fresh] == sorted(r.distance_km for r in fresh)
    by_label = dict(zip(_ours(desk, found.hospitals), found.hospitals, strict=True))
    assert by_label["stale"].stale and by_label["stale"].hours_since_count == pytest.approx(30, abs=0.1)
    assert by_label["near"].free_beds == 2 and not by_label["near"].stale
    # The diverted hospital is left out, with its reason; the inactive one is not offered at all.
    assert [d.name for d in found.diverted] == ["Desk Diverted Hospital"]
    assert found.diverted[0].reason == "Generator down"
    assert "inactive" not in _ours(desk, found.hospitals)


def test_nearest_hospitals_search_a_box_first_and_widen_only_when_short(db_session, desk):
    # Two with free general beds lie within 50 km: the first box answers, Kano is never measured.
    found = nearest.nearest_hospitals(db_session, desk.admin, desk.emergency, bed_type="General ward beds",
                                            limit=2)  # fmt: skip
    assert found.searched_km == 50
    assert "kano" not in _ours(desk, found.hospitals)
    assert found.candidates < len(SITES)
    assert [h.free_beds for h in found.hospitals] == [7, 7]
    # The box is one the (is_active, latitude, longitude) index can answer.
    lat, lon = Decimal("6.52"), Decimal("3.37")
    stmt = select(Hospital.id).where(Hospital.is_active, nearest._box(lat, lon, 50))
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db_session.execute(text("EXPLAIN " + str(stmt.compile(compile_kwargs={"literal_binds": True})))).scalars()
    )
    assert "idx_hospitals_active_location" in plan


def test_nearest_hospitals_refusals(db_session, desk):
    with pytest.raises(OutOfScope, match="All hospitals"):
        nearest.nearest_hospitals(db_session, desk.ha_near, desk.emergency)
    with pytest.raises(InvalidInput, match="bed types"):
        nearest.nearest_hospitals(db_session, desk.admin, desk.emergency, bed_type="Sofa")
    with pytest.raises(NotFound):
        nearest.nearest_hospitals(db_session, desk.admin, "no-such-emergency")
    db_session.execute(EmergencyRequest.__table__.update().where(EmergencyRequest.id == desk.emergency)
                       .values(status="resolved"))  # fmt: skip
    with pytest.raises(InvalidInput, match="already resolved"):
        nearest.nearest_hospitals(db_session, desk.admin, desk.emergency)


def test_coordinates_outside_the_valid_range_are_refused():
    assert nearest.check_coordinates("6.5", "3.4") == (Decimal("6.5"), Decimal("3.4"))
    for lat, lon in ((91, 3), (6, -181), ("north", 3), (float("nan"), 3)):
        with pytest.raises(InvalidInput, match="latitude"):
            nearest.check_coordinates(lat, lon)


def test_open_list_is_oldest_critical_first_and_scoped(db_session, desk):
    now = db_session.scalar(select(func.now()))
    made = {}
    for label, severity, minutes, hospital in (
        ("old_medium", "medium", 300, "full"), ("new_critical", "critical", 5, "full"),
        ("old_high", "high", 90, "full"), ("far", "critical", 200, "kano"),
    ):  # fmt: skip
        row = EmergencyRequest(
            patient_id=desk.patient,
            emergency_type="fall_injury",
            severity=severity,
            hospital_id=desk.hospitals[hospital].id,
            created_at=now - timedelta(minutes=minutes),
        )
        db_session.add(row)  # fmt: skip
        db_session.flush()
        made[row.id] = label
    page = open_list.list_open(db_session, desk.admin, page_size=200)
    ours = [made.get(r.id, "desk") for r in page.rows if r.id in made or r.id == desk.emergency]
    assert ours == ["far", "desk", "new_critical", "old_high", "old_medium"]
    assert page.rows[0].age_minutes >= page.rows[1].age_minutes or page.rows[0].severity == "critical"
    kano = open_list.list_open(db_session, desk.ha_far)
    assert [made[r.id] for r in kano.rows] == ["far"] and kano.rows[0].patient_name == "Bola Ade"
    rows, truncated = open_list.export_open(db_session, desk.ha_far)
    assert len(rows) == 1 and not truncated
    assert db_session.scalar(select(func.count()).where(AuditLog.action_type == "emergencies_exported",
                                                        AuditLog.user_id == "desk-ha-kano")) == 1  # fmt: skip
    with pytest.raises(InvalidInput, match="severities"):
        open_list.list_open(db_session, desk.admin, severity="apocalyptic")


def test_the_export_holds_the_rows_the_search_lists_as_its_audit_row_says(db_session, desk):
    burns = EmergencyRequest(patient_id=desk.patient, emergency_type="burns", severity="critical",
                             hospital_id=desk.hospitals["full"].id)  # fmt: skip
    db_session.add(burns)
    db_session.flush()
    listed = open_list.list_open(db_session, desk.admin, search="cardiac", page_size=200)
    rows, truncated = open_list.export_open(db_session, desk.admin, search="cardiac")
    assert [r.id for r in rows] == [r.id for r in listed.rows] and not truncated
    assert desk.emergency in {r.id for r in rows} and burns.id not in {r.id for r in rows}
    recorded = db_session.scalar(select(AuditLog.new_values).where(AuditLog.action_type == "emergencies_exported",
                                                                   AuditLog.user_id == "desk-admin"))  # fmt: skip
    assert recorded == {"severity": None, "search": "cardiac", "rows": len(rows)}


def test_map_data_draws_points_below_the_limit_and_cells_above(db_session, desk, monkeypatch):
    data = dispatch_map.map_data(db_session, desk.admin)
    assert not data.aggregated and desk.emergency in {e.id for e in data.emergencies}
    names = {h.name: h for h in data.hospitals}
    assert names["Desk Near Hospital"].free_beds == 9 and names["Desk Near Hospital"].accepting
    assert not names["Desk Diverted Hospital"].accepting
    assert "Desk Inactive Hospital" not in names
    assert {h.name for h in dispatch_map.map_data(db_session, desk.ha_far).hospitals} == {"Desk Kano Hospital"}
    monkeypatch.setattr(dispatch_map, "MAP_POINT_LIMIT", 0)
    cells = dispatch_map.map_data(db_session, desk.admin)
    assert cells.aggregated and cells.emergencies == []
    assert sum(c.emergencies for c in cells.cells) == cells.open_emergencies


def test_twenty_thousand_emergencies_draw_as_a_small_aggregated_map(db_session, desk):
    """20,000 open emergencies: counted into grid cells in SQL; the deck sent to the browser stays small."""
    base_lat, base_lon = 6.0, 3.0
    rows = [
        {"patient_id": desk.patient, "emergency_type": "fall_injury", "severity": ("low", "critical")[i % 2],
         "location_latitude": Decimal(f"{base_lat + (i % 200) * 0.03:.4f}"),
         "location_longitude": Decimal(f"{base_lon + (i // 200) * 0.05:.4f}")}
        for i in range(20_000)
    ]  # fmt: skip
    db_session.execute(insert(EmergencyRequest), rows)
    data = dispatch_map.map_data(db_session, desk.admin)
    assert data.aggregated and data.open_emergencies >= 20_000
    assert sum(c.emergencies for c in data.cells) == data.open_emergencies
    deck = deck_map.emergency_deck(data)
    size = len(deck.to_json().encode())
    print(f"\n20,000 emergencies: {len(data.cells):,} cells, deck JSON {size:,} bytes")
    assert size < 150_000
    layers = {layer["id"]: layer["@@type"] for layer in json.loads(deck.to_json())["layers"]}
    assert layers["emergency-density"] == "HeatmapLayer" and "emergencies" not in layers
    assert layers["nigeria-outline"] == "GeoJsonLayer" and layers["state-capitals"] == "TextLayer"


def test_the_deck_needs_no_map_tiles(db_session, desk):
    deck = json.loads(deck_map.emergency_deck(dispatch_map.map_data(db_session, desk.admin)).to_json())
    # Streamlit swaps in an internet basemap unless the style is pydeck's "no provider" sentinel.
    assert deck["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in deck
    assert deck["initialViewState"]["latitude"] == pytest.approx(9.1)
    assert deck["initialViewState"]["longitude"] == pytest.approx(8.7)
    assert deck["initialViewState"]["zoom"] == pytest.approx(5.3)
    assert "http" not in json.dumps(deck)
    outline = next(layer for layer in deck["layers"] if layer["id"] == "nigeria-outline")
    names = {f["properties"]["name"] for f in outline["data"]["features"]}
    assert "Nigeria" in names


def test_median_time_to_assignment_by_month(db_session, desk):
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    minutes = {"2026-02": [10, 20, 40], "2026-03": [6]}
    for month, values in minutes.items():
        for i, wait in enumerate(values):
            created = datetime.fromisoformat(f"{month}-0{i + 2}T09:00:00+00:00")
            row = EmergencyRequest(
                patient_id=desk.patient,
                emergency_type="burns",
                severity="high",
                hospital_id=desk.hospitals["full"].id,
                created_at=created,
                status="resolved",
            )
            db_session.add(row)  # fmt: skip
            db_session.flush()
            db_session.add(Referral(emergency_request_id=row.id, from_hospital_id=desk.hospitals["full"].id,
                                    to_hospital_id=desk.hospitals["near"].id, status="closed", referred_by="x",
                                    referred_at=created, answered_at=created + timedelta(minutes=wait)))  # fmt: skip
    # A declined referral is no assignment.
    db_session.add(Referral(emergency_request_id=desk.emergency, to_hospital_id=desk.hospitals["near"].id,
                            status="declined", decline_reason="full", referred_by="x",
                            answered_at=now))  # fmt: skip
    db_session.flush()
    result = response_times.median_assignment_by_month(db_session, desk.admin, start=date(2026, 2, 1),
                                                    end=date(2026, 3, 31))  # fmt: skip
    assert [(m.month, m.median_minutes, m.assigned) for m in result] == [
        (date(2026, 2, 1), 20.0, 3), (date(2026, 3, 1), 6.0, 1)
    ]  # fmt: skip
    assert response_times.median_assignment_by_month(db_session, desk.ha_far, start=date(2026, 2, 1),
                                                  end=date(2026, 3, 31)) == []  # fmt: skip


def test_ambulance_status_and_eta_move_forward_only(db_session, desk):
    ambulance = AmbulanceRequest(patient_id=desk.patient, emergency_type="cardiac", pickup_address="Yaba",
                                 contact_phone="+234", assigned_hospital_id=desk.hospitals["near"].id,
                                 pickup_latitude=Decimal("6.51"), pickup_longitude=Decimal("3.37"),
                                 destination_latitude=Decimal("6.60"),
                                 destination_longitude=Decimal("3.35"))  # fmt: skip
    db_session.add(ambulance)
    db_session.flush()
    row = ambulances.update_ambulance(db_session, desk.ha_near, ambulance.id, status="dispatched", eta_minutes=12)
    assert (row.status, row.eta_minutes) == ("dispatched", 12)
    assert ambulance.id in {a.id for a in dispatch_map.map_data(db_session, desk.admin).ambulances}
    with pytest.raises(InvalidInput, match="cannot go back"):
        ambulances.update_ambulance(db_session, desk.ha_near, ambulance.id, status="pending", eta_minutes=5)
    with pytest.raises(InvalidInput, match="whole number"):
        ambulances.update_ambulance(db_session, desk.ha_near, ambulance.id, status="en_route", eta_minutes="soon")
    with pytest.raises(InvalidInput, match="ETA"):
        ambulances.update_ambulance(db_session, desk.ha_near, ambulance.id, status="en_route", eta_minutes=None)
    with pytest.raises(OutOfScope):
        ambulances.update_ambulance(db_session, desk.ha_far, ambulance.id, status="en_route", eta_minutes=5)
    with pytest.raises(NotPermitted):
        ambulances.update_ambulance(db_session, desk.executive, ambulance.id, status="en_route", eta_minutes=5)
    ambulances.update_ambulance(db_session, desk.admin, ambulance.id, status="completed", eta_minutes=None)
    with pytest.raises(InvalidInput, match="already completed"):
        ambulances.update_ambulance(db_session, desk.admin, ambulance.id, status="cancelled", eta_minutes=None)
    audits = db_session.scalars(
        select(AuditLog.new_values).where(
            AuditLog.resource_id == ambulance.id, AuditLog.action_type == "ambulance_updated"
        )
    ).all()
    # Refusals wrote nothing. Unordered: both rows carry the transaction's now() (migration 0012), and a scan of the
    # partitioned trail returns them in any order.
    assert sorted(a["status"] for a in audits) == ["completed", "dispatched"]


def test_diversion_takes_a_hospital_out_until_its_end(db_session, desk):
    now = db_session.scalar(select(func.now()))
    hospital = desk.hospitals["near"].id
    state = diversion.set_diversion(
        db_session, desk.ha_near, hospital, reason="ICU full", until=now + timedelta(hours=4)
    )
    assert not state.accepting and state.reason == "ICU full" and state.since is not None
    found = nearest.nearest_hospitals(db_session, desk.admin, desk.emergency, limit=5)
    assert "near" not in _ours(desk, found.hospitals)
    assert "Desk Near Hospital" in [d.name for d in found.diverted]
    for bad, match in (({"reason": " ", "until": now + timedelta(hours=1)}, "Say why"),
                       ({"reason": "x", "until": now - timedelta(hours=1)}, "future"),
                       ({"reason": "x", "until": now + timedelta(days=9)}, "at most 7 days"),
                       ({"reason": "x", "until": "tomorrow"}, "date and time")):  # fmt: skip
        with pytest.raises(InvalidInput, match=match):
            diversion.set_diversion(db_session, desk.ha_near, hospital, **bad)
    with pytest.raises(OutOfScope):
        diversion.set_diversion(db_session, desk.ha_far, hospital, reason="x", until=now + timedelta(hours=1))
    # Past its expected end a diversion no longer holds: the hospital is offered again, flagged as lapsed.
    db_session.execute(Hospital.__table__.update().where(Hospital.id == hospital)
                       .values(diversion_until=now - timedelta(minutes=1)))  # fmt: skip
    lapsed = diversion.diversion(db_session, desk.ha_near, hospital)
    assert lapsed.accepting and lapsed.lapsed
    assert "near" in _ours(desk, nearest.nearest_hospitals(db_session, desk.admin, desk.emergency).hospitals)
    assert diversion.end_diversion(db_session, desk.ha_near, hospital).accepting
    with pytest.raises(InvalidInput, match="already accepting"):
        diversion.end_diversion(db_session, desk.ha_near, hospital)


def test_a_diversion_end_typed_for_an_hour_already_past_today_means_tonight():
    lagos = ZoneInfo("Africa/Lagos")
    evening = datetime(2026, 3, 10, 21, 30, tzinfo=lagos)
    # "02:00" typed at 21:30 with today's date: the coming night, not a moment already gone.
    assert diversion.expected_end(date(2026, 3, 10), time(2), now=evening) == datetime(2026, 3, 11, 2, tzinfo=lagos)
    assert diversion.expected_end(date(2026, 3, 10), time(23), now=evening) == datetime(2026, 3, 10, 23, tzinfo=lagos)
    # Another day is taken as typed (a past one is then refused by set_diversion).
    assert diversion.expected_end(date(2026, 3, 9), time(2), now=evening) == datetime(2026, 3, 9, 2, tzinfo=lagos)
    # The form's first guess: four hours on, round the clock.
    assert diversion.suggested_end_time(evening) == time(1)


def test_a_referral_answered_before_its_request_counts_as_no_wait_not_a_negative_one(db_session, desk):
    # The demo's generated requests can be stamped after their referral's answer; never below zero.
    for wait in (-90, -30, 10):
        created = datetime(2026, 4, 2, 9, tzinfo=UTC)
        row = EmergencyRequest(patient_id=desk.patient, emergency_type="burns", severity="high",
                               hospital_id=desk.hospitals["full"].id, created_at=created, status="resolved")
        db_session.add(row)
        db_session.flush()
        db_session.add(Referral(emergency_request_id=row.id, from_hospital_id=desk.hospitals["full"].id,
                                to_hospital_id=desk.hospitals["near"].id, status="closed", referred_by="x",
                                referred_at=created, answered_at=created + timedelta(minutes=wait)))  # fmt: skip
    db_session.flush()
    [april] = response_times.median_assignment_by_month(db_session, desk.admin, start=date(2026, 4, 1),
                                                     end=date(2026, 4, 30))  # fmt: skip
    assert (april.median_minutes, april.assigned) == (0.0, 3)


# --- one definition of an open emergency; map labels that do not overlap (issue 18) ------------------


def test_open_counts_are_the_rows_the_open_list_shows_in_every_scope(db_session, desk):
    from dashboard.domains.overview import overview

    db = db_session
    for severity, status, hospital in (
        ("critical", "dispatched", "full"), ("low", "in_progress", "near"), ("high", "resolved", "near"),
        ("critical", "cancelled", "kano"), ("medium", "pending", "kano"),
    ):  # fmt: skip
        db.add(EmergencyRequest(patient_id=desk.patient, emergency_type="fall_injury", severity=severity,
                                status=status, hospital_id=desk.hospitals[hospital].id))  # fmt: skip
    db.flush()
    # Referred from Full to Near: Near's list shows it, so Near's count counts it.
    db.add(Referral(emergency_request_id=desk.emergency, from_hospital_id=desk.hospitals["full"].id,
                    to_hospital_id=desk.hospitals["near"].id, referred_by="desk-admin"))  # fmt: skip
    db.flush()
    assert emergency.OPEN_STATUSES == overview.OPEN_EMERGENCY_STATUSES  # one definition, two names until wired
    for actor in (desk.admin, desk.executive, desk.ha_near, desk.ha_far):
        counts = open_list.open_counts(db, actor)
        assert counts.open == open_list.list_open(db, actor, page_size=1).total, actor
        assert counts.critical == open_list.list_open(db, actor, severity="critical", page_size=1).total, actor
    near = open_list.open_counts(db, desk.ha_near)
    assert (near.open, near.critical) == (2, 1)  # its in-progress one and the critical one referred to it
    assert open_list.open_counts(db, desk.ha_far) == open_list.OpenCounts(1, 0)  # cancelled is not open
    # The Overview's readers may read it (a compliance officer sees the Overview, not this page).
    officer = Actor("desk-compliance", UserRole.COMPLIANCE_OFFICER, desk.hospitals["near"].id)
    assert open_list.open_counts(db, officer).open == 2


def test_thin_labels_drops_the_lesser_of_two_that_would_overlap_at_the_opening_zoom():
    per_px = deck_map.degrees_per_pixel()
    assert per_px == pytest.approx(360 / (256 * 2**5.3))  # about 28 pixels a degree
    a = {"name": "Ibadan", "position": [3.95, 7.38], "rank": 1}
    b = {"name": "Abeokuta", "position": [3.35, 7.15]}  # 0.6° west: the names' boxes meet
    c = {"name": "Kano", "position": [8.52, 12.0]}  # far from both
    kept = deck_map.thin_labels([b, a, c])
    assert [x["name"] for x in kept] == ["Ibadan", "Kano"]  # the larger city wins, original order kept
    # Equal rank: the one nearer the centre wins.
    near = {"name": "Lokoja", "position": [6.74, 7.80]}
    far = {"name": "Lokojb", "position": [6.74 - 20 * per_px, 7.80]}  # 20 px further west: overlapping text
    assert deck_map.thin_labels([far, near], centre=(8.7, 9.1)) == [near]
    # Far enough apart (wider than the two half-names): both stay.
    apart = {"name": "Lokojb", "position": [6.74 + 60 * per_px, 7.80]}
    assert deck_map.thin_labels([near, apart]) == [near, apart]
    # The map's capital names: none of the kept ones overlap, Abuja and the large cities are kept.
    names = {c["name"] for c in deck_map.capital_labels()}
    assert {"Abuja", "Kano", "Ibadan", "Ikeja", "Port Harcourt"} <= names
    assert len(names) < len(deck_map.state_capitals())
    assert deck_map.thin_labels(deck_map.capital_labels()) == deck_map.capital_labels()
