"""Facility licences (migration 0020): every hospital's operating licence, an accreditation at every other one,
a renewal history and a tiny PDF of the paper at every fourth.

The story (docs/demo-data.md): the largest hospital's operating licence expires this month; one licence has
expired, at a hospital awaiting verification when there is one (so Verification shows it), else at the
smallest hospital; the rest fall across the year, so each notice band (90, 60, 30 days) holds some at scale 1.
Issuers follow the state: HEFAMAA in Lagos, the FCT's Health and Human Services Secretariat in Abuja, the
State Ministry of Health elsewhere; accreditations are NHIA's. created_by, uploaded_by and renewed_by hold
users.id (the hospital's administrator), as the dashboard's own rows do.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from db.base import UserRole
from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import HospitalNode, Network
from db.demo.plan import LICENCE_ACCREDITED_EVERY as ACCREDITED_EVERY
from db.demo.plan import LICENCE_RENEWED_EVERY as RENEWED_EVERY

LICENCE_COLUMNS = (
    "id", "hospital_id", "kind", "issuer", "registry_number", "issued_on", "expires_on", "created_by", "created_at",
    "updated_at",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "id", "licence_id", "hospital_id", "file_name", "content_type", "size_bytes", "content", "uploaded_by",
    "uploaded_at",
)  # fmt: skip
RENEWAL_COLUMNS = (
    "id", "licence_id", "hospital_id", "previous_expires_on", "new_expires_on", "renewed_by", "renewed_at", "note",
)  # fmt: skip


def write_licences(network: Network, writer: CopyWriter) -> None:
    licences, documents, renewals = _licences(network)
    writer.write("facility_licences", LICENCE_COLUMNS, licences)
    writer.write("facility_licence_documents", DOCUMENT_COLUMNS, documents)
    writer.write("facility_licence_renewals", RENEWAL_COLUMNS, renewals)
    writer.finish("facility_licences", "facility_licence_documents", "facility_licence_renewals")


def operating_issuer(hospital: HospitalNode) -> tuple[str, str]:
    """The issuer of a hospital's operating licence and the prefix of its registry numbers."""
    state = hospital.city.state
    if state == "Lagos":
        return "HEFAMAA (Lagos)", "HEF/LAG"
    if state == "FCT":
        return "FCT Health and Human Services Secretariat", "FCT/HHSS"
    return f"{state} State Ministry of Health", f"{state[:3].upper()}/SMOH"


def _storyline(network: Network) -> tuple[HospitalNode, HospitalNode]:
    """The largest hospital (its licence expires this month) and the one whose licence has expired."""
    largest = max(network.hospitals, key=lambda h: (h.size, -h.index))
    others = [h for h in network.hospitals if h is not largest]
    pending = [h for h in others if h.verification_status == "pending"]
    lapsed = pending[0] if pending else min(others, key=lambda h: (h.size, h.index))
    return largest, lapsed


def _licences(network: Network) -> tuple[list[tuple], list[tuple], list[tuple]]:
    rng = network.rng("licences")
    today = network.clock.as_of
    now = network.clock.now
    largest, lapsed = _storyline(network)
    licence_ids, document_ids, renewal_ids = IdMaker("facility_licences"), IdMaker("facility_licence_documents"), \
        IdMaker("facility_licence_renewals")  # fmt: skip
    licences, documents, renewals = [], [], []
    for hospital in network.hospitals:
        admin = hospital.staff[UserRole.HOSPITAL_ADMIN].user_id
        issuer, prefix = operating_issuer(hospital)
        if hospital is largest:  # this month, after today when the month has days left
            last = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
            expires = min(today + timedelta(days=12), last)
        elif hospital is lapsed:
            expires = today - timedelta(days=19)
        else:
            expires = today + timedelta(days=rng.randint(20, 380))
        renewed = hospital.index % RENEWED_EVERY == 0
        issued = expires - timedelta(days=365 * (2 if renewed else 1))
        recorded = min(_moment(issued, 10), now)
        licence_id = licence_ids(len(licences))
        number = f"{prefix}/{issued.year}/{rng.randint(100, 9999):04d}"
        licences.append((licence_id, hospital.id, "operating_licence", issuer, number, issued, expires, admin,
                         recorded, recorded))  # fmt: skip
        if renewed:
            previous = expires - timedelta(days=365)
            renewed_at = min(_moment(previous - timedelta(days=rng.randint(3, 40)), 11), now)
            renewals.append((renewal_ids(len(renewals)), licence_id, hospital.id, previous, expires, admin,
                             renewed_at, "Renewal fee paid; inspection passed."))  # fmt: skip
            content = tiny_pdf(f"Operating licence {number}", hospital.name, f"Valid until {expires:%d %B %Y}")
            name = f"operating-licence-{hospital.site.slug}.pdf"
            documents.append((document_ids(len(documents)), licence_id, hospital.id, name, "application/pdf",
                              len(content), content, admin, renewed_at))  # fmt: skip
        if hospital.index % ACCREDITED_EVERY == 0:
            expires = today + timedelta(days=rng.randint(45, 700))
            issued = expires - timedelta(days=3 * 365)
            recorded = min(_moment(issued, 14), now)
            licences.append((licence_ids(len(licences)), hospital.id, "accreditation",
                             "National Health Insurance Authority (NHIA)", f"NHIA/HCF/{rng.randint(10000, 99999)}",
                             issued, expires, admin, recorded, recorded))  # fmt: skip
    return licences, documents, renewals


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LAGOS)


def tiny_pdf(*lines: str) -> bytes:
    """A one-page PDF of a few lines of text (Helvetica), made by hand: a few hundred bytes, deterministic."""
    text = "".join(
        f"BT /F1 {16 if i == 0 else 12} Tf 72 {760 - 28 * i} Td ({_pdf_text(line)}) Tj ET\n"
        for i, line in enumerate(lines)
    ).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
