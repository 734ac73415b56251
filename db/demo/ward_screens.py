"""Ward screens (migration 0019): the wall screens of the demo's story, two of them whatever the scale.

The largest hospital has a screen at its emergency desk, paired and last seen three minutes before the demo's
"now"; the same hospital's old ward B screen was disconnected last week (a broken television, replaced). A
screen's secret exists only in its pairing link, so the demo's screens have none that anyone knows: each key
hash is 256 bits drawn from the build's seeded stream, the hash of no secret anybody holds (the build stays
deterministic, and no screen of a public demo can be paired from its documentation). To show the view, pair
a new screen in Users & roles (docs/demo-data.md).
"""

from __future__ import annotations

from datetime import timedelta

from db.base import UserRole
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import Network
from db.demo.plan import WARD_SCREENS

SCREEN_COLUMNS = (
    "id", "hospital_id", "name", "department", "key_hash", "created_by", "created_at", "last_seen_at", "revoked_at",
    "revoked_by",
)  # fmt: skip


def write_ward_screens(network: Network, writer: CopyWriter) -> None:
    writer.write("ward_screens", SCREEN_COLUMNS, _screens(network))
    writer.finish("ward_screens")


def _screens(network: Network) -> list[tuple]:
    rng = network.rng("ward_screens")
    ids = IdMaker("ward_screens")
    now = network.clock.now
    largest = max(network.hospitals, key=lambda h: (h.size, -h.index))
    admin = largest.staff[UserRole.HOSPITAL_ADMIN].user_id
    unknowable = [f"{rng.getrandbits(256):064x}" for _ in range(WARD_SCREENS)]
    paired_at, replaced_at = now - timedelta(days=40), now - timedelta(days=6)
    return [
        (ids(0), largest.id, "Emergency desk", None, unknowable[0], admin, paired_at, now - timedelta(minutes=3),
         None, None),
        (ids(1), largest.id, "Ward B nurses' station", None, unknowable[1], admin, now - timedelta(days=200),
         replaced_at - timedelta(hours=2), replaced_at, admin),
    ]  # fmt: skip
