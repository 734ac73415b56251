"""The declaration pieces pages and services are built from: Table/Column, Command, @reads, Recorder, Lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.kit import commands
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform import audit, permissions, transitions
from dashboard.platform.actors import Actor, ClientInfo
from dashboard.platform.errors import InvalidInput, NotPermitted
from db.base import UserRole
from db.models import AuditLog
from tests.fixtures import two_hospitals

network = two_hospitals.network


@dataclass
class Row:
    name: str
    hospital_name: str | None
    amount: Decimal | None
    share: float | None
    status: str
    active: bool
    phone: str | None
    when: datetime


ROWS = [
    Row(
        "Ada Obi",
        "Alpha",
        Decimal("1234.5"),
        0.125,
        "in_progress",
        True,
        "0803",
        datetime(2026, 12, 7, 13, 5, tzinfo=UTC),
    ),
    Row("", None, None, None, "done", False, None, datetime(2026, 12, 6, 23, 30, tzinfo=UTC)),
]
TABLE = Table(
    [
        Column("Name", "name"),
        hospital_column(),
        Column("Amount", "amount", "money"),
        Column("Share", "share", "percent"),
        Column("Status", "status", "code"),
        Column("Active", "active", "yes_no"),
        Column("Phone", "phone", export_only=True),
        Column("Day", "when", "date"),
        Column("Initial", lambda r: r.name[:1] or None, screen_only=True),
    ]
)


def test_one_table_declaration_makes_the_screen_and_the_export_frames():
    screen = TABLE.frame(ROWS, network_wide=True)
    assert list(screen.columns) == ["Name", "Hospital", "Amount", "Share", "Status", "Active", "Day", "Initial"]
    first, second = screen.to_dict("records")
    assert first["Amount"].startswith("₦") and "1,234.5" in first["Amount"]
    assert first["Status"] == "In progress" and first["Active"] == "Yes" and first["Day"] == "7 Dec 2026"
    assert second["Name"] == "—" and second["Hospital"] == "—" and second["Amount"] == "—"
    assert second["Day"] == "7 Dec 2026"  # 23:30 UTC is the next day in Lagos
    export = TABLE.frame(ROWS, network_wide=True, for_export=True)
    assert list(export.columns) == ["Name", "Hospital", "Amount", "Share", "Status", "Active", "Phone", "Day"]
    assert export["Amount"].tolist()[0] == pytest.approx(1234.5) and export["Share"].tolist()[0] == 0.125
    assert export["Phone"].tolist() == ["0803", "—"]


def test_the_hospital_column_shows_only_when_the_page_shows_the_network():
    assert "Hospital" not in TABLE.frame(ROWS, network_wide=False).columns
    assert list(TABLE.frame([], network_wide=False).columns)[:2] == ["Name", "Amount"]


def test_a_commands_words_never_reach_its_service():
    discharge = commands.Command("discharge", lambda db, actor, *a, **k: None, done="{name} discharged.")
    words, service_kwargs = commands._split(discharge, {"name": "Ada", "when": "now"})
    assert words == {"name": "Ada"} and service_kwargs == {"when": "now"}
    assert discharge.done.format(**words) == "Ada discharged."


def _actor(network, label: str, role: UserRole, hospital: str | None) -> Actor:
    return Actor(network.users[label], role, hospital, ClientInfo(session_id=f"declarations-{label}"))


@permissions.reads("verification", "see what awaits verification")
def _a_read(db, actor, value):
    return value * 2


def test_reads_checks_marks_and_routes_in_one_declaration(engine, network):
    assert _a_read.required_roles == permissions.readers("verification") and _a_read.replica is False
    admin = _actor(network, "admin", UserRole.ADMIN, None)
    with Session(engine) as db:
        assert _a_read(db, admin, 21) == 42
    refused = _actor(network, "ha_a", UserRole.HOSPITAL_ADMIN, network.hospital_a)
    with Session(engine) as db, pytest.raises(NotPermitted, match="cannot see what awaits verification"):
        _a_read(db, refused, 1)
    with Session(engine) as db:
        rows = db.scalars(
            select(AuditLog.new_values).where(
                AuditLog.user_id == refused.user_id, AuditLog.action_type == "permission_denied"
            )
        ).all()
    assert any((r or {}).get("attempted") == "see what awaits verification" for r in rows)
    marked_only = permissions.reads("overview", replica=True)(lambda db, actor: None)
    assert marked_only.replica is True and marked_only.required_roles == permissions.readers("overview")


def test_a_modules_recorder_writes_the_same_row_as_record(db_session, network):
    from db.row_scope import apply_scope

    admin = _actor(network, "admin", UserRole.ADMIN, None)
    apply_scope(db_session, None, admin.user_id)
    record = audit.Recorder(audit.CATEGORY_ACCESS, "hospital", impact="medium")
    row = record(db_session, admin, "declarations_test", "h-1", new={"a": 1}, hospital=network.hospital_a)
    assert (row.action_category, row.action_type, row.resource_type, row.resource_id) == (
        audit.CATEGORY_ACCESS,
        "declarations_test",
        "hospital",
        "h-1",
    )
    assert row.impact_level == "medium" and row.hospital_id == network.hospital_a and row.new_values == {"a": 1}


VISIT = transitions.Lifecycle(
    "visit",
    {"waiting": {"called", "cancelled"}, "called": {"completed", "cancelled"}, "completed": set(), "cancelled": set()},
)


@pytest.mark.parametrize(
    ("current", "becoming", "words"),
    [
        ("cancelled", "called", "This visit is already cancelled: it can no longer be called."),
        ("waiting", "completed", "This visit is waiting, so it cannot be completed now."),
        ("called", "called", "This visit is already called: nothing to change."),
    ],
)
def test_a_lifecycle_refuses_a_move_in_one_sentence(current, becoming, words):
    with pytest.raises(InvalidInput) as refused:
        VISIT.require(current, becoming)
    assert str(refused.value) == words


def test_a_lifecycle_allows_its_moves_and_knows_its_open_statuses():
    VISIT.require("waiting", "called")
    assert VISIT.may("called", "completed") and not VISIT.may("completed", "called")
    assert VISIT.open_statuses == {"waiting", "called"}


def test_a_count_reads_with_separators_on_screen_and_stays_a_number_in_the_export():
    counts = Table([Column("Ledger entries", "entries", "count")])
    objects = [SimpleNamespace(entries=17_000), SimpleNamespace(entries=None)]
    assert counts.frame(objects, network_wide=False)["Ledger entries"].tolist() == ["17,000", "—"]
    assert counts.frame(objects, network_wide=False, for_export=True)["Ledger entries"].tolist()[0] == 17_000
