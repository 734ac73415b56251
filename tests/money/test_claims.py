"""NHIA and HMO claims (domains/money/claims.py, claim_commands.py) under row-level security.

A database of its own with its own two roles (as tests/governance/test_licences.py): the owner fills it, and every
service call runs as the least-privilege app role under its actor's scope, one transaction each, as data.call does.
Alpha holds NHIA claims open for 0, 30, 31, 60, 61, 90, 91 and 200 days (each submitted at 00:30 in Lagos, the
previous day in UTC), and Hygeia claims paid after 10, 20, 30, 40 and 100 days and one denied; Beta an open Leadway
claim and a paid NHIA one whose ledger says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.money import claim_commands, claims
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted
from db.base import UserRole
from db.models import AuditLog, Claim, Hospital, HospitalFinancialData, Profile, User
from db.row_scope import apply_scope
from tests.fixtures.secured import SecuredDatabase, call, who

TODAY = datetime.now(LAGOS).date()
AGES = {0: "0_30", 30: "0_30", 31: "31_60", 60: "31_60", 61: "61_90", 90: "61_90", 91: "90_plus", 200: "90_plus"}
PAID_AFTER = (10, 20, 30, 40, 100)
PAID_ON = TODAY - timedelta(days=5)
MONTH = f"{PAID_ON:%Y-%m}"
PERIOD = {"start": TODAY - timedelta(days=29), "end": TODAY}


def _lagos(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LAGOS)


@pytest.fixture(scope="module")
def world(admin_url):
    db = SecuredDatabase.create(admin_url, prefix="healthdash_claims")
    owner = db.owner
    ids = {}
    with Session(owner) as session, session.begin():
        for label in ("alpha", "beta"):
            hospital = Hospital(name=f"{label.title()} Hospital", state="Lagos", verification_status="verified")
            session.add(hospital)
            session.flush()
            ids[label] = hospital.id
        patient = User(email="amaka@test.healthdash.ng", password="x")
        patient.profile = Profile(first_name="Amaka", last_name="Eze", role=UserRole.PATIENT)
        session.add(patient)
        session.flush()

        def claim(hospital: str, number: str, payer: str, billed: int, submitted: datetime | None, **rest) -> None:
            day = (submitted or _lagos(TODAY)).astimezone(LAGOS).date() - timedelta(days=3)
            session.add(Claim(hospital_id=ids[hospital], payer_kind="nhia" if payer == "NHIA" else "hmo",
                              payer_name=payer, claim_number=number, patient_id=patient.id, service_date=day,
                              amount_billed=Decimal(billed), submitted_at=submitted, **rest))  # fmt: skip

        for n, age in enumerate(AGES):
            claim("alpha", f"A-OPEN-{age}", "NHIA", 1000 * (n + 1), _lagos(TODAY - timedelta(days=age), 0, 30))
        for days in PAID_AFTER:
            claim(
                "alpha",
                f"A-PAID-{days}",
                "Hygeia HMO",
                20_000,
                _lagos(PAID_ON - timedelta(days=days)),
                paid_at=_lagos(PAID_ON),
                amount_paid=Decimal(15_000),
            )
        claim(
            "alpha",
            "A-DENIED",
            "Hygeia HMO",
            9_000,
            _lagos(PAID_ON - timedelta(days=8)),
            denied_at=_lagos(PAID_ON),
            denial_reason="no_authorisation",
        )
        claim("alpha", "A-DRAFT", "NHIA", 4_000, None)
        claim("beta", "B-OPEN", "Leadway Health", 70_000, _lagos(TODAY - timedelta(days=95)))
        claim(
            "beta",
            "B-PAID",
            "NHIA",
            50_000,
            _lagos(PAID_ON - timedelta(days=40)),
            paid_at=_lagos(PAID_ON),
            amount_paid=Decimal(50_000),
        )
        for hospital, category, amount in (("alpha", "hmo_claims", 75_000), ("beta", "nhia_capitation", 60_000),
                                           ("beta", "consultations", 999_999)):  # fmt: skip
            session.add(HospitalFinancialData(hospital_id=ids[hospital], transaction_type="revenue", category=category,
                                              amount=Decimal(amount), fiscal_month=MONTH))  # fmt: skip
    yield {"app": db.app, "owner": owner, **ids}
    db.drop()


def claim_id(world, number: str) -> str:
    with Session(world["owner"]) as session:
        return session.scalar(select(Claim.id).where(Claim.claim_number == number))


def test_open_claims_age_from_their_lagos_submission_day_into_the_four_buckets(world):
    alpha = who(UserRole.EXECUTIVE, world["alpha"])
    page = call(world, claims.list_claims, alpha, view="open", today=TODAY, page_size=50)
    assert [(r.age_days, r.bucket) for r in page.rows] == sorted(AGES.items(), reverse=True)  # the oldest first
    assert {r.patient_name for r in page.rows} == {"Amaka Eze"} and {r.status for r in page.rows} == {"open"}
    owed = call(world, claims.receivables, alpha, today=TODAY)
    [nhia] = owed.payers
    assert nhia.payer == "NHIA"
    # Amounts 1,000 .. 8,000 in AGES order: 0 and 30 days -> 0-30, 31 and 60 -> 31-60, 61 and 90 -> 61-90, then 90+.
    assert nhia.amounts == {"0_30": Decimal(3000), "31_60": Decimal(7000), "61_90": Decimal(11000),
                            "90_plus": Decimal(15000)}  # fmt: skip
    assert nhia.counts == dict.fromkeys(claims.BUCKETS, 2)
    over_90 = call(world, claims.list_claims, alpha, view="open", bucket="90_plus", today=TODAY)
    assert [r.claim_number for r in over_90.rows] == ["A-OPEN-200", "A-OPEN-91"]


def test_the_cards_equal_the_ageing_chart_and_the_list_behind_it(world):
    """One figure, three places: the card's total, the chart's bars and the (exported) list of claims."""
    network = who(UserRole.ADMIN, None)
    owed = call(world, claims.receivables, network, today=TODAY)
    listed, _ = call(world, claims.export_claims, network, view="open", today=TODAY)
    assert owed.outstanding == sum(r.amount_billed for r in listed) == Decimal(36_000 + 70_000)
    assert owed.count() == len(listed) == 9
    over, _ = call(world, claims.export_claims, network, view="open", bucket="90_plus", today=TODAY)
    assert owed.over_90 == sum(r.amount_billed for r in over) == Decimal(7000 + 8000 + 70_000)
    assert [p.payer for p in owed.payers] == ["Leadway Health", "NHIA"]  # the most owed first


def test_days_to_pay_median_and_p90_and_the_denial_rate_by_payer(world):
    alpha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    performance = call(world, claims.payer_performance, alpha, **PERIOD)
    [hygeia] = performance.payers
    assert (hygeia.payer, hygeia.paid, hygeia.denied) == ("Hygeia HMO", 5, 1)
    assert hygeia.median_days == 30 and hygeia.p90_days == pytest.approx(76)  # 40 + 0.6 * (100 - 40)
    assert hygeia.denial_rate == pytest.approx(1 / 6)
    assert performance.overall.denial_rate == pytest.approx(1 / 6) and performance.overall.median_days == 30
    network = call(world, claims.payer_performance, who(UserRole.ADMIN, None), **PERIOD)
    assert network.overall.paid == 6 and network.overall.median_days == pytest.approx(35)  # 10,20,30,40,40,100
    reasons = call(world, claims.denial_reasons, alpha, **PERIOD)
    assert [(r.words, r.claims) for r in reasons] == [("No pre-authorisation code", 1)]
    denied = call(world, claims.list_claims, alpha, view="denied", reason="no_authorisation", **PERIOD)
    assert [r.claim_number for r in denied.rows] == ["A-DENIED"]


def test_paid_claims_tie_to_the_ledger_or_the_difference_is_named(world):
    alpha = call(world, claims.ledger_tie, who(UserRole.EXECUTIVE, world["alpha"]), **PERIOD)
    assert alpha.agrees and alpha.claims_paid == alpha.ledger == Decimal(75_000)
    network = call(world, claims.ledger_tie, who(UserRole.ADMIN, None), **PERIOD)
    assert (network.claims_paid, network.ledger, network.mismatched) == (Decimal(125_000), Decimal(135_000), 1)
    [beta] = network.largest
    assert (beta.hospital_name, beta.category, beta.difference) == ("Beta Hospital", "nhia_capitation", 10_000)
    assert beta.words.startswith("Beta Hospital, ") and beta.words.endswith(", NHIA capitation")


def test_scope_and_roles(world):
    beta = who(UserRole.HOSPITAL_ADMIN, world["beta"])
    seen = call(world, claims.list_claims, beta, page_size=50)
    assert {r.hospital_name for r in seen.rows} == {"Beta Hospital"} and seen.total == 2
    # Another hospital's claim is not there for Beta (row-level security hides it before the scope check).
    with pytest.raises(NotFound):
        call(world, claims.claim, beta, claim_id(world, "A-OPEN-0"))
    with pytest.raises(NotFound):
        call(world, claim_commands.record_payment, beta, claim_id(world, "A-OPEN-0"), amount_paid="1000",
             paid_on=TODAY)  # fmt: skip
    with pytest.raises(NotPermitted, match="cannot see claims"):
        call(world, claims.receivables, who(UserRole.COMPLIANCE_OFFICER, world["alpha"]))
    with pytest.raises(NotPermitted, match="cannot record claims' payments"):
        call(world, claim_commands.record_payment, who(UserRole.EXECUTIVE, world["alpha"]),
             claim_id(world, "A-OPEN-0"), amount_paid="1000", paid_on=TODAY)  # fmt: skip
    # Row-level security holds without the services' filter: Beta's scope reads none of Alpha's claims.
    with Session(world["app"]) as session, session.begin():
        apply_scope(session, world["beta"], "someone")
        assert set(session.scalars(select(Claim.hospital_id))) == {world["beta"]}


def test_payment_denial_and_submission_are_checked_written_and_audited_once(world):
    ha = who(UserRole.HOSPITAL_ADMIN, world["alpha"])
    target = claim_id(world, "A-OPEN-60")  # billed 4,000
    for amount, words in (("4000.01", "cannot be more than was billed"), ("0", "more than ₦0.00"),
                          ("abc", "must be a number")):  # fmt: skip
        with pytest.raises(InvalidInput, match=words):
            call(world, claim_commands.record_payment, ha, target, amount_paid=amount, paid_on=TODAY)
    with pytest.raises(InvalidInput, match="cannot be after today"):
        call(world, claim_commands.record_payment, ha, target, amount_paid="100", paid_on=TODAY + timedelta(days=1))
    with pytest.raises(InvalidInput, match="cannot be before its submission"):
        call(world, claim_commands.record_payment, ha, target, amount_paid="100", paid_on=TODAY - timedelta(days=61))
    done = call(world, claim_commands.record_payment, ha, target, amount_paid="3,500.00", paid_on=TODAY)
    assert (done.claim_number, done.amount) == ("A-OPEN-60", Decimal("3500.00"))
    with pytest.raises(InvalidInput, match="is paid now"):
        call(world, claim_commands.record_denial, ha, target, reason="duplicate", denied_on=TODAY)
    denied = claim_id(world, "A-OPEN-61")
    with pytest.raises(InvalidInput, match="reason"):
        call(world, claim_commands.record_denial, ha, denied, reason="because", denied_on=TODAY)
    call(world, claim_commands.record_denial, ha, denied, reason="duplicate", denied_on=TODAY.isoformat())
    draft = claim_id(world, "A-DRAFT")
    call(world, claim_commands.record_submission, ha, draft, submitted_on=TODAY)
    with Session(world["owner"]) as session:
        rows = {c.claim_number: c for c in session.scalars(select(Claim).where(Claim.id.in_([target, denied, draft])))}
        assert rows["A-OPEN-60"].amount_paid == Decimal("3500.00") and rows["A-OPEN-60"].paid_at is not None
        assert rows["A-OPEN-61"].denial_reason == "duplicate" and rows["A-OPEN-61"].paid_at is None
        assert rows["A-DRAFT"].submitted_at is not None
        audited = session.execute(
            select(AuditLog.resource_id, AuditLog.action_type, AuditLog.financial_impact).where(
                AuditLog.resource_type == "claim", AuditLog.resource_id.is_not(None)
            )
        ).all()
        assert sorted(audited) == sorted([(target, "claim_paid", Decimal("3500.00")),
                                          (denied, "claim_denied", Decimal("5000.00")),
                                          (draft, "claim_submitted", Decimal("4000.00"))])  # fmt: skip
        # The database holds a claim's dates consistent whatever the client: paid and denied at once is refused.
        with pytest.raises(IntegrityError, match="ck_claims_paid_or_denied"):
            session.execute(text("UPDATE claims SET denied_at = paid_at, denial_reason = 'duplicate' WHERE id = :i"),
                            {"i": target})  # fmt: skip
