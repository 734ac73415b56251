"""The document's four seed records, idempotently, with bcrypt cost 12."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from db.models import Hospital, Profile, User
from db.passwords import verify_password
from db.seed import SEED_ACCOUNTS, seed


def _counts(session):
    return (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Profile)),
        session.scalar(select(func.count()).select_from(Hospital)),
    )


def test_seed_creates_the_four_records_and_twice_is_once(db_session):
    before = _counts(db_session)
    first = seed(db_session)
    assert len(first.created) == 4
    after_once = _counts(db_session)
    second = seed(db_session)
    assert second.created == []
    assert _counts(db_session) == after_once
    assert after_once[0] - before[0] == 3 and after_once[2] - before[2] == 1

    admin = db_session.scalar(select(User).where(User.email == "admin@healthcare.com"))
    assert admin.profile.role == "ADMIN"
    assert admin.password.startswith("$2b$12$")  # bcrypt, cost 12
    assert verify_password("admin123", admin.password)
    assert not verify_password("admin124", admin.password)

    physician = db_session.scalar(select(User).where(User.email == "physician@healthcare.com")).profile
    assert physician.specialization == "Cardiology"
    assert physician.consultation_rate == 50000
    assert physician.hospital.name == "General Hospital Lagos"
    assert physician.hospital.latitude == Decimal("6.5244")
    assert len(SEED_ACCOUNTS) == 3


def test_two_seeds_at_once_create_the_records_once(fresh_database):
    # The hospital has no unique key to stop a second copy; the seed's lock must.
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.orm import Session

    from db import migrate
    from db.engine import make_engine

    engine = make_engine(fresh_database)
    try:
        migrate.upgrade(engine)

        def run_seed(_):
            with Session(engine) as session, session.begin():
                return len(seed(session).created)

        with ThreadPoolExecutor(max_workers=2) as pool:
            created = sorted(pool.map(run_seed, range(2)))
        with Session(engine) as session:
            assert _counts(session) == (3, 3, 1)
        assert created == [0, 4]
    finally:
        engine.dispose()
