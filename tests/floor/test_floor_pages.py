"""AppTest of the hospital floor: Resources & beds, Admissions, Waitlist and the Overview, as each role.

The two-hospital network of shell_fixtures gains beds and a queue here (committed once per
module, named so other tests' counts do not move). Every page is checked for scope (hospital A's
administrator sees nothing of B), for its writes (a count fixed, a patient called), for who may
write, and for how many SQL statements it runs (a bound, so a query per row would fail it).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.domains.floor import bed_figures, resource_list, waitlist_queue
from dashboard.platform import figures
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import AuditLog, HospitalResource, PatientWaitlist, Profile, User
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, shown, sign_in

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
# The services know ICU and general beds by these names (as the demo's catalogue has them).
A_ICU = B_ICU = "ICU beds"
A_WARD = "General ward beds"
B_ONLY = "Isolation beds (Beta only)"


@pytest.fixture(scope="module")
def floor(app_env, engine):
    """Beds in both hospitals and a Radiology queue in A; removed after the module."""
    with Session(engine) as session, session.begin():
        rows = [
            HospitalResource(hospital_id=app_env.hospital_a, name=A_ICU, category="beds", total_quantity=4,
                             available_quantity=2, in_use_quantity=2),
            HospitalResource(hospital_id=app_env.hospital_a, name=A_WARD, category="beds", total_quantity=10,
                             available_quantity=5, in_use_quantity=5),
            HospitalResource(hospital_id=app_env.hospital_b, name=B_ICU, category="beds", total_quantity=6,
                             available_quantity=3, in_use_quantity=3),
            HospitalResource(hospital_id=app_env.hospital_b, name=B_ONLY, category="beds", total_quantity=2,
                             available_quantity=1, in_use_quantity=1),
        ]  # fmt: skip
        queue = [
            PatientWaitlist(hospital_id=app_env.hospital_a, patient_id=app_env.users["patient"], department="Radiology",
                            reason=f"scan {i}", priority=priority)
            for i, priority in enumerate(("low", "urgent"))
        ]  # fmt: skip
        session.add_all([*rows, *queue])
        session.flush()
        ids = {r.name: r.id for r in rows[:2]} | {"queue": [q.id for q in queue], "all": [r.id for r in rows]}
    data.clear_cache()  # written behind the dashboard's back: figures cached by earlier tests are stale
    yield ids
    with Session(engine) as session, session.begin():
        session.query(PatientWaitlist).filter(PatientWaitlist.id.in_(ids["queue"])).delete()
        session.query(HospitalResource).filter(HospitalResource.id.in_(ids["all"])).delete()
    data.clear_cache()  # and gone again: no later test may see them from the cache


@pytest.fixture(scope="module")
def tokens(app_env, engine, floor):
    return {role: sign_in(engine, app_env.emails[label]) for role, label in ROLE_ACCOUNTS.items()}


def page(file: str, token: str) -> AppTest:
    at = page_app(file, timeout=30)
    at.session_state[TOKEN_KEY] = token
    return at.run()


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = data.engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_resources_page_is_scoped_to_the_hospital_admins_hospital(tokens):
    at = page("resources.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.exception
    names = set(at.dataframe[-1].value["Resource"])
    assert {A_ICU, A_WARD} <= names and B_ONLY not in names
    assert "Hospital" not in at.dataframe[-1].value.columns  # one hospital: no column for it
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Free ICU beds"] == "2"  # B's 3 free ICU beds must not count
    assert at.get("plotly_chart")


def test_network_admin_sees_where_free_icu_beds_are(tokens):
    at = page("resources.py", tokens[UserRole.ADMIN])
    assert not at.exception
    icu = at.dataframe[0].value
    assert list(icu.columns[:3]) == ["Hospital", "City", "Free ICU beds"]
    assert {two_hospitals.ALPHA, two_hospitals.BETA} <= set(icu["Hospital"])


def test_fixing_a_count_names_the_field_that_breaks_and_then_saves(tokens, engine, floor, app_env):
    at = page("resources.py", tokens[UserRole.HOSPITAL_ADMIN])
    at.text_input(key=f"resources__{app_env.hospital_a}__search").input(A_ICU).run()
    assert at.selectbox(key="resources_edit_choice").value == floor[A_ICU]
    inputs = {n.label: n for n in at.number_input}
    inputs["Free"].set_value(3)  # inside a form: sent with the submit
    at.button[[b.label for b in at.button].index("Save counts")].click().run()
    assert any("add up to 5, not the total of 4" in e.value for e in at.error), [e.value for e in at.error]
    with Session(engine) as session:
        assert session.get(HospitalResource, floor[A_ICU]).available_quantity == 2  # nothing written
    inputs = {n.label: n for n in at.number_input}
    inputs["Free"].set_value(3)
    inputs["In use"].set_value(1)
    at.button[[b.label for b in at.button].index("Save counts")].click().run()
    assert not at.error and not at.exception
    assert any("updated: 3 free of 4" in shown(s.value) for s in at.success)
    with Session(engine) as session:
        saved = session.get(HospitalResource, floor[A_ICU])
        assert (saved.available_quantity, saved.in_use_quantity) == (3, 1)
        audited = session.scalars(
            select(AuditLog).where(AuditLog.resource_id == floor[A_ICU], AuditLog.action_type == "resource_updated")
        ).all()
    assert len(audited) == 1 and audited[0].old_values["available_quantity"] == 2


@pytest.mark.parametrize("role", [UserRole.EXECUTIVE, UserRole.COMPLIANCE_OFFICER])
def test_readers_of_resources_get_no_edit_form(tokens, role):
    at = page("resources.py", tokens[role])
    assert not at.exception and at.dataframe
    assert "Save counts" not in [b.label for b in at.button]


def test_waitlist_calls_the_most_urgent_patient_first(tokens, engine, floor):
    at = page("waitlist.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.exception
    at.selectbox(key="waitlist_call_department").set_value("Radiology").run()
    at.button(key="waitlist_call_next").click().run()
    assert not at.exception and not at.error
    assert any("Called" in s.value and "Urgent" in s.value for s in at.success), [s.value for s in at.success]
    low, urgent = floor["queue"]
    # "Update a patient" opens on the patient just called, labelled as called, ready to be marked as seen.
    picker = at.selectbox(key="waitlist_entry")
    assert picker.value == urgent and "· Called" in picker.format_func(picker.value)
    assert "Mark as seen" in [t.label for t in at.tabs]
    with Session(engine) as session:
        assert session.get(PatientWaitlist, urgent).status == "called"
        assert session.get(PatientWaitlist, low).status == "waiting"


def test_waitlist_is_closed_to_executives(tokens):
    at = page("waitlist.py", tokens[UserRole.EXECUTIVE])
    assert not at.title and any("cannot open the Waitlist page" in e.value for e in at.error)


def test_admissions_page_shows_census_and_the_admit_form_to_writers_only(tokens):
    admin_view = page("admissions.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not admin_view.exception
    assert "In hospital now" in {m.label for m in admin_view.metric}
    assert "Admit" in [b.label for b in admin_view.button] or any(
        "Admit a patient" in e.label for e in admin_view.expander
    )
    reader = page("admissions.py", tokens[UserRole.EXECUTIVE])
    assert not reader.exception
    assert not any("Admit a patient" in e.label for e in reader.expander)


def test_the_patient_box_keeps_its_place_and_its_pick_across_searches(tokens, network, engine):
    """The admit form's Patient box is drawn before any search, so leaving the search box puts nothing above
    Ward (a box appearing there shut the Ward list just opened); the first search picks its first match;
    a later one only adds choices, the patient picked staying first until the user picks another."""
    other = two_hospitals.add_user(engine, network, UserRole.PATIENT, None, prefix="picker")
    try:
        at = page("admissions.py", tokens[UserRole.HOSPITAL_ADMIN])

        def patient_box():
            [box] = [s for s in at.selectbox if s.label == "Patient"]
            return box

        def search(text: str) -> None:
            at.text_input(key="admissions_patient_0_search").input(text).run()
            assert not at.exception and not at.error, [e.value for e in at.error]

        labels = [s.label for s in at.selectbox]
        assert labels.index("Patient") < labels.index("Ward")
        assert patient_box().proto.disabled and patient_box().value is None
        assert patient_box().proto.placeholder == "Type at least 2 characters above"

        search(network.emails["patient"])
        assert patient_box().value == network.users["patient"] and not patient_box().proto.disabled
        search("picker.")  # finds only the other patient: the first stays picked, and first
        assert patient_box().value == network.users["patient"]
        assert patient_box().options[0].endswith(network.emails["patient"])  # no phone on file: the email tells
        assert [o for o in patient_box().options[1:] if other in o] != []
        patient_box().select_index(1).run()
        assert patient_box().options[0].endswith(other)
        search("no such patient anywhere")
        assert patient_box().proto.disabled and patient_box().value is None
        assert patient_box().proto.placeholder.startswith("No patient matches.")
        search("picker.")  # a fresh search after an empty box picks its first match again
        assert patient_box().options[0].endswith(other) and patient_box().value is not None
    finally:
        with Session(engine) as session, session.begin():
            session.execute(update(Profile).where(Profile.user_id == select(User.id).where(User.email == other)
                                                  .scalar_subquery()).values(is_active=False))  # fmt: skip


def test_overview_figures_are_scoped_and_lead_to_their_pages(tokens):
    at = page("overview.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Patients waiting"] in {"3", "4"}  # A's two from the shell and up to two here, never B's
    assert values["Free beds now"] != "—"
    assert "Reporting completeness" not in [s.value for s in at.subheader]  # network scope only


def test_overview_in_network_scope_lists_reporting_completeness(tokens):
    at = page("overview.py", tokens[UserRole.ADMIN])
    assert not at.exception
    assert "Reporting completeness" in [s.value for s in at.subheader]


@pytest.mark.parametrize("file", ["overview.py", "resources.py", "admissions.py", "waitlist.py", "appointments.py"])
def test_each_floor_page_runs_a_bounded_number_of_statements(tokens, file):
    page(file, tokens[UserRole.ADMIN])  # warm: the session and the caches
    with counted_statements() as statements:
        page(file, tokens[UserRole.ADMIN])
    # Session checks, scope, a few aggregates and one page of rows; a query per row would pass 60 here.
    assert len(statements) <= 40, (file, len(statements))


def test_cached_reads_check_the_role_even_on_a_hit(app_env, tokens):
    from dashboard.platform.actors import Actor

    admin = Actor(app_env.users["admin"], UserRole.ADMIN, None)
    data.cached(resource_list.category_summary, admin)  # now in the cache
    outsider = Actor(app_env.users["patient"], UserRole.PATIENT, None)
    with pytest.raises(Exception, match="cannot"):
        data.cached(resource_list.category_summary, outsider)


def _app_with_link(token: str, **params: str) -> AppTest:
    at = AppTest.from_file(two_hospitals.APP_FILE, default_timeout=30)
    at.session_state[TOKEN_KEY] = token
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_a_shared_link_opens_the_same_date_range(tokens):
    at = _app_with_link(tokens[UserRole.HOSPITAL_ADMIN], **{"from": "2026-10-01", "to": "2026-10-31"})
    assert not at.exception
    assert tuple(at.session_state["_date_range"]) == (date(2026, 10, 1), date(2026, 10, 31))
    # AppTest keeps each parameter as a list of values; the address keeps the link's range.
    assert at.query_params["from"] in ("2026-10-01", ["2026-10-01"])
    assert at.query_params["to"] in ("2026-10-31", ["2026-10-31"])


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "could not be read"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "ends before it starts"),
        ({"from": "1976-01-01", "to": "2026-01-01"}, "longer than three years"),
    ],
)
def test_a_link_with_unusable_dates_is_refused_in_a_sentence(tokens, params, words):
    at = _app_with_link(tokens[UserRole.HOSPITAL_ADMIN], **params)
    assert not at.exception
    assert any(words in w.value for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]
    start, end = at.session_state["_date_range"]
    assert (end - start).days == 29  # the default 30 days, not the link's


# --- One truth per figure (issue 18) ------------------------------------------------------------------------


def _ha_a(app_env):
    from dashboard.platform.actors import Actor

    return Actor(app_env.users["ha_a"], UserRole.HOSPITAL_ADMIN, app_env.hospital_a)


def test_resources_shows_beds_in_use_against_the_patients_admitted_here(tokens, app_env, engine):
    data.clear_cache()
    at = page("resources.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.exception
    with Session(engine) as session:
        beds = bed_figures.bed_totals(session, _ha_a(app_env))
    assert beds.not_recorded > 0  # the fixture's wards count beds in use that no admission holds
    cards = {m.label: m for m in at.metric}
    assert cards["Free beds now"].value == str(beds.available)
    assert cards["Beds in use"].value == f"{beds.in_use} of {beds.usable}"
    assert cards["Bed occupancy"].value == f"{100 * beds.in_use / beds.usable:.1f}%"
    # Each card's help is the catalogue's definition of its figure.
    for key in ("free_beds", "beds_in_use", "bed_occupancy", "free_icu_beds", "stale_counts"):
        spec = figures.figure(key)
        assert cards[spec.label].help.startswith(spec.help), key
    sentence = (
        f"{beds.in_use} counted in use, {beds.held} admitted here: {beds.not_recorded} not recorded in this system"
    )
    assert any(sentence in shown(m.value) for m in at.markdown), [m.value for m in at.markdown]
    wards = next(d.value for d in at.dataframe if "Counted in use" in d.value.columns)
    assert list(wards.columns[:5]) == ["Ward", "Beds", "Counted in use", "Admitted here", "Not recorded here"]
    assert wards["Not recorded here"].astype(int).sum() == beds.not_recorded


def test_admissions_says_how_the_patients_in_hospital_meet_the_beds_in_use(tokens, app_env, engine):
    data.clear_cache()
    at = page("admissions.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.exception
    with Session(engine) as session:
        census = bed_figures.bed_census(session, _ha_a(app_env))
    cards = {m.label: m for m in at.metric}
    assert cards["In hospital now"].value == str(census.admitted)
    assert cards["In hospital now"].help == figures.figure("in_hospital_now").help
    line = f"The wards count {census.total.in_use} beds in use, {census.total.held} admitted here: "
    assert any(line in c.value for c in at.caption), [c.value for c in at.caption]


@pytest.fixture
def later_arrival(app_env, engine):
    """An urgent patient in A's Dermatology queue whose arrival is an hour from now (a wrong clock)."""
    with Session(engine) as session, session.begin():
        entry = PatientWaitlist(
            hospital_id=app_env.hospital_a, patient_id=app_env.users["patient"], department="Dermatology",
            reason="rash", priority="urgent", created_at=func.now() + timedelta(hours=1),
        )  # fmt: skip
        session.add(entry)
        session.flush()
        entry_id = entry.id
    data.clear_cache()
    yield entry_id
    with Session(engine) as session, session.begin():
        session.query(PatientWaitlist).filter(PatientWaitlist.id == entry_id).delete()
    data.clear_cache()


def test_waitlist_offers_only_departments_with_someone_waiting_and_leaves_out_later_arrivals(
    tokens, app_env, engine, floor, later_arrival
):
    at = page("waitlist.py", tokens[UserRole.HOSPITAL_ADMIN])
    assert not at.exception
    with Session(engine) as session:
        options = waitlist_queue.call_options(session, _ha_a(app_env))
        now = waitlist_queue.waiting_now(session, _ha_a(app_env))
    picker = at.selectbox(key="waitlist_call_department")
    assert picker.options == [picker.format_func(d.department) for d in options.departments]
    assert "Dermatology" not in {d.department for d in options.departments}  # nobody there has arrived yet
    assert picker.value == options.next_department
    assert f"({options.departments[0].waiting} waiting)" in picker.options[0]
    cards = {m.label: m.value for m in at.metric}
    assert cards["Patients waiting"] == str(now.waiting)
    assert any("arrival time after now" in w.value for w in at.warning), [w.value for w in at.warning]
    queue = at.dataframe[0].value
    assert "Dermatology" not in set(queue["Department"])


def test_call_next_with_nobody_waiting_says_so_and_what_happens_next(tokens, app_env, engine, floor):
    with Session(engine) as session, session.begin():
        waiting = session.scalars(
            select(PatientWaitlist).where(
                PatientWaitlist.hospital_id == app_env.hospital_a, PatientWaitlist.status == "waiting"
            )
        ).all()
        held = [(w.id, w.status) for w in waiting]
        for w in waiting:
            w.status = "cancelled"
    data.clear_cache()
    try:
        at = page("waitlist.py", tokens[UserRole.HOSPITAL_ADMIN])
        assert not at.exception
        assert "waitlist_call_next" not in [b.key for b in at.button]
        assert any("Nobody is waiting in any department now" in i.value for i in at.info), [i.value for i in at.info]
    finally:
        with Session(engine) as session, session.begin():
            for entry_id, status in held:
                session.get(PatientWaitlist, entry_id).status = status
        data.clear_cache()
