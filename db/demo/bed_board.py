"""The bed board at the first few hospitals: their beds one by one, each ward's occupied beds its admitted patients.

A hospital on the board (the first BOARD_SHARE of the network, db/demo/plan.py: at least one, never all, the
others keep typing their counts) has a bed row for every unit of each of its bed resources, in the resource's own
counts: as many free beds as it has available, an occupied bed for each current admission holding it
(its patient, since the admission), and its "maintenance" beds cleaning, blocked (with a reason) or
reserved (for whom). The database would set the counts from the beds anyway (migration 0015); the
build copies beds that already agree, with that recount switched off while it copies.

The story: before the resources are written, `with_story_beds` gives each board hospital's general ward
two more beds out of use (one being cleaned after a discharge, one blocked) and its maternity ward one
more (reserved for a booked admission). They add to the total and to maintenance alike, so the usable
beds, the occupancy and its history (db/demo/wards.py) are exactly what they were. The general ward
is split in two wards, the first filled with its occupied beds: Ward A is full.
"""

from __future__ import annotations

from datetime import timedelta

from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import demo_id
from db.demo.network import HospitalNode, Network
from db.demo.plan import board_hospital_count
from db.demo.resources import BED_POSITIONS, ISOLATION_BEDS
from db.rules import CURRENT_ADMISSION_STATUSES, GENERAL_WARD_BEDS, ICU_BEDS, MATERNITY_BEDS, PAEDIATRIC_BEDS

BED_COLUMNS = (
    "id", "hospital_id", "resource_id", "ward", "label", "bed_type", "state", "state_since", "reason",
    "admission_id", "created_at", "updated_at",
)  # fmt: skip
# Each bed resource's ward(s) and kind of bed. The general ward is split in two wards once it has this many beds.
WARDS = {
    GENERAL_WARD_BEDS: ("Ward A", "general"),
    MATERNITY_BEDS: ("Maternity", "maternity"),
    PAEDIATRIC_BEDS: ("Children's ward", "paediatric"),
    ICU_BEDS: ("ICU", "icu"),
    ISOLATION_BEDS: ("Isolation", "isolation"),
}
SPLIT_GENERAL_AT = 4
# The extra out-of-use beds of the story, per bed resource, in the order the maintenance beds are given states.
STORY_BEDS = {GENERAL_WARD_BEDS: ("cleaning", "blocked"), MATERNITY_BEDS: ("reserved",)}
BLOCKED_REASONS = ("Broken bed rail, awaiting repair", "Oxygen point out of order", "Mattress condemned, awaiting "
                   "a new one", "Leaking roof above the bed")  # fmt: skip
RESERVED_FOR = ("Booked caesarean section, arriving this afternoon", "Referral from a general hospital, on its way")
RECOUNT_TRIGGER = "trg_beds_recount"


def board_hospitals(network: Network) -> list[HospitalNode]:
    """The hospitals that keep their beds on the board: the first few, proportional to the network."""
    return network.hospitals[: board_hospital_count(len(network.hospitals))]


def with_story_beds(network: Network, hospital: HospitalNode, beds: dict[int, tuple]) -> dict[int, tuple]:
    """A board hospital's bed resources with the story's out-of-use beds added to total and maintenance alike."""
    if hospital not in board_hospitals(network):
        return beds
    changed = dict(beds)
    for name, states in STORY_BEDS.items():
        position = BED_POSITIONS[name]
        total, in_use, maintenance, last_change = changed[position]
        changed[position] = (total + len(states), in_use, maintenance + len(states), last_change)
    return changed


def write_bed_board(network: Network, writer: CopyWriter) -> None:
    board = board_hospitals(network)
    ids = [h.id for h in board]
    resources = writer.query(
        "SELECT id, hospital_id, name, total_quantity, available_quantity, in_use_quantity, maintenance_quantity "
        "FROM hospital_resources WHERE category = 'beds' AND hospital_id = ANY(%s) ORDER BY hospital_id, id",
        (ids,),
    )
    admissions = writer.query(
        "SELECT bed_resource_id, id, admission_date FROM hospital_patients WHERE hospital_id = ANY(%s) "
        "AND status = ANY(%s) AND discharge_date IS NULL AND bed_resource_id IS NOT NULL "
        "ORDER BY bed_resource_id, admission_date, id",
        (ids, list(CURRENT_ADMISSION_STATUSES)),
    )
    held: dict[str, list[tuple]] = {}
    for resource_id, admission_id, admitted in admissions:
        held.setdefault(resource_id, []).append((admission_id, admitted))
    joined = {h.id: h.joined_at for h in board}
    rng = network.rng("bed_board")
    now = network.clock.now
    rows: list[tuple] = []
    for resource_id, hospital_id, name, total, available, in_use, maintenance in resources:
        occupants = held.get(resource_id, [])
        assert len(occupants) == in_use, f"{name} of {hospital_id}: {in_use} in use, {len(occupants)} admissions"
        ward, kind = WARDS.get(name, (name, "general"))
        out_of_use = [*STORY_BEDS.get(name, ()), *("blocked",) * maintenance][:maintenance]
        # Occupied beds first, so the first ward of a split general ward is the full one.
        states = [("occupied", a) for a in occupants] + [(s, None) for s in out_of_use] + [("free", None)] * available
        first_ward = min(len(occupants), total // 2) if name == GENERAL_WARD_BEDS and total >= SPLIT_GENERAL_AT else 0
        created = joined[hospital_id] + timedelta(days=3)
        for number, (state, occupant) in enumerate(states, start=1):
            label_ward = ward if not first_ward or number <= first_ward else "Ward B"
            label = number if label_ward != "Ward B" else number - first_ward
            since, reason = _since_and_reason(rng, state, occupant, now, created)
            rows.append((
                demo_id("beds", len(rows)), hospital_id, resource_id, label_ward, str(label), kind, state, since,
                reason, occupant[0] if occupant else None, min(created, since), since,
            ))  # fmt: skip
    writer.query(f"ALTER TABLE beds DISABLE TRIGGER {RECOUNT_TRIGGER}")
    writer.write("beds", BED_COLUMNS, rows)
    writer.query(f"ALTER TABLE beds ENABLE TRIGGER {RECOUNT_TRIGGER}")
    writer.finish("beds")


def _since_and_reason(rng, state: str, occupant: tuple | None, now, created) -> tuple:
    """When the bed took its state (never after the demo's now, never before the ward opened), and why."""
    if occupant is not None:
        return occupant[1], None
    hours = {"free": (1, 72), "cleaning": (0.3, 1.5), "blocked": (20, 120), "reserved": (1, 4)}[state]
    since = max(created, now - timedelta(hours=rng.uniform(*hours)))
    reason = rng.choice(BLOCKED_REASONS) if state == "blocked" else rng.choice(RESERVED_FOR) if state == "reserved" \
        else None  # fmt: skip
    return since, reason
