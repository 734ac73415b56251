"""Supplies that say when they run out: burn rate and run-out date from a known history, the alert below the
lead time, a stock movement written with every change in the same transaction, bad input refused, and scope
(the service's filter and the database's row-level security)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text

from dashboard.domains.floor import resource_commands, supply_burn, supply_commands
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db.models import AuditLog, ResourceStockMovement
from db.settings import Settings
from tests.fixtures import hospital_floor
from tests.fixtures.hospital_floor import HOSPITAL_A, HOSPITAL_B, resource_counts

floor = hospital_floor.floor
DEFAULTS = Settings()  # lead times: medication 14 days, blood 3, oxygen 2, supplies 10
TODAY = supply_burn.lagos_today()


def at(days_ago: int) -> datetime:
    """Just after midnight `days_ago` Lagos days before today: before anything a test records today."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(0, 5), tzinfo=LAGOS)


def add_supply(db, floor, hospital: str, name: str, category: str, stock: int, daily: dict[int, int]) -> str:
    """A consumable holding `stock`, with one usage row per day of `daily` (days ago -> units used)."""
    hospital_id = floor.hospital_a if hospital == "a" else floor.hospital_b
    resource_id = hospital_floor.add_resource(db, hospital_id, (hospital, name, category, stock, stock, 0, 0, 1))
    for days_ago, used in daily.items():
        db.add(ResourceStockMovement(resource_id=resource_id, hospital_id=hospital_id, kind="usage",
                                     used_quantity=used, received_quantity=0, stock_after=stock,
                                     recorded_at=at(days_ago)))  # fmt: skip
    db.flush()
    return resource_id


@pytest.fixture
def stocked(db_session, floor):
    """Hospital A: O+ blood running out, a medication well stocked with a short history, gloves nobody used,
    and a new supply with no history; hospital B: its own blood."""
    return {
        # 3 a day over the last 28 days (older days not counted), 7 in hand: 2 days left, under blood's 3.
        "blood": add_supply(
            db_session, floor, "a", "Blood units (O+)", "blood", 7, {d: (3 if d < 28 else 50) for d in range(40)}
        ),  # fmt: skip
        # First recorded 9 days ago: 200 used over 10 days is 20 a day; 500 last 25 days, over the 14-day lead.
        "insulin": add_supply(db_session, floor, "a", "Insulin (vials)", "medication", 500, {d: 20 for d in range(10)}),
        "gloves": add_supply(db_session, floor, "a", "Gloves (boxes)", "supplies", 40, {5: 0}),
        "masks": add_supply(db_session, floor, "a", "Masks (boxes)", "supplies", 12, {}),
        "b_blood": add_supply(db_session, floor, "b", "Blood units (O-)", "blood", 2, {1: 2, 2: 2}),
    }


def test_burn_rate_days_left_and_run_out_date_from_a_known_history(db_session, floor, stocked):
    rows = supply_burn.supplies(db_session, floor.actor("ha_a"), today=TODAY, values=DEFAULTS)
    by_name = {r.name: r for r in rows}
    # Hospital A's consumables only (the fixture's oxygen cylinders are "supplies" too), most urgent first.
    assert {r.hospital_name for r in rows} == {HOSPITAL_A}
    # Most urgent first; those with no rate last, by name ("Oxygen cylinders" of the fixture has no history).
    assert [r.name for r in rows] == [
        "Blood units (O+)", "Insulin (vials)", "Gloves (boxes)", "Masks (boxes)", "Oxygen cylinders",
    ]  # fmt: skip
    blood = by_name["Blood units (O+)"]
    assert (blood.used_in_window, blood.history_days, blood.burn_per_day) == (84, 28, pytest.approx(3.0))
    assert (blood.days_left, blood.runs_out_on, blood.lead_days) == (2, TODAY + timedelta(days=2), 3.0)
    assert blood.below_lead_time and blood.status == supply_burn.ORDER_NOW
    assert blood.runs_out_words == f"in about 2 days ({TODAY + timedelta(days=2):%-d %b})"
    insulin = by_name["Insulin (vials)"]
    assert (insulin.history_days, insulin.burn_per_day, insulin.days_left) == (10, pytest.approx(20.0), 25)
    assert not insulin.below_lead_time and insulin.status == supply_burn.ENOUGH
    gloves, masks = by_name["Gloves (boxes)"], by_name["Masks (boxes)"]
    assert gloves.burn_per_day == 0.0 and gloves.days_left is None and gloves.status == supply_burn.NO_USE
    assert masks.burn_per_day is None and masks.history_days is None and masks.runs_out_on is None


def test_the_alert_stands_below_the_lead_time_only(db_session, floor, stocked):
    alerts = supply_burn.running_out(db_session, floor.actor("ha_a"), today=TODAY, values=DEFAULTS)
    assert [a.name for a in alerts] == ["Blood units (O+)"]
    # Two days left is not fewer than a two-day lead time: no alert.
    shorter = Settings(restock_lead_blood_days=2)
    assert supply_burn.running_out(db_session, floor.actor("ha_a"), today=TODAY, values=shorter) == []
    # A 30-day lead for medication puts insulin's 25 days under it.
    longer = Settings(restock_lead_medication_days=30)
    names = [a.name for a in supply_burn.running_out(db_session, floor.actor("ha_a"), today=TODAY, values=longer)]
    assert names == ["Blood units (O+)", "Insulin (vials)"]


def test_scope_a_hospital_sees_its_own_and_the_network_sees_both(db_session, floor, stocked):
    b_rows = supply_burn.supplies(db_session, floor.actor("ha_b"), today=TODAY, values=DEFAULTS)
    assert [(r.name, r.hospital_name) for r in b_rows] == [("Blood units (O-)", HOSPITAL_B)]
    assert b_rows[0].days_left == 0 or b_rows[0].days_left == 1  # 4 used over 3 days: 1.33 a day, 2 in hand
    network = supply_burn.running_out(db_session, floor.actor("admin"), today=TODAY, values=DEFAULTS)
    assert {(a.name, a.hospital_name) for a in network} >= {
        ("Blood units (O+)", HOSPITAL_A),
        ("Blood units (O-)", HOSPITAL_B),
    }
    with pytest.raises(OutOfScope):
        supply_burn.history(db_session, floor.actor("ha_b"), stocked["blood"], today=TODAY)


def test_the_history_fills_the_days_between_records(db_session, floor, stocked):
    actor = floor.actor("ha_a")
    supply_commands.record_stock_change(db_session, actor, stocked["insulin"], kind="delivery", quantity=100)
    points = supply_burn.history(db_session, actor, stocked["insulin"], today=TODAY)
    assert points[0].day == TODAY - timedelta(days=9) and points[-1].day == TODAY and len(points) == 10
    assert points[-1].received == 100 and points[-1].stock == 600 and points[-1].used == 20
    assert all(p.used == 20 for p in points)
    with pytest.raises(InvalidInput, match="not used up like a supply"):
        supply_burn.history(db_session, actor, floor.resources["a_general"], today=TODAY)


# --- Writes ------------------------------------------------------------------------------------------


def movements(db, resource_id):
    return db.scalars(
        select(ResourceStockMovement)
        .where(ResourceStockMovement.resource_id == resource_id, ResourceStockMovement.recorded_by.is_not(None))
        .order_by(ResourceStockMovement.recorded_at)
    ).all()


def test_recording_use_and_a_delivery_moves_the_stock_and_writes_its_history_in_one_transaction(
    db_session, floor, stocked
):
    actor = floor.actor("ha_a")
    left = supply_commands.record_stock_change(
        db_session, actor, stocked["blood"], kind="usage", quantity="3", note="Theatre 2"
    )
    assert left == 4 and resource_counts(db_session, stocked["blood"]) == (4, 4, 0, 0, "available")
    (used,) = movements(db_session, stocked["blood"])
    assert (used.kind, used.used_quantity, used.received_quantity, used.stock_after) == ("usage", 3, 0, 4)
    assert (used.recorded_by, used.note, used.hospital_id) == (actor.user_id, "Theatre 2", floor.hospital_a)
    (entry,) = db_session.scalars(select(AuditLog).where(AuditLog.action_type == "supply_used")).all()
    assert entry.new_values["movement_id"] == used.id and entry.old_values["available_quantity"] == 7
    # The resource row, its movement and the audit row were written by one transaction (the same xmin).
    writers = db_session.execute(
        text(
            "SELECT (SELECT xmin::text FROM hospital_resources WHERE id = :r), "
            "(SELECT xmin::text FROM resource_stock_movements WHERE id = :m), "
            "(SELECT xmin::text FROM audit_logs WHERE id = :a)"
        ),
        {"r": stocked["blood"], "m": used.id, "a": entry.id},
    ).one()
    assert len(set(writers)) == 1
    supply_commands.record_stock_change(db_session, actor, stocked["blood"], kind="delivery", quantity=10)
    assert resource_counts(db_session, stocked["blood"])[:2] == (14, 14)
    delivered = movements(db_session, stocked["blood"])[-1]
    assert (delivered.kind, delivered.used_quantity, delivered.received_quantity, delivered.stock_after) == (
        "delivery", 0, 10, 14,
    )  # fmt: skip


def test_a_count_changed_on_the_resources_page_joins_a_consumables_history_but_not_a_wards(db_session, floor):
    actor = floor.actor("ha_a")
    oxygen = floor.resources["a_oxygen"]  # 25 in all: 3 free, 22 in use
    resource_commands.update_quantities(db_session, actor, oxygen, total=25, available=1, in_use=24, maintenance=0)
    (counted,) = movements(db_session, oxygen)
    assert (counted.kind, counted.used_quantity, counted.received_quantity, counted.stock_after) == ("count", 2, 0, 1)
    general = floor.resources["a_general"]
    resource_commands.update_quantities(db_session, actor, general, total=10, available=4, in_use=5, maintenance=1)
    assert movements(db_session, general) == []


@pytest.mark.parametrize(
    ("kind", "quantity", "note", "words"),
    [
        ("usage", "abc", None, "number used must be a whole number"),
        ("usage", 0, None, "from 1 to 100,000, not '0'"),
        ("delivery", -4, None, "number delivered must be a whole number"),
        ("delivery", 2.5, None, "whole number"),
        ("usage", 8, None, "Only 7 Blood units \\(O\\+\\) are in stock at Adeyemi"),
        ("delivery", 100_000, None, "more than 100,000"),
        ("stolen", 1, None, "used or delivered"),
        ("usage", 1, "x" * 201, "at most 200 characters"),
    ],
)
def test_bad_input_is_refused_in_a_sentence_and_changes_nothing(db_session, floor, stocked, kind, quantity, note,
                                                                 words):  # fmt: skip
    with pytest.raises(InvalidInput, match=words):
        supply_commands.record_stock_change(
            db_session, floor.actor("ha_a"), stocked["blood"], kind=kind, quantity=quantity, note=note
        )
    assert resource_counts(db_session, stocked["blood"])[:2] == (7, 7)
    assert movements(db_session, stocked["blood"]) == []


def test_only_a_hospitals_writers_record_and_only_consumables(db_session, floor, stocked):
    record = supply_commands.record_stock_change
    with pytest.raises(NotPermitted):
        record(db_session, floor.actor("exec_a"), stocked["blood"], kind="usage", quantity=1)
    with pytest.raises(OutOfScope):
        record(db_session, floor.actor("ha_b"), stocked["blood"], kind="usage", quantity=1)
    with pytest.raises(InvalidInput, match="not used up like a supply"):
        supply_commands.record_stock_change(
            db_session, floor.actor("ha_a"), floor.resources["a_ventilators"], kind="usage", quantity=1
        )
    assert movements(db_session, stocked["blood"]) == []


def test_row_level_security_holds_the_history_to_the_scope(db_session, floor, stocked):
    secured = db_session.execute(
        text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'resource_stock_movements'")
    ).one()
    assert secured == (True, True)
    # A role without BYPASSRLS (made and dropped inside this test's rolled-back transaction) reads raw rows.
    db_session.execute(text("CREATE ROLE supply_rls_reader NOLOGIN"))
    db_session.execute(text("GRANT SELECT ON resource_stock_movements TO supply_rls_reader"))
    db_session.execute(text("SET LOCAL ROLE supply_rls_reader"))
    try:
        seen = lambda: set(db_session.scalars(text("SELECT DISTINCT hospital_id FROM resource_stock_movements")))  # noqa: E731
        assert seen() == set()  # no scope: nothing
        db_session.execute(text("SELECT set_config('healthdash.scope', :h, true)"), {"h": floor.hospital_b})
        assert seen() == {floor.hospital_b}
        db_session.execute(text("SELECT set_config('healthdash.scope', '*', true)"))
        assert {floor.hospital_a, floor.hospital_b} <= seen()
    finally:
        db_session.execute(text("RESET ROLE"))
    assert db_session.scalar(select(func.count()).select_from(ResourceStockMovement)) > 0
