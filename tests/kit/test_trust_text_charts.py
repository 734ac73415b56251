"""Typed text stays text in charts and in Markdown: no live link, no bold, no bare address made a link.

Plotly draws every string of a figure (ticks, legend, hover, text on bars, titles, annotations) from an
HTML subset in which <a href> is a live link and <b> is bold; Streamlit's Markdown links bare web and
email addresses. So a hostile compliance type, patient name or diversion reason is put into every
text field the kit's charts carry and into the pages, and what reaches the browser is checked: no tag
Plotly would read (only the kit's own <br> line breaks and hover <extra> boxes), and no text the
Markdown autolinker would match. Pages run under AppTest against the suite's database as signed-in
staff; the browser's own view is in tests/browser/test_trust_text_browser.py.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.kit import charts, drill
from dashboard.platform.dates import LAGOS
from dashboard.platform.formatting import md_escape, plot_escape
from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from db.base import UserRole
from db.models import Hospital, HospitalComplianceTracking, PatientWaitlist, Profile, User
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, sign_in

network = two_hospitals.network
app_env = two_hospitals.app_env

HOSTILE = '<a href="https://evil.example">x</a><b>y</b><i>z</i> & $x$'
# A tag Plotly would read: anything but the kit's own line breaks and hover boxes.
LIVE_TAG = re.compile(r"<(?!br\s*/?>|/?extra>)[a-z/]", re.IGNORECASE)
# Streamlit's Markdown autolinker (remark-gfm), as in its bundle: it matches text after escapes are read.
AUTOLINK_WEB = re.compile(r"(https?:\/\/|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
AUTOLINK_EMAIL = re.compile(r"(?<![-.\w+])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")


def strings(value) -> list[str]:
    """Every string in a figure's JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def live_tags(figure_json: str) -> list[str]:
    return [s for s in strings(json.loads(figure_json)) if LIVE_TAG.search(s)]


def read_as_text(markdown: str) -> str:
    """The text the Markdown renderer's autolinker sees: the escapes read, nothing else removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def autolinked(markdown: str) -> bool:
    text = read_as_text(markdown)
    return bool(AUTOLINK_WEB.search(text) or AUTOLINK_EMAIL.search(text))


# --- the kit --------------------------------------------------------------------------------------------------


def test_every_kit_chart_shows_hostile_text_in_every_field_as_text():
    frame = pd.DataFrame({"Category": [HOSTILE, "Plain"], HOSTILE: [1, 2], "Other": [3, 4]})
    dated = pd.DataFrame({"Day": pd.to_datetime(["2026-10-01", "2026-11-01"]), HOSTILE: [1, 2]})
    built = [
        charts.bar(frame, x="Category", y=[HOSTILE, "Other"], title=HOSTILE, x_title=HOSTILE, y_title=HOSTILE,
                   notes={HOSTILE: [HOSTILE, HOSTILE]}, value_suffix=HOSTILE),
        charts.bar(frame, x="Category", y=HOSTILE, title=HOSTILE, x_title="", y_title="", horizontal=True),
        charts.line(dated, x="Day", y=HOSTILE, title=HOSTILE, x_title=HOSTILE, y_title=HOSTILE, period="month"),
        charts.occupancy_grid(columns=[HOSTILE, "08:00"], rows=[HOSTILE], filled=[[1, 0]], hover=[[HOSTILE, HOSTILE]],
                              title=HOSTILE, x_title=HOSTILE, labels=[[HOSTILE, ""]]),
    ]  # fmt: skip
    for fig in built:
        assert live_tags(fig.to_json()) == []
        # Shown as written: the words are still there, as entities Plotly prints as characters.
        assert "&lt;a href=" in fig.to_json().replace("\\u0026", "&")


def test_a_figure_built_by_hand_is_made_safe_by_show_whatever_field_holds_the_text():
    fig = go.Figure(go.Heatmap(x=[HOSTILE], y=[HOSTILE], z=[[1]], text=[[HOSTILE]], texttemplate="%{text}",
                               customdata=[[HOSTILE]], hovertext=[[HOSTILE]], name=HOSTILE,
                               hovertemplate=f"%{{y}}<br>{HOSTILE}: %{{customdata}}<extra>{HOSTILE}</extra>",
                               colorbar={"title": {"text": HOSTILE}, "tickvals": [1],
                                         "ticktext": [HOSTILE]}))  # fmt: skip
    fig.add_scatter(x=[1], y=[1], name=HOSTILE, legendgrouptitle={"text": HOSTILE}, hovertemplate="%{x}")
    fig.update_layout(title=HOSTILE, xaxis={"title": HOSTILE, "tickvals": [HOSTILE], "ticktext": [HOSTILE + "<br>2"]},
                      annotations=[{"text": HOSTILE, "x": 0, "y": 0}], legend={"title": {"text": HOSTILE}})  # fmt: skip
    assert live_tags(fig.to_json()) != []  # as built by hand, the tags are there
    shown = charts.safe(fig)
    assert live_tags(shown.to_json()) == []
    template = shown.data[0].hovertemplate
    escaped = plot_escape(HOSTILE)
    assert escaped.startswith('&lt;a href="https://evil.example"&gt;x&lt;/a&gt;&lt;b&gt;y&lt;/b&gt;')
    assert template == f"%{{y}}<br>{escaped}: %{{customdata}}<extra>{escaped}</extra>"  # placeholders kept
    assert shown.layout.xaxis.ticktext[0].endswith("<br>2")  # the kit's own line break stays
    assert charts.safe(shown).to_json() == shown.to_json()  # idempotent: show may meet a builder's figure


def test_a_drill_down_click_hands_the_page_its_own_values_not_the_escaped_ones():
    fig = go.Figure(go.Bar(x=[1, 2], y=["Fees & charges", HOSTILE], customdata=[["credit", "a&b"], ["debit", HOSTILE]],
                           orientation="h"))  # fmt: skip
    drawn = charts.safe(fig)
    point = {"curve_number": 0, "point_index": 1, "x": 2, "y": drawn.data[0].y[1],
             "customdata": list(drawn.data[0].customdata[1])}  # fmt: skip
    assert point["y"] != HOSTILE
    built = drill._as_built(fig, point)
    assert built["y"] == HOSTILE and built["customdata"] == ["debit", HOSTILE]


# --- the pages -------------------------------------------------------------------------------------------------

HCT = HospitalComplianceTracking
TRAP_TYPE = '<a href="https://evil.example">Fire</a> <b>safety</b>'
TRAP_REASON = "Flooded theatre, see https://evil.example/news or www.evil.example, or mail desk@evil.example"
TRAP_PATIENT = ("**Bold**", "[Click](https://evil.example) www.evil.example")


def _at(days_ago: int) -> datetime:
    return datetime.combine(datetime.now(LAGOS).date() - timedelta(days=days_ago), time(12), tzinfo=LAGOS)


@pytest.fixture(scope="module")
def traps(app_env, engine):
    """A hostile compliance type in both hospitals (twice in A, for a trend), a diversion of A with addresses
    in its reason, and a patient named in Markdown waiting in A's queue. Committed once, removed afterwards."""
    net = app_env
    with Session(engine) as session, session.begin():
        assessments = [
            HCT(hospital_id=net.hospital_a, compliance_type=TRAP_TYPE, status="non_compliant", score=40,
                last_assessment_date=_at(60), next_assessment_due=_at(-30)),
            HCT(hospital_id=net.hospital_a, compliance_type=TRAP_TYPE, status="partially_compliant", score=70,
                last_assessment_date=_at(5), next_assessment_due=_at(-90)),
            HCT(hospital_id=net.hospital_b, compliance_type=TRAP_TYPE, status="compliant", score=90,
                last_assessment_date=_at(3), next_assessment_due=_at(-90)),
        ]  # fmt: skip
        patient = User(email="trap.patient@trust.healthdash.ng", password=net.password_hash)
        patient.profile = Profile(first_name=TRAP_PATIENT[0], last_name=TRAP_PATIENT[1], role=UserRole.PATIENT)
        session.add_all([*assessments, patient])
        session.flush()
        entry = PatientWaitlist(hospital_id=net.hospital_a, patient_id=patient.id, department="Trust clinic",
                                reason="check", priority="low")  # fmt: skip
        session.add(entry)
        session.execute(update(Hospital).where(Hospital.id == net.hospital_a).values(
            accepting_patients=False, diversion_reason=TRAP_REASON, diversion_since=_at(0),
            diversion_until=datetime.now(LAGOS) + timedelta(days=1)))  # fmt: skip
        session.flush()
        ids = {"assessments": [a.id for a in assessments], "patient": patient.id, "entry": entry.id}
    data.clear_cache()
    yield ids
    with Session(engine) as session, session.begin():
        session.execute(update(Hospital).where(Hospital.id == net.hospital_a).values(
            accepting_patients=True, diversion_reason=None, diversion_since=None, diversion_until=None))  # fmt: skip
        session.execute(delete(PatientWaitlist).where(PatientWaitlist.id == ids["entry"]))
        session.execute(delete(HCT).where(HCT.id.in_(ids["assessments"])))
        session.execute(delete(Profile).where(Profile.user_id == ids["patient"]))
        session.execute(delete(User).where(User.id == ids["patient"]))
    data.clear_cache()


def page(file: str, token: str) -> AppTest:
    at = page_app(file, timeout=30)
    at.session_state[TOKEN_KEY] = token
    return at.run()


def _figures(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("account", ["admin", "comp_a"])
def test_a_hostile_compliance_type_is_text_in_every_compliance_chart(traps, app_env, engine, account):
    at = page("compliance.py", sign_in(engine, app_env.emails[account]))
    assert not at.exception, at.exception
    figures = _figures(at)
    assert len(figures) >= 3
    drawn = [f for f in figures if "evil.example" in f]
    assert drawn, "the hostile type is in no chart: the test would prove nothing"
    for figure in figures:
        assert live_tags(figure) == [], live_tags(figure)[:3]


def test_a_diversion_reason_with_addresses_is_no_link(traps, app_env, engine):
    at = page("emergencies.py", sign_in(engine, app_env.emails["ha_a"]))
    assert not at.exception, at.exception
    said = [w.value for w in at.warning if "NOT accepting patients" in w.value]
    assert said, [w.value for w in at.warning]
    assert not any(autolinked(text) for text in said), said
    assert "evil.example/news" in read_as_text(said[0])  # the reason is shown, as written


def test_a_patient_named_in_markdown_is_shown_as_written_in_the_waitlist(traps, app_env, engine):
    at = page("waitlist.py", sign_in(engine, app_env.emails["ha_a"]))
    assert not at.exception, at.exception
    at.selectbox(key="waitlist_entry").set_value(traps["entry"]).run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption if "has not been called yet" in c.value]
    assert captions, [c.value for c in at.caption]
    for caption in captions:
        assert md_escape(TRAP_PATIENT[0]) in caption and "**Bold**" not in caption
        assert "](https" not in caption and not autolinked(caption), caption
