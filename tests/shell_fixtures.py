"""Fixtures for the dashboard shell's tests: two hospitals with a few staff, and signed-in tokens.

Hospital A ("Alpha Teaching Hospital") and hospital B ("Beta Specialist Hospital") each get
appointments, waitlist entries, emergencies and audit rows, so every scoped read has something of
B to leak. bcrypt is slow on purpose (cost 12), so every account shares one hash made once.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from db.base import UserRole
from db.models import (
    Appointment,
    AuditLog,
    AuthSession,
    EmergencyRequest,
    Hospital,
    PatientWaitlist,
    Profile,
    User,
)
from db.passwords import hash_password

PASSWORD = "correct-horse-42"
APP_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dashboard", "app.py")
ALPHA = "Alpha Teaching Hospital"
BETA = "Beta Specialist Hospital"


@dataclass
class Network:
    hospital_a: str
    hospital_b: str
    users: dict[str, str]  # label -> user id
    emails: dict[str, str]  # label -> email
    password_hash: str


def _add_user(session: Session, email: str, password_hash: str, role: UserRole, hospital_id: str | None) -> User:
    user = User(email=email, password=password_hash)
    first, _, last = email.split("@")[0].partition(".")
    user.profile = Profile(
        first_name=first.title(), last_name=(last or "Tester").title(), role=role, hospital_id=hospital_id
    )
    session.add(user)
    session.flush()
    return user


def shown(markdown: str) -> str:
    """What a reader sees of a message: its Markdown source less the escapes and the invisible word
    joiners that keep addresses from becoming links (formatting.md_escape)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def add_user(engine: Engine, network: Network, role: UserRole, hospital_id: str | None, *, prefix: str) -> str:
    """A fresh account (committed) for a test that changes or locks it; returns its email."""
    email = f"{prefix}.{secrets.token_hex(3)}@test.healthdash.ng"
    with Session(engine) as session, session.begin():
        _add_user(session, email, network.password_hash, role, hospital_id)
    return email


# Each test module binds the fixture under its own name, which pytest treats as separate fixtures;
# build the network once per database and hand the same one to all of them.
_BUILT: dict[str, Network] = {}


@pytest.fixture(scope="session")
def network(engine) -> Network:
    key = engine.url.render_as_string(hide_password=False)
    if key not in _BUILT:
        _BUILT[key] = _build_network(engine)
    return _BUILT[key]


def _build_network(engine: Engine) -> Network:
    password_hash = hash_password(PASSWORD)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        a = Hospital(name=ALPHA, city="Ibadan", state="Oyo", verification_status="verified")
        b = Hospital(name=BETA, city="Kano", state="Kano", verification_status="verified")
        session.add_all([a, b])
        session.flush()
        specs = {
            "admin": (UserRole.ADMIN, None),
            "ha_a": (UserRole.HOSPITAL_ADMIN, a.id),
            "ha_b": (UserRole.HOSPITAL_ADMIN, b.id),
            "exec_a": (UserRole.EXECUTIVE, a.id),
            "exec_net": (UserRole.EXECUTIVE, None),
            "comp_a": (UserRole.COMPLIANCE_OFFICER, a.id),
            "physician_a": (UserRole.PHYSICIAN, a.id),
            "patient": (UserRole.PATIENT, None),
            "agent": (UserRole.AGENT, None),
        }
        users, emails = {}, {}
        for label, (role, hospital_id) in specs.items():
            email = f"{label.replace('_', '.')}@test.healthdash.ng"
            users[label] = _add_user(session, email, password_hash, role, hospital_id).id
            emails[label] = email
        physician = session.get(User, users["physician_a"]).profile
        slots = iter(("08:00", "08:30", "09:00", "09:30", "10:00"))  # one physician: never one slot twice
        for hospital, n in ((a, 2), (b, 3)):
            for i in range(n):
                session.add(
                    Appointment(
                        patient_id=users["patient"],
                        physician_id=physician.id,
                        hospital_id=hospital.id,
                        appointment_date=now,
                        appointment_time=next(slots),
                    )
                )
                session.add(
                    PatientWaitlist(
                        hospital_id=hospital.id,
                        patient_id=users["patient"],
                        department="Cardiology",
                        reason=f"check-up {i}",
                    )
                )
                session.add(
                    EmergencyRequest(
                        patient_id=users["patient"],
                        emergency_type="fall",
                        hospital_id=hospital.id,
                        severity="critical" if i == 0 else "medium",
                    )
                )
            session.add(
                AuditLog(
                    user_id=users["ha_a"] if hospital is a else users["ha_b"],
                    hospital_id=hospital.id,
                    action_category="fixture",
                    action_type=f"fixture_row_{hospital.name.split()[0].lower()}",
                )
            )
        ids = (a.id, b.id)
    return Network(ids[0], ids[1], users, emails, password_hash)


def sign_in(engine: Engine, email: str) -> str:
    """A session token for `email`, made through the real sign-in service."""
    from dashboard.domains.people import sign_in as signing_in
    from dashboard.platform.actors import ClientInfo

    with Session(engine) as session, session.begin():
        result = signing_in.authenticate(session, email, PASSWORD, ClientInfo(session_id="test"))
    assert result.outcome is signing_in.LoginOutcome.SUCCESS, result.message
    return result.token


def age_session(engine: Engine, token: str, *, idle: timedelta = timedelta(0), expire: bool = False) -> None:
    """Pretend time passed: move last_seen_at back by `idle`, or the absolute expiry into the past."""
    from dashboard.domains.people.sessions import hash_token

    values = {"last_seen_at": datetime.now(UTC) - idle}
    if expire:
        values["expires_at"] = datetime.now(UTC) - timedelta(seconds=1)
    with Session(engine) as session, session.begin():
        session.execute(update(AuthSession).where(AuthSession.token_hash == hash_token(token)).values(**values))


@pytest.fixture(scope="module")
def app_env(database_url, network):
    """Point the app (run in-process by AppTest) at the throwaway database.

    The engine is made and cached with DATABASE_URL set, then the variable is restored at once, so
    no other test (or subprocess it starts) sees it.
    """
    from dashboard.shell import data
    from db.engine import get_engine

    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = database_url.render_as_string(hide_password=False)
    try:
        get_engine.cache_clear()
        data.engine.clear()
        get_engine()
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
    yield network
    get_engine().dispose()
    get_engine.cache_clear()
    data.engine.clear()


def page_app(key: str, *, timeout: float = 30) -> AppTest:
    """An AppTest of one page as the router runs it: its access check, then its render (or its script)."""
    from dashboard.shell.navigation import PAGE_BY_KEY

    key = key.removesuffix(".py").removesuffix("_page")
    spec = PAGE_BY_KEY[key]
    if spec.declared:
        return AppTest.from_string(
            f"from dashboard.shell.router import run_page\nrun_page({key!r})\n", default_timeout=timeout
        )
    return AppTest.from_file(str(spec.path), default_timeout=timeout)


def switch_to(at: AppTest, key: str) -> AppTest:
    """Open page `key` on the app's next run, as a click in the menu would (AppTest of app.py, after one run).

    AppTest.switch_page takes a file; a declared page is a callable, which Streamlit knows by the hash
    of its address, so the hash is set the way switch_page sets it for a file.
    """
    from streamlit.util import calc_hash

    from dashboard.shell.navigation import PAGE_BY_KEY

    spec = PAGE_BY_KEY[key.removesuffix(".py").removesuffix("_page")]
    if not spec.declared:
        return at.switch_page(os.path.relpath(spec.path, os.path.dirname(APP_FILE)))
    at._page_hash = calc_hash(spec.url_path)
    return at
