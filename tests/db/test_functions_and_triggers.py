"""Database defaults and the updated_at trigger for plain SQL; the two mended seed functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.fixtures.prisma_spec import parse_models
from tests.fixtures.valid_rows import create


def test_plain_sql_insert_gets_the_documents_defaults(db_session):
    user = create(db_session, "users")
    db_session.execute(text("INSERT INTO profiles (id, user_id) VALUES ('p-defaults', :u)"), {"u": user["id"]})
    row = db_session.execute(text("SELECT * FROM profiles WHERE id = 'p-defaults'")).mappings().one()
    assert row["role"] == "PATIENT"
    assert row["country"] == "Nigeria"
    assert row["is_active"] is True
    assert row["consultation_rate"] == Decimal("0")
    assert row["subscription_plan"] == "basic"
    assert row["created_at"] is not None and row["updated_at"] is not None


def test_json_and_status_defaults(db_session):
    hospital = create(db_session, "hospitals")
    row = db_session.execute(text("SELECT * FROM hospitals WHERE id = :i"), {"i": hospital["id"]}).mappings().one()
    assert row["verification_status"] == "pending"
    assert row["verification_documents"] == []
    assert row["security_settings"] == {}
    compliance = create(db_session, "hospital_compliance_tracking")
    c = (
        db_session.execute(text("SELECT * FROM hospital_compliance_tracking WHERE id = :i"), {"i": compliance["id"]})
        .mappings()
        .one()
    )
    assert (c["status"], c["score"], c["violations"], c["corrective_actions"]) == ("compliant", 100, [], [])


def test_updated_at_trigger_moves_on_plain_sql_update(db_session):
    old = datetime(2020, 1, 1, tzinfo=UTC)
    hospital = create(db_session, "hospitals", created_at=old, updated_at=old)
    db_session.execute(text("UPDATE hospitals SET name = 'Renamed' WHERE id = :i"), {"i": hospital["id"]})
    updated_at, created_at = db_session.execute(
        text("SELECT updated_at, created_at FROM hospitals WHERE id = :i"), {"i": hospital["id"]}
    ).one()
    assert created_at == old
    assert updated_at > old
    assert updated_at == db_session.execute(text("SELECT now()")).scalar_one()


def test_every_updated_at_table_has_the_trigger(db_session):
    tables = set(
        db_session.execute(
            text(
                "select table_name from information_schema.columns where table_schema='public' "
                "and column_name='updated_at'"
            )
        ).scalars()
    )
    triggered = set(
        db_session.execute(
            text(
                "select event_object_table from information_schema.triggers "
                "where action_statement like '%set_updated_at%'"
            )
        ).scalars()
    )
    spec_tables = {m.table for m in parse_models().values() if any("@updatedAt" in f.attributes for f in m.fields)}
    assert len(spec_tables) == 19
    assert spec_tables <= tables
    assert tables == triggered  # tables added after the seed's must get the trigger too


def test_distance_lagos_to_abuja_is_about_526_km(db_session):
    km = db_session.execute(text("SELECT calculate_distance(6.5244, 3.3792, 9.0765, 7.3986)")).scalar_one()
    assert isinstance(km, Decimal)
    assert km == pytest.approx(Decimal(526), abs=2)


def test_distance_is_zero_for_10000_random_identical_points(db_session):
    rng = random.Random(20261125)
    points = [(round(rng.uniform(4.0, 14.0), 4), round(rng.uniform(2.5, 14.7), 4)) for _ in range(10_000)]
    points.append((7.1801, 6.1011))  # the document's function raised "input is out of range" here
    lats = [p[0] for p in points]
    lngs = [p[1] for p in points]
    worst = db_session.execute(
        text(
            "SELECT max(calculate_distance(lat, lng, lat, lng)) "
            "FROM unnest(CAST(:lats AS numeric[]), CAST(:lngs AS numeric[])) AS t(lat, lng)"
        ),
        {"lats": lats, "lngs": lngs},
    ).scalar_one()
    assert worst == 0


@pytest.mark.parametrize("missing", range(4))
def test_distance_is_unknown_when_a_coordinate_is(db_session, missing):
    # A hospital without coordinates must not come out at half the earth's circumference.
    args = ["6.5244", "3.3792", "9.0765", "7.3986"]
    args[missing] = "NULL"
    km = db_session.execute(text(f"SELECT calculate_distance({', '.join(args)})")).scalar_one()
    assert km is None


def test_distance_is_symmetric_and_keeps_its_signature(db_session):
    there, back = db_session.execute(
        text(
            "SELECT calculate_distance(6.5244, 3.3792, 12.0022, 8.5920), "
            "calculate_distance(12.0022, 8.5920, 6.5244, 3.3792)"
        )
    ).one()
    assert there == pytest.approx(back)
    args = db_session.execute(
        text("SELECT pg_get_function_identity_arguments('calculate_distance'::regproc)")
    ).scalar_one()
    assert args == "lat1 numeric, lng1 numeric, lat2 numeric, lng2 numeric"


def test_check_user_role_true_false_and_no_profile(db_session):
    admin = create(db_session, "profiles", role="ADMIN")
    lonely_user = create(db_session, "users")

    def check(user_id, role):
        return db_session.execute(text("SELECT check_user_role(:u, :r)"), {"u": user_id, "r": role}).scalar_one()

    assert check(admin["user_id"], "ADMIN") is True
    assert check(admin["user_id"], "PATIENT") is False
    assert check(lonely_user["id"], "ADMIN") is False
    assert check("no-such-user", "PATIENT") is False
