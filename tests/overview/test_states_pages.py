"""The pages that group by state (Financials, Compliance, Emergencies; the Overview is in the browser test).

AppTest runs each page as the router does, signed in as the network administrator of
tests/fixtures/two_hospitals.py (Alpha in Oyo, Beta in Kano): "Group by state" is off until turned on, then the
part draws its cards, the map and the table with the page's own figure chosen first, its definition from the
catalogue under the map, and a state picked lists that state's hospitals only.
"""

from __future__ import annotations

import pytest

from dashboard.domains.overview.overview_states_map_page import FIGURES
from dashboard.shell.gate import TOKEN_KEY
from tests.fixtures import two_hospitals
from tests.fixtures.two_hospitals import BETA, page_app, sign_in

# Server-independent (a page's Python over services the rest of the suite holds on both servers): CI runs it
# on one of its two servers (marker `once`, tests/conftest.py), as it does the browser tests.
pytestmark = pytest.mark.once

network = two_hospitals.network
app_env = two_hospitals.app_env


@pytest.fixture(scope="module")
def token(app_env, engine):
    return sign_in(engine, app_env.emails["admin"])


@pytest.mark.parametrize(
    ("page", "metric"),
    [("financials", "state_revenue_month_to_date"), ("compliance", "state_compliance_score"),
     ("emergencies", "state_open_emergencies")],
)  # fmt: skip
def test_a_page_groups_by_state_with_its_own_figure_first(token, page, metric):
    at = page_app(page, timeout=60)
    at.session_state[TOKEN_KEY] = token
    at.run()
    assert not at.exception
    assert "By state" not in [h.value for h in at.subheader]  # off until asked for
    at.toggle(key=f"{page}_by_state").set_value(True).run()
    assert not at.exception, at.exception
    assert "By state" in [h.value for h in at.subheader]
    assert len(at.get("plotly_chart")) >= 1
    assert at.session_state[f"{page}_states_metric"] == metric
    captions = " ".join(c.value for c in at.caption)
    assert FIGURES[metric].definition in captions or "Scores: " in captions
    at.selectbox(key=f"{page}_states_picker").set_value("Kano").run()
    assert not at.exception, at.exception
    assert any(m.value.startswith("**Kano\\: 1 hospital in your scope") for m in at.markdown)  # escaped as text
    hospitals = next(d.value for d in at.dataframe if "LGA" in d.value.columns)  # the state's hospitals
    assert list(hospitals["Hospital"]) == [BETA]
