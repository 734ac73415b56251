"""The figure catalogue: every figure declared once, every card on every page explained by its definition.

The AppTest half opens every page a network and a hospital administrator may open and holds each
card (st.metric) to the catalogue: its help text begins with the definition of a catalogued figure,
so no card invents its own explanation and no figure is shown without one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.platform import figures, permissions
from dashboard.shell.gate import TOKEN_KEY
from dashboard.shell.navigation import PAGES
from db.base import UserRole
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import page_app, sign_in

pytestmark = pytest.mark.once  # the catalogue and the pages' cards do not depend on the server

network = two_hospitals.network
app_env = two_hospitals.app_env

ROOT = Path(__file__).resolve().parents[2]
FIGURE_KEY_USE = re.compile(r"""(?:figure_card|\.figure|figure_help)\(\s*["']([a-z_0-9]+)["']""")


def test_every_figure_is_declared_once_with_a_sentence_and_a_source_that_exists():
    keys = [f.key for f in figures.CATALOGUE]
    assert len(keys) == len(set(keys))
    labels = [f.label for f in figures.CATALOGUE]
    assert len(labels) == len(set(labels)), "two figures share a label: a reader could not tell them apart"
    for spec in figures.CATALOGUE:
        assert spec.definition.endswith(".") and spec.definition[0].isupper(), spec.key
        assert spec.definition.count(". ") == 0, f"{spec.key}: a definition is one sentence"
        assert callable(spec.function()), spec.key
        assert spec.area in permissions.ACCESS and spec.area in figures.AREA_TITLES, spec.key


def test_the_help_text_names_the_period_unless_the_figure_is_of_now():
    for spec in figures.CATALOGUE:
        if spec.period == figures.NOW:
            assert spec.help == spec.definition
        else:
            assert spec.help.startswith(spec.definition) and spec.period in spec.help


def test_an_unknown_figure_key_is_refused_in_words():
    with pytest.raises(KeyError, match="not in the figure catalogue"):
        figures.figure("beds_free_maybe")


def _figure_keys_used_in_code() -> set[str]:
    used: set[str] = set()
    for folder in ("dashboard",):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(FIGURE_KEY_USE.findall(path.read_text(encoding="utf-8")))
    return used


def test_every_key_a_page_names_is_catalogued_and_every_figure_is_shown_somewhere():
    used = _figure_keys_used_in_code()
    assert used - set(figures.FIGURES) == set(), "pages name figures the catalogue does not declare"
    assert set(figures.FIGURES) - used == set(), "catalogued figures that no page shows"


def test_each_role_sees_the_figures_of_the_areas_it_reads():
    compliance = {f.key for f in figures.visible_to(UserRole.COMPLIANCE_OFFICER)}
    assert "compliance_score" in compliance
    assert "revenue_month_to_date" not in compliance  # compliance officers do not read Financials
    assert {f.key for f in figures.visible_to(UserRole.ADMIN)} == set(figures.FIGURES)


# --- Every card on every page ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokens(app_env, engine):
    return {
        UserRole.ADMIN: sign_in(engine, app_env.emails["admin"]),
        UserRole.HOSPITAL_ADMIN: sign_in(engine, app_env.emails["ha_a"]),
    }


DEFINITIONS = tuple(f.definition for f in figures.CATALOGUE)


@pytest.mark.parametrize("role", [UserRole.ADMIN, UserRole.HOSPITAL_ADMIN])
def test_every_card_on_every_page_is_explained_by_its_catalogue_definition(tokens, role):
    cards_seen = 0
    for spec in PAGES:
        if role not in spec.roles:
            continue
        at = page_app(spec.file, timeout=60)
        at.session_state[TOKEN_KEY] = tokens[role]
        at.run()
        assert not at.exception, (spec.key, at.exception)
        for metric in at.metric:
            cards_seen += 1
            assert metric.help, f"{spec.key}: the card {metric.label!r} has no definition"
            assert metric.help.startswith(DEFINITIONS), (
                f"{spec.key}: the card {metric.label!r} explains itself as {metric.help!r}, "
                "not with a catalogue definition"
            )
    assert cards_seen >= 20


def test_the_catalogue_page_lists_the_figures_the_role_reads(tokens):
    at = page_app("figures.py", timeout=30)
    at.session_state[TOKEN_KEY] = tokens[UserRole.HOSPITAL_ADMIN]
    at.run()
    assert not at.exception
    shown = _figures_listed(at)
    expected = {f.label for f in figures.visible_to(UserRole.HOSPITAL_ADMIN)}
    assert shown == expected
    assert "Held in wallets" not in shown  # wallets are read network-wide by admins and executives only
    at.text_input(key="figures_search").input("occupancy").run()
    found = _figures_listed(at)
    # The search keeps the figures whose label or definition says occupancy (the states' and peers' among them).
    assert "Bed occupancy" in found and "Free beds now" not in found
    assert all("occupancy" in f"{f.label} {f.definition}".lower() for f in figures.CATALOGUE if f.label in found)


def _figures_listed(at: AppTest) -> set[str]:
    """The labels the catalogue page lists: each entry opens with its label in bold."""
    return {m.value.split("**")[1].replace("\\", "") for m in at.markdown if m.value.startswith("**")}
