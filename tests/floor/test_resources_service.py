"""Resources and beds: sums, alerts and free beds in scope; count changes that add up, lock, and are audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.domains.floor import bed_figures, resource_commands, resource_list
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db.models import AuditLog, HospitalResource
from db.rules import resource_status
from db.settings import Settings
from tests.fixtures import hospital_floor
from tests.fixtures.hospital_floor import HOSPITAL_A, HOSPITAL_B, resource_counts

floor = hospital_floor.floor
DEFAULTS = Settings()


def audit_rows(db, user_id, action_type):
    return db.scalars(select(AuditLog).where(AuditLog.user_id == user_id, AuditLog.action_type == action_type)).all()


def refusals(engine, user_id):
    """Refusals are committed on their own connection, so they are read on one too."""
    with Session(engine) as session:
        return session.scalars(
            select(AuditLog.action_type).where(AuditLog.user_id == user_id, AuditLog.action_category == "security")
        ).all()


def audit_count(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action_category != "security"))


# --- Reads ------------------------------------------------------------------------------------------


def test_category_summary_adds_up_per_category_in_scope(db_session, floor):
    summary = resource_list.category_summary(db_session, floor.actor("ha_a"))
    by_category = {s.category: s for s in summary}
    assert [s.category for s in summary] == ["beds", "equipment", "supplies"]  # vocabulary order
    beds = by_category["beds"]
    assert (beds.resources, beds.total, beds.available, beds.in_use, beds.maintenance) == (5, 26, 10, 15, 1)
    assert beds.available + beds.in_use + beds.maintenance == beds.total
    assert beds.utilisation == pytest.approx(100 * 15 / 25)
    assert by_category["equipment"].utilisation == pytest.approx(100.0)
    assert by_category["supplies"].utilisation == pytest.approx(88.0)


def test_category_summary_of_the_network_includes_both_hospitals(db_session, floor):
    network = {s.category: s for s in resource_list.category_summary(db_session, floor.actor("admin"))}
    assert network["beds"].total >= 26 + 22 and network["beds"].resources >= 7


def test_utilisation_is_none_when_nothing_is_usable(db_session, floor):
    hospital_floor.add_resource(db_session, floor.hospital_a, ("a", "X-ray machines", "equipment", 0, 0, 0, 0, 1))
    hospital_floor.add_resource(db_session, floor.hospital_b, ("b", "Dialysis machines", "equipment", 2, 0, 0, 2, 1))
    summary = {s.category: s for s in resource_list.category_summary(db_session, floor.actor("ha_b"))}
    assert summary["equipment"].utilisation is None
    row = resource_list.list_resources(db_session, floor.actor("ha_b"), category="equipment", values=DEFAULTS).rows[0]
    assert row.utilisation is None and row.free_percent == 0.0 and row.low  # all in maintenance: none to use
    assert row.status == "maintenance"


@pytest.mark.parametrize("who", ["ha_a", "exec_a", "comp_a"])
def test_list_resources_holds_only_hospital_a_low_ones_first(db_session, floor, who):
    page = resource_list.list_resources(db_session, floor.actor(who), values=DEFAULTS)
    assert page.total == 7 and {r.hospital_id for r in page.rows} == {floor.hospital_a}
    assert {r.hospital_name for r in page.rows} == {HOSPITAL_A}
    assert [(r.name, r.low) for r in page.rows] == [
        ("Paediatric beds", True),
        ("Ventilators", True),
        ("General ward beds", False),
        ("ICU beds", False),
        ("Isolation beds", False),
        ("Maternity beds", False),
        ("Oxygen cylinders", False),
    ]
    icu = next(r for r in page.rows if r.name == "ICU beds")
    assert icu.stale and icu.hours_since_update == pytest.approx(30, abs=0.2)
    assert icu.free_percent == pytest.approx(25.0) and icu.utilisation == pytest.approx(75.0)
    general = next(r for r in page.rows if r.name == "General ward beds")
    assert not general.stale and (general.total, general.available, general.in_use, general.maintenance) == (
        10,
        5,
        4,
        1,
    )


def test_list_resources_filters_searches_and_pages(db_session, floor):
    admin = floor.actor("admin")
    b_rows = resource_list.list_resources(db_session, admin, search="bello", values=DEFAULTS).rows
    assert {r.hospital_name for r in b_rows} == {HOSPITAL_B} and len(b_rows) == 2
    icu = resource_list.list_resources(db_session, floor.actor("ha_a"), search="icu", values=DEFAULTS)
    assert [r.name for r in icu.rows] == ["ICU beds"]
    equipment = resource_list.list_resources(db_session, floor.actor("ha_a"), category="equipment", values=DEFAULTS)
    assert [r.name for r in equipment.rows] == ["Ventilators"]
    second = resource_list.list_resources(db_session, floor.actor("ha_a"), page=2, page_size=3, values=DEFAULTS)
    assert (
        second.total == 7
        and second.page == 2
        and [r.name for r in second.rows]
        == [
            "ICU beds",
            "Isolation beds",
            "Maternity beds",
        ]
    )
    with pytest.raises(InvalidInput, match="resource categories"):
        resource_list.list_resources(db_session, floor.actor("ha_a"), category="beds'; drop table x")


def test_stale_and_low_follow_the_settings(db_session, floor):
    strict = Settings(stale_hours=1.5, stale_clear_hours=1, low_availability_raise_percent=30)
    rows = {r.name: r for r in resource_list.list_resources(db_session, floor.actor("ha_a"), values=strict).rows}
    assert rows["General ward beds"].stale and not rows["Maternity beds"].stale
    assert rows["ICU beds"].low and rows["Oxygen cylinders"].low and not rows["Maternity beds"].low


def test_export_resources_is_audited_with_its_filters(db_session, floor):
    actor = floor.actor("comp_a")
    rows, truncated = resource_list.export_resources(db_session, actor, category="beds", search="", values=DEFAULTS)
    assert len(rows) == 5 and not truncated and {r.hospital_id for r in rows} == {floor.hospital_a}
    (entry,) = audit_rows(db_session, actor.user_id, "resources_exported")
    assert entry.new_values == {"category": "beds", "search": None, "rows": 5}
    assert entry.hospital_id == floor.hospital_a and entry.compliance_relevant


def test_low_availability_alerts_worst_first_with_the_band_between_levels(db_session, floor):
    alerts = resource_list.low_availability_alerts(db_session, floor.actor("ha_a"), values=DEFAULTS)
    assert [(a.name, a.free_percent, a.at_raise_level) for a in alerts] == [
        ("Paediatric beds", 0.0, True),
        ("Ventilators", 0.0, True),
        ("Oxygen cylinders", pytest.approx(12.0), False),  # between raise (10) and clear (15)
    ]
    oxygen = alerts[-1]
    assert (oxygen.available, oxygen.usable, oxygen.hospital_name) == (3, 25, HOSPITAL_A)
    # The page applies the hysteresis: an alert raised before stays up in the band, a new one does not.
    assert DEFAULTS.low_availability.breached(oxygen.free_percent, was_raised=True)
    assert not DEFAULTS.low_availability.breached(oxygen.free_percent, was_raised=False)
    assert resource_list.low_availability_alerts(db_session, floor.actor("ha_b"), values=DEFAULTS) == []


def test_beds_by_hospital_counts_free_beds_per_ward(db_session, floor):
    (row,) = bed_figures.beds_by_hospital(db_session, floor.actor("ha_a"), values=DEFAULTS)
    assert row.hospital_name == HOSPITAL_A
    free = (row.free_general, row.free_icu, row.free_maternity, row.free_paediatric, row.free_total)
    assert free == (5, 1, 2, 0, 10)  # the total includes the 2 isolation beds
    assert (row.in_use, row.usable) == (15, 25) and row.occupancy == pytest.approx(60.0)
    assert row.last_update == pytest.approx(datetime.now(UTC) - timedelta(hours=1), abs=timedelta(seconds=30))
    assert row.hours_since_update == pytest.approx(1, abs=0.1) and not row.stale
    strict = Settings(stale_hours=0.5, stale_clear_hours=0.4)
    assert bed_figures.beds_by_hospital(db_session, floor.actor("ha_a"), values=strict)[0].stale


def test_beds_by_hospital_of_the_network_has_a_row_per_hospital(db_session, floor):
    rows = {r.hospital_id: r for r in bed_figures.beds_by_hospital(db_session, floor.actor("admin"), values=DEFAULTS)}
    assert {floor.hospital_a, floor.hospital_b} <= set(rows)
    b = rows[floor.hospital_b]
    assert (b.free_general, b.free_icu, b.free_total, b.in_use, b.usable) == (10, 2, 12, 10, 22)
    assert sum(r.hospital_id in (floor.hospital_a, floor.hospital_b) for r in rows.values()) == 2


def test_a_hospital_with_no_beds_has_an_empty_stale_row(db_session, floor):
    from db.models import Hospital

    empty = Hospital(name="Zuru General Hospital", city="Zuru", state="Kebbi")
    db_session.add(empty)
    db_session.flush()
    rows = {r.hospital_id: r for r in bed_figures.beds_by_hospital(db_session, floor.actor("admin"), values=DEFAULTS)}
    row = rows[empty.id]
    assert (row.free_total, row.usable, row.occupancy, row.last_update, row.stale) == (0, 0, None, None, True)


def test_free_icu_beds_fresh_before_stale(db_session, floor):
    rows = [
        r
        for r in bed_figures.free_icu_beds(db_session, floor.actor("admin"), values=DEFAULTS)
        if r.hospital_id in (floor.hospital_a, floor.hospital_b)
    ]
    assert [(r.hospital_name, r.free_icu, r.stale) for r in rows] == [(HOSPITAL_B, 2, False), (HOSPITAL_A, 1, True)]
    assert (rows[0].city, rows[0].state) == ("Sokoto", "Sokoto") and rows[0].latitude == pytest.approx(13.0059)
    scoped = bed_figures.free_icu_beds(db_session, floor.actor("ha_a"), values=DEFAULTS)
    assert [r.hospital_id for r in scoped] == [floor.hospital_a]


def test_free_icu_beds_leaves_out_a_full_icu(db_session, floor):
    resource_commands.update_quantities(
        db_session, floor.actor("ha_b"), floor.resources["b_icu"], total=2, available=0, in_use=2, maintenance=0
    )
    assert bed_figures.free_icu_beds(db_session, floor.actor("ha_b"), values=DEFAULTS) == []


def test_get_resource_of_another_hospital_is_refused_and_audited(db_session, engine, floor):
    actor = floor.actor("ha_a")
    assert resource_list.get_resource(db_session, actor, floor.resources["a_icu"]).name == "ICU beds"
    with pytest.raises(OutOfScope):
        resource_list.get_resource(db_session, actor, floor.resources["b_icu"])
    with pytest.raises(NotFound):
        resource_list.get_resource(db_session, actor, "no-such-resource")
    assert "scope_violation" in refusals(engine, actor.user_id)


# --- update_quantities --------------------------------------------------------------------------------


def test_update_quantities_changes_counts_recomputes_status_and_audits_changes_only(db_session, floor):
    actor = floor.actor("ha_a")
    resource_id = floor.resources["a_general"]
    row = resource_commands.update_quantities(
        db_session, actor, resource_id, total=10, available=1, in_use=8, maintenance=1
    )
    assert (row.total, row.available, row.in_use, row.maintenance, row.status) == (10, 1, 8, 1, "limited")
    assert row.status == resource_status(10, 1, 1)
    assert resource_counts(db_session, resource_id) == (10, 1, 8, 1, "limited")
    assert row.hours_since_update == pytest.approx(0, abs=0.05) and not row.stale
    (entry,) = audit_rows(db_session, actor.user_id, "resource_updated")
    assert entry.old_values == {"available_quantity": 5, "in_use_quantity": 4, "status": "available"}
    assert entry.new_values == {
        "available_quantity": 1,
        "in_use_quantity": 8,
        "status": "limited",
        "name": "General ward beds",
    }
    assert (entry.resource_type, entry.resource_id, entry.hospital_id) == (
        "hospital_resource",
        resource_id,
        floor.hospital_a,
    )


def test_update_quantities_accepts_typed_whole_numbers(db_session, floor):
    row = resource_commands.update_quantities(
        db_session,
        floor.actor("ha_a"),
        floor.resources["a_oxygen"],
        total="30",
        available=8.0,
        in_use=22,
        maintenance=0,
    )
    assert (row.total, row.available) == (30, 8)


def test_update_quantities_of_the_network_admin_names_the_hospital(db_session, floor):
    actor = floor.actor("admin")
    resource_commands.update_quantities(
        db_session, actor, floor.resources["b_icu"], total=3, available=3, in_use=0, maintenance=0
    )
    (entry,) = audit_rows(db_session, actor.user_id, "resource_updated")
    assert entry.hospital_id == floor.hospital_b  # concerns_hospital: B's administrators see it in their trail


@pytest.mark.parametrize(
    ("total", "available", "in_use", "maintenance"),
    [(0, 0, 0, 0), (5, 0, 0, 5)],
)
def test_status_follows_the_demo_rule(db_session, floor, total, available, in_use, maintenance):
    row = resource_commands.update_quantities(
        db_session,
        floor.actor("ha_a"),
        floor.resources["a_ventilators"],
        total=total,
        available=available,
        in_use=in_use,
        maintenance=maintenance,
    )
    assert row.status == resource_status(total, available, maintenance)
    assert row.status == ("unavailable" if total == 0 else "maintenance")


def test_counts_that_do_not_add_up_are_refused_in_a_sentence(db_session, floor):
    before = audit_count(db_session)
    with pytest.raises(InvalidInput) as refused:
        resource_commands.update_quantities(
            db_session,
            floor.actor("ha_a"),
            floor.resources["a_general"],
            total=10,
            available=5,
            in_use=6,
            maintenance=1,
        )
    assert str(refused.value) == (
        "General ward beds: Free (5), In use (6) and In maintenance (1) add up to 12, not the total of 10. "
        "With the other counts as they are, In use should be 4."
    )
    assert resource_counts(db_session, floor.resources["a_general"]) == (10, 5, 4, 1, "available")
    assert audit_count(db_session) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("total", -1, "The total must be a whole number from 0 to 100,000, not -1."),
        ("available", 100_001, "The number available must be a whole number from 0 to 100,000, not 100,001."),
        ("in_use", "abc", "The number in use must be a whole number from 0 to 100,000, not 'abc'."),
        ("maintenance", 2.5, "The number in maintenance must be a whole number from 0 to 100,000, not '2.5'."),
        ("in_use", True, "The number in use must be a whole number"),
        ("total", None, "The total must be a whole number"),
        ("available", "1e3", "The number available must be a whole number"),
    ],
)
def test_bad_numbers_are_refused_naming_the_field_and_nothing_is_written(db_session, floor, field, value, message):
    counts = {"total": 10, "available": 5, "in_use": 4, "maintenance": 1, field: value}
    before = audit_count(db_session)
    with pytest.raises(InvalidInput) as refused:
        resource_commands.update_quantities(db_session, floor.actor("ha_a"), floor.resources["a_general"], **counts)
    assert str(refused.value).startswith(message)
    assert resource_counts(db_session, floor.resources["a_general"]) == (10, 5, 4, 1, "available")
    assert audit_count(db_session) == before


def test_in_use_cannot_drop_below_the_beds_patients_hold(db_session, floor):
    # One patient (Tunde) holds an ICU bed: in use can go down to 1, not to 0.
    with pytest.raises(InvalidInput, match=r"ICU beds in use cannot go below 1: a patient admitted at .* holds one"):
        resource_commands.update_quantities(
            db_session, floor.actor("ha_a"), floor.resources["a_icu"], total=4, available=4, in_use=0, maintenance=0
        )
    assert resource_counts(db_session, floor.resources["a_icu"])[:4] == (4, 1, 3, 0)
    row = resource_commands.update_quantities(
        db_session, floor.actor("ha_a"), floor.resources["a_icu"], total=4, available=3, in_use=1, maintenance=0
    )
    assert row.in_use == 1


def test_nothing_to_change_is_refused(db_session, floor):
    before = audit_count(db_session)
    with pytest.raises(InvalidInput, match="Nothing to change"):
        resource_commands.update_quantities(
            db_session,
            floor.actor("ha_a"),
            floor.resources["a_general"],
            total=10,
            available=5,
            in_use=4,
            maintenance=1,
        )
    assert audit_count(db_session) == before


def test_update_of_another_hospital_is_refused_audited_and_unwritten(db_session, engine, floor):
    actor = floor.actor("ha_a")
    with pytest.raises(OutOfScope):
        resource_commands.update_quantities(
            db_session, actor, floor.resources["b_general"], total=20, available=0, in_use=20, maintenance=0
        )
    assert "scope_violation" in refusals(engine, actor.user_id)
    assert resource_counts(db_session, floor.resources["b_general"])[:4] == (20, 10, 10, 0)
    with pytest.raises(NotFound, match="no longer exists"):
        resource_commands.update_quantities(db_session, actor, "gone", total=1, available=1, in_use=0, maintenance=0)


@pytest.mark.parametrize("who", ["exec_a", "comp_a"])
def test_readers_who_are_not_writers_cannot_change_counts(db_session, engine, floor, who):
    actor = floor.actor(who)
    with pytest.raises(NotPermitted, match="cannot change resource counts"):
        resource_commands.update_quantities(
            db_session, actor, floor.resources["a_general"], total=10, available=4, in_use=5, maintenance=1
        )
    with pytest.raises(NotPermitted):
        resource_commands.confirm_count(db_session, actor, floor.resources["a_general"])
    assert refusals(engine, actor.user_id).count("permission_denied") == 2
    assert resource_counts(db_session, floor.resources["a_general"])[:4] == (10, 5, 4, 1)


def test_update_locks_the_row_for_update(db_session, floor, monkeypatch):
    statements = []
    original = db_session.execute

    def spy(statement, *args, **kwargs):
        statements.append(str(statement.compile(dialect=db_session.bind.dialect)))
        return original(statement, *args, **kwargs)

    monkeypatch.setattr(db_session, "execute", spy)
    resource_commands.update_quantities(
        db_session, floor.actor("ha_a"), floor.resources["a_general"], total=10, available=4, in_use=5, maintenance=1
    )
    assert any("FOR UPDATE OF hospital_resources" in s for s in statements)


# --- confirm_count -------------------------------------------------------------------------------------


def test_confirm_count_makes_a_stale_count_fresh_and_is_audited(db_session, floor):
    actor = floor.actor("ha_a")
    resource_id = floor.resources["a_icu"]
    assert resource_list.get_resource(db_session, actor, resource_id, values=DEFAULTS).stale
    confirmed = resource_commands.confirm_count(db_session, actor, resource_id)
    db_session.expire_all()
    row = resource_list.get_resource(db_session, actor, resource_id, values=DEFAULTS)
    assert row.updated_at == confirmed and not row.stale and row.hours_since_update == pytest.approx(0, abs=0.05)
    assert (row.total, row.available, row.in_use, row.maintenance) == (4, 1, 3, 0)  # counts untouched
    (entry,) = audit_rows(db_session, actor.user_id, "resource_count_confirmed")
    assert entry.resource_id == resource_id and entry.hospital_id == floor.hospital_a
    assert entry.new_values["updated_at"] == confirmed.isoformat() and "updated_at" in entry.old_values
    assert db_session.scalar(select(HospitalResource.updated_at).where(HospitalResource.id == resource_id)) == confirmed


def test_confirm_count_of_another_hospital_is_refused_and_audited(db_session, engine, floor):
    actor = floor.actor("ha_b")
    before = resource_counts(db_session, floor.resources["a_icu"])
    with pytest.raises(OutOfScope):
        resource_commands.confirm_count(db_session, actor, floor.resources["a_icu"])
    assert "scope_violation" in refusals(engine, actor.user_id)
    assert resource_list.get_resource(db_session, floor.actor("ha_a"), floor.resources["a_icu"], values=DEFAULTS).stale
    assert resource_counts(db_session, floor.resources["a_icu"]) == before
