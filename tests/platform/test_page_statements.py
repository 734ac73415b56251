"""Every page runs a bounded number of SQL statements, whatever the number of rows, and writes nothing but audit rows.

Issue 21's targets: at most 40 statements per render (a query per row somewhere shows as a count that grows with
the rows), and no page does maintenance for its visitor (the wallet check and the summary refreshes run from
`healthdash db reconcile`; a render only reads, and records who read in the audit trail).

The network of tests/fixtures/two_hospitals is built in a database of this module's own, then given MANY rows
of every list a page shows (open emergencies, referrals, ambulances, appointments, waitlist entries, admissions,
compliance findings, documents and hospitals waiting for verification, ledger entries, wallets, audit rows,
staff), so a per-row query cannot hide. Each page is rendered through the router as each actor that may open it
(a network ADMIN on All hospitals, the same ADMIN working in one hospital, a HOSPITAL_ADMIN, a network EXECUTIVE
and a hospital's COMPLIANCE_OFFICER), cold (every cache cleared) and warm, counting what the app's engine sends.
"""

from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import streamlit as st
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.shell import data
from dashboard.shell.gate import TOKEN_KEY
from dashboard.shell.navigation import PAGES, PageSpec
from db import migrate
from db.base import UserRole
from db.engine import make_engine
from db.models import (
    AmbulanceRequest,
    Appointment,
    AuditLog,
    Document,
    EmergencyRequest,
    Hospital,
    HospitalComplianceTracking,
    HospitalFinancialData,
    HospitalPatient,
    HospitalResource,
    PatientWaitlist,
    Profile,
    User,
    Wallet,
    WalletTransaction,
)
from db.models.emergency import Referral
from tests.fixtures import two_hospitals
from tests.fixtures.throwaway import create_database, drop_database
from tests.fixtures.two_hospitals import Network, page_app, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.once]  # statement counts do not depend on the server

MAX_STATEMENTS = 40
ROWS = 30  # of every list, in each hospital; the growth test adds as many again
# What a render may write: who read what (the audit trail) and the session's own last-seen time.
ALLOWED_WRITES = re.compile(r"^\s*(INSERT INTO audit_logs\b|UPDATE auth_sessions\b)", re.IGNORECASE)
READING = re.compile(r"^\s*(SELECT|SHOW|SET|RESET|VALUES|BEGIN|SAVEPOINT|RELEASE|ROLLBACK|COMMIT)\b", re.IGNORECASE)
# A query with a CTE reads too, unless one of its parts changes rows.
CHANGING = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|REFRESH|CALL)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Viewer:
    """One way of opening a page: whose token, and the hospital an ADMIN's link names (None: All hospitals)."""

    name: str
    account: str
    role: UserRole
    hospital: bool = False


VIEWERS = (
    Viewer("admin, all hospitals", "admin", UserRole.ADMIN),
    Viewer("admin, one hospital", "admin", UserRole.ADMIN, hospital=True),
    Viewer("hospital admin", "ha_a", UserRole.HOSPITAL_ADMIN),
    Viewer("network executive", "exec_net", UserRole.EXECUTIVE),
    Viewer("compliance officer", "comp_a", UserRole.COMPLIANCE_OFFICER),
)
CASES = [(spec, viewer) for spec in PAGES for viewer in VIEWERS if viewer.role in spec.roles]
GROWTH_VIEWERS = (VIEWERS[0], VIEWERS[2])


@pytest.fixture(scope="module")
def crowded(admin_url):
    """The two-hospital network, crowded, in a database of its own; the app (dashboard.shell.data) points at it."""
    from db.engine import get_engine

    url = create_database(admin_url, prefix="healthdash_statements")
    engine = make_engine(url)
    migrate.upgrade(engine)
    network = two_hospitals._build_network(engine)
    grow(engine, network, ROWS)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    try:
        get_engine.cache_clear()
        data.engine.clear()
        get_engine()
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
    tokens = {label: sign_in(engine, network.emails[label]) for label in {v.account for v in VIEWERS}}
    yield engine, network, tokens
    get_engine().dispose()
    get_engine.cache_clear()
    data.engine.clear()
    data.clear_cache()
    st.cache_data.clear()
    engine.dispose()
    drop_database(admin_url, url.database)


_serial = itertools.count(1)


def grow(engine: Engine, network: Network, rows: int) -> None:
    """`rows` more of every list in each hospital (and at the dispatch desk), with the people they need."""
    now = datetime.now(UTC)
    month = f"{now:%Y-%m}"
    with Session(engine) as db, db.begin():
        hospitals = [network.hospital_a, network.hospital_b]
        for hospital_id in hospitals:
            n = next(_serial)
            physician = _person(db, f"physician{n}", UserRole.PHYSICIAN, hospital_id)
            for i in range(rows):
                s = next(_serial)
                patient = _person(db, f"patient{s}", UserRole.PATIENT, None)
                _person(db, f"staff{s}", UserRole.PHYSICIAN, hospital_id)
                lat, lon = Decimal("6.45") + Decimal(i) / 100, Decimal("3.39") + Decimal(i) / 100
                emergency = EmergencyRequest(
                    patient_id=patient, emergency_type="cardiac", severity=("critical", "high", "medium")[i % 3],
                    location_latitude=lat, location_longitude=lon, hospital_id=hospital_id,
                )  # fmt: skip
                desk = EmergencyRequest(patient_id=patient, emergency_type="fall", location_latitude=lat,
                                        location_longitude=lon)  # fmt: skip
                ambulance = AmbulanceRequest(
                    patient_id=patient, emergency_type="accident", status=("pending", "dispatched")[i % 2],
                    pickup_address=f"{i} Marina, Lagos", pickup_latitude=lat, pickup_longitude=lon,
                    destination_address="Alpha Teaching Hospital", destination_latitude=Decimal("7.38"),
                    destination_longitude=Decimal("3.93"), contact_phone="+2348000000000", ambulance_eta=12,
                    assigned_hospital_id=hospital_id,
                )  # fmt: skip
                db.add_all([emergency, desk, ambulance])
                db.flush()
                db.add(Referral(emergency_request_id=desk.id, to_hospital_id=hospital_id, bed_type="ICU beds",
                                status=("pending", "accepted")[i % 2], referred_by=network.users["admin"],
                                distance_km=Decimal("12.5")))  # fmt: skip
                db.add(Appointment(
                    patient_id=patient, physician_id=physician, hospital_id=hospital_id,
                    appointment_date=now - timedelta(days=i % 20), appointment_time=f"{7 + i // 20:02d}:30",
                    status=("pending", "confirmed", "completed", "cancelled")[i % 4],
                    consultation_type=("in_person", "virtual")[i % 2],
                ))  # fmt: skip
                db.add(PatientWaitlist(hospital_id=hospital_id, patient_id=patient, department="Cardiology",
                                       reason=f"review {s}", priority=("low", "medium", "high", "urgent")[i % 4]))
                db.add(HospitalPatient(hospital_id=hospital_id, patient_id=patient, room_number=f"W{i}",
                                       admission_date=now - timedelta(days=i % 9)))  # fmt: skip
                db.add(HospitalResource(hospital_id=hospital_id, name=f"Monitor {s}", category="equipment",
                                        total_quantity=4, available_quantity=2, in_use_quantity=2))  # fmt: skip
                finding = {"description": f"Finding {s}", "severity": "high", "status": "open",
                           "due_date": (now.date() - timedelta(days=i - 10)).isoformat()}  # fmt: skip
                db.add(HospitalComplianceTracking(
                    hospital_id=hospital_id, compliance_type=f"check_{s}", status="non_compliant", score=40 + i,
                    violations=[finding], corrective_actions=[{**finding, "description": f"Fix {s}"}],
                    next_assessment_due=now + timedelta(days=i - 10),
                ))  # fmt: skip
                db.add(HospitalFinancialData(
                    hospital_id=hospital_id, transaction_type=("revenue", "expense")[i % 2],
                    category=("consultations", "telemedicine", "salaries")[i % 3], amount=Decimal(1000 + i),
                    fiscal_month=month, description=f"Entry {s}",
                ))  # fmt: skip
                db.add(Document(user_id=patient, document_name=f"Licence {s}", document_type="license",
                                document_url=f"https://files.example.ng/{s}.pdf"))  # fmt: skip
                db.add(AuditLog(user_id=network.users["ha_a"], hospital_id=hospital_id, action_category="fixture",
                                action_type=f"crowd_{s}"))  # fmt: skip
                wallet = Wallet(user_id=patient, balance=Decimal("60.00"))
                db.add(wallet)
                db.flush()
                db.add(WalletTransaction(wallet_id=wallet.id, transaction_type="credit", amount=Decimal("100.00"),
                                         balance_after=Decimal("100.00"), created_at=now - timedelta(days=2)))
                db.add(WalletTransaction(wallet_id=wallet.id, transaction_type="debit", amount=Decimal("40.00"),
                                         balance_after=Decimal("60.00"), created_at=now - timedelta(days=1)))
        for _ in range(rows):  # hospitals waiting for verification: lists (and loops) over hospitals grow too
            s = next(_serial)
            db.add(Hospital(name=f"Gamma Clinic {s}", city="Jos", state="Plateau", latitude=Decimal("9.9"),
                            longitude=Decimal("8.9"), verification_documents=[{"type": "licence", "status": "pending",
                            "url": f"https://files.example.ng/h{s}.pdf"}]))  # fmt: skip


def _person(db: Session, label: str, role: UserRole, hospital_id: str | None) -> str:
    """A user with a profile; the user's id for a patient, the profile's id for staff (what rows point at)."""
    user = User(email=f"{label}@crowd.healthdash.ng", password="x")
    user.profile = Profile(first_name=label.title(), last_name="Crowd", role=role, hospital_id=hospital_id)
    db.add(user)
    db.flush()
    return user.id if role is UserRole.PATIENT else user.profile.id


@contextmanager
def watched():
    """Every statement the app's engine sends inside the block."""
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = data.engine()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def render(spec: PageSpec, viewer: Viewer, network: Network, tokens: dict, *, cold: bool) -> list[str]:
    """The statements of one render of the page, through the router, as `viewer`."""
    if cold:
        data.clear_cache()
        st.cache_data.clear()
    at: AppTest = page_app(spec.key, timeout=60)
    at.session_state[TOKEN_KEY] = tokens[viewer.account]
    if viewer.hospital:
        at.query_params["hospital"] = network.hospital_a
    with watched() as statements:
        at.run()
    assert not at.exception, (spec.key, viewer.name, at.exception[0].message)
    assert [t.value for t in at.title] == [spec.title], (spec.key, viewer.name, [e.value for e in at.error])
    return statements


def _writes(statements: list[str]) -> list[str]:
    def reads(statement: str) -> bool:
        return bool(READING.match(statement)) or (
            statement.lstrip().upper().startswith("WITH") and not CHANGING.search(statement)
        )

    return [s.split("(")[0][:80] for s in statements if not reads(s) and not ALLOWED_WRITES.match(s)]


@pytest.mark.parametrize(("spec", "viewer"), CASES, ids=[f"{s.key}-{v.name}" for s, v in CASES])
def test_a_page_runs_at_most_40_statements_and_writes_only_audit_rows(crowded, spec, viewer):
    _engine, network, tokens = crowded
    for cold in (True, False):
        statements = render(spec, viewer, network, tokens, cold=cold)
        assert len(statements) <= MAX_STATEMENTS, (spec.key, viewer.name, "cold" if cold else "warm", len(statements))
        # No maintenance for the visitor: no summary refresh, no wallet check, no row but the audit trail's.
        assert _writes(statements) == [], (spec.key, viewer.name, _writes(statements))
        assert not any("REFRESH MATERIALIZED" in s.upper() or "healthdash_refresh" in s for s in statements)


def test_no_page_runs_more_statements_when_its_lists_double(crowded):
    """A page with twice the rows in every list runs the same statements: none is run once per row."""
    engine, network, tokens = crowded
    cases = [(spec, viewer) for spec in PAGES for viewer in GROWTH_VIEWERS if viewer.role in spec.roles]

    def counts() -> dict[tuple[str, str], int]:
        # A read's audit row is written once per question (audit.record_read): "61 rows waiting" after "31" is a
        # new question, so the trail's inserts are left out of the comparison; every read is counted.
        return {
            (s.key, v.name): sum(1 for q in render(s, v, network, tokens, cold=True) if not ALLOWED_WRITES.match(q))
            for s, v in cases
        }

    before = counts()
    grow(engine, network, ROWS)
    after = counts()
    grew = {case: (before[case], after[case]) for case in before if after[case] > before[case]}
    assert grew == {}, grew


def test_the_crowd_is_there(crowded):
    """The lists are long enough that one query a row would pass the bound (not an empty network passing)."""
    engine, network, _tokens = crowded
    with engine.connect() as conn:
        open_emergencies = conn.execute(
            text("SELECT count(*) FROM emergency_requests WHERE status = 'pending' AND hospital_id = :h"),
            {"h": network.hospital_a},
        ).scalar()
        referrals = conn.execute(text("SELECT count(*) FROM referrals WHERE to_hospital_id = :h"),
                                 {"h": network.hospital_a}).scalar()  # fmt: skip
        pending_hospitals = conn.execute(
            text("SELECT count(*) FROM hospitals WHERE verification_status = 'pending'")
        ).scalar()
    assert open_emergencies >= ROWS and referrals >= ROWS and pending_hospitals >= ROWS
