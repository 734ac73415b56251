"""What a form or a hand-made request sends, checked before it reaches a query: text and ids."""

from __future__ import annotations

from typing import Any

from dashboard.platform.errors import InvalidInput


def checked_text(value: Any, label: str, limit: int) -> str | None:
    """A free-text field: trimmed, empty as None, at most `limit` characters, else a sentence."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label} must be text.")
    value = value.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if len(value) > limit:
        raise InvalidInput(f"{label} can be at most {limit:,} characters; this has {len(value):,}. Shorten it.")
    return value or None


def usable_id(value: Any) -> bool:
    """Ids come from pickers, but a hand-made request may send anything; PostgreSQL text cannot hold NUL."""
    return isinstance(value, str) and "\x00" not in value
