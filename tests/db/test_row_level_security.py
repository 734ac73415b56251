"""Least privilege and row-level security, on a database of its own with its own two roles.

The rest of the suite connects as a superuser, which row-level security does not hold; here the
owner role migrates and loads rows, and the dashboard's app role reads them as the dashboard does:
each transaction under one scope, set first and gone with it. Raw queries (no service filter) as
a hospital's scope see nothing of another hospital, and no scope sees nothing at all.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dashboard.platform.actors import Actor
from dashboard.shell import data
from db import migrate, roles
from db.base import UserRole
from db.engine import make_engine, make_owner_engine
from db.models import AuditLog, Hospital, HospitalResource, PatientWaitlist
from db.row_scope import NETWORK, apply_scope, current_scope
from tests.fixtures.throwaway import create_database, drop_database


@pytest.fixture(scope="module")
def secured(admin_url):
    url = create_database(admin_url, prefix="healthdash_rls")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    roles.apply_as_superuser(superuser, names)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    migrate.upgrade(owner)
    assert roles.refresh_grants(owner, names)
    with Session(owner) as session, session.begin():
        a, b = Hospital(name="Alpha RLS"), Hospital(name="Beta RLS")
        session.add_all([a, b])
        session.flush()
        for hospital, beds, in_use in ((a, 4, 1), (b, 6, 3)):
            session.add(HospitalResource(hospital_id=hospital.id, name="ICU beds", category="beds",
                                         total_quantity=beds, available_quantity=beds - in_use,
                                         in_use_quantity=in_use))  # fmt: skip
        session.add(AuditLog(user_id="someone", action_category="fixture", action_type="rls_fixture"))
        ids = (a.id, b.id)
    app = make_engine(roles.as_role(url, names.app))
    yield {"app": app, "owner": owner, "superuser": superuser, "a": ids[0], "b": ids[1], "names": names}
    for engine in (app, owner, superuser):
        engine.dispose()
    drop_database(admin_url, url.database)
    with make_engine(admin_url).connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
        conn.commit()


def _beds(session: Session) -> list[str]:
    """Every ICU row the session can see, by hospital: a raw query with no service filter."""
    return sorted(session.scalars(select(HospitalResource.hospital_id)))


def test_the_app_role_owns_nothing_and_bypasses_nothing(secured):
    with secured["app"].connect() as conn:
        assert roles.privilege_warnings(conn) == []
        superuser, bypass = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        assert not superuser and not bypass
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")) == 0
        assert conn.scalar(text("SHOW statement_timeout")) == "30s"  # a slow query ends as a message
        assert conn.scalar(text("SHOW jit")) == "off"  # short queries are never compiled (db/roles.py APP_SETTINGS)
    with secured["superuser"].connect() as conn:
        assert any("superuser" in w for w in roles.privilege_warnings(conn))  # said loudly at start


def test_no_scope_sees_no_scoped_row_and_writes_none(secured):
    with Session(secured["app"]) as session, session.begin():
        assert _beds(session) == []
        assert session.scalar(select(func.count()).select_from(Hospital)) >= 2  # hospitals are not scoped
    with pytest.raises(DBAPIError, match="row-level security"), Session(secured["app"]) as session, session.begin():
        session.add(PatientWaitlist(hospital_id=secured["a"], patient_id="nobody", department="X", reason="y"))
        session.flush()


def test_a_hospitals_scope_sees_only_its_rows_even_without_a_filter(secured):
    with Session(secured["app"]) as session, session.begin():
        apply_scope(session, secured["a"])
        assert _beds(session) == [secured["a"]]
        # Writing another hospital's row is refused too, not only reading it.
        changed = session.execute(
            HospitalResource.__table__.update()
            .where(HospitalResource.hospital_id == secured["b"])
            .values(available_quantity=0)
        ).rowcount
        assert changed == 0
    with Session(secured["app"]) as session, session.begin():
        apply_scope(session, None)
        assert _beds(session) == sorted([secured["a"], secured["b"]])


def test_the_scope_ends_with_its_transaction(secured):
    with secured["app"].connect() as conn:
        session = Session(bind=conn)
        with session.begin():
            apply_scope(session, secured["a"])
            assert current_scope(session) == secured["a"]
        with session.begin():  # the same pooled connection, the next unit of work
            assert current_scope(session) is None
            assert _beds(session) == []
        session.close()


def test_the_dashboard_runs_each_call_under_its_actors_scope(secured, monkeypatch):
    monkeypatch.setattr(data, "engine", lambda: secured["app"])

    def unfiltered_beds(db, actor):  # a service that forgot its scope filter
        return _beds(db)

    hospital_admin = Actor("ha", UserRole.HOSPITAL_ADMIN, secured["a"])
    network_admin = Actor("admin", UserRole.ADMIN, None)
    assert data.call(unfiltered_beds, hospital_admin) == [secured["a"]]
    assert data.call(unfiltered_beds, network_admin) == sorted([secured["a"], secured["b"]])


def test_the_audit_trail_is_append_only_for_the_app(secured):
    with Session(secured["app"]) as session, session.begin():
        apply_scope(session, None, "app")  # the acting user: the database refuses a row naming anyone else
        session.add(AuditLog(user_id="app", action_category="test", action_type="appended"))
        session.flush()
        assert session.scalar(select(func.count()).select_from(AuditLog)) >= 2
    rewrites = ("UPDATE audit_logs SET action_type = 'rewritten'", "DELETE FROM audit_logs", "TRUNCATE audit_logs")
    for statement in rewrites:
        with pytest.raises(DBAPIError, match="permission denied"), secured["app"].begin() as conn:
            conn.execute(text(statement))


def test_the_owner_loads_every_hospitals_rows_as_the_network(secured):
    with Session(secured["owner"]) as session, session.begin():
        assert current_scope(session) == NETWORK
        assert len(_beds(session)) == 2
        superuser = session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        assert superuser is False


def test_a_hospital_still_compares_its_occupancy_with_the_network(secured, monkeypatch):
    from dashboard.domains.overview import overview

    monkeypatch.setattr(data, "engine", lambda: secured["app"])
    figures = data.call(overview.overview_figures, Actor("ha", UserRole.HOSPITAL_ADMIN, secured["a"]))
    assert figures.free_beds.value == 3  # its own ICU beds only
    assert figures.bed_occupancy_percent.value == 25.0
    # The network's figure comes through the owner's function: 4 of both hospitals' 10 beds in use.
    assert figures.bed_occupancy_percent.comparison == 40.0
