"""Who is acting, and the one helper that limits a query to what they may see.

A scoped user (a hospital administrator, or an executive or compliance officer tied to a hospital)
sees one hospital; an ADMIN sees the network or the hospital they picked as working scope. Pages
never filter by hospital themselves: services call `limit_to_scope` on every statement, and
`require_in_scope` before touching a single row.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from dashboard.platform import audit
from dashboard.platform.actors import ROLE_NAMES, Actor
from dashboard.platform.errors import NotFound, NotPermitted, OutOfScope
from db.base import UserRole
from db.models import Hospital


def limit_to_scope(stmt: Select, actor: Actor, hospital_column: ColumnElement) -> Select:
    """The one scoping helper: restrict `stmt` to rows whose `hospital_column` is in the actor's scope.

    Rows with no hospital (a NULL hospital_id) are network-level and only network-wide actors see them.
    """
    if actor.network_wide:
        return stmt
    return stmt.where(hospital_column == actor.hospital_id)


def require_role(db: Session, actor: Actor, allowed: frozenset[UserRole] | set[UserRole], what: str) -> None:
    """Refuse (and audit the refusal) unless the actor's role is one of `allowed`."""
    if actor.role in allowed:
        return
    audit.record_refusal(
        db, actor, action_type="permission_denied", resource_type=None, resource_id=None, detail={"attempted": what}
    )
    raise NotPermitted(f"Your role ({ROLE_NAMES.get(actor.role, actor.role.value)}) cannot {what}.")


def require_in_scope(
    db: Session, actor: Actor, *, resource_type: str, resource_id: str, row_hospital_id: str | None
) -> None:
    """Refuse (and audit the refusal) when a single row lies outside the actor's scope."""
    if actor.network_wide or row_hospital_id == actor.hospital_id:
        return
    audit.record_refusal(
        db,
        actor,
        action_type="scope_violation",
        resource_type=resource_type,
        resource_id=resource_id,
        detail={"row_hospital_id": row_hospital_id},
    )
    raise OutOfScope("That record belongs to another hospital, outside your scope.")


def hospital_in_scope(db: Session, actor: Actor, hospital_id: str) -> str:
    """The name of a hospital a command names; refused (and audited) when it lies outside the actor's scope."""
    found = isinstance(hospital_id, str) and "\x00" not in hospital_id
    name = db.scalar(select(Hospital.name).where(Hospital.id == hospital_id)) if found else None
    if name is None:
        raise NotFound("That hospital no longer exists.")
    require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    return name


def with_working_scope(db: Session, actor: Actor, hospital_id: str | None) -> Actor:
    """The actor narrowed to `hospital_id` (None: the whole network), if their role allows it.

    Only an ADMIN picks a working scope; anyone else asking for a scope other than their own is
    refused and audited, whatever a widget or URL said.
    """
    if hospital_id == actor.hospital_id:
        return actor
    if actor.role is not UserRole.ADMIN:
        audit.record_refusal(
            db,
            actor,
            action_type="scope_violation",
            resource_type="hospital",
            resource_id=hospital_id,
            detail={"attempted": "change working scope"},
        )
        raise OutOfScope("Only a network administrator can change the working scope.")
    if hospital_id is not None and (
        "\x00" in hospital_id  # from a hand-made link; PostgreSQL text cannot hold it, so no hospital has it
        or db.scalar(select(Hospital.id).where(Hospital.id == hospital_id)) is None
    ):
        raise NotFound("No hospital matches this link or choice; showing all hospitals instead.")
    return replace(actor, hospital_id=hospital_id)

