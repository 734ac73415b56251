"""Ward screens (issue 23, part 6): pairing, the stored hash, refusals, revocation, scope, and a device that
opens its view and nothing else. On the real database of tests/fixtures/two_hospitals.py; the browser side
(a fresh Chromium paired, then disconnected at its refresh) is tests/browser/test_browser_ward_screen.py.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import String, cast, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.domains.emergencies import open_list, referral_reads
from dashboard.domains.floor import bed_figures, waitlist_queue, ward_screen_figures
from dashboard.domains.people import screen_sign_in, sessions, ward_screens
from dashboard.domains.people.auth_policy import AuthPolicy
from dashboard.kit import commands
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import NotPermitted, OutOfScope
from dashboard.platform.formatting import minutes_words
from dashboard.shell import data
from dashboard.shell.gate import SCREEN_KEY
from dashboard.shell.navigation import PAGES
from db.base import UserRole
from db.models import AuditLog, HospitalResource, PatientWaitlist, WardScreen
from db.row_scope import apply_scope
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import APP_FILE, switch_to

network = two_hospitals.network
app_env = two_hospitals.app_env
POLICY = AuthPolicy(free_failures=2)


def client(address: str | None = None) -> ClientInfo:
    # Each test fails from an address of its own, so one test's failures never hold up another's.
    return ClientInfo("pytest", address or f"10.23.{secrets.randbelow(250)}.{secrets.randbelow(250)}", "pytest")


def actor(network, label: str, role: UserRole, hospital_id: str | None) -> Actor:
    return Actor(network.users[label], role, hospital_id, ClientInfo("pytest", "127.0.0.1", "pytest"))


def admin(network) -> Actor:
    return actor(network, "admin", UserRole.ADMIN, None)


def ha_a(network) -> Actor:
    return actor(network, "ha_a", UserRole.HOSPITAL_ADMIN, network.hospital_a)


def create(engine, who: Actor, hospital_id: str, name: str = "Ward B nurses' station", department=None):
    with Session(engine) as db, db.begin():
        return ward_screens.create_screen(db, who, hospital_id, name, department)


def pair(engine, screen_id: str, key: str, where: ClientInfo):
    with Session(engine) as db, db.begin():
        return screen_sign_in.pair(db, screen_id, key, where, policy=POLICY)


def revoke(engine, who: Actor, screen_id: str) -> str:
    with Session(engine) as db, db.begin():
        return ward_screens.revoke_screen(db, who, screen_id)


def audit_text(engine, screen_id: str) -> str:
    """Every audit row about the screen, as the text a reader of the table would see."""
    with Session(engine) as db:
        rows = db.scalars(select(cast(func.row_to_json(AuditLog.__table__.table_valued()), String)).where(
            AuditLog.resource_id == screen_id))  # fmt: skip
        return "\n".join(rows)


def test_pairing_stores_only_the_hash_and_no_audit_row_holds_the_key(engine, network):
    new = create(engine, ha_a(network), network.hospital_a)
    assert new.pairing_path() == f"/ward-screen?screen={new.screen_id}&key={new.key}"
    assert len(new.key) >= 40 and new.key not in repr(new)
    with Session(engine) as db:
        row = db.get(WardScreen, new.screen_id)
        stored = db.scalar(select(cast(func.row_to_json(WardScreen.__table__.table_valued()), String)).where(
            WardScreen.id == new.screen_id))  # fmt: skip
    assert row.key_hash == sessions.hash_token(new.key) and new.key not in stored
    assert (row.hospital_id, row.created_by, row.revoked_at) == (network.hospital_a, network.users["ha_a"], None)
    paired = pair(engine, new.screen_id, new.key, client())
    assert isinstance(paired, screen_sign_in.Paired)
    assert (paired.hospital_name, paired.name) == (two_hospitals.ALPHA, "Ward B nurses' station")
    trail = audit_text(engine, new.screen_id)
    assert "ward_screen_created" in trail and "screen_paired" in trail and new.key not in trail
    with Session(engine) as db:
        assert db.get(WardScreen, new.screen_id).last_seen_at is not None


def test_a_wrong_key_and_a_revoked_key_get_a_sentence_and_are_throttled_like_sign_in(engine, network):
    new = create(engine, admin(network), network.hospital_a, "Emergency desk")
    where = client()
    assert pair(engine, new.screen_id, new.key[:-2] + "xx", where) == screen_sign_in.Refused(screen_sign_in.WRONG_KEY)
    assert pair(engine, "no-such-screen", new.key, client()) == screen_sign_in.Refused(screen_sign_in.WRONG_KEY)
    held = pair(engine, new.screen_id, "guess", where)  # the address's second failure: now it waits
    assert held.message.startswith("Too many wrong pairing links from here; try again in")
    # While held up even the right key is refused, before it is checked: guessing meanwhile learns nothing.
    assert isinstance(pair(engine, new.screen_id, new.key, where), screen_sign_in.Refused)
    other = create(engine, admin(network), network.hospital_a, "Maternity desk")  # the first screen's id waits too
    revoke(engine, admin(network), other.screen_id)
    gone = pair(engine, other.screen_id, other.key, client())
    assert gone == screen_sign_in.Refused(screen_sign_in.DISCONNECTED)
    assert gone.message == "This screen was disconnected; ask an administrator to pair it again."
    trail = audit_text(engine, new.screen_id) + audit_text(engine, other.screen_id)
    assert trail.count("screen_pairing_refused") >= 3 and "screen_pairing_throttled" in trail
    assert new.key not in trail and other.key not in trail and "guess" not in trail


def test_revoking_ends_the_view_at_its_next_check(engine, network):
    new = create(engine, ha_a(network), network.hospital_a, "Ward C")
    paired = pair(engine, new.screen_id, new.key, client())
    with Session(engine) as db, db.begin():
        assert isinstance(
            screen_sign_in.check_screen(db, new.screen_id, paired.key_hash, client()), screen_sign_in.Paired
        )
        assert isinstance(screen_sign_in.check_screen(db, new.screen_id, "0" * 64, client()), screen_sign_in.Refused)
    assert revoke(engine, ha_a(network), new.screen_id) == "Ward C"
    with Session(engine) as db, db.begin():
        ended = screen_sign_in.check_screen(db, new.screen_id, paired.key_hash, client())
    assert ended == screen_sign_in.Refused(screen_sign_in.DISCONNECTED)
    with pytest.raises(Exception, match="already disconnected"):
        revoke(engine, ha_a(network), new.screen_id)
    with Session(engine) as db:
        row = db.get(WardScreen, new.screen_id)
    assert row.revoked_by == network.users["ha_a"] and "ward_screen_revoked" in audit_text(engine, new.screen_id)


def test_a_hospital_admin_manages_only_their_hospitals_screens_and_others_none(engine, network):
    theirs = create(engine, admin(network), network.hospital_b, "Beta ward")
    with pytest.raises(OutOfScope):
        create(engine, ha_a(network), network.hospital_b, "Sneaky")
    with pytest.raises(OutOfScope):
        revoke(engine, ha_a(network), theirs.screen_id)
    for label, role in (("exec_a", UserRole.EXECUTIVE), ("comp_a", UserRole.COMPLIANCE_OFFICER)):
        with pytest.raises(NotPermitted):
            create(engine, actor(network, label, role, network.hospital_a), network.hospital_a)
    with pytest.raises(Exception, match="Give the screen a name"):
        create(engine, ha_a(network), network.hospital_a, "   ")
    with Session(engine) as db, db.begin():
        seen_by_a = ward_screens.list_screens(db, ha_a(network))
        seen_by_admin = ward_screens.list_screens(db, admin(network))
    assert seen_by_a and {s.hospital_id for s in seen_by_a} == {network.hospital_a}
    assert theirs.screen_id in {s.screen_id for s in seen_by_admin}


def test_row_level_security_holds_a_hospitals_scope_to_its_screens(engine, network):
    theirs = create(engine, admin(network), network.hospital_b, "Beta RLS")
    role = f"hd_screens_{secrets.token_hex(3)}"
    with engine.connect() as conn:  # a role that row-level security holds, with the app's grants on the table
        conn.execute(text(f"CREATE ROLE {role} NOSUPERUSER NOBYPASSRLS"))
        conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE (last_seen_at, revoked_at, revoked_by) ON ward_screens TO {role}")
        )
        conn.commit()
    try:
        with Session(engine) as db, db.begin():
            db.execute(text(f"SET LOCAL ROLE {role}"))
            apply_scope(db, network.hospital_a)
            assert theirs.screen_id not in set(db.scalars(select(WardScreen.id)))
            assert db.execute(WardScreen.__table__.update().where(WardScreen.id == theirs.screen_id).values(
                revoked_at=func.now(), revoked_by="x")).rowcount == 0  # fmt: skip
        with Session(engine) as db, db.begin():  # no scope: a screen may check itself, never add one
            db.execute(text(f"SET LOCAL ROLE {role}"))
            assert theirs.screen_id in set(db.scalars(select(WardScreen.id)))
        with pytest.raises(DBAPIError, match="row-level security"), Session(engine) as db, db.begin():
            db.execute(text(f"SET LOCAL ROLE {role}"))
            db.add(WardScreen(hospital_id=network.hospital_a, name="x", key_hash="0" * 64, created_by="x"))
            db.flush()
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
            conn.commit()


def test_the_screen_shows_the_numbers_the_pages_show(engine, network):
    """One truth: every number of the view is the catalogue function's, for the hospital's own administrator."""
    with Session(engine) as db, db.begin():
        db.add(HospitalResource(hospital_id=network.hospital_a, name="Screen ward beds", category="beds",
                                total_quantity=9, available_quantity=5, in_use_quantity=4))  # fmt: skip
    new = create(engine, ha_a(network), network.hospital_a, "Cardiology desk", "Cardiology")
    paired = pair(engine, new.screen_id, new.key, client())
    screen = paired.actor(client())
    staff = ha_a(network)
    with Session(engine) as db, db.begin():
        apply_scope(db, network.hospital_a, screen.user_id)
        shown = ward_screen_figures.screen_figures(db, screen)
        shown_department = ward_screen_figures.screen_figures(db, screen, department="Cardiology")
    with Session(engine) as db, db.begin():
        totals, census = bed_figures.bed_totals(db, staff), bed_figures.bed_census(db, staff)
        now = waitlist_queue.waiting_now(db, staff)
        cardiology = waitlist_queue.queue(db, staff, department="Cardiology")
        awaiting = referral_reads.board(db, staff).awaiting
        counts = open_list.open_counts(db, staff)
    assert shown.free_beds == totals.available >= 5
    assert {(w.ward, w.free) for w in shown.wards} == {
        (w.ward, w.beds.available) for w in census.wards if w.resource_id
    }
    assert shown.patients_waiting == now.waiting
    # The wait grows between the two reads: equal as shown ("42 min"), to the second otherwise.
    assert minutes_words(shown.longest_wait_minutes) == minutes_words(now.longest_wait_minutes)
    assert abs(shown.longest_wait_minutes - now.longest_wait_minutes) < 1
    assert shown_department.patients_waiting == len([e for e in cardiology if e.waiting]) >= 2
    assert (shown.referrals_awaiting, shown.open_emergencies) == (awaiting, counts.open)
    assert shown.critical_emergencies == counts.critical >= 1


def _screen_app(engine, network, name: str):
    new = create(engine, ha_a(network), network.hospital_a, name)
    paired = pair(engine, new.screen_id, new.key, client())
    at = AppTest.from_file(APP_FILE, default_timeout=60)
    at.session_state[SCREEN_KEY] = (paired.screen_id, paired.key_hash)
    return new, at.run()


def test_a_paired_screen_opens_its_view_and_every_other_page_is_refused_and_audited(app_env, engine, network):
    new, at = _screen_app(engine, network, "Every page")
    assert not at.exception and not at.sidebar.children  # no menu, no sidebar
    assert [m.label for m in at.metric][:5] == [
        "Free beds now",
        "Patients waiting",
        "Longest wait now",
        "Referrals awaiting an answer",
        "Open emergencies",
    ]
    assert any(two_hospitals.ALPHA in m.value for m in at.markdown)
    for spec in PAGES:
        if spec.key == "ward_screen":
            continue
        switch_to(at, spec.key).run()
        assert not at.exception and not at.title and not at.dataframe, spec.key
        assert [two_hospitals.shown(e.value) for e in at.error] == [
            f"This screen shows only its ward view, not {spec.title}. Staff sign in to the dashboard on their own "
            "device."], spec.key  # fmt: skip
    with Session(engine) as db:
        refused = db.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.user_id == screen_sign_in.USER_PREFIX + new.screen_id,
                AuditLog.action_type == "permission_denied",
            )
        )
    assert refused == len(PAGES) - 1


def test_a_screen_writes_nothing_and_every_command_refuses_it(app_env, engine, network):
    new, at = _screen_app(engine, network, "No writes")
    with Session(engine) as db:
        before = db.scalar(select(func.count()).select_from(AuditLog))
        queue = db.scalar(select(func.count()).select_from(PatientWaitlist))
    at.run()
    at.run()
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(AuditLog)) == before  # no reads recorded, no writes
        assert db.scalar(select(func.count()).select_from(PatientWaitlist)) == queue
    screen = pair(engine, new.screen_id, new.key, client()).actor(client())
    with pytest.raises(sessions.SessionNoLongerValid):  # it holds no staff session, so no command runs for it
        data.write(commands.in_a_live_session(ward_screens.revoke_screen), screen, new.screen_id)
    with Session(engine) as db:
        assert db.get(WardScreen, new.screen_id).revoked_at is None


def test_a_revoked_screen_shows_the_disconnected_sentence_on_its_next_run(app_env, engine, network):
    new, at = _screen_app(engine, network, "Disconnect me")
    assert at.metric
    revoke(engine, ha_a(network), new.screen_id)
    at.run()
    assert not at.metric and [two_hospitals.shown(w.value) for w in at.warning] == [screen_sign_in.DISCONNECTED]
    assert SCREEN_KEY not in at.session_state


def test_last_seen_is_written_at_most_once_a_minute(engine, network):
    new = create(engine, ha_a(network), network.hospital_a, "Seen")
    paired = pair(engine, new.screen_id, new.key, client())
    with Session(engine) as db, db.begin():
        first = db.get(WardScreen, new.screen_id).last_seen_at
        screen_sign_in.check_screen(db, new.screen_id, paired.key_hash, client(), now=first + timedelta(seconds=30))
    with Session(engine) as db, db.begin():
        assert db.get(WardScreen, new.screen_id).last_seen_at == first
        screen_sign_in.check_screen(db, new.screen_id, paired.key_hash, client(), now=first + timedelta(seconds=61))
    with Session(engine) as db:
        assert db.get(WardScreen, new.screen_id).last_seen_at == first + timedelta(seconds=61)
