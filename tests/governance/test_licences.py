"""Facility licences (domains/governance/licences.py, licence_commands.py) under row-level security.

A database of its own with its own two roles (as tests/emergencies/test_referrals_service.py): the owner fills
it, and every service call runs as the least-privilege app role under its actor's scope, one transaction
each, as data.call does. Hospitals: Alpha, Beta (each with licences in every band), Pending (awaiting
verification, its operating licence expired).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.governance import licence_commands, licences, verification
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope
from db import settings
from db.base import UserRole
from db.demo.licences import tiny_pdf
from db.models import AuditLog, FacilityLicence, FacilityLicenceDocument, FacilityLicenceRenewal, Hospital
from db.models.licences import MAX_DOCUMENT_BYTES
from db.row_scope import apply_scope
from tests.fixtures.secured import SecuredDatabase, call, owner_all, who

TODAY = date(2026, 12, 7)
# Days left -> the band it must fall in, at the default notice days (90, 60, 30).
BAND_OF_DAYS = {-1: "expired", 0: "final", 30: "final", 31: "second", 60: "second", 61: "first", 90: "first",
                91: "later", 400: "later"}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = tiny_pdf("Operating licence HEF/LAG/2026/0001", "Alpha Hospital")


@pytest.fixture(scope="module")
def world(admin_url):
    db = SecuredDatabase.create(admin_url, prefix="healthdash_licences")
    owner = db.owner
    ids = {}
    with Session(owner) as session, session.begin():
        for label, status in (("alpha", "verified"), ("beta", "verified"), ("pending", "pending")):
            hospital = Hospital(name=f"{label.title()} Hospital", state="Lagos", verification_status=status)
            session.add(hospital)
            session.flush()
            ids[label] = hospital.id
        for label in ("alpha", "beta"):
            for days in BAND_OF_DAYS:
                expires = TODAY + timedelta(days=days)
                session.add(FacilityLicence(hospital_id=ids[label], kind="operating_licence", issuer="HEFAMAA (Lagos)",
                                            registry_number=f"HEF/{label}/{days}", issued_on=expires - timedelta(365),
                                            expires_on=expires))  # fmt: skip
        session.add(FacilityLicence(hospital_id=ids["pending"], kind="operating_licence",
                                    issuer="Oyo State Ministry of Health", registry_number="OYO/SMOH/2025/0042",
                                    issued_on=date(2024, 1, 10), expires_on=date(2025, 1, 10)))  # fmt: skip
    yield {"app": db.app, "owner": owner, **ids}
    db.drop()


def licence_id(world, hospital: str, number: str) -> str:
    found = select(FacilityLicence.id).where(FacilityLicence.hospital_id == world[hospital],
                                             FacilityLicence.registry_number == number)  # fmt: skip
    return owner_all(world, found)[0][0]


def test_each_licence_falls_in_its_band_at_90_60_30_days_and_expired(world):
    alpha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    page = call(world, licences.list_licences, alpha, today=TODAY, page_size=50)
    assert [(r.days_left, r.band) for r in page.rows] == sorted(BAND_OF_DAYS.items())  # the next expiry first
    assert {r.hospital_name for r in page.rows} == {"Alpha Hospital"}
    summary = call(world, licences.licence_summary, alpha, today=TODAY)
    assert (summary.expired, summary.final, summary.second, summary.first, summary.total) == (1, 2, 2, 2, 9)
    alerts = call(world, licences.licence_alerts, alpha, today=TODAY)
    assert [a.days_left for a in alerts] == [-1, 0, 30, 31, 60, 61, 90]  # not 91 or 400
    only_final = call(world, licences.list_licences, alpha, today=TODAY, band="final")
    assert [r.days_left for r in only_final.rows] == [0, 30]
    words = licences.bands()
    assert (words["expired"].word, words["final"].word, words["first"].word) == ("Expired", "Within 30 days",
                                                                                 "Within 90 days")  # fmt: skip


def test_the_bands_follow_the_settings_and_refuse_an_order_that_makes_no_sense():
    with pytest.raises(settings.SettingsError, match="must grow in that order"):
        settings.build({"HEALTHDASH_LICENCE_FINAL_NOTICE_DAYS": "70"})
    moved = settings.build({"HEALTHDASH_LICENCE_FIRST_NOTICE_DAYS": "120"})
    assert moved.licence_first_notice_days == 120


def test_a_renewal_moves_the_expiry_and_records_who_when_and_the_audit_row_together(world):
    ha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    target = licence_id(world, "alpha", "HEF/alpha/30")
    before = TODAY + timedelta(days=30)
    done = call(world, licence_commands.renew_licence, ha, target, new_expires_on=before + timedelta(days=365),
                seen_expires_on=before, note="Fee paid at HEFAMAA", document=PDF, file_name="renewed.pdf")  # fmt: skip
    assert (done.previous_expires_on, done.new_expires_on) == (before, before + timedelta(days=365))
    assert owner_all(world, select(FacilityLicence.expires_on).where(FacilityLicence.id == target)) == [
        (before + timedelta(days=365),)]  # fmt: skip
    renewal = owner_all(world, select(FacilityLicenceRenewal).where(FacilityLicenceRenewal.licence_id == target))
    assert len(renewal) == 1
    row = renewal[0][0]
    assert (row.previous_expires_on, row.new_expires_on, row.renewed_by, row.note) == (
        before, before + timedelta(days=365), ha.user_id, "Fee paid at HEFAMAA")  # fmt: skip
    audit = owner_all(world, select(AuditLog).where(AuditLog.resource_id == target, AuditLog.user_id == ha.user_id))
    assert [a[0].action_type for a in audit] == ["licence_renewed"]
    assert audit[0][0].created_at == row.renewed_at  # one transaction: the same now()
    assert audit[0][0].compliance_relevant and audit[0][0].old_values == {"expires_on": before.isoformat()}
    history = call(world, licences.renewals_of, ha, target)
    assert [(h.new_expires_on, h.renewed_by) for h in history] == [(before + timedelta(days=365), "a former user")]
    stored = call(world, licences.licence_document, ha, target)
    assert (stored.file_name, stored.content_type, stored.content) == ("renewed.pdf", "application/pdf", PDF)


def test_a_refused_renewal_writes_nothing_and_says_why(world):
    ha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    target = licence_id(world, "alpha", "HEF/alpha/60")
    current = TODAY + timedelta(days=60)
    attempts = [
        ({"new_expires_on": current}, "must be after the current one"),
        ({"new_expires_on": current + timedelta(days=365), "seen_expires_on": current - timedelta(days=1)},
         "renewed a moment ago"),
        ({"new_expires_on": current + timedelta(days=365), "document": b"just text", "file_name": "licence.pdf"},
         "not a PDF or an image"),
    ]  # fmt: skip
    for kwargs, words in attempts:
        with pytest.raises(InvalidInput, match=words):
            call(world, licence_commands.renew_licence, ha, target, **kwargs)
    assert owner_all(world, select(FacilityLicence.expires_on).where(FacilityLicence.id == target)) == [(current,)]
    assert owner_all(world, select(func.count()).select_from(FacilityLicenceRenewal)
                     .where(FacilityLicenceRenewal.licence_id == target)) == [(0,)]  # fmt: skip
    audited = select(func.count()).select_from(AuditLog).where(AuditLog.user_id == ha.user_id,
                                                               AuditLog.resource_id == target)  # fmt: skip
    assert owner_all(world, audited) == [(0,)]


def test_the_document_type_is_read_from_the_content_never_the_name():
    with pytest.raises(InvalidInput, match=r"“licence.pdf” is named as a PDF but its content is a PNG image"):
        licence_commands.checked_document(PNG, "licence.pdf")
    with pytest.raises(InvalidInput, match=r"“licence.pdf” cannot be kept: its content is not a PDF or an image"):
        licence_commands.checked_document(b"%PD not really a pdf, just text", "licence.pdf")
    with pytest.raises(InvalidInput, match="its content is application/zip"):
        licence_commands.checked_document(b"PK\x03\x04" + b"\x00" * 40, "licence.pdf")
    with pytest.raises(InvalidInput, match="is empty"):
        licence_commands.checked_document(b"", "scan.png")
    assert licence_commands.checked_document(PNG, "scan.PNG").content_type == "image/png"
    assert licence_commands.checked_document(PNG, "C:\\fakepath\\scan").file_name == "scan.png"  # named by content
    kept = licence_commands.checked_document(PDF, "../../etc/licence.pdf")
    assert (kept.file_name, kept.content_type) == ("licence.pdf", "application/pdf")


def test_a_document_over_five_megabytes_is_refused_with_its_size():
    big = PDF + b"\x00" * (MAX_DOCUMENT_BYTES - len(PDF) + 1)
    with pytest.raises(InvalidInput, match=r"is 5\.0 MB; a licence's document can be at most 5\.0 MB"):
        licence_commands.checked_document(big, "licence.pdf")
    assert licence_commands.checked_document(big[:MAX_DOCUMENT_BYTES], "licence.pdf").content_type == "application/pdf"


def test_recording_a_licence_checks_each_field_and_refuses_a_duplicate(world):
    officer = who(UserRole.COMPLIANCE_OFFICER, world["beta"])
    fields = {"hospital_id": world["beta"], "kind": "accreditation", "issuer": "NHIA", "registry_number": "NHIA/1",
              "issued_on": date(2026, 1, 5), "expires_on": date(2029, 1, 5)}  # fmt: skip
    added = call(world, licence_commands.add_licence, officer, **fields, document=PNG, file_name="nhia.png")
    assert (added.hospital_name, added.kind_word) == ("Beta Hospital", "Accreditation")
    with pytest.raises(InvalidInput, match="already has NHIA's licence number NHIA/1 on record"):
        call(world, licence_commands.add_licence, officer, **fields)
    for change, words in (({"kind": "permit"}, "Pick what the paper is"), ({"issuer": " "}, "Name the issuer"),
                          ({"expires_on": date(2025, 1, 1)}, "after the issue date"),
                          ({"expires_on": date(2040, 1, 1)}, "at most ten years"),
                          ({"issued_on": "yesterday"}, "must be a date")):  # fmt: skip
        with pytest.raises(InvalidInput, match=words):
            call(world, licence_commands.add_licence, officer, **{**fields, "registry_number": "NHIA/2", **change})
    stored = owner_all(world, select(FacilityLicenceDocument.content_type, FacilityLicenceDocument.size_bytes)
                       .where(FacilityLicenceDocument.licence_id == added.id))  # fmt: skip
    assert stored == [("image/png", len(PNG))]


def test_scope_and_row_level_security_hold_as_the_app_role(world):
    alpha, beta = world["alpha"], world["beta"]
    ha_alpha = who(UserRole.HOSPITAL_ADMIN, alpha)
    beta_licence = licence_id(world, "beta", "HEF/beta/90")
    with pytest.raises(NotFound):  # row-level security hides Beta's licence from Alpha's scope
        call(world, licence_commands.renew_licence, ha_alpha, beta_licence, new_expires_on=TODAY + timedelta(900))
    with pytest.raises(NotFound):
        call(world, licences.licence_document, ha_alpha, beta_licence)
    with pytest.raises(OutOfScope):
        call(world, licence_commands.add_licence, ha_alpha, hospital_id=beta, kind="other", issuer="Fire Service",
             registry_number="F-1", issued_on=date(2026, 1, 1), expires_on=date(2027, 1, 1))  # fmt: skip
    with pytest.raises(NotPermitted, match="cannot see facility licences"):
        call(world, licences.list_licences, who(UserRole.EXECUTIVE, None))
    network = call(world, licences.licence_summary, who(UserRole.ADMIN, None), today=TODAY)
    assert network.total >= 2 * len(BAND_OF_DAYS) + 1
    intruders = {  # each table's row for Beta, written under Alpha's scope
        FacilityLicence: "INSERT INTO facility_licences (id, hospital_id, kind, issuer, registry_number, issued_on, "
        "expires_on) VALUES ('x', :b, 'other', 'x', 'x', '2026-01-01', '2027-01-01')",
        FacilityLicenceDocument: "INSERT INTO facility_licence_documents (id, licence_id, hospital_id, file_name, "
        "content_type, size_bytes, content) VALUES ('x', :licence, :b, 'x.pdf', 'application/pdf', 4, '%PDF')",
        FacilityLicenceRenewal: "INSERT INTO facility_licence_renewals (id, licence_id, hospital_id, "
        "previous_expires_on, new_expires_on) VALUES ('x', :licence, :b, '2026-01-01', '2027-01-01')",
    }
    for table, statement in intruders.items():
        with Session(world["app"]) as session, session.begin():
            assert session.scalar(select(func.count()).select_from(table)) == 0  # no scope: nothing
            apply_scope(session, alpha)
            assert set(session.scalars(select(table.hospital_id))) <= {alpha}
            with pytest.raises(Exception, match="row-level security"), session.begin_nested():
                session.execute(text(statement), {"b": beta, "licence": beta_licence})


def test_verification_shows_a_waiting_hospitals_expired_licence(world):
    admin = who(UserRole.ADMIN, None)
    queue = call(world, verification.list_pending_hospitals, admin)
    pending = next(h for h in queue.rows if h.id == world["pending"])
    assert pending.expired_licences == ("Operating licence expired 10 Jan 2025 (Oyo State Ministry of Health)",)
    assert all(not h.expired_licences for h in queue.rows if h.id != world["pending"])
