"""Every CHECK, NOT NULL, UNIQUE and foreign key rejects a bad row with its SQLSTATE.

Each case starts from a valid row (tests.fixtures.valid_rows) and breaks one thing, inside a savepoint.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.fixtures.prisma_spec import parse_models
from tests.fixtures.valid_rows import BUILDERS, baseline, create, insert

SPEC_TABLES = sorted(m.table for m in parse_models().values())

# One violating override per CHECK constraint of the schema.
CHECK_VIOLATIONS = {
    "ck_audit_logs_impact_level": ("audit_logs", {"impact_level": "catastrophic"}),
    "ck_hospitals_latitude": ("hospitals", {"latitude": 91}),
    "ck_hospitals_longitude": ("hospitals", {"longitude": -181}),
    "ck_hospitals_verification_status": ("hospitals", {"verification_status": "maybe"}),
    "ck_hospitals_diversion_has_reason": ("hospitals", {"accepting_patients": False, "diversion_reason": None}),
    "ck_hospitals_facility_type": ("hospitals", {"facility_type": "hospice"}),  # migration 0026 (peers)
    "ck_ambulance_requests_status": ("ambulance_requests", {"status": "lost"}),
    "ck_ambulance_requests_eta_non_negative": ("ambulance_requests", {"ambulance_eta": -5}),
    "ck_documents_verification_status": ("documents", {"verification_status": "approved?"}),
    "ck_hospital_compliance_tracking_score_0_100": ("hospital_compliance_tracking", {"score": 101}),
    "ck_hospital_compliance_tracking_status": ("hospital_compliance_tracking", {"status": "fine"}),
    "ck_hospital_financial_data_amount_non_negative": ("hospital_financial_data", {"amount": -1}),
    "ck_hospital_financial_data_fiscal_month_yyyy_mm": ("hospital_financial_data", {"fiscal_month": "2026-13"}),
    "ck_hospital_financial_data_transaction_type": ("hospital_financial_data", {"transaction_type": "gift"}),
    "ck_hospital_resources_status": ("hospital_resources", {"status": "gone"}),
    "ck_hospital_resources_quantities_non_negative": (
        "hospital_resources",
        {"total_quantity": 0, "available_quantity": -1, "in_use_quantity": 1, "maintenance_quantity": 0},
    ),
    "ck_hospital_resources_quantities_add_up": ("hospital_resources", {"total_quantity": 11}),
    "ck_notifications_type": ("notifications", {"type": "spam"}),
    "ck_patient_waitlist_priority": ("patient_waitlist", {"priority": "whenever"}),
    "ck_patient_waitlist_status": ("patient_waitlist", {"status": "asleep"}),
    "ck_patient_waitlist_wait_non_negative": ("patient_waitlist", {"estimated_wait_time": -1}),
    "ck_profiles_consultation_rate": ("profiles", {"consultation_rate": -100}),
    "ck_profiles_experience": ("profiles", {"years_of_experience": -1}),
    "ck_wallets_balance_non_negative": ("wallets", {"balance": -0.01}),
    "ck_agent_assignments_status": ("agent_assignments", {"status": "idle"}),
    "ck_agent_assignments_completed_after_assigned": (
        "agent_assignments",
        {"assigned_at": "2026-11-02T00:00:00Z", "completed_at": "2026-11-01T00:00:00Z"},
    ),
    "ck_agent_assisted_patients_booking_count": ("agent_assisted_patients", {"appointment_booking_count": -1}),
    "ck_agent_assisted_patients_status": ("agent_assisted_patients", {"status": "zombie"}),
    "ck_appointments_appointment_time_hhmm": ("appointments", {"appointment_time": "25:00"}),
    "ck_appointments_consultation_type": ("appointments", {"consultation_type": "telepathy"}),
    "ck_appointments_status": ("appointments", {"status": "maybe"}),
    "ck_conversations_status": ("conversations", {"status": "open-ish"}),
    "ck_conversations_type": ("conversations", {"type": "gossip"}),
    "ck_emergency_requests_severity": ("emergency_requests", {"severity": "meh"}),
    "ck_emergency_requests_status": ("emergency_requests", {"status": "forgotten"}),
    "ck_hospital_patients_status": ("hospital_patients", {"status": "escaped"}),
    "ck_hospital_patients_discharge_after_admission": (
        "hospital_patients",
        {"admission_date": "2026-11-02T00:00:00Z", "discharge_date": "2026-11-01T00:00:00Z"},
    ),
    "ck_prescriptions_status": ("prescriptions", {"status": "eaten"}),
    "ck_wallet_transactions_amount_positive": ("wallet_transactions", {"amount": 0}),
    "ck_wallet_transactions_balance_after_non_negative": ("wallet_transactions", {"balance_after": -1}),
    "ck_wallet_transactions_transaction_type": ("wallet_transactions", {"transaction_type": "refund"}),
    "ck_consultation_sessions_duration_non_negative": ("consultation_sessions", {"duration_minutes": -1}),
    "ck_consultation_sessions_session_type": ("consultation_sessions", {"session_type": "smoke"}),
    "ck_consultation_sessions_status": ("consultation_sessions", {"status": "paused?"}),
    "ck_consultation_sessions_ended_after_started": (
        "consultation_sessions",
        {"started_at": "2026-11-02T10:00:00Z", "ended_at": "2026-11-02T09:00:00Z"},
    ),
    "ck_consultation_sessions_payment_status": ("consultation_sessions", {"payment_status": "owed"}),
    "ck_consultation_sessions_rate_non_negative": ("consultation_sessions", {"consultation_rate": -1}),
    "ck_messages_sender_type": ("messages", {"sender_type": "ghost"}),
    "ck_messages_message_type": ("messages", {"message_type": "hologram"}),
    "ck_consultation_rooms_room_status": ("consultation_rooms", {"room_status": "on fire"}),
}


def _sqlstate(session, table, values) -> str | None:
    savepoint = session.begin_nested()
    try:
        insert(session, table, values)
        session.flush()
    except DBAPIError as exc:
        savepoint.rollback()
        return exc.orig.sqlstate
    savepoint.rollback()
    return None


def test_builders_cover_every_table():
    assert set(BUILDERS) == set(SPEC_TABLES)


@pytest.mark.parametrize("table", SPEC_TABLES)
def test_baseline_rows_are_valid(db_session, table):
    assert _sqlstate(db_session, table, baseline(db_session, table)) is None


def test_every_check_constraint_has_a_case(db_session):
    names = set(
        db_session.execute(
            text("select conname from pg_constraint where contype = 'c' and conrelid::regclass::text = ANY(:tables)"),
            {"tables": SPEC_TABLES},
        ).scalars()
    )
    assert names == set(CHECK_VIOLATIONS)


@pytest.mark.parametrize("constraint", sorted(CHECK_VIOLATIONS))
def test_check_constraint_rejects_a_bad_row(db_session, constraint):
    table, overrides = CHECK_VIOLATIONS[constraint]
    values = {**baseline(db_session, table), **overrides}
    savepoint = db_session.begin_nested()
    with pytest.raises(DBAPIError) as caught:
        insert(db_session, table, values)
    savepoint.rollback()
    assert caught.value.orig.sqlstate == "23514"
    assert caught.value.orig.diag.constraint_name == constraint


def _not_null_columns(session, table):
    return session.execute(
        text(
            "select column_name from information_schema.columns "
            "where table_schema='public' and table_name=:t and is_nullable='NO'"
        ),
        {"t": table},
    ).scalars()


@pytest.mark.parametrize("table", SPEC_TABLES)
def test_not_null_columns_reject_null(db_session, table):
    base = baseline(db_session, table)
    for column in _not_null_columns(db_session, table):
        assert _sqlstate(db_session, table, {**base, column: None}) == "23502", f"{table}.{column}"


def _unique_constraints(session, table):
    return session.execute(
        text(
            """
            select c.conname, array_agg(a.attname::text order by a.attnum)
            from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = ANY(c.conkey)
            where c.contype in ('u', 'p') and c.conrelid = CAST(:t AS regclass)
            group by c.conname
            """
        ),
        {"t": table},
    ).all()


@pytest.mark.parametrize("table", SPEC_TABLES)
def test_unique_and_primary_keys_reject_duplicates(db_session, table):
    first = create(db_session, table)
    for name, columns in _unique_constraints(db_session, table):
        second = {**baseline(db_session, table), **{c: first[c] for c in columns}}
        assert _sqlstate(db_session, table, second) == "23505", name


def _foreign_keys(session, table):
    """(name, its columns): a two-column key such as a hospital's (state, lga) -> nigerian_lgas (migration 0021)
    checks only when every column is set, so an orphan sets them all."""
    return session.execute(
        text(
            """
            select c.conname, array_agg(a.attname order by k.n) from pg_constraint c
            cross join unnest(c.conkey) with ordinality as k(attnum, n)
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
            where c.contype = 'f' and c.conrelid = CAST(:t AS regclass)
            group by c.conname
            """
        ),
        {"t": table},
    ).all()


@pytest.mark.parametrize("table", SPEC_TABLES)
def test_foreign_keys_reject_orphans(db_session, table):
    base = baseline(db_session, table)
    for name, columns in _foreign_keys(db_session, table):
        assert _sqlstate(db_session, table, {**base, **dict.fromkeys(columns, "no-such-row")}) == "23503", name


def test_there_are_unique_and_foreign_keys_to_test(db_session):
    uniques = sum(len(_unique_constraints(db_session, t)) for t in SPEC_TABLES)
    fks = sum(len(_foreign_keys(db_session, t)) for t in SPEC_TABLES)
    spec_uniques = sum("@unique" in f.attributes for m in parse_models().values() for f in m.fields)
    assert spec_uniques == 6
    # A primary key per table, the document's @unique fields, and one addition: hospital_compliance_tracking's
    # (id, hospital_id), the target of the checklist answers' and evidence's two-column keys (migration 0024).
    assert uniques == 26 + spec_uniques + 1
    assert fks >= 35
