"""Dashboard accounts (the four staff roles): list, export, activate or deactivate, change role, reset a
password. ADMIN only.

Each command changes one account, ends that user's sessions where access shrinks, and writes its
audit row in the same transaction. What an account must be to sign in is accounts.py's rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dashboard.domains.people import accounts, throttle
from dashboard.domains.people.passwords import validate_new_password
from dashboard.domains.people.sessions import revoke_user_sessions
from dashboard.platform import audit, permissions
from dashboard.platform.actors import STAFF_ROLES, Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.inputs import usable_id
from dashboard.platform.paging import Page, fetch_capped, fetch_page, like_pattern
from dashboard.platform.scope import limit_to_scope, require_in_scope, require_role
from db.base import UserRole
from db.models import AuditLog, AuthSession, Hospital, LoginThrottle, Profile, User
from db.passwords import hash_password

ADMINS_ONLY = permissions.writers("users")
_audit = audit.Recorder(audit.CATEGORY_USERS, "user", impact="high", compliance_relevant=True)


@dataclass(frozen=True)
class StaffRow:
    user_id: str
    email: str
    first_name: str | None
    last_name: str | None
    role: UserRole
    hospital_id: str | None
    hospital_name: str | None
    is_active: bool
    last_sign_in: datetime | None
    locked_until: datetime | None  # sign-in paused after repeated failures; a password reset lifts it

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "(no name)"


@permissions.reads("users", "manage users")
def list_staff(db: Session, actor: Actor, *, search: str = "", page: int = 1, page_size: int = 25) -> Page[StaffRow]:
    rows, total, page, page_size = fetch_page(db, _staff_query(actor, search), page=page, page_size=page_size)
    # Staff names and emails are personal data: who looked, at what, is on record (once per question).
    asked = {"search": search.strip() or None, "page": page}
    audit.record_read(db, actor, action_type="staff_accounts_viewed", resource_type="user", values=asked)
    return Page([StaffRow(*r) for r in rows], total, page, page_size)


@permissions.reads("users", "export the user list")
def export_staff(db: Session, actor: Actor, *, search: str = "") -> tuple[list[StaffRow], bool]:
    """Every dashboard account the list shows, up to paging.EXPORT_LIMIT; emails are personal data, so audited."""
    rows, truncated = fetch_capped(db, _staff_query(actor, search))
    asked = {"search": search.strip() or None}
    audit.record_export(db, actor, action_type="staff_accounts_exported", resource_type="user", filters=asked,
                        rows=len(rows))  # fmt: skip
    return [StaffRow(*r) for r in rows], truncated


def _staff_query(actor: Actor, search: str) -> Select:
    # The audit trail records every sign-in (this dashboard's and, in the demo, a year of history);
    # sessions alone would miss sign-ins whose session rows were cleaned up or never written.
    session_started = (
        select(func.max(AuthSession.created_at)).where(AuthSession.user_id == User.id).correlate(User).scalar_subquery()
    )
    signed_in_on_record = (
        select(func.max(AuditLog.created_at))
        .where(AuditLog.user_id == User.id, AuditLog.action_type == "login_succeeded")
        .correlate(User)
        .scalar_subquery()
    )
    last_sign_in = func.greatest(session_started, signed_in_on_record)
    # Throttles are kept per lower-cased email (a lockout must not tell whether an address exists).
    locked_until = (
        select(LoginThrottle.locked_until)
        .where(LoginThrottle.email == func.lower(User.email), LoginThrottle.locked_until > func.now())
        .correlate(User)
        .scalar_subquery()
    )
    stmt = (
        select(
            User.id,
            User.email,
            Profile.first_name,
            Profile.last_name,
            Profile.role,
            Profile.hospital_id,
            Hospital.name,
            Profile.is_active,
            last_sign_in,
            locked_until,
        )
        .join(Profile, Profile.user_id == User.id)
        .outerjoin(Hospital, Hospital.id == Profile.hospital_id)
        .where(Profile.role.in_(STAFF_ROLES))
    )
    if search.strip():
        pattern = like_pattern(search.strip())
        stmt = stmt.where(
            or_(User.email.ilike(pattern), Profile.first_name.ilike(pattern), Profile.last_name.ilike(pattern))
        )
    return limit_to_scope(stmt, actor, Profile.hospital_id).order_by(User.email, User.id)


def _lock_account(db: Session, actor: Actor, user_id: str) -> tuple[User, Profile]:
    """An account's user and profile rows, locked for the caller's change, if they are in the actor's scope.

    A missing account is NotFound; one in another hospital is refused and the refusal audited.
    """
    if not usable_id(user_id):  # a hand-made request's id; no account has one PostgreSQL cannot store
        raise NotFound("That account no longer exists.")
    row = db.execute(
        select(User, Profile).join(Profile, Profile.user_id == User.id).where(User.id == user_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("That account no longer exists.")
    user, profile = row
    require_in_scope(db, actor, resource_type="user", resource_id=user_id, row_hospital_id=profile.hospital_id)
    return user, profile


def _staff_profile(db: Session, actor: Actor, user_id: str) -> tuple[User, Profile]:
    try:
        user, profile = _lock_account(db, actor, user_id)
    except NotFound:
        raise NotFound("That staff account no longer exists.") from None
    if not accounts.is_staff(profile):
        raise NotFound("That staff account no longer exists.")
    return user, profile


def set_active(db: Session, actor: Actor, user_id: str, active: bool) -> None:
    require_role(db, actor, ADMINS_ONLY, "activate or deactivate accounts")
    if user_id == actor.user_id and not active:
        raise InvalidInput("You cannot deactivate your own account. Ask another network administrator.")
    user, profile = _staff_profile(db, actor, user_id)
    if profile.is_active == active:
        return
    old, new = audit.changes({"is_active": profile.is_active}, {"is_active": active})
    profile.is_active = active
    if not active:
        revoke_user_sessions(db, user.id, "deactivated")
    action = "user_activated" if active else "user_deactivated"
    _audit(db, actor, action, user.id, old=old, new={**new, "email": user.email}, hospital=profile.hospital_id)


def role_change_problem(role: UserRole, hospital_id: str | None) -> str | None:
    """What is wrong with giving an account this role and hospital, in words; None when it is allowed.

    The page asks before offering the confirmation; change_role asks again, whatever the page did.
    """
    if role not in STAFF_ROLES:
        return "Pick one of the dashboard roles."
    if accounts.needs_a_hospital(role, hospital_id):
        return "A hospital administrator needs a hospital. Pick one."
    return None


def change_role(db: Session, actor: Actor, user_id: str, role: UserRole, hospital_id: str | None) -> None:
    """Give a staff account another staff role and hospital (None: network-wide; not for HOSPITAL_ADMIN)."""
    require_role(db, actor, ADMINS_ONLY, "change roles")
    if user_id == actor.user_id:
        raise InvalidInput("You cannot change your own role. Ask another network administrator.")
    problem = role_change_problem(role, hospital_id)
    if problem:
        raise InvalidInput(problem)
    if role is UserRole.ADMIN:
        hospital_id = None  # network administrators are network-wide by definition
    if hospital_id is not None:
        if not usable_id(hospital_id) or db.scalar(select(Hospital.id).where(Hospital.id == hospital_id)) is None:
            raise NotFound("That hospital no longer exists.")
        require_in_scope(db, actor, resource_type="hospital", resource_id=hospital_id, row_hospital_id=hospital_id)
    user, profile = _staff_profile(db, actor, user_id)
    old, new = audit.changes(
        {"role": profile.role, "hospital_id": profile.hospital_id}, {"role": role, "hospital_id": hospital_id}
    )
    if not new:
        return
    # The trail shows the change to the hospital the account works for from now on (or, made
    # network-wide, the one it leaves); the row's values name both.
    concerns = hospital_id or profile.hospital_id
    profile.role = role
    profile.hospital_id = hospital_id
    _audit(db, actor, "role_changed", user.id, old=old, new={**new, "email": user.email}, hospital=concerns)


def reset_password(db: Session, actor: Actor, user_id: str, new_password: str, *, now: datetime | None = None) -> None:
    """Set another user's password, end their sessions, lift the email's wait, forget its browsers."""
    require_role(db, actor, ADMINS_ONLY, "reset passwords")
    if user_id == actor.user_id:
        # A reset skips the current-password check; an unattended session must not change its own password.
        raise InvalidInput("To change your own password, use My account: it asks for your current password.")
    user, profile = _lock_account(db, actor, user_id)
    validate_new_password(new_password)
    user.password = hash_password(new_password)
    revoke_user_sessions(db, user.id, "password_reset", now=now)
    throttle.lift_email_wait(db, user.email)
    # Whoever knew the old password may hold a trusted browser; trust starts again from the new one.
    throttle.forget_trusted_browsers(db, user.email)
    _audit(db, actor, "password_reset", user.id, new={"email": user.email}, hospital=profile.hospital_id)
