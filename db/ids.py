"""Collision-resistant text ids, in the spirit of cuid: a letter, a time part and random bits.

The database does not generate ids (ERRATA: ids are text made by the application), so rows written
by other clients with ids of their own fit beside ours.
"""

import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def new_id() -> str:
    """25 characters: 'c', 8 of milliseconds since the epoch, 16 random (about 82 bits)."""
    return "c" + _base36(time.time_ns() // 1_000_000, 8) + _base36(secrets.randbits(83), 16)


def id_from_int(number: int) -> str:
    """A deterministic id of the same shape, for demo data built from a fixed random seed."""
    return "c" + _base36(number, 24)
