"""Real browser on the Bed board: a hospital administrator sees the grid, marks a bed clean, discharges a patient.

One `healthdash run` on a throwaway database holding the two-hospital network of tests/fixtures/two_hospitals.py
and a general ward of four beds at hospital A (one holding Amaka Eze's admission, one being cleaned, one free,
one blocked). Each change made through the page is checked in the database with a fresh Session, with the ward's
counts that the database keeps equal to its beds. Screenshots at 1400 px are kept in the temporary directory
(shots/bed_board/), to look at.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Bed, HospitalPatient, HospitalResource, Profile
from tests.browser.support import choose, chromium, new_context, open_from_menu, screenshot, served, sign_in
from tests.browser.support import wait_until_idle as idle
from tests.fixtures.two_hospitals import Network, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(tempfile.gettempdir()) / "shots" / "bed_board"  # kept after the run, to look at
SUCCESS = '[data-testid="stAlertContentSuccess"]'


@dataclass
class Ward:
    network: Network
    resource: str
    admission: str
    beds: dict[str, str]  # label -> beds.id


def _fill(engine: Engine) -> Ward:
    network = _build_network(engine)
    with Session(engine) as session, session.begin():
        patient = session.scalars(select(Profile).where(Profile.user_id == network.users["patient"])).one()
        patient.first_name, patient.last_name = "Amaka", "Eze"
        ward = HospitalResource(hospital_id=network.hospital_a, name="General ward beds", category="beds")
        session.add(ward)
        session.flush()
        admission = HospitalPatient(hospital_id=network.hospital_a, patient_id=network.users["patient"],
                                    bed_resource_id=ward.id, status="admitted",
                                    admission_date=datetime.now(UTC) - timedelta(days=3))  # fmt: skip
        session.add(admission)
        session.flush()
        states = {
            "1": ("occupied", None), "2": ("cleaning", None), "3": ("free", None), "4": ("blocked", "Broken rail")
        }  # fmt: skip
        beds = {
            label: Bed(hospital_id=network.hospital_a, resource_id=ward.id, ward="Ward A", label=label, state=state,
                       reason=reason, admission_id=admission.id if state == "occupied" else None)
            for label, (state, reason) in states.items()
        }  # fmt: skip
        session.add_all(beds.values())
        session.flush()
        return Ward(network, ward.id, admission.id, {label: bed.id for label, bed in beds.items()})


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    with served(admin_url, tmp_path_factory, "bed-board-server", _fill) as (base, _, ward, log, engine):
        yield base, ward, engine, log


def _state(engine, bed_id) -> str:
    with Session(engine) as session:
        return session.scalar(select(Bed.state).where(Bed.id == bed_id))


def _counts(engine, resource_id) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        r = session.get(HospitalResource, resource_id)
        return r.total_quantity, r.available_quantity, r.in_use_quantity, r.maintenance_quantity


def test_a_hospital_admin_sees_the_grid_cleans_a_bed_and_discharges_a_patient(server):
    base, ward, engine, log = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert _counts(engine, ward.resource) == (4, 1, 1, 2)  # the database counted the beds
    with chromium() as browser:
        context = new_context(browser)
        page = context.new_page()
        try:
            sign_in(page, base, ward.network.emails["ha_a"])
            open_from_menu(page, "Bed board")
            main = page.locator('[data-testid="stMain"]')
            for shown in ("Ward A", "Amaka Eze", "Bed 1", "Broken rail", "1 of 4 beds free"):
                main.get_by_text(shown).first.wait_for()
            screenshot(page, SHOTS / "browser_hospital_admin.png")

            choose(main, "Bed", "Ward A, bed 2 · Cleaning")
            main.get_by_role("button", name="Mark clean").click()
            page.locator(SUCCESS).filter(has_text="Ward A, bed 2 is clean and free.").wait_for()
            assert _state(engine, ward.beds["2"]) == "free"
            assert _counts(engine, ward.resource) == (4, 2, 1, 1)

            idle(page)
            choose(main, "Bed", "Ward A, bed 1 · Occupied · Amaka Eze")
            main.get_by_role("button", name="Discharge…").click()
            page.get_by_text("Discharge Amaka Eze now? Ward A, bed 1 goes to cleaning.").wait_for()
            page.get_by_role("button", name="Confirm", exact=True).click()
            page.locator(SUCCESS).filter(has_text="Amaka Eze discharged").wait_for()
            assert _state(engine, ward.beds["1"]) == "cleaning"
            assert _counts(engine, ward.resource) == (4, 2, 0, 2)
            with Session(engine) as session:
                assert session.get(HospitalPatient, ward.admission).status == "discharged"
        except Exception:
            print(page.locator("body").inner_text()[:3000], log.read_text()[-3000:])
            raise
        finally:
            context.close()
