"""Real browser on the network by state: the Overview's map of Nigeria, a click on a state filters to it, offline.

One `healthdash run` for the module (as the least-privilege app role) on the two-hospital network of
tests/fixtures/two_hospitals.py (Alpha in Oyo, Beta in Kano, both verified), with a third hospital in Osun that
waits to be verified and each hospital's beds and LGA. A network administrator signs in once and turns on the
Overview's "Group by state": "By state" shows the map; a click on Kano (found on the map by its coordinates) picks
Kano and lists Beta only; on Hospitals the LGA picker offers the state's LGAs and the change is saved and audited.
Every request the browser makes is logged: nothing goes anywhere but the app's own address (no tiles, no fonts).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.models import AuditLog, Hospital, HospitalResource
from tests.browser.support import (
    choose,
    chromium,
    new_context,
    open_from_menu,
    screenshot,
    served,
    sign_in,
    wait_until_idle,
)
from tests.fixtures.two_hospitals import BETA, Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("HEALTHDASH_SHOTS")  # a folder: the page's screenshots are kept there when set
GAMMA = "Gamma Osogbo Hospital"
SUCCESS = '[data-testid="stAlertContentSuccess"]'
KANO = (8.52, 11.75)  # (longitude, latitude) inside Kano state, away from its borders


def _fill(engine: Engine) -> Network:
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        session.execute(update(Hospital).where(Hospital.id == network.hospital_a).values(lga="Ibadan North"))
        session.execute(update(Hospital).where(Hospital.id == network.hospital_b).values(lga="Nasarawa"))
        gamma = Hospital(name=GAMMA, city="Osogbo", state="Osun", lga="Osogbo", verification_status="pending")
        session.add(gamma)
        session.flush()
        beds = ((network.hospital_a, 40, 30), (network.hospital_b, 20, 17), (gamma.id, 10, 2))
        for hospital_id, total, in_use in beds:
            session.add(HospitalResource(hospital_id=hospital_id, name="General ward", category="beds",
                                         total_quantity=total, in_use_quantity=in_use,
                                         available_quantity=total - in_use))  # fmt: skip
    return network


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "states-server", _fill) as (base, _url, network, log, engine):
        yield base, network, log, engine


def test_the_map_of_states_filters_to_the_state_clicked_and_fetches_nothing_outside(server):
    base, network, log, engine = server
    outside: list[str] = []
    with chromium() as browser:
        page = new_context(browser).new_page()
        page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).netloc != urlsplit(base).netloc
                and not r.url.startswith(("data:", "blob:")) else None)  # fmt: skip
        try:
            sign_in(page, base, network.emails["admin"])
            main = page.locator('[data-testid="stMain"]')
            # "Group by state" is off until asked for: turn it on, as a user would.
            main.get_by_text("Group by state").click()
            main.get_by_role("heading", name="By state").wait_for()
            chart = main.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".js-plotly-plot")).last
            chart.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g._fullLayout?.map?._subplot?.map"
                "?.loaded())"
            )
            page.wait_for_timeout(500)
            text = main.inner_text()
            assert "States with none verified" in text and "Osun" in text  # Gamma waits: its state has none verified
            assert "3 of 37" in text
            if SHOTS:
                screenshot(page, Path(SHOTS) / "states-overview.png")
                chart.scroll_into_view_if_needed()
                page.wait_for_timeout(1000)  # the map redraws at the window's size again
            # Where Kano is on the map, in the page's pixels, from the map's own projection.
            x, y = page.evaluate(
                """([lon, lat]) => {
                     const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g._fullLayout?.map);
                     const map = gd._fullLayout.map._subplot.map;
                     const point = map.project([lon, lat]);
                     const box = map.getCanvas().getBoundingClientRect();
                     return [box.left + point.x, box.top + point.y];
                   }""",
                list(KANO),
            )
            page.mouse.click(x, y)
            main.get_by_text("Kano: 1 hospital in your scope").wait_for()
            wait_until_idle(page)
            table = main.locator('[data-testid="stDataFrame"]').last
            # The grid draws on a canvas; its cells are also in the canvas's accessible table.
            cells = table.locator('td[role="gridcell"]')
            cells.filter(has_text=BETA).first.wait_for(state="attached")
            shown = " | ".join(cells.all_text_contents())
            assert BETA in shown and "Alpha" not in shown and GAMMA not in shown
            assert "state=Kano" in page.url  # the filter is in the address: a copied link opens it
            if SHOTS:
                screenshot(page, Path(SHOTS) / "states-kano.png")
            # Hospitals: the LGA list follows the state; Gamma moves to Olorunda, Osun.
            open_from_menu(page, "Hospitals")
            form = main.locator('[data-testid="stExpander"]').filter(has_text="Record a hospital's state and LGA")
            form.locator("summary").click()
            choose(form, "Hospital", GAMMA)
            choose(form, "Local government area", "Olorunda")
            if SHOTS:
                screenshot(page, Path(SHOTS) / "states-hospitals-form.png")
            form.get_by_role("button", name="Save the state and LGA").click()
            page.locator(SUCCESS).filter(has_text=f"{GAMMA} is now recorded in Olorunda LGA, Osun.").wait_for()
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-2000:])
            raise
        finally:
            page.context.close()
    assert outside == [], outside
    with Session(engine) as session:
        gamma = session.scalars(select(Hospital).where(Hospital.name == GAMMA)).one()
        assert (gamma.state, gamma.lga) == ("Osun", "Olorunda")
        audited = session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == gamma.id)).all()
        assert audited == ["hospital_location_changed"]
