"""Dashboard sign-in state: server-side sessions and the failed-login throttle.

Both live in the database, not in a Streamlit session, because a browser refresh or a new tab
starts a new Streamlit session: a lockout must survive that, and a sign-in must be resumable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, ForeignKey, Index, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamp, created_at_column, id_column, updated_at_column


class AuthSession(Base):
    """One signed-in browser. Only a SHA-256 hash of the cookie's token is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index(None, "user_id", "revoked_at"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = created_at_column()
    last_seen_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[Timestamp]  # the absolute limit; the idle limit is last_seen_at + policy
    revoked_at: Mapped[Timestamp | None]
    revoked_reason: Mapped[str | None]
    ip_address: Mapped[str | None]
    user_agent: Mapped[str | None]


class LoginThrottle(Base):
    """Recent failed sign-ins per email address (lower-cased).

    Keyed by the address typed, not by user id, so an unknown address is throttled exactly like a
    real one and the lockout message cannot tell an attacker which addresses exist.
    """

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(primary_key=True)
    recent_failures: Mapped[list[datetime]] = mapped_column(
        ARRAY(TIMESTAMP(timezone=True)), default=list, server_default=text("'{}'")
    )
    locked_until: Mapped[Timestamp | None]
    updated_at: Mapped[datetime] = updated_at_column()
