"""bcrypt, cost 12, with bcrypt's 72-byte limit made explicit instead of silently truncated."""

from __future__ import annotations

import bcrypt

BCRYPT_COST = 12
MAX_PASSWORD_BYTES = 72


class PasswordTooLong(ValueError):
    def __init__(self) -> None:
        super().__init__(
            f"Passwords can be at most {MAX_PASSWORD_BYTES} bytes long (about {MAX_PASSWORD_BYTES} "
            "letters, fewer with accents or emoji). Choose a shorter one."
        )


def hash_password(password: str, *, cost: int = BCRYPT_COST) -> str:
    raw = password.encode("utf-8")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise PasswordTooLong()
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=cost)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """False for any mismatch, including a password over 72 bytes: never raises on user input."""
    raw = password.encode("utf-8")
    if len(raw) > MAX_PASSWORD_BYTES:
        # Still spend the bcrypt time, so length does not tell anything by timing.
        bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], hashed.encode("ascii"))
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode("ascii"))
    except ValueError:  # a malformed stored hash is a failed login, not a crash
        return False
