"""Uploaded documents: physicians' licences, hospitals' registration papers, patients' uploads.

verified_by holds users.id, as the dashboard's own verifications do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from db.base import UserRole
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker, demo_id
from db.demo.network import HospitalNode, Network, Person
from db.demo.plan import HOSPITAL_DOCUMENTS_PER_HOSPITAL

DOCUMENT_COLUMNS = (
    "id", "user_id", "document_name", "document_type", "document_url", "verification_status", "verified_by",
    "verified_at", "upload_date",
)  # fmt: skip
HOSPITAL_DOCUMENT_TYPES = ("CAC certificate of incorporation", "State Ministry of Health operating licence")
HOSPITAL_DOCUMENT_KINDS = ("business_registration", "operating_licence")
PATIENT_DOCUMENTS = (
    ("NIN slip", "national_id"),
    ("NHIA enrolment card", "insurance_card"),
    ("External lab report", "lab_report"),
    ("Referral letter", "referral_letter"),
)
FILES_URL = "https://files.demo.healthdash.ng/documents/"
PENDING_DAYS = 40  # the oldest a pending licence renewal gets; pending hospitals joined 10-50 days ago


def write_documents(network: Network, writer: CopyWriter) -> None:
    writer.write("documents", DOCUMENT_COLUMNS, _documents(network))
    writer.finish("documents")


def hospital_document_id(network: Network, hospital: HospitalNode, position: int) -> str:
    """Physicians' licences come first, then two documents per hospital, then patients' uploads."""
    return demo_id("documents", network.plan.physicians + hospital.index * HOSPITAL_DOCUMENTS_PER_HOSPITAL + position)


def _verifier(rng, network: Network, hospital: HospitalNode | None) -> Person:
    if hospital is None or rng.random() < 0.3:
        return network.network_staff[UserRole.ADMIN]
    return hospital.staff[rng.choice((UserRole.COMPLIANCE_OFFICER, UserRole.HOSPITAL_ADMIN))]


def _documents(network: Network) -> Iterator[tuple]:
    rng = network.rng("documents")
    ids = IdMaker("documents")
    clock = network.clock
    number = 0
    for physician in network.physicians:
        uploaded = min(physician.created_at + timedelta(hours=rng.uniform(1, 72)), clock.now - timedelta(hours=1))
        pending = rng.random() < 0.1
        if pending:  # this year's renewal, uploaded days to weeks ago: a queue never holds years-old items
            uploaded = max(uploaded, clock.now - timedelta(days=rng.uniform(1, PENDING_DAYS)))
        verifier = None if pending else _verifier(rng, network, physician.hospital)
        verified_at = None if pending else min(uploaded + timedelta(days=rng.uniform(0.5, 10)), clock.now)
        yield (
            ids(number), physician.user_id, f"MDCN practising licence - {physician.full_name}", "medical_licence",
            f"{FILES_URL}{ids(number)}.pdf", "pending" if pending else "verified",
            verifier.user_id if verifier else None, verified_at, uploaded,
        )  # fmt: skip
        number += 1
    for hospital in network.hospitals:
        uploader = hospital.staff[UserRole.HOSPITAL_ADMIN]
        for name, kind in zip(HOSPITAL_DOCUMENT_TYPES, HOSPITAL_DOCUMENT_KINDS, strict=True):
            uploaded = min(uploader.created_at + timedelta(hours=rng.uniform(1, 48)), clock.now - timedelta(hours=1))
            verified = hospital.verification_status == "verified"
            verified_at = min(uploaded + timedelta(days=rng.uniform(1, 14)), clock.now) if verified else None
            admin = network.network_staff[UserRole.ADMIN]
            yield (
                ids(number), uploader.user_id, f"{name} - {hospital.name}", kind, f"{FILES_URL}{ids(number)}.pdf",
                "verified" if verified else "pending", admin.user_id if verified else None, verified_at, uploaded,
            )  # fmt: skip
            number += 1
    for _ in range(network.plan.patient_documents):
        patient = network.pick_patient(rng)
        name, kind = rng.choice(PATIENT_DOCUMENTS)
        uploaded = clock.between(rng, max(patient.created_at, clock.history_start), clock.now - timedelta(hours=1))
        if clock.now - uploaded > timedelta(days=14):
            status = "verified" if rng.random() < 0.85 else "rejected"
        else:
            status = "pending" if rng.random() < 0.7 else "verified"
        verifier = None if status == "pending" else _verifier(rng, network, patient.hospital)
        verified_at = None if verifier is None else min(uploaded + timedelta(days=rng.uniform(0.2, 7)), clock.now)
        yield (
            ids(number), patient.user_id, name, kind, f"{FILES_URL}{ids(number)}.pdf", status,
            verifier.user_id if verifier else None, verified_at, uploaded,
        )  # fmt: skip
        number += 1
