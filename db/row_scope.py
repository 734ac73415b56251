"""The scope a unit of work reads and writes under, for row-level security (migration 0005).

Every dashboard unit of work acting for a user starts by setting `healthdash.scope` for its
transaction only: a hospital's id, or NETWORK for the whole network. The database's policies then
refuse rows of other hospitals even if a service forgot to filter; with no scope set they refuse
every scoped row. `set_config(..., true)` ends with the transaction, so a pooled connection never
carries one user's scope into the next transaction.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

SETTING = "healthdash.scope"
NETWORK = "*"
# The user acting in this transaction (migration 0012): the database stamps and checks audit rows with it.
USER_SETTING = "healthdash.user_id"


def apply_scope(session: Session, hospital_id: str | None, user_id: str | None = None) -> None:
    """Set this transaction's scope (`hospital_id`, or the whole network when it is None) and acting user."""
    value = NETWORK if hospital_id is None else hospital_id.replace("\x00", "")
    if user_id is None:
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": SETTING, "value": value})
        return
    # Both in one statement: every unit of work of every page starts here, so a second round trip is paid per read.
    session.execute(
        text("SELECT set_config(:name, :value, true), set_config(:user_name, :user_value, true)"),
        {"name": SETTING, "value": value, "user_name": USER_SETTING, "user_value": user_id.replace("\x00", "")},
    )


def apply_user(session: Session, user_id: str | None) -> None:
    """Set the user acting in this transaction (ends with it); an audit row naming anyone else is refused."""
    value = (user_id or "").replace("\x00", "")
    session.execute(text("SELECT set_config(:name, :value, true)"), {"name": USER_SETTING, "value": value})


def current_user_id(session: Session) -> str | None:
    """The user acting in this transaction, None when there is none."""
    return session.execute(text("SELECT nullif(current_setting(:name, true), '')"), {"name": USER_SETTING}).scalar()


def current_scope(session: Session) -> str | None:
    """The scope set for this transaction, None when there is none."""
    return session.execute(text("SELECT nullif(current_setting(:name, true), '')"), {"name": SETTING}).scalar()
