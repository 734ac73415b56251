"""Each demo hospital's facility type (hospitals.facility_type, migration 0026), for the Peers page.

The type follows the kind in the hospital's name (geography.HOSPITAL_KINDS): teaching hospitals are teaching,
medical centres and state specialist hospitals general, family health clinics and diagnostic centres private
clinics, and the single-speciality hospitals specialist. At scale 1 that makes groups of 3 to 8 hospitals, two
teaching hospitals of under 50 beds widened to all three teaching hospitals (docs/demo-data.md). One statement
sets them all, right after the hospitals are written.
"""

from __future__ import annotations

from db.demo.copy_writer import CopyWriter
from db.demo.network import Network

# (words in the name, facility type), the first match wins.
KIND_TYPES = (
    ("Teaching Hospital", "teaching"),
    ("Medical Centre", "general"),
    ("Specialist Hospital", "general"),
    ("Family Health Clinic", "private_clinic"),
    ("Diagnostic and Surgical Centre", "private_clinic"),
    ("Women and Children's Hospital", "specialist"),
    ("Heart and Vascular Centre", "specialist"),
    ("Orthopaedic Hospital", "specialist"),
    ("Eye and ENT Hospital", "specialist"),
)


def facility_type(name: str) -> str:
    return next((kind for words, kind in KIND_TYPES if words in name), "general")


def write_peer_groups(network: Network, writer: CopyWriter) -> None:
    ids = [h.id for h in network.hospitals]
    kinds = [facility_type(h.name) for h in network.hospitals]
    # The rows were just written with their own updated_at; the trigger would stamp the build's clock time on them.
    writer.query("ALTER TABLE hospitals DISABLE TRIGGER trg_hospitals_updated_at")
    writer.query(
        "UPDATE hospitals h SET facility_type = t.kind FROM unnest(%s::text[], %s::text[]) AS t(id, kind) "
        "WHERE h.id = t.id",
        (ids, kinds),
    )
    writer.query("ALTER TABLE hospitals ENABLE TRIGGER trg_hospitals_updated_at")
