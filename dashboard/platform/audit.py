"""The audit trail: one function records every write and every sensitive read or export.

`record` adds the row to the caller's Session, so it commits (or rolls back) with the write it
describes. Refusals and failed sign-ins are different: the caller's transaction is about to be
rolled back, yet the attempt must stay on record, so `record_refusal` and `record_independent`
write on a connection of their own.

What is recorded is bounded: the trail is append-only and kept for years, so text a visitor
controls (a link's `?hospital=`, a search, a user agent) is cut to a length no form allows, with a
note of how long it was (`bounded`). Log lines are bounded the same way (`bound_log_records`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, select
from sqlalchemy.orm import Session

from dashboard.platform.actors import Actor, ClientInfo
from db.models import AuditLog
from db.row_scope import apply_user, current_user_id

_log = logging.getLogger(__name__)

# Never copied into an audit row, whatever a caller passes.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash", "reset_password_token"})

CATEGORY_AUTH = "authentication"
CATEGORY_USERS = "user_management"
CATEGORY_ACCESS = "data_access"
CATEGORY_SECURITY = "security"
ANONYMOUS_USER = "anonymous"
# A page reruns on every click; the same read by the same browser session within this window is one read.
READ_REPEAT_WINDOW = timedelta(minutes=10)


# Ids are uuids (36 characters); a longer one came from a hand-made link.
MAX_ID_CHARS = 200
# Longer than any text a form accepts (notes: 1,000), so only hand-made requests are cut.
MAX_VALUE_CHARS = 1_000
MAX_AGENT_CHARS = 500
MAX_ADDRESS_CHARS = 100
MAX_LIST_ITEMS = 100
# A log record's message, each line of it, and its traceback.
MAX_LOG_CHARS = 2_000
MAX_LOG_LINE_CHARS = 1_000
MAX_TRACEBACK_CHARS = 20_000


def bounded(text: str | None, limit: int) -> str | None:
    """`text` cut to at most `limit` characters, ending with a note of its full length when cut.

    Applying it twice changes nothing, so a value compared with what was stored (record_read) matches.
    """
    if text is None or len(text) <= limit:
        return text
    note = f"… [cut: {len(text):,} characters]"
    return text[: max(0, limit - len(note))] + note


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        # jsonb refuses \u0000; the audit row must still be written
        return bounded(value.replace("\x00", ""), MAX_VALUE_CHARS)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {bounded(str(k), MAX_ID_CHARS): _jsonable(v) for k, v in list(value.items())[:MAX_LIST_ITEMS]}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        items = list(value)
        kept = [_jsonable(v) for v in items[:MAX_LIST_ITEMS]]
        if len(items) > MAX_LIST_ITEMS:
            kept.append(f"… [cut: {len(items):,} items]")
        return kept
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):  # enums
        return value.value
    return value


def _text(value: str | None, limit: int) -> str | None:
    return bounded(value.replace("\x00", ""), limit) if isinstance(value, str) and value else None


def _clean(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in (values or {}).items() if k not in SECRET_FIELDS}


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value changed, as (old, new), with secrets left out."""
    keys = [k for k in new if k not in SECRET_FIELDS and old.get(k) != new.get(k)]
    return _clean({k: old.get(k) for k in keys}), _clean({k: new[k] for k in keys})


def build_row(
    *,
    user_id: str,
    hospital_id: str | None,
    client: ClientInfo,
    action_category: str,
    action_type: str,
    resource_type: str | None = None,
    resource_id: str | None = None,
    old_values: Mapping[str, Any] | None = None,
    new_values: Mapping[str, Any] | None = None,
    impact_level: str = "low",
    compliance_relevant: bool = False,
    financial_impact: Decimal | None = None,
) -> AuditLog:
    return AuditLog(
        user_id=user_id,
        hospital_id=hospital_id,
        action_category=action_category,
        action_type=action_type,
        resource_type=resource_type,
        resource_id=_text(resource_id, MAX_ID_CHARS),  # ids can come from a link: NUL or 100,000 characters
        old_values=_clean(old_values),
        new_values=_clean(new_values),
        impact_level=impact_level,
        compliance_relevant=compliance_relevant,
        financial_impact=financial_impact if financial_impact is not None else Decimal(0),
        session_id=_text(client.session_id, MAX_ID_CHARS),
        ip_address=_text(client.ip_address, MAX_ADDRESS_CHARS),
        user_agent=_text(client.user_agent, MAX_AGENT_CHARS),
    )


def record(
    db: Session,
    actor: Actor,
    *,
    action_category: str,
    action_type: str,
    resource_type: str | None = None,
    resource_id: str | None = None,
    old_values: Mapping[str, Any] | None = None,
    new_values: Mapping[str, Any] | None = None,
    impact_level: str = "low",
    compliance_relevant: bool = False,
    financial_impact: Decimal | None = None,
    concerns_hospital: str | None = None,
) -> AuditLog:
    """Add an audit row for `actor` to the caller's transaction (flushed, not committed).

    The row's hospital is the actor's; a network-wide actor's change to one hospital's record names
    that hospital (`concerns_hospital`), so the hospital's own administrators see it in their trail.
    """
    row = build_row(
        user_id=actor.user_id,
        hospital_id=actor.hospital_id or concerns_hospital,
        client=actor.client,
        action_category=action_category,
        action_type=action_type,
        resource_type=resource_type,
        resource_id=resource_id,
        old_values=old_values,
        new_values=new_values,
        impact_level=impact_level,
        compliance_relevant=compliance_relevant,
        financial_impact=financial_impact,
    )
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True)
class Recorder:
    """A module's one audit recorder: its category and record type said once, each row in one line.

        _audit = audit.Recorder(CATEGORY_PATIENTS, "hospital_patient")
        _audit(db, actor, "patient_admitted", admission.id, new={...}, hospital=admission.hospital_id)

    The row goes into the caller's transaction, like `record`.
    """

    category: str
    resource_type: str | None
    impact: str = "low"
    compliance_relevant: bool = False

    def __call__(
        self,
        db: Session,
        actor: Actor,
        action: str,
        record_id: str | None = None,
        *,
        old: Mapping[str, Any] | None = None,
        new: Mapping[str, Any] | None = None,
        hospital: str | None = None,
        impact: str | None = None,
        money: Decimal | None = None,
        resource_type: str | None = None,
    ) -> AuditLog:
        return record(
            db,
            actor,
            action_category=self.category,
            action_type=action,
            resource_type=resource_type or self.resource_type,
            resource_id=record_id,
            old_values=old,
            new_values=new,
            impact_level=impact or self.impact,
            compliance_relevant=self.compliance_relevant,
            financial_impact=money,
            concerns_hospital=hospital,
        )


def _engine_of(db: Session) -> Engine:
    bind = db.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def record_read(
    db: Session, actor: Actor, *, action_type: str, resource_type: str, values: Mapping[str, Any]
) -> AuditLog | None:
    """A sensitive read, recorded once per browser session, working scope and question.

    Streamlit reruns a page for every click on it (a sort, an expander, the export button), so the
    same read would otherwise fill the trail with copies. A read is left out when the same user,
    browser session and scope made it (same action, same values) within READ_REPEAT_WINDOW; a new
    filter, page or scope is a new row. Returns the new row, or None when the read was on record.
    """
    values = _clean(values)
    if actor.client.session_id is not None:
        on_record = db.scalar(
            select(
                exists().where(
                    AuditLog.user_id == actor.user_id,
                    AuditLog.created_at >= func.now() - READ_REPEAT_WINDOW,
                    AuditLog.action_type == action_type,
                    AuditLog.session_id == actor.client.session_id,
                    AuditLog.hospital_id == actor.hospital_id,  # IS NULL for a network-wide actor
                    AuditLog.new_values == values,
                )
            )
        )
        if on_record:
            return None
    return record(
        db,
        actor,
        action_category=CATEGORY_ACCESS,
        action_type=action_type,
        resource_type=resource_type,
        new_values=values,
        compliance_relevant=True,
    )


def record_export(
    db: Session, actor: Actor, *, action_type: str, resource_type: str, filters: Mapping[str, Any], rows: int
) -> AuditLog:
    """An export took data out of the dashboard: say what, under which filters, and how many rows."""
    return record(
        db,
        actor,
        action_category=CATEGORY_ACCESS,
        action_type=action_type,
        resource_type=resource_type,
        new_values={**filters, "rows": rows},
        impact_level="medium",
        compliance_relevant=True,
    )


def record_independent(db: Session, row: AuditLog) -> None:
    """Commit `row` on a separate connection, so it survives the caller's rollback.

    The caller's acting user goes with it: the database checks the row against it (migration 0012).
    """
    acting = current_user_id(db)
    with Session(_engine_of(db)) as own, own.begin():
        if acting is not None:
            apply_user(own, acting)
        own.add(row)


def record_refusal(
    db: Session,
    actor: Actor,
    *,
    action_type: str,
    resource_type: str | None,
    resource_id: str | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """A refused attempt (role or scope): audited at once, independent of the caller's transaction."""
    _log.warning(
        "refused %s by user %s on %s %r", action_type, actor.user_id, resource_type, _text(resource_id, MAX_ID_CHARS)
    )
    record_independent(
        db,
        build_row(
            user_id=actor.user_id,
            hospital_id=actor.hospital_id,
            client=actor.client,
            action_category=CATEGORY_SECURITY,
            action_type=action_type,
            resource_type=resource_type,
            resource_id=resource_id,
            new_values=detail,
            impact_level="high",
            compliance_relevant=True,
        ),
    )


def _bound_log_text(text: str, limit: int) -> str:
    lines = [bounded(line, MAX_LOG_LINE_CHARS) or "" for line in text.splitlines()]
    return bounded("\n".join(lines), limit) or ""


def bound_log_records() -> None:
    """Bound every log record of this process: its message and each line of its traceback.

    A log line can carry what a visitor typed (a 100,000-character link, a database error quoting
    the value it refused); written on every request, that fills the disk. Installed once per
    process (dashboard/asgi.py and dashboard/app.py), for our loggers, Streamlit's and uvicorn's.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "healthdash_bounded", False):
        return

    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to logging's own error report
            return record
        if len(message) > MAX_LOG_LINE_CHARS or "\n" in message:
            record.msg, record.args = _bound_log_text(message, MAX_LOG_CHARS), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _bound_log_text(logging.Formatter().formatException(record.exc_info),
                                              MAX_TRACEBACK_CHARS)  # fmt: skip
        return record

    make.healthdash_bounded = True
    logging.setLogRecordFactory(make)
