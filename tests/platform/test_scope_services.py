"""Every scoped service returns nothing of hospital B to an actor scoped to hospital A,
and a scoped actor asking for B's rows by id is refused, with the refusal audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.governance import audit_trail, hospitals
from dashboard.domains.overview import overview
from dashboard.domains.people import staff
from dashboard.platform import paging, scope
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import NotPermitted, OutOfScope
from db.base import UserRole
from db.models import AuditLog, Hospital
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import ALPHA, BETA

network = two_hospitals.network


def make(network, label, role, hospital):
    return Actor(network.users[label], role, hospital, ClientInfo(session_id=f"scope-test-{label}"))


@pytest.fixture
def actors(network):
    return {
        "hospital admin of A": make(network, "ha_a", UserRole.HOSPITAL_ADMIN, network.hospital_a),
        "executive of A": make(network, "exec_a", UserRole.EXECUTIVE, network.hospital_a),
        "compliance officer of A": make(network, "comp_a", UserRole.COMPLIANCE_OFFICER, network.hospital_a),
        "admin working on A": make(network, "admin", UserRole.ADMIN, network.hospital_a),
    }


def refusals(engine, user_id):
    with Session(engine) as session:
        return session.scalars(
            select(AuditLog.action_type).where(AuditLog.user_id == user_id, AuditLog.action_category == "security")
        ).all()


def test_limit_to_scope_is_a_no_op_only_network_wide(network):
    network_actor = Actor("u", UserRole.ADMIN, None)
    assert network_actor.network_wide and network_actor.scope_key == "network"
    assert Actor("u", UserRole.HOSPITAL_ADMIN, network.hospital_a).scope_key == network.hospital_a


@pytest.mark.parametrize(
    "who", ["hospital admin of A", "executive of A", "compliance officer of A", "admin working on A"]
)
def test_overview_counts_only_hospital_a(db_session, actors, who):
    counts = overview.overview_counts(db_session, actors[who])
    assert counts.active_hospitals == 1
    assert counts.patients_waiting == 2 and counts.open_emergencies == 2 and counts.critical_emergencies == 1
    assert counts.appointments_this_month + counts.appointments_last_month == 2


@pytest.mark.parametrize("who", ["hospital admin of A", "compliance officer of A", "admin working on A"])
def test_hospital_list_and_audit_trail_hold_nothing_of_b(db_session, network, actors, who):
    page = hospitals.list_hospitals(db_session, actors[who], page_size=200)
    assert [r.name for r in page.rows] == [ALPHA] and page.total == 1
    entries = audit_trail.list_entries(db_session, actors[who], page_size=200)
    assert entries.total >= 1
    assert all(e.hospital_id == network.hospital_a for e in entries.rows)
    assert "fixture_row_beta" not in audit_trail.categories(db_session, actors[who]) + [
        e.action_type for e in entries.rows
    ]
    assert [n for _, n in hospitals.hospital_choices(db_session, actors[who])] == (
        [ALPHA, BETA] if actors[who].role is UserRole.ADMIN else [ALPHA]
    )


def test_staff_list_of_admin_working_on_a_holds_nothing_of_b(db_session, network, actors):
    page = staff.list_staff(db_session, actors["admin working on A"], page_size=200)
    assert page.rows and all(r.hospital_id == network.hospital_a for r in page.rows)
    emails = {r.email for r in page.rows}
    assert network.emails["ha_b"] not in emails and network.emails["physician_a"] not in emails  # staff roles only


def test_network_admin_sees_both(db_session, network):
    admin = make(network, "admin", UserRole.ADMIN, None)
    names = {r.name for r in hospitals.list_hospitals(db_session, admin, page_size=200).rows}
    assert {ALPHA, BETA} <= names
    assert overview.overview_counts(db_session, admin).patients_waiting >= 5


def test_scoped_user_asking_for_b_by_id_is_refused_and_audited(db_session, engine, network, actors):
    actor = actors["hospital admin of A"]
    assert hospitals.get_hospital_name(db_session, actor, network.hospital_a) == ALPHA
    with pytest.raises(OutOfScope):
        hospitals.get_hospital_name(db_session, actor, network.hospital_b)
    with pytest.raises(OutOfScope):
        scope.with_working_scope(db_session, actor, network.hospital_b)
    assert refusals(engine, actor.user_id).count("scope_violation") >= 2


def test_admin_working_on_a_cannot_change_b_accounts(db_session, engine, network, actors):
    actor = actors["admin working on A"]
    with pytest.raises(OutOfScope):
        staff.set_active(db_session, actor, network.users["ha_b"], False)
    with pytest.raises(OutOfScope):
        staff.change_role(db_session, actor, network.users["ha_b"], UserRole.EXECUTIVE, network.hospital_b)
    with pytest.raises(OutOfScope):
        staff.reset_password(db_session, actor, network.users["ha_b"], "whatever-123")
    assert refusals(engine, actor.user_id).count("scope_violation") >= 3


@pytest.mark.parametrize("who", ["hospital admin of A", "executive of A", "compliance officer of A"])
def test_role_refusals_are_audited(db_session, engine, actors, who):
    actor = actors[who]
    with pytest.raises(NotPermitted):
        staff.list_staff(db_session, actor)
    assert "permission_denied" in refusals(engine, actor.user_id)


def test_executive_cannot_read_the_audit_trail_or_hospital_list(db_session, actors):
    with pytest.raises(NotPermitted):
        audit_trail.list_entries(db_session, actors["executive of A"])
    with pytest.raises(NotPermitted):
        hospitals.list_hospitals(db_session, actors["executive of A"])


def test_only_admins_pick_a_working_scope(db_session, network):
    admin = make(network, "admin", UserRole.ADMIN, None)
    assert scope.with_working_scope(db_session, admin, network.hospital_b).hospital_id == network.hospital_b
    assert scope.with_working_scope(db_session, admin, None).network_wide


def test_pagination_reports_the_total(db_session, network):
    admin = make(network, "admin", UserRole.ADMIN, None)
    first = hospitals.list_hospitals(db_session, admin, page=1, page_size=1)
    assert len(first.rows) == 1 and first.total >= 2 and first.page_count == first.total
    beyond = hospitals.list_hospitals(db_session, admin, page=999, page_size=1)
    assert beyond.page == beyond.page_count  # clamped to the last page, not empty


@pytest.mark.parametrize("who", ["hospital admin of A", "compliance officer of A", "admin working on A"])
def test_audit_export_holds_nothing_of_b_and_is_audited(db_session, network, actors, who):
    entries, truncated = audit_trail.export_entries(db_session, actors[who])
    assert entries and not truncated
    assert all(e.hospital_id == network.hospital_a for e in entries)
    exported = db_session.scalars(
        select(AuditLog).where(
            AuditLog.action_type == "audit_trail_exported",
            AuditLog.user_id == actors[who].user_id,
            AuditLog.session_id == actors[who].client.session_id,  # not the rows other tests committed
        )
    ).all()
    assert [row.new_values["rows"] for row in exported] == [len(entries)]
    assert exported[0].hospital_id == network.hospital_a and exported[0].compliance_relevant


def test_executive_cannot_export_the_audit_trail(db_session, actors):
    with pytest.raises(NotPermitted):
        audit_trail.export_entries(db_session, actors["executive of A"])


def _exports_recorded(db_session, actor, action_type):
    return db_session.scalars(
        select(AuditLog).where(
            AuditLog.action_type == action_type,
            AuditLog.user_id == actor.user_id,
            AuditLog.session_id == actor.client.session_id,
        )
    ).all()


@pytest.mark.parametrize("who", ["hospital admin of A", "compliance officer of A", "admin working on A"])
def test_hospital_export_holds_nothing_of_b_and_is_audited(db_session, network, actors, who):
    rows, truncated = hospitals.export_hospitals(db_session, actors[who], search="alpha")
    assert [r.name for r in rows] == [ALPHA] and not truncated
    (recorded,) = _exports_recorded(db_session, actors[who], "hospital_directory_exported")
    assert recorded.new_values == {"search": "alpha", "rows": 1}
    assert recorded.hospital_id == network.hospital_a and recorded.compliance_relevant
    assert recorded.impact_level == "medium"


def test_staff_export_of_admin_working_on_a_holds_nothing_of_b_and_is_audited(db_session, network, actors):
    actor = actors["admin working on A"]
    rows, truncated = staff.export_staff(db_session, actor)
    listed = staff.list_staff(db_session, actor, page_size=200)
    assert [r.email for r in rows] == [r.email for r in listed.rows] and not truncated
    assert rows and all(r.hospital_id == network.hospital_a for r in rows)
    (recorded,) = _exports_recorded(db_session, actor, "staff_accounts_exported")
    assert recorded.new_values == {"search": None, "rows": len(rows)}


@pytest.mark.parametrize("who", ["hospital admin of A", "executive of A", "compliance officer of A"])
def test_only_admins_export_accounts_and_executives_no_hospital_list(db_session, engine, actors, who):
    with pytest.raises(NotPermitted):
        staff.export_staff(db_session, actors[who])
    if actors[who].role is UserRole.EXECUTIVE:
        with pytest.raises(NotPermitted):
            hospitals.export_hospitals(db_session, actors[who])
    assert "permission_denied" in refusals(engine, actors[who].user_id)


def test_capped_fetch_says_when_rows_were_left_out(db_session, network):
    both = [network.hospital_a, network.hospital_b]
    stmt = select(Hospital.name).where(Hospital.id.in_(both)).order_by(Hospital.name)
    assert paging.fetch_capped(db_session, stmt, limit=1) == ([(ALPHA,)], True)
    rows, truncated = paging.fetch_capped(db_session, stmt, limit=2)
    assert [r.name for r in rows] == [ALPHA, BETA] and not truncated
