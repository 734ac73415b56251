"""NHIA and HMO claims (migration 0023), tied to the ledger: what each payer paid a hospital in a month is, to the
kobo, the "nhia_capitation" or "hmo_claims" revenue db/demo/money.py booked for that hospital and month.

The step runs after write_finances and reads those ledger rows back (one query, in the build's transaction), then
splits each month's amount into the paid claims behind it, paid on days of that month (up to the last day the
ledger covers). Around them: the claims still open, aged from a few days to about seven months (so every bucket,
90+ days included, holds some), the claims denied with their reasons, and a few not yet submitted.

The story (docs/demo-data.md): NHIA pays slowest (a median near 80 days) and holds most of the debt over 90 days;
Hygeia pays fastest; Leadway refuses most often, above all for a missing pre-authorisation code.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from db.base import UserRole
from db.demo.amounts import naira
from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import HospitalNode, Network, Person

COLUMNS = (
    "id", "hospital_id", "payer_kind", "payer_name", "claim_number", "patient_id", "service_date", "amount_billed",
    "submitted_at", "paid_at", "amount_paid", "denied_at", "denial_reason", "created_by", "created_at", "updated_at",
)  # fmt: skip
NHIA = "NHIA"
# Each payer: (kind, share of a hospital's HMO claims, days to pay (low, typical, high), chance a decision is a denial)
PAYERS = {
    NHIA: ("nhia", 1.0, (35, 80, 170), 0.06),
    "Hygeia HMO": ("hmo", 0.30, (10, 22, 55), 0.05),
    "AXA Mansard Health": ("hmo", 0.25, (14, 30, 70), 0.07),
    "Reliance HMO": ("hmo", 0.20, (18, 40, 90), 0.08),
    "Leadway Health": ("hmo", 0.15, (20, 45, 100), 0.18),
    "Avon HMO": ("hmo", 0.10, (15, 35, 80), 0.09),
}
HMO_NAMES = [name for name, payer in PAYERS.items() if payer[0] == "hmo"]
HMO_WEIGHTS = [PAYERS[name][1] for name in HMO_NAMES]
LEDGER_KIND = {"nhia_capitation": "nhia", "hmo_claims": "hmo"}
PAID_PER_MONTH = {"nhia": 26, "hmo": 18}  # paid claims behind a month's ledger amount, in a full month
# Reasons for a denial, and how often (Leadway's add a pre-authorisation weight of their own).
REASONS = (("no_authorisation", 30), ("not_covered", 20), ("incomplete_documents", 18), ("enrollee_not_eligible", 12),
           ("tariff_exceeded", 10), ("late_submission", 6), ("duplicate", 4))  # fmt: skip
# Claims still open per hospital and payer kind, and their ages in days (NHIA's reach further back).
OPEN_PER_HOSPITAL = {"nhia": 14, "hmo": 16}
OPEN_AGES = {"nhia": ((0, 30, 30), (31, 60, 20), (61, 90, 18), (91, 210, 32)),
             "hmo": ((0, 30, 50), (31, 60, 25), (61, 90, 13), (91, 160, 12))}  # fmt: skip
NOT_SUBMITTED_PER_HOSPITAL = 4


def write_claims(network: Network, writer: CopyWriter) -> None:
    ledger = writer.query(
        "SELECT hospital_id, fiscal_month, category, amount FROM hospital_financial_data "
        "WHERE transaction_type = 'revenue' AND category IN ('nhia_capitation', 'hmo_claims') "
        "ORDER BY hospital_id, fiscal_month, category"
    )
    writer.write("claims", COLUMNS, _claims(network, ledger))
    writer.finish("claims")


class _Numbers:
    """Each hospital's claim numbers in order: CLM-LAGOS-1-000001 ..."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, hospital: HospitalNode) -> str:
        number = self._next.get(hospital.id, 0) + 1
        self._next[hospital.id] = number
        return f"CLM-{hospital.site.slug.upper()}-{number:06d}"


def _claims(network: Network, ledger: list[tuple]) -> Iterator[tuple]:
    rng = network.rng("claims")
    ids, numbers = IdMaker("claims"), _Numbers()
    clock = network.clock
    now, today = clock.now, clock.as_of
    by_id = {h.id: h for h in network.hospitals}
    months_of: dict[str, set[str]] = {}
    for hospital_id, month, _, _ in ledger:
        months_of.setdefault(hospital_id, set()).add(month)
    count = 0

    def row(hospital: HospitalNode, payer: str, patient: Person | None, service: date, billed: int,
            submitted: datetime | None, paid: datetime | None = None, amount_paid: int | None = None,
            denied: datetime | None = None, reason: str | None = None) -> tuple:  # fmt: skip
        nonlocal count
        admin = hospital.staff[UserRole.HOSPITAL_ADMIN].user_id
        created = min(datetime.combine(service, time(16), tzinfo=LAGOS), now)
        updated = max(m for m in (created, submitted, paid, denied) if m is not None)
        claim_id = ids(count)
        count += 1
        return (claim_id, hospital.id, PAYERS[payer][0], payer, numbers(hospital),
                patient.user_id if patient else None, service, naira(billed), submitted, paid,
                None if amount_paid is None else naira(amount_paid), denied, reason, admin, created,
                updated)  # fmt: skip

    def patient_for(hospital: HospitalNode, service: date) -> Person | None:
        pool = hospital.patients or network.patients
        for _ in range(4):
            patient = rng.choice(pool)
            if patient.created_at.date() <= service:
                return patient
        return patient

    def draw_days(payer: str) -> int:
        low, typical, high = PAYERS[payer][2]
        return max(1, round(rng.triangular(low, high, typical)))

    def service_before(submitted: datetime) -> date:
        return submitted.astimezone(LAGOS).date() - timedelta(days=rng.randint(1, 21))

    # Paid claims: each month's ledger amount for a hospital and payer kind, split over the claims behind it.
    for hospital_id, month, category, amount in ledger:
        hospital = by_id[hospital_id]
        kind = LEDGER_KIND[category]
        first = date.fromisoformat(f"{month}-01")
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        last = min(date(first.year, first.month, days_in_month), today - timedelta(days=1))
        covered = (last - first).days + 1
        total = int(Decimal(amount) * 100)
        claims = max(1, round(PAID_PER_MONTH[kind] * covered / days_in_month))
        weights = [rng.uniform(0.4, 1.6) for _ in range(claims)]
        parts = [int(total * w / sum(weights)) for w in weights]
        parts[-1] += total - sum(parts)  # exact to the kobo
        payers = [NHIA] * claims if kind == "nhia" else rng.choices(HMO_NAMES, HMO_WEIGHTS, k=claims)
        for part, payer in zip(parts, payers, strict=True):
            if part <= 0:
                continue
            day = first + timedelta(days=rng.randrange(covered))
            paid = datetime.combine(day, time(rng.randint(9, 16), rng.randrange(60)), tzinfo=LAGOS)
            submitted = paid - timedelta(days=draw_days(payer), hours=rng.randint(0, 6))
            # Some claims are paid in full, most are cut to the payer's tariff.
            billed = part if rng.random() < 0.35 else int(part / rng.uniform(0.8, 0.98))
            service = service_before(submitted)
            yield row(hospital, payer, patient_for(hospital, service), service, billed, submitted, paid, part)
    for hospital in network.hospitals:
        # Denied in the ledger's twelve months: about one decision in twelve, Leadway's more often.
        for month in sorted(months_of.get(hospital.id, ())):
            first = date.fromisoformat(f"{month}-01")
            last = min(date(first.year, first.month, calendar.monthrange(first.year, first.month)[1]),
                       today - timedelta(days=1))  # fmt: skip
            for payer, (kind, share, _, denial_rate) in PAYERS.items():
                expected = PAID_PER_MONTH[kind] * (share if kind == "hmo" else 1.0) * denial_rate / (1 - denial_rate)
                for _ in range(_poisson(rng, expected)):
                    day = first + timedelta(days=rng.randrange((last - first).days + 1))
                    denied = datetime.combine(day, time(rng.randint(9, 16), rng.randrange(60)), tzinfo=LAGOS)
                    submitted = denied - timedelta(days=draw_days(payer) // 2 + 1)
                    reason = _reason(rng, payer)
                    service = service_before(submitted)
                    billed = rng.randint(25_000, 220_000) * 100
                    yield row(hospital, payer, patient_for(hospital, service), service, billed, submitted,
                              denied=denied, reason=reason)  # fmt: skip
        # Open: submitted, neither paid nor denied yet, aged across the buckets.
        for kind, many in OPEN_PER_HOSPITAL.items():
            for _ in range(many):
                low, high, _ = rng.choices(OPEN_AGES[kind], [w for *_, w in OPEN_AGES[kind]])[0]
                age = rng.randint(low, high)
                submitted = min(datetime.combine(today - timedelta(days=age), time(rng.randint(9, 16)), tzinfo=LAGOS),
                                now - timedelta(minutes=5))  # fmt: skip
                payer = NHIA if kind == "nhia" else rng.choices(HMO_NAMES, HMO_WEIGHTS)[0]
                service = service_before(submitted)
                billed = rng.randint(20_000, 250_000) * 100
                yield row(hospital, payer, patient_for(hospital, service), service, billed, submitted)
        # Not yet submitted: care given in the last fortnight, its claim form still being put together.
        for _ in range(NOT_SUBMITTED_PER_HOSPITAL):
            service = today - timedelta(days=rng.randint(1, 14))
            payer = NHIA if rng.random() < 0.5 else rng.choices(HMO_NAMES, HMO_WEIGHTS)[0]
            yield row(hospital, payer, patient_for(hospital, service), service, rng.randint(15_000, 180_000) * 100,
                      None)  # fmt: skip


def _reason(rng, payer: str) -> str:
    reasons, weights = zip(*REASONS, strict=True)
    if payer == "Leadway Health":
        weights = (weights[0] * 3, *weights[1:])  # Leadway insists on a pre-authorisation code for most care
    return rng.choices(reasons, weights)[0]


def _poisson(rng, mean: float) -> int:
    """A small Poisson draw (Knuth's): how many denials a payer sends a hospital in a month."""
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
