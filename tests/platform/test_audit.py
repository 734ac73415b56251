"""The audit trail: append-only in the database, one row per write in the write's transaction,
only what changed, never a password hash."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dashboard.domains.people import staff
from dashboard.platform import audit
from dashboard.platform.actors import Actor, ClientInfo
from db.base import UserRole
from db.models import AuditLog, Profile
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import add_user

network = two_hospitals.network

CLIENT = ClientInfo(session_id="sess-1", ip_address="192.0.2.4", user_agent="Mozilla/5.0 test")


def admin(network):
    return Actor(network.users["admin"], UserRole.ADMIN, None, CLIENT)


@pytest.mark.parametrize(
    "statement",
    ["update audit_logs set action_type = 'edited'", "delete from audit_logs", "truncate audit_logs"],
)
def test_audit_log_is_append_only(engine, network, statement):
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
        conn.rollback()


def test_changes_keep_only_changed_fields_and_never_secrets():
    old, new = audit.changes(
        {"role": "EXECUTIVE", "is_active": True, "password": "$2b$12$old"},
        {"role": "HOSPITAL_ADMIN", "is_active": True, "password": "$2b$12$new"},
    )
    assert old == {"role": "EXECUTIVE"} and new == {"role": "HOSPITAL_ADMIN"}


def test_record_strips_secrets_and_keeps_client_context(db_session, network):
    row = audit.record(
        db_session,
        admin(network),
        action_category="user_management",
        action_type="test_event",
        resource_type="user",
        resource_id="u1",
        new_values={"password": "secret", "token_hash": "abc", "email": "x@y.ng"},
        impact_level="high",
        compliance_relevant=True,
    )
    assert row.new_values == {"email": "x@y.ng"}
    assert (row.session_id, row.ip_address, row.user_agent) == ("sess-1", "192.0.2.4", "Mozilla/5.0 test")
    assert row.user_id == network.users["admin"] and row.hospital_id is None


def test_write_and_its_audit_row_commit_or_roll_back_together(engine, network):
    email = add_user(engine, network, UserRole.EXECUTIVE, network.hospital_a, prefix="audited")
    with Session(engine) as session:
        user_id = session.scalar(select(Profile.user_id).join(Profile.user).where(Profile.user.has(email=email)))

    def audit_rows(session):
        return session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.resource_id == user_id, AuditLog.action_type == "user_deactivated")
        )

    # A unit of work that fails after the write: neither the change nor its audit row remains.
    with pytest.raises(RuntimeError), Session(engine) as session, session.begin():
        staff.set_active(session, admin(network), user_id, False)
        raise RuntimeError("something later in the same unit of work failed")
    with Session(engine) as session:
        assert session.scalar(select(Profile.is_active).where(Profile.user_id == user_id)) is True
        assert audit_rows(session) == 0

    with Session(engine) as session, session.begin():
        staff.set_active(session, admin(network), user_id, False)
    with Session(engine) as session:
        assert session.scalar(select(Profile.is_active).where(Profile.user_id == user_id)) is False
        row = session.scalar(
            select(AuditLog).where(AuditLog.resource_id == user_id, AuditLog.action_type == "user_deactivated")
        )
        assert row.old_values == {"is_active": True}
        assert row.new_values == {"is_active": False, "email": email}
        assert row.impact_level == "high" and row.compliance_relevant
        assert row.hospital_id == network.hospital_a  # the hospital's own staff see it in their trail


def test_role_change_records_only_what_changed(db_session, network):
    actor = admin(network)
    staff.change_role(db_session, actor, network.users["exec_a"], UserRole.COMPLIANCE_OFFICER, network.hospital_a)
    row = db_session.scalar(
        select(AuditLog).where(AuditLog.resource_id == network.users["exec_a"], AuditLog.action_type == "role_changed")
    )
    assert row.old_values == {"role": "EXECUTIVE"}
    assert row.new_values == {"role": "COMPLIANCE_OFFICER", "email": network.emails["exec_a"]}
    assert row.hospital_id == network.hospital_a


def test_a_network_admins_change_to_a_hospitals_account_is_in_that_hospitals_trail(db_session, network):
    from dashboard.domains.governance import audit_trail
    from dashboard.domains.people import staff

    staff.reset_password(db_session, admin(network), network.users["ha_b"], "new-password-9")
    staff.change_role(db_session, admin(network), network.users["exec_a"], UserRole.EXECUTIVE, network.hospital_b)
    hospital_b_admin = Actor(network.users["ha_b"], UserRole.HOSPITAL_ADMIN, network.hospital_b, CLIENT)
    seen = {
        (e.action_type, e.resource_id)
        for e in audit_trail.list_entries(db_session, hospital_b_admin, page_size=200).rows
    }
    assert {("password_reset", network.users["ha_b"]), ("role_changed", network.users["exec_a"])} <= seen
    labels = {
        e.action_type: e.resource_label
        for e in audit_trail.list_entries(db_session, hospital_b_admin, page_size=200).rows
        if e.action_type in ("password_reset", "role_changed")
    }
    assert labels == {"password_reset": network.emails["ha_b"], "role_changed": network.emails["exec_a"]}


def _reads_by_admin(db_session, network, action_type: str, *where) -> list[AuditLog]:
    """The network admin's audit rows of one action type that also match `where`."""
    query = select(AuditLog).where(
        AuditLog.action_type == action_type, AuditLog.user_id == network.users["admin"], *where
    )
    return db_session.scalars(query).all()


def test_reading_the_audit_trail_is_itself_audited(db_session, network):
    from dashboard.domains.governance import audit_trail

    audit_trail.list_entries(db_session, admin(network), search="fixture")
    [viewed] = _reads_by_admin(db_session, network, "audit_trail_viewed", AuditLog.session_id == CLIENT.session_id)
    assert viewed.new_values["search"] == "fixture" and viewed.action_category == "data_access"


def test_a_repeated_read_of_the_trail_is_recorded_once_per_question(db_session, network):
    from dashboard.domains.governance import audit_trail

    def views(search, hospital_id=None, session_id=CLIENT.session_id):
        return db_session.scalar(
            select(func.count()).where(
                AuditLog.action_type == "audit_trail_viewed",
                AuditLog.session_id == session_id,
                AuditLog.hospital_id == hospital_id,
                AuditLog.new_values["search"].astext == search,
            )
        )

    actor = admin(network)
    for _ in range(3):  # three reruns of the same page
        audit_trail.list_entries(db_session, actor, search="repeat-me")
    assert views("repeat-me") == 1
    audit_trail.list_entries(db_session, actor, search="something else")
    audit_trail.list_entries(db_session, actor, search="repeat-me", category="authentication")
    assert views("something else") == 1 and views("repeat-me") == 2  # a new filter is a new read

    on_a = Actor(actor.user_id, actor.role, network.hospital_a, CLIENT)
    audit_trail.list_entries(db_session, on_a, search="repeat-me")
    assert views("repeat-me", network.hospital_a) == 1  # the same question in another scope
    other_tab = Actor(actor.user_id, actor.role, None, ClientInfo("sess-2"))
    audit_trail.list_entries(db_session, other_tab, search="repeat-me")
    assert views("repeat-me", session_id="sess-2") == 1  # another browser session

    # An old enough row does not count: the same read is recorded again once the window has passed.
    old = audit.build_row(
        user_id=actor.user_id,
        hospital_id=None,
        client=CLIENT,
        action_category=audit.CATEGORY_ACCESS,
        action_type="audit_trail_viewed",
        new_values={"category": None, "search": "long ago", "page": 1},
    )
    old.created_at = datetime.now(UTC) - audit.READ_REPEAT_WINDOW - timedelta(minutes=1)
    db_session.add(old)
    db_session.flush()
    audit_trail.list_entries(db_session, actor, search="long ago")
    assert views("long ago") == 2


def test_the_trail_is_searchable_by_the_words_it_shows(db_session, network):
    from dashboard.domains.governance import audit_trail

    actor = admin(network)
    worded = audit_trail.list_entries(db_session, actor, search="fixture row alpha")  # as the page prints it
    coded = audit_trail.list_entries(db_session, actor, search="fixture_row_alpha")
    assert [e.action_type for e in worded.rows] == [e.action_type for e in coded.rows] == ["fixture_row_alpha"]
    assert audit_trail.list_entries(db_session, actor, search="fixture%row").total == 0  # % is a literal


def test_views_are_left_out_of_the_trail_and_its_export_unless_asked(db_session, network):
    from dashboard.domains.governance import audit_trail

    actor = admin(network)
    staff.list_staff(db_session, actor, search="views-filter")  # writes a "staff accounts viewed" row
    change = audit.record(db_session, actor, action_category="user_management", action_type="viewed_badge_printed",
                          resource_type="user", resource_id="u-views", new_values={"badge": 1})  # fmt: skip

    def kinds(**asked):
        page = {e.action_type for e in audit_trail.list_entries(db_session, actor, page_size=200, **asked).rows}
        export = {e.action_type for e in audit_trail.export_entries(db_session, actor, **asked)[0]}
        return page, export

    for shown in kinds():
        assert not any(t.endswith("_viewed") for t in shown), shown  # no view, not even reading the trail itself
        assert change.action_type in shown  # "viewed" inside a name is not a view: only the suffix counts
    for shown in kinds(include_views=True):
        assert {"staff_accounts_viewed", "audit_trail_viewed"} <= shown
    [exported] = _reads_by_admin(db_session, network, "audit_trail_exported",
                                 AuditLog.new_values["include_views"].astext == "true")  # fmt: skip
    assert exported.new_values["include_views"] is True


def test_viewing_the_staff_list_is_a_recorded_read(db_session, network):
    staff.list_staff(db_session, admin(network), search="test.healthdash")
    # Other tests (the Users page) record views by the same admin with other searches; find this one.
    [viewed] = _reads_by_admin(
        db_session, network, "staff_accounts_viewed", AuditLog.new_values["search"].astext == "test.healthdash"
    )
    assert viewed.new_values == {"search": "test.healthdash", "page": 1} and viewed.compliance_relevant


def test_a_nul_character_in_text_never_stops_an_audit_row(db_session, network):
    row = audit.record(
        db_session, admin(network), action_category="data_access", action_type="t", new_values={"q": "a\x00b"}
    )
    assert row.new_values == {"q": "ab"}


def test_paging_through_the_trail_holds_still_while_reading_it_writes_rows(engine, network):
    from dashboard.domains.governance import audit_trail

    # A browser session of its own: reads already on record for another would not be written again.
    actor = Actor(network.users["admin"], UserRole.ADMIN, None, ClientInfo(session_id=f"paging-{os.urandom(4).hex()}"))
    with Session(engine) as session, session.begin():
        until = audit_trail.snapshot_time(session, actor)
    totals = []
    for page in (1, 2, 1):  # each read is a new unit of work that records itself, as on the page
        with Session(engine) as session, session.begin():
            totals.append(audit_trail.list_entries(session, actor, page=page, page_size=5, until=until,
                                                   include_views=True).total)  # fmt: skip
    with Session(engine) as session, session.begin():
        newest = audit_trail.list_entries(session, actor, page=1, page_size=5, include_views=True).total
    assert totals[0] == totals[1] == totals[2]
    assert newest > totals[0]  # the reads were recorded; they are simply after the fixed end


def test_what_a_visitor_controls_is_bounded_before_it_is_written_forever(db_session, network):
    """Issue 19 point 6: a 100,000-character id, search, list or user agent is cut, with its length noted."""
    huge = "x" * 100_000
    client = ClientInfo(session_id="s" * 5_000, ip_address="9" * 5_000, user_agent="A" * 100_000)
    row = audit.record(
        db_session,
        Actor(network.users["admin"], UserRole.ADMIN, None, client),
        action_category="data_access",
        action_type="bounded_test",
        resource_id=huge,
        new_values={"search": huge, "statuses": ["open"] * 5_000, "nested": {"q": huge}},
    )
    db_session.expire(row)
    assert len(row.resource_id) <= audit.MAX_ID_CHARS and row.resource_id.endswith("[cut: 100,000 characters]")
    assert len(row.new_values["search"]) <= audit.MAX_VALUE_CHARS and "100,000 characters" in row.new_values["search"]
    assert len(row.new_values["nested"]["q"]) <= audit.MAX_VALUE_CHARS
    statuses = row.new_values["statuses"]
    assert len(statuses) == audit.MAX_LIST_ITEMS + 1 and "5,000 items" in statuses[-1]
    assert len(row.user_agent) <= audit.MAX_AGENT_CHARS and len(row.ip_address) <= audit.MAX_ADDRESS_CHARS
    assert len(row.session_id) <= audit.MAX_ID_CHARS
    # Cutting twice changes nothing, so a bounded read still matches the row it wrote (record_read).
    assert audit.bounded(row.resource_id, audit.MAX_ID_CHARS) == row.resource_id
    assert audit.bounded("short", audit.MAX_ID_CHARS) == "short"


def test_a_repeated_read_with_a_huge_search_is_still_recorded_once(db_session, network):
    values = {"search": "y" * 50_000, "page": 1}

    def read():
        return audit.record_read(
            db_session, admin(network), action_type="bounded_read", resource_type="user", values=values
        )

    assert read() is not None and read() is None


def test_log_lines_are_bounded_however_long_the_value_they_quote(caplog):
    import logging

    audit.bound_log_records()
    audit.bound_log_records()  # installing twice wraps once
    logger = logging.getLogger("dashboard.test_bounds")
    with caplog.at_level(logging.WARNING, logger="dashboard.test_bounds"):
        logger.warning("refused %s", "z" * 100_000)
        try:
            raise ValueError("bad value " + "q" * 100_000)
        except ValueError:
            logger.exception("failed on %s", "w" * 100_000)
    plain, failed = caplog.records[-2:]
    assert len(plain.getMessage()) <= audit.MAX_LOG_CHARS and "[cut: 100,008 characters]" in plain.getMessage()
    assert len(failed.getMessage()) <= audit.MAX_LOG_CHARS
    assert max(len(line) for line in failed.exc_text.splitlines()) <= audit.MAX_LOG_LINE_CHARS
    assert "ValueError" in failed.exc_text
