"""The audit trail: one function records every write and every sensitive read or export.

`record` adds the row to the caller's Session, so it commits (or rolls back) with the write it
describes. Refusals and failed sign-ins are different: the caller's transaction is about to be
rolled back, yet the attempt must stay on record, so `record_refusal` and `record_independent`
write on a connection of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, select
from sqlalchemy.orm import Session

from dashboard.services.actors import Actor, ClientInfo
from db.models import AuditLog

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


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")  # jsonb refuses \u0000; the audit row must still be written
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):  # enums
        return value.value
    return value


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
        resource_id=_jsonable(resource_id),  # ids can come from a link: strip what text columns refuse
        old_values=_clean(old_values),
        new_values=_clean(new_values),
        impact_level=impact_level,
        compliance_relevant=compliance_relevant,
        financial_impact=financial_impact if financial_impact is not None else Decimal(0),
        session_id=client.session_id,
        ip_address=client.ip_address,
        user_agent=(client.user_agent or None) and client.user_agent[:500],
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
    """Commit `row` on a separate connection, so it survives the caller's rollback."""
    with Session(_engine_of(db)) as own, own.begin():
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
    _log.warning("refused %s by user %s on %s %s", action_type, actor.user_id, resource_type, resource_id)
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
