"""AppTest: for every page and every staff role, the page is either shown or refused.

Refused twice over: the page is not in the role's menu (st.navigation), and the page file run on
its own (as a deep link might) stops at its own access check.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.platform.actors import ROLE_NAMES
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from dashboard.shell.navigation import PAGES
from db.base import UserRole
from db.models import AuditLog, Hospital, Profile, User
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import ALPHA, APP_FILE, BETA, add_user, page_app, shown, sign_in, switch_to

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env

ROLE_ACCOUNTS = {
    UserRole.ADMIN: "admin",
    UserRole.HOSPITAL_ADMIN: "ha_a",
    UserRole.EXECUTIVE: "exec_a",
    UserRole.COMPLIANCE_OFFICER: "comp_a",
}


@pytest.fixture(scope="module")
def tokens(app_env, engine):
    return {role: sign_in(engine, app_env.emails[label]) for role, label in ROLE_ACCOUNTS.items()}


def signed_in_app(page: str, token: str) -> AppTest:
    """The whole app (APP_FILE) or one page by its key or file name, signed in with `token`."""
    at = AppTest.from_file(page, default_timeout=30) if page == APP_FILE else page_app(page)
    at.session_state[TOKEN_KEY] = token
    return at.run()


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_navigation_opens_the_roles_pages_and_refuses_the_rest_at_their_address(tokens, role):
    at = signed_in_app(APP_FILE, tokens[role])
    assert not at.exception
    for spec in PAGES:
        if role in spec.roles:
            switch_to(at, spec.key).run()
            assert not at.exception, (spec.key, at.exception)
            assert [t.value for t in at.title] == [spec.title], (role, spec.key, [e.value for e in at.error])
        else:  # reachable at its address (hidden from the menu), and the page itself refuses
            switch_to(at, spec.key).run()
            assert not at.exception and not at.title, (role, spec.key)
            refusal = f"Your role ({ROLE_NAMES[role]}) cannot open the {spec.title} page."
            assert [shown(e.value) for e in at.error] == [refusal]


@pytest.mark.parametrize("spec", PAGES, ids=[p.key for p in PAGES])
@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
def test_page_checks_access_itself(tokens, role, spec):
    at = signed_in_app(spec.file, tokens[role])
    assert not at.exception
    shown = [t.value for t in at.title]
    if role in spec.roles:
        assert shown == [spec.title]
    else:
        assert shown == []
        assert any("cannot open the" in e.value for e in at.error)


@pytest.mark.parametrize("spec", PAGES, ids=[p.key for p in PAGES])
def test_page_without_sign_in_shows_only_the_login_form(app_env, spec):
    at = page_app(spec.file, timeout=30).run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.dataframe and not at.metric


def test_hospital_admin_sees_own_hospital_only(tokens):
    at = signed_in_app("hospitals.py", tokens[UserRole.HOSPITAL_ADMIN])
    (table,) = at.dataframe
    assert list(table.value["Hospital"]) == [ALPHA]
    assert "1 hospital" in [c.value for c in at.caption]  # not "1–1 of 1 hospitals"


def test_admin_sees_both_hospitals_and_can_narrow_the_scope(tokens, app_env):
    at = signed_in_app(APP_FILE, tokens[UserRole.ADMIN])
    switch_to(at, "hospitals").run()
    names = set(at.dataframe[0].value["Hospital"])
    assert {ALPHA, BETA} <= names
    picker = at.sidebar.selectbox(key="sidebar_scope_picker")
    assert BETA in picker.options
    picker.set_value(app_env.hospital_b).run()
    assert list(at.dataframe[0].value["Hospital"]) == [BETA]
    assert at.query_params["hospital"] == app_env.hospital_b  # the address bar carries the scope
    at.sidebar.selectbox(key="sidebar_scope_picker").set_value("").run()  # the whole network
    assert {ALPHA, BETA} <= set(at.dataframe[0].value["Hospital"])
    assert "hospital" not in at.query_params


def test_overview_counts_are_scoped(tokens):
    at = signed_in_app("overview.py", tokens[UserRole.HOSPITAL_ADMIN])
    values = {m.label: m.value for m in at.metric}
    assert values["Patients waiting"] == "2"  # hospital B has 3; they must not show
    assert values["Open emergencies"] == "2"


def test_audit_trail_of_hospital_admin_shows_no_other_hospital(tokens, app_env):
    at = signed_in_app("audit_trail.py", tokens[UserRole.HOSPITAL_ADMIN])
    at.text_input(key=f"audit_search_{app_env.hospital_a}").input("fixture row").run()  # older than page 1
    actions = set(at.dataframe[0].value["Action"])
    assert "Fixture row alpha" in actions and "Fixture row beta" not in actions


def _hospitals_page_with_link(token: str, hospital_param: str) -> AppTest:
    at = page_app("hospitals.py", timeout=30)
    at.session_state[TOKEN_KEY] = token
    at.query_params["hospital"] = hospital_param
    return at.run()


def test_admin_scope_comes_from_and_stays_in_the_url(tokens, app_env):
    at = _hospitals_page_with_link(tokens[UserRole.ADMIN], app_env.hospital_b)
    assert not at.exception
    assert list(at.dataframe[0].value["Hospital"]) == [BETA]
    assert at.query_params["hospital"] == app_env.hospital_b


@pytest.mark.parametrize("hospital_param", ["no-such-hospital", "\x00", "a\x00b"])
def test_admin_link_to_a_missing_hospital_falls_back_to_all(tokens, app_env, hospital_param):
    at = _hospitals_page_with_link(tokens[UserRole.ADMIN], hospital_param)
    assert not at.exception and not at.error
    assert any("No hospital matches this link" in w.value for w in at.warning)
    assert {ALPHA, BETA} <= set(at.dataframe[0].value["Hospital"])
    assert "hospital" not in at.query_params


def test_a_link_cannot_widen_a_hospital_admins_scope(tokens, app_env, engine):
    at = _hospitals_page_with_link(tokens[UserRole.HOSPITAL_ADMIN], app_env.hospital_b)
    assert not at.exception
    assert list(at.dataframe[0].value["Hospital"]) == [ALPHA]
    assert any("Only a network administrator" in w.value for w in at.warning)
    assert "hospital" not in at.query_params  # the address no longer claims the other hospital
    with engine.connect() as conn:
        refused = conn.execute(
            select(AuditLog.action_type, AuditLog.resource_id).where(
                AuditLog.user_id == app_env.users["ha_a"], AuditLog.action_type == "scope_violation"
            )
        ).all()
    assert ("scope_violation", app_env.hospital_b) in refused


def test_a_link_with_a_nul_byte_is_refused_like_any_other_hospital(tokens, app_env):
    at = _hospitals_page_with_link(tokens[UserRole.HOSPITAL_ADMIN], "\x00")
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value["Hospital"]) == [ALPHA]
    assert any("Only a network administrator" in w.value for w in at.warning)


def listing_key(listing: str, scope: str, part: str) -> str:
    """The kit's listing keys carry the scope (dashboard/kit/listing.py)."""
    return f"{listing}__{scope}__{part}"


def prepared_csv(at: AppTest, key: str) -> str:
    _filters, (csv, xlsx), _rows, _truncated = at.session_state[key]
    assert xlsx.startswith(b"PK")  # the Excel file is a real workbook (a zip), made alongside
    return csv.decode("utf-8-sig")


def test_audit_trail_export_offers_a_csv_of_the_scope(tokens, app_env):
    at = signed_in_app("audit_trail.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.download_button  # nothing is exported until asked
    key = listing_key("audit", app_env.hospital_a, "export")
    at.button(key=f"{key}_prepare").click().run()
    assert not at.exception
    as_csv, as_excel = at.download_button
    # The export follows the list's filter, and says that views are left out of it.
    assert as_csv.label.startswith("Download ") and as_csv.label.endswith(" entries, views hidden (CSV)")
    assert as_excel.label.endswith(" entries, views hidden (Excel)")
    csv_text = prepared_csv(at, key)
    assert csv_text.startswith("When (Lagos),Who,Kind,Action")
    assert "Fixture row alpha" in csv_text and "Fixture row beta" not in csv_text


@pytest.mark.parametrize(
    ("page_file", "role", "key", "header", "ours", "theirs"),
    [
        ("hospitals.py", UserRole.HOSPITAL_ADMIN, "hospitals", "Hospital,City,State", ALPHA, BETA),
        ("users.py", UserRole.ADMIN, "users", "Name,Email,Role", None, None),
    ],
)
def test_directory_exports_offer_a_csv_of_the_scope(tokens, app_env, page_file, role, key, header, ours, theirs):
    at = signed_in_app(page_file, tokens[role])
    assert not at.download_button  # nothing is exported until asked
    scope = app_env.hospital_a if role is UserRole.HOSPITAL_ADMIN else "network"
    listing = key
    key = listing_key(listing, scope, "export")
    at.button(key=f"{key}_prepare").click().run()
    assert not at.exception
    download, _excel = at.download_button
    csv_text = prepared_csv(at, key)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith(header)
    rows = len(lines) - 1
    noun = ("hospital" if ours else "account") + ("" if rows == 1 else "s")
    assert download.label == f"Download {rows:,} {noun} (CSV)"
    if ours:
        assert ours in csv_text and theirs not in csv_text
    else:
        assert app_env.emails["ha_a"] in csv_text and app_env.emails["ha_b"] in csv_text  # a network admin's list
    at.text_input(key=listing_key(listing, scope, "search")).input("zzz-no-match").run()
    assert not at.download_button  # a file made for other filters is never offered


def _users_page_on(token: str, search: str) -> AppTest:
    at = signed_in_app("users.py", token)
    at.text_input(key=listing_key("users", "network", "search")).input(search).run()
    return at


def test_users_page_resets_a_password_only_after_confirmation(tokens, app_env, engine):
    email = add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix="resetme")
    at = _users_page_on(tokens[UserRole.ADMIN], email)
    at.text_input(key="users_new_password").input("brand-new-pass-1").run()
    at.button(key="users_reset").click().run()
    assert not at.exception
    assert any(email in shown(w.value) and "sign them out" in shown(w.value) for w in at.warning)
    assert "brand-new-pass-1" not in repr(at.session_state["users_reset__pending"])  # only in its widget
    with engine.connect() as conn:  # nothing changed yet: the confirmation is still open
        before = conn.execute(select(User.password).where(User.email == email)).scalar_one()
    at.button(key="users_reset__confirm").click().run()
    assert not at.exception, at.exception
    assert any("Password reset" in s.value for s in at.success)
    with engine.connect() as conn:
        after = conn.execute(select(User.password).where(User.email == email)).scalar_one()
        audited = conn.execute(
            select(func.count()).where(
                AuditLog.action_type == "password_reset", AuditLog.new_values["email"].astext == email
            )
        ).scalar_one()
    assert after != before and audited == 1


def test_users_page_cancel_changes_nothing(tokens, app_env, engine):
    email = add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix="keepme")
    at = _users_page_on(tokens[UserRole.ADMIN], email)
    at.button(key="users_deactivate").click().run()
    at.button(key="users_deactivate__cancel").click().run()
    assert not at.exception
    with engine.connect() as conn:
        active = conn.execute(
            select(Profile.is_active).join(User, User.id == Profile.user_id).where(User.email == email)
        ).scalar_one()
    assert active and not at.warning


def test_users_page_offers_no_changes_to_ones_own_account(tokens, app_env):
    at = _users_page_on(tokens[UserRole.ADMIN], app_env.emails["admin"])
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "My account" in infos and "cannot deactivate your own" in infos and "cannot change your own role" in infos
    keys = {b.key for b in at.button}
    assert not keys & {"users_reset", "users_deactivate", "users_change_role"}


def _role_boxes(at: AppTest):
    role = next(s for s in at.selectbox if s.key.startswith("users_role_") and "hospital" not in s.key)
    hospital = next((s for s in at.selectbox if s.key.startswith("users_role_hospital_")), None)
    return role, hospital


def test_users_page_shows_each_chosen_accounts_own_role_and_hospital(tokens, app_env, engine):
    prefix = "pair" + os.urandom(2).hex()
    expected = {
        add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix=prefix): (
            UserRole.EXECUTIVE,
            app_env.hospital_a,
        ),
        add_user(engine, app_env, UserRole.COMPLIANCE_OFFICER, app_env.hospital_b, prefix=prefix): (
            UserRole.COMPLIANCE_OFFICER,
            app_env.hospital_b,
        ),
    }
    at = _users_page_on(tokens[UserRole.ADMIN], prefix)
    for index, label in enumerate(at.selectbox(key="users_account").options):
        # Change the first account's boxes, then pick the next: its own values must show, not these.
        at.selectbox(key="users_account").select_index(index).run()
        role, hospital = _role_boxes(at)
        email = next(e for e in expected if e in label)
        assert (role.value, hospital.value) == expected[email], label
        role.set_value(UserRole.HOSPITAL_ADMIN).run()


def test_users_page_says_when_a_role_change_changes_nothing_or_is_impossible(tokens, app_env, engine):
    email = add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix="same")
    at = _users_page_on(tokens[UserRole.ADMIN], email)
    at.button(key="users_change_role").click().run()
    assert any("Nothing to change" in i.value and "an executive for" in i.value for i in at.info)
    assert "users_role__pending" not in at.session_state
    role, hospital = _role_boxes(at)
    role.set_value(UserRole.HOSPITAL_ADMIN).run()
    _role_boxes(at)[1].select_index(0).run()  # "All hospitals (network-wide)"
    at.button(key="users_change_role").click().run()
    assert any("needs a hospital" in e.value for e in at.error)
    assert "users_role__pending" not in at.session_state  # refused before any confirmation is offered
    role, hospital = _role_boxes(at)
    role.set_value(UserRole.ADMIN).run()
    assert _role_boxes(at)[1] is None  # no hospital to pick for a network administrator
    at.button(key="users_change_role").click().run()
    assert any("a network administrator for all hospitals" in w.value for w in at.warning)
    at.button(key="users_role__confirm").click().run()
    assert not at.exception and any("Role changed" in s.value for s in at.success)
    with engine.connect() as conn:
        role_now = conn.execute(
            select(Profile.role).join(User, User.id == Profile.user_id).where(User.email == email)
        ).scalar_one()
    assert role_now is UserRole.ADMIN


def test_a_demoted_admin_is_told_and_their_old_scope_is_dropped_quietly(app_env, engine):
    email = add_user(engine, app_env, UserRole.ADMIN, None, prefix="demoted")
    at = AppTest.from_file(APP_FILE, default_timeout=30)
    at.session_state[TOKEN_KEY] = sign_in(engine, email)
    at.query_params["hospital"] = app_env.hospital_b
    at.run()
    assert not at.exception and at.query_params["hospital"] == app_env.hospital_b
    with engine.begin() as conn:
        user_id = conn.execute(select(User.id).where(User.email == email)).scalar_one()
        conn.execute(
            Profile.__table__.update()
            .where(Profile.user_id == user_id)
            .values(role=UserRole.EXECUTIVE, hospital_id=app_env.hospital_a)
        )
    at.run()
    assert not at.exception
    assert any(f"now Executive for {ALPHA}" in i.value for i in at.info)
    assert not at.warning and "hospital" not in at.query_params
    with engine.connect() as conn:
        violations = conn.execute(
            select(func.count()).where(AuditLog.user_id == user_id, AuditLog.action_type == "scope_violation")
        ).scalar_one()
    assert violations == 0  # the user asked for nothing; this is not an attempt to widen a scope


def test_users_page_shows_a_locked_account_as_locked(tokens, app_env, engine):
    from db.models import LoginThrottle

    email = add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix="Locked")
    with engine.begin() as conn:
        conn.execute(
            LoginThrottle.__table__.insert().values(
                email=email.lower(), recent_failures=[], locked_until=func.now() + text("interval '10 minutes'")
            )
        )
    at = _users_page_on(tokens[UserRole.ADMIN], email)
    assert list(at.dataframe[0].value["Status"])[0].startswith("New browsers held up until")


def test_a_click_reads_the_session_once_not_once_for_the_app_and_again_for_the_page(tokens):
    from sqlalchemy import event

    from dashboard.shell import data

    at = signed_in_app(APP_FILE, tokens[UserRole.HOSPITAL_ADMIN])
    session_reads = []

    def count(conn, cursor, statement, *args):
        if "FROM auth_sessions JOIN users" in statement:
            session_reads.append(statement)

    event.listen(data.engine(), "before_cursor_execute", count)
    try:
        switch_to(at, "hospitals").run()
    finally:
        event.remove(data.engine(), "before_cursor_execute", count)
    assert not at.exception and [t.value for t in at.title] == ["Hospitals"]
    assert len(session_reads) == 1  # the page's own role check used the user app.py re-read on this run


def test_the_trail_never_names_what_its_reader_may_not_see(tokens, app_env, engine):
    # A refused link to hospital B lands in A's trail; and a network admin acted in hospital A.
    _hospitals_page_with_link(tokens[UserRole.HOSPITAL_ADMIN], app_env.hospital_b)
    with Session(engine) as session, session.begin():
        session.add(AuditLog(user_id=app_env.users["admin"], hospital_id=app_env.hospital_a,
                             action_category="fixture", action_type="network_admin_in_alpha"))  # fmt: skip
    at = signed_in_app("audit_trail.py", tokens[UserRole.HOSPITAL_ADMIN])
    table = at.dataframe[0].value
    assert "Hospital outside your scope" in set(table["Record"])
    assert not any(BETA in str(cell) for cell in table.to_numpy().ravel())
    admins_row = table[table["Action"] == "Network admin in alpha"]
    assert list(admins_row["Who"]) == ["Network staff (outside your scope)"]
    assert app_env.emails["admin"] not in set(table["Who"])
    key = listing_key("audit", app_env.hospital_a, "export")
    at.button(key=f"{key}_prepare").click().run()
    exported = prepared_csv(at, key)
    assert BETA not in exported and app_env.emails["admin"] not in exported  # the export names no more


def test_messages_show_names_as_text_not_markdown(tokens, app_env, engine):
    """A hospital named like a link and an image: Users & roles' confirmation shows it as text."""
    payload = "Evil [click](http://evil.example) ![x](http://evil.example/x.png)"
    with Session(engine) as session, session.begin():
        hospital = session.get(Hospital, app_env.hospital_b)
        original, hospital.name = hospital.name, payload
    data.clear_cache()  # the hospital's name is cached for the scope picker and forms
    try:
        email = add_user(engine, app_env, UserRole.EXECUTIVE, app_env.hospital_a, prefix="markdown")
        at = signed_in_app("users.py", tokens[UserRole.ADMIN])
        at.text_input(key=listing_key("users", "network", "search")).input(email).run()
        at.selectbox(key=f"users_role_hospital_{at.selectbox(key='users_account').value}").set_value(
            app_env.hospital_b
        ).run()
        at.button(key="users_change_role").click().run()
        (warning,) = [w.value for w in at.warning if "Make" in w.value]
        assert "](http" not in warning and r"\[click\]" in warning  # escaped: shown as text, no link or image
    finally:
        with Session(engine) as session, session.begin():
            session.get(Hospital, app_env.hospital_b).name = original
        data.clear_cache()
