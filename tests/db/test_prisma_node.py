"""A Node backend on Prisma 7 against the database Alembic builds (docs/prisma.md is its guide).

The test generates Prisma Client from prisma/schema.prisma with Prisma 7's CLI, offline (prisma/offline.mjs: no
engine download), then runs prisma/check/node_backend.ts with tsx against a throwaway database migrated to head,
as the least-privilege app role (db/roles.py) through @prisma/adapter-pg. The database's own TimeZone is
Africa/Lagos, so a connection that forgets `TimeZone=UTC` shows the hour it loses. The script prints what it saw;
the tests below hold it to the guide: time zones, Prisma's milliseconds against the database's microseconds,
the errors a write meets, and row-level security scopes that end with their transaction.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess

import pytest
from sqlalchemy import text

from db import migrate, roles
from db.engine import make_engine, make_owner_engine
from tests.fixtures.prisma_node import PRISMA, ensure_node_modules, prisma_lock
from tests.fixtures.throwaway import create_database, drop_database

pytestmark = pytest.mark.once  # the Node client against the schema: one server answers it

A, B = "hosp_node_a", "hosp_node_b"
FIXTURE_SQL = [
    f"INSERT INTO hospitals (id, name) VALUES ('{A}', 'Alpha Node'), ('{B}', 'Beta Node')",
    "INSERT INTO users (id, email, password) VALUES ('user_node_staff', 'staff@node.test', 'x'),"
    " ('user_node_doc', 'doc@node.test', 'x'), ('user_node_patient', 'patient@node.test', 'x')",
    "INSERT INTO profiles (id, user_id, role, hospital_id) VALUES"
    f" ('prof_node_staff', 'user_node_staff', 'HOSPITAL_ADMIN', '{A}'),"
    f" ('prof_node_doc', 'user_node_doc', 'PHYSICIAN', '{A}')",
    "INSERT INTO appointments (id, patient_id, physician_id, hospital_id, appointment_date, appointment_time)"
    f" VALUES ('appt_node_a', 'user_node_patient', 'prof_node_doc', '{A}', '2025-03-10 09:30:00+00', '10:30')",
    "INSERT INTO hospital_resources (id, hospital_id, name, category, total_quantity, available_quantity,"
    f" in_use_quantity) VALUES ('res_node_a', '{A}', 'ICU beds', 'beds', 4, 3, 1),"
    f" ('res_node_b', '{B}', 'ICU beds', 'beds', 6, 3, 3)",
    # An audit row at microsecond precision, as Python and the database's now() write them.
    "INSERT INTO audit_logs (id, user_id, hospital_id, action_category, action_type, created_at)"
    f" VALUES ('audit_node_a', 'user_node_staff', '{A}', 'fixture', 'node_check', '2025-03-10 09:30:00.123789+00')",
    # The trigger dates updated_at to the microsecond, whoever writes.
    "UPDATE hospital_resources SET name = 'ICU beds' WHERE id = 'res_node_a'",
]


@pytest.fixture(scope="module")
def seen(admin_url) -> dict:
    """What prisma/check/node_backend.ts saw against a throwaway database, as the app role."""
    node = ensure_node_modules()
    url = create_database(admin_url, prefix="healthdash_node")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    try:
        roles.apply_as_superuser(superuser, names)
        owner = make_owner_engine(roles.as_role(url, names.owner))
        migrate.upgrade(owner)
        assert roles.refresh_grants(owner, names)
        with owner.begin() as conn:
            for statement in FIXTURE_SQL:
                conn.execute(text(statement))
        owner.dispose()
        with superuser.begin() as conn:  # a server or database whose default zone is not UTC
            conn.execute(text(f'ALTER DATABASE "{url.database}" SET TimeZone = \'Africa/Lagos\''))
        fixture = {
            "url": roles.as_role(url, names.app).set(drivername="postgresql").render_as_string(hide_password=False),
            "a": A,
            "b": B,
            "physician": "prof_node_doc",
            "patient": "user_node_patient",
            "user": "user_node_staff",
            "booked": {"id": "appt_node_a", "date": "2025-03-10T09:30:00.000Z", "time": "10:30"},
            "audit": {"id": "audit_node_a", "createdAt": "2025-03-10T09:30:00.123789Z"},
            "resource": "res_node_a",
        }
        with prisma_lock():  # prisma/generated is shared: generate and run it before another run regenerates it
            generated = subprocess.run(
                [node, str(PRISMA / "offline.mjs"), "generate"], capture_output=True, text=True, timeout=120
            )
            assert generated.returncode == 0, f"prisma generate failed:\n{generated.stdout}\n{generated.stderr}"
            assert "Generated Prisma Client (7." in generated.stdout
            result = subprocess.run(
                [str(PRISMA / "node_modules" / ".bin" / "tsx"), str(PRISMA / "check" / "node_backend.ts")],
                capture_output=True,
                text=True,
                timeout=120,
                env={"PATH": os.environ["PATH"], "HEALTHDASH_NODE_CHECK": json.dumps(fixture)},
            )
        assert result.returncode == 0, f"node_backend.ts failed:\n{result.stdout}\n{result.stderr}"
        # Generating fetched no engine: the CLI took prisma/no-schema-engine and the WebAssembly it ships with.
        assert not list((PRISMA / "node_modules" / "@prisma" / "engines").glob("schema-engine*"))
        yield json.loads(result.stdout)
    finally:
        superuser.dispose()
        drop_database(admin_url, url.database)
        with make_engine(admin_url).connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
            conn.commit()


def _cause(error: dict) -> dict:
    """The database's own words, which Prisma 7 keeps under meta.driverAdapterError.cause."""
    return error["meta"]["driverAdapterError"]["cause"]


def test_a_utc_connection_reads_and_writes_instants_right_and_a_lagos_one_an_hour_off(seen):
    zones = seen["timeZone"]
    assert zones["utc"] == {"session": "UTC", "read": "2025-03-10T09:30:00.000Z", "wrote": "2025-03-12T14:00:00.000000"}
    # @prisma/adapter-pg drops the session's offset: Lagos (UTC+1) reads an hour late and writes an hour early.
    assert zones["lagos"] == {
        "session": "Africa/Lagos",
        "read": "2025-03-10T10:30:00.000Z",
        "wrote": "2025-03-12T13:00:00.000000",
    }


def test_the_app_role_reads_and_writes_only_under_a_scope(seen):
    scopes = seen["scopes"]
    # A's ICU beds and the ward Node made there; B's beds; none without a scope; all three across the network.
    assert (scopes["none"], scopes["a"], scopes["b"], scopes["network"]) == (0, 2, 1, 3)
    assert scopes["made"]["auditUser"] == "user_node_staff"  # its audit row, in the same transaction
    assert scopes["updatedOtherHospitals"] == 0  # A's scope cannot touch B's rows
    unscoped = scopes["unscopedWrite"]
    assert unscoped["code"] == "P2039" and _cause(unscoped)["code"] == "42501"
    assert "row-level security" in _cause(unscoped)["message"]


def test_prisma_reads_milliseconds_so_timestamps_are_compared_within_their_millisecond(seen):
    audit, locking = seen["precision"]["audit"], seen["precision"]["locking"]
    # Truncated, not rounded: .123789 reads as .123.
    assert (audit["stored"], audit["read"]) == ("2025-03-10T09:30:00.123789Z", "2025-03-10T09:30:00.123Z")
    assert audit == {**audit, "byId": True, "byKey": False, "byWindow": True}
    assert locking["stored"][:23] == locking["read"][:23]  # the trigger's microseconds, cut to Prisma's milliseconds
    # Equality on updatedAt matches nothing; within its millisecond it matches once, and the stale retry nothing.
    assert (locking["exact"], locking["window"], locking["staleWindow"]) == (0, 1, 0)


def test_the_double_booking_index_is_p2002_naming_the_index(seen):
    error = seen["errors"]["doubleBooking"]
    assert (error["class"], error["code"]) == ("PrismaClientKnownRequestError", "P2002")
    assert _cause(error)["constraint"] == {"index": "uq_appointments_physician_slot"}
    assert _cause(error)["originalCode"] == "23505"
    assert "uq_appointments_physician_slot" in error["message"]


@pytest.mark.parametrize(
    ("case", "sqlstate", "words"),
    [
        ("checkStatus", "23514", 'violates check constraint "ck_appointments_status"'),
        ("checkQuantities", "23514", 'violates check constraint "ck_hospital_resources_quantities_add_up"'),
        ("triggerAuditUser", "42501", "an audit row must name the user acting in this transaction"),
        ("rowSecurity", "42501", 'new row violates row-level security policy for table "hospital_resources"'),
    ],
)
def test_checks_triggers_and_row_security_are_p2039_with_the_databases_words(seen, case, sqlstate, words):
    error = seen["errors"][case]
    assert (error["class"], error["code"]) == ("PrismaClientKnownRequestError", "P2039")
    assert _cause(error)["code"] == sqlstate and words in _cause(error)["message"]


def test_a_create_returns_only_columns_the_role_may_read(seen):
    """The app role reads a notification's id, user, type, read and date only: `create` must `select` within them."""
    refused, selected = seen["errors"]["columnGrantAll"], seen["errors"]["columnGrantSelected"]
    assert refused["code"] == "P2039" and _cause(refused)["message"] == "permission denied for table notifications"
    assert selected["message"] == "accepted"


def test_another_hospitals_row_is_not_found_and_a_missing_parent_is_p2003(seen):
    other, missing = seen["errors"]["otherHospitalById"], seen["errors"]["foreignKey"]
    assert other["code"] == "P2025"  # row-level security hides it: not found, not refused
    assert missing["code"] == "P2003"
    assert _cause(missing)["constraint"] == {"index": "fk_appointments_physician_id_profiles"}


def test_a_scope_set_with_true_ends_with_its_transaction_and_false_leaks_it(seen):
    leaks = seen["leaks"]
    assert leaks["afterFalse"] == 2  # the next, unscoped transaction on that connection saw A's rows
    assert (leaks["during"], leaks["afterTrue"], leaks["settingAfterTrue"]) == (2, 0, "")
