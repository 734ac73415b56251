"""The migrated database against the seed document: every table, column, default and index."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.fixtures.prisma_spec import SPEC_COPY, SPEC_SHARED, parse_indexes, parse_models

MODELS = parse_models()


def _columns(session, table):
    rows = session.execute(
        text(
            "select column_name, is_nullable, column_default, data_type, numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = 'public' and table_name = :t"
        ),
        {"t": table},
    ).mappings()
    return {r["column_name"]: r for r in rows}


def test_spec_copy_matches_the_shared_document():
    if SPEC_SHARED.exists():  # on a machine with ../shared beside the repo, the copy must be current
        assert SPEC_COPY.read_text() == SPEC_SHARED.read_text()
    assert len(MODELS) == 26


def test_every_model_is_a_table(db_session):
    tables = set(
        db_session.execute(text("select table_name from information_schema.tables where table_schema='public'"))
        .scalars()
        .all()
    )
    missing = {m.table for m in MODELS.values()} - tables
    assert not missing


@pytest.mark.parametrize("model", sorted(MODELS), ids=str)
def test_every_field_is_a_snake_case_column_with_its_nullability(db_session, model):
    spec = MODELS[model]
    columns = _columns(db_session, spec.table)
    for f in spec.scalar_fields():
        assert f.column in columns, f"{spec.table}.{f.column} missing"
        nullable = columns[f.column]["is_nullable"] == "YES"
        assert nullable == f.optional, f"{spec.table}.{f.column} nullable={nullable}"


@pytest.mark.parametrize("model", sorted(MODELS), ids=str)
def test_every_default_but_cuid_is_a_database_default(db_session, model):
    spec = MODELS[model]
    columns = _columns(db_session, spec.table)
    for f in spec.scalar_fields():
        if f.default is None or f.default == "cuid()":
            if f.default == "cuid()":
                assert columns[f.column]["column_default"] is None  # ids come from the application
            continue
        default = columns[f.column]["column_default"]
        assert default is not None, f"{spec.table}.{f.column} has no database default"
        expected = f.default.strip('"')
        if expected == "now()":
            assert "now()" in default
        elif expected in {"[]", "{}"}:
            assert f"'{expected}'::jsonb" in default
        else:
            assert expected in default, f"{spec.table}.{f.column}: {default!r} vs {expected!r}"


def test_decimals_have_explicit_precision(db_session):
    rows = db_session.execute(
        text(
            "select table_name, column_name, numeric_precision, numeric_scale from information_schema.columns "
            "where table_schema='public' and data_type = 'numeric'"
        )
    ).all()
    assert rows
    for table, column, precision, scale in rows:
        assert precision is not None and scale is not None, f"{table}.{column} is unconstrained numeric"
    money = {(t, c): (p, s) for t, c, p, s in rows}
    assert money[("wallets", "balance")] == (14, 2)
    assert money[("hospitals", "latitude")] == (9, 6)


def test_the_nine_indexes_of_the_seed_exist_on_their_columns(db_session):
    spec = parse_indexes()
    assert len(spec) == 9
    for name, (table, columns) in spec.items():
        row = db_session.execute(
            text("select tablename, indexdef from pg_indexes where schemaname='public' and indexname=:n"),
            {"n": name},
        ).one_or_none()
        assert row is not None, f"index {name} missing"
        assert row.tablename == table
        assert f"({', '.join(columns)})" in row.indexdef


def test_every_foreign_key_column_is_indexed(db_session):
    """Joins and scope filters run on foreign keys; an unindexed one means a sequential scan."""
    fks = db_session.execute(
        text(
            """
            select c.conrelid::regclass::text as tbl, a.attname as col
            from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
            where c.contype = 'f' and c.connamespace = 'public'::regnamespace
            """
        )
    ).all()
    assert len(fks) >= 35
    unindexed = []
    for tbl, col in fks:
        covered = db_session.execute(
            text(
                """
                select 1 from pg_index i join pg_attribute a
                  on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                where i.indrelid = CAST(:t AS regclass) and a.attname = :c
                """
            ),
            {"t": tbl, "c": col},
        ).first()
        if covered is None:
            unindexed.append(f"{tbl}.{col}")
    assert not unindexed


def test_user_role_enum_has_the_five_roles_and_two_staff_roles(db_session):
    labels = db_session.execute(text("select unnest(enum_range(null::user_role))::text")).scalars().all()
    assert labels == ["PATIENT", "PHYSICIAN", "AGENT", "HOSPITAL_ADMIN", "ADMIN", "EXECUTIVE", "COMPLIANCE_OFFICER"]


def test_errata_relations_are_foreign_keys(db_session):
    expected = {
        ("appointments", "physician_id", "profiles"),
        ("appointments", "agent_id", "profiles"),
        ("conversations", "physician_id", "profiles"),
        ("prescriptions", "physician_id", "profiles"),
        ("agent_assignments", "patient_id", "users"),
        ("agent_assisted_patients", "patient_id", "users"),
        ("hospital_patients", "patient_id", "users"),
        ("hospital_patients", "assigned_physician_id", "profiles"),
        ("patient_waitlist", "patient_id", "users"),
        ("emergency_requests", "assigned_physician_id", "profiles"),
        ("consultation_sessions", "patient_id", "users"),
        ("consultation_sessions", "physician_id", "profiles"),
    }
    rows = db_session.execute(
        text(
            """
            select c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
            from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
            where c.contype = 'f'
            """
        )
    ).all()
    assert expected <= {tuple(r) for r in rows}


def test_free_references_stay_plain_text(db_session):
    """ERRATA: an audit row must outlive the user it names, so audit_logs.user_id has no foreign key."""
    fk_columns = db_session.execute(
        text(
            """
            select a.attname from pg_constraint c
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
            where c.contype = 'f' and c.conrelid = 'audit_logs'::regclass
            """
        )
    ).all()
    assert fk_columns == []


def test_every_relationship_has_its_opposite_side():
    """Both directions for every foreign key, the three the seed forgot and ERRATA's added ones included."""
    from sqlalchemy.orm import configure_mappers

    from db.models import Base, Profile, User

    configure_mappers()
    one_way = [
        f"{mapper.class_.__name__}.{rel.key}"
        for mapper in Base.registry.mappers
        for rel in mapper.relationships
        if rel.back_populates is None
    ]
    assert one_way == []
    assert {
        "physician_appointments",
        "agent_appointments",
        "physician_conversations",
    } <= set(Profile.__mapper__.relationships.keys())
    assert {"consultation_sessions", "waitlist_entries", "hospital_admissions"} <= set(
        User.__mapper__.relationships.keys()
    )


def test_deleting_a_user_through_the_orm_takes_their_profile_and_wallet(db_session):
    # The database cascades (onDelete: Cascade); the ORM must not try to null the keys first.
    from db.models import Profile, User, Wallet

    user = User(email="leaving@test.healthdash.ng", password="x", profile=Profile(first_name="Ada"), wallet=Wallet())
    db_session.add(user)
    db_session.flush()
    ids = (user.id, user.profile.id, user.wallet.id)
    db_session.delete(user)
    db_session.flush()
    db_session.expire_all()
    assert db_session.get(User, ids[0]) is None
    assert db_session.get(Profile, ids[1]) is None and db_session.get(Wallet, ids[2]) is None
