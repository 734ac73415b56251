"""Patient wallets with a ledger that adds up, and hospitals' monthly revenue and expenses.

Every wallet's ledger starts at zero with a top-up; each row's balance_after is the previous one
plus a credit or minus a debit, a debit never exceeds the balance, and the wallet's balance is the
last balance_after. Amounts are integers in kobo until written, so nothing is lost to rounding.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from db.demo.amounts import naira, round_naira
from db.demo.clock import HISTORY_DAYS, LAGOS, DemoClock
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import HospitalNode, Network, Person

WALLET_COLUMNS = ("id", "user_id", "balance", "currency", "created_at", "updated_at")
TRANSACTION_COLUMNS = (
    "id", "wallet_id", "transaction_type", "amount", "balance_after", "description", "reference_id", "created_at",
)  # fmt: skip
FINANCE_COLUMNS = (
    "id", "hospital_id", "transaction_type", "category", "amount", "currency", "description", "transaction_date",
    "fiscal_month", "reference_id", "metadata", "created_at", "updated_at",
)  # fmt: skip

WALLET_BATCH = 5_000
TOP_UPS = ((2_000, 15), (5_000, 30), (10_000, 25), (20_000, 18), (50_000, 8), (100_000, 4))
LAB_TESTS = (
    ("Full blood count", 4_500),
    ("Malaria parasite test", 2_500),
    ("Fasting blood sugar", 2_000),
    ("Lipid profile", 9_000),
    ("Liver function test", 12_000),
    ("Widal test", 3_000),
    ("Urinalysis", 2_500),
    ("HbA1c", 10_000),
)
PHARMACY_ITEMS = (
    ("Artemether-lumefantrine", 3_500),
    ("Amlodipine 5 mg (30 tablets)", 2_800),
    ("Metformin 500 mg (60 tablets)", 3_200),
    ("Amoxicillin 500 mg (21 capsules)", 2_400),
    ("Paracetamol 500 mg", 600),
    ("Losartan 50 mg (30 tablets)", 5_500),
    ("Prenatal vitamins", 4_000),
)
PLAN_FEES = {"premium": 2_500, "family": 4_500}

# Shares of a hospital's monthly revenue and expenses (naira, typical Nigerian private/teaching mix).
REVENUE_SHARES = (
    ("consultations", 0.18),
    ("inpatient_services", 0.22),
    ("laboratory", 0.12),
    ("pharmacy", 0.16),
    ("radiology", 0.07),
    ("surgery", 0.10),
    ("telemedicine", 0.04),
    ("nhia_capitation", 0.06),
    ("hmo_claims", 0.05),
)
EXPENSE_SHARES = (
    ("salaries", 0.42),
    ("pharmaceuticals", 0.16),
    ("medical_supplies", 0.12),
    ("utilities_and_diesel", 0.10),  # grid power is unreliable: generators run for hours a day
    ("equipment_maintenance", 0.06),
    ("rent_and_facilities", 0.05),
    ("administration", 0.06),
    ("insurance", 0.03),
)
DAILY_REVENUE_NAIRA_AT_SIZE_1 = 1_600_000  # ~N48M a month for a typical (size 1.0) hospital
# A day's revenue: steady takings, then the shares that follow the day's appointments and occupied beds.
STEADY_SHARE, OUTPATIENT_SHARE, INPATIENT_SHARE = 0.5, 0.25, 0.25
WEEKDAY_FACTORS = (1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.55)  # Monday .. Sunday


def write_wallets(network: Network, writer: CopyWriter) -> None:
    rng = network.rng("wallets")
    wallet_ids = IdMaker("wallets")
    transaction_ids = IdMaker("wallet_transactions")
    patients = network.patients
    transaction_number = 0
    for start in range(0, len(patients), WALLET_BATCH):
        wallets, transactions = [], []
        for offset, patient in enumerate(patients[start : start + WALLET_BATCH]):
            wallet_id = wallet_ids(start + offset)
            created = patient.created_at + timedelta(seconds=rng.randint(1, 120))
            ledger = _ledger(rng, network, patient, created)
            balance = 0
            for moment, kind, amount, balance, description, reference in ledger:
                transactions.append(
                    (transaction_ids(transaction_number), wallet_id, kind, naira(amount), naira(balance),
                     description, reference, moment)
                )  # fmt: skip
                transaction_number += 1
            updated = ledger[-1][0] if ledger else created
            wallets.append((wallet_id, patient.user_id, naira(balance), "NGN", created, updated))
        writer.write("wallets", WALLET_COLUMNS, wallets)
        writer.write("wallet_transactions", TRANSACTION_COLUMNS, transactions)
    writer.finish("wallets", "wallet_transactions")


def _ledger(rng, network: Network, patient: Person, created: datetime) -> list[tuple]:
    """(moment, 'credit'|'debit', amount kobo, balance after, description, reference) in time order."""
    if rng.random() < 0.05:
        return []  # signed up, never paid for anything
    clock = network.clock
    count = rng.randint(2, 13)
    start = max(created, clock.history_start)
    moments = sorted(clock.between(rng, start, clock.now - timedelta(hours=1)) for _ in range(count))
    physicians = patient.hospital.physicians
    amounts, values = zip(*TOP_UPS, strict=True)
    ledger: list[tuple] = []
    balance = 0

    def record(moment: datetime, kind: str, amount: int, description: str, reference: str) -> None:
        nonlocal balance
        if ledger:  # strictly increasing times: ordering by created_at replays the ledger exactly
            moment = max(moment, ledger[-1][0] + timedelta(seconds=1))
        balance += amount if kind == "credit" else -amount
        ledger.append((moment, kind, amount, balance, description, reference))

    def credit(moment: datetime, amount: int, description: str) -> None:
        record(moment, "credit", amount, description, f"PSK_{rng.getrandbits(48):012x}")

    for moment in moments:
        if not ledger or balance < 200_000 or rng.random() < 0.3:
            credit(moment, rng.choices(amounts, values)[0] * 100, "Wallet top-up (card)")
            continue
        draw = rng.random()
        if draw < 0.4:
            doctor = rng.choice(physicians)
            price, description = doctor.fee_kobo, f"Video consultation with Dr. {doctor.last_name}"
        elif draw < 0.65:
            test, naira_price = rng.choice(LAB_TESTS)
            price, description = round_naira(naira_price * rng.uniform(0.9, 1.2)), f"Lab test: {test}"
        elif draw < 0.9:
            item, naira_price = rng.choice(PHARMACY_ITEMS)
            price, description = round_naira(naira_price * rng.uniform(0.9, 1.3)), f"Pharmacy: {item}"
        elif patient.subscription_plan in PLAN_FEES:
            price = PLAN_FEES[patient.subscription_plan] * 100
            description = f"Subscription: {patient.subscription_plan} plan"
        else:
            credit(moment, rng.choice((1_000, 2_500, 5_000)) * 100, "Refund: cancelled appointment")
            continue
        if price > balance:  # the app asks for the shortfall first, so a debit never overdraws
            credit(moment, round_naira((price - balance) / 100 + 1_000, 500), "Wallet top-up (shortfall)")
        record(moment, "debit", price, description, f"INV-{rng.getrandbits(40):010x}")
    return ledger


# -- hospital finances -------------------------------------------------------------------------


def expected_daily_revenue_kobo(network: Network, hospital: HospitalNode, day: date) -> float:
    """The revenue a hospital expects on `day`: its size and the network's growth, scaled by that day's work.

    Part of a day's takings is steady (NHIA capitation, HMO claims, pharmacy and laboratory walk-ins,
    weekday and season), part follows the appointments kept that day and part the beds occupied that
    night, each against the hospital's own average, so a busy day earns more and a quiet one less.
    Monthly finance rows sum it; the daily revenue metric adds noise to it; so the two agree.
    """
    clock = network.clock
    growth = 1 + 0.15 * (day - clock.history_start.date()).days / 365
    season = 1.12 if day.month in (7, 8, 9, 10) else (0.92 if day.month == 12 else 1.0)  # malaria season peak
    steady = season * WEEKDAY_FACTORS[day.weekday()]
    outpatients = inpatients = 1.0
    index = (day - clock.as_of).days + HISTORY_DAYS
    if 0 <= index < HISTORY_DAYS:
        appointments = network.appointments_per_day[hospital.index]
        usual = _usual(network, hospital)
        # Before a hospital joined the platform it booked nothing here, yet it still saw its outpatients: its usual.
        if index >= usual[2]:
            outpatients = appointments[index] / usual[0] if usual[0] else 1.0
        inpatients = network.occupancy_per_day[hospital.index][index] / usual[1] if usual[1] else 1.0
    activity = STEADY_SHARE * steady + OUTPATIENT_SHARE * outpatients + INPATIENT_SHARE * inpatients
    return DAILY_REVENUE_NAIRA_AT_SIZE_1 * 100 * hospital.size * growth * activity


def _usual(network: Network, hospital: HospitalNode) -> tuple[float, float, int]:
    """(appointments kept per day since it joined the platform, percent of beds occupied on the average day of the
    year, the history day it joined).

    Appointments are averaged over the days since the hospital joined, not the whole year: a hospital that joined
    weeks ago (one awaiting verification) would otherwise count every day as many times its "usual" and book a
    running month at several times the month before (seen at Abuja: November 3.7 times October).
    """
    cache, index = network.usual_activity, hospital.index
    if index not in cache:
        joined = min(max(network.clock.day_index(hospital.joined_at), 0), HISTORY_DAYS - 1)
        appointments = network.appointments_per_day[index][joined:HISTORY_DAYS]
        occupancy = network.occupancy_per_day[index][:HISTORY_DAYS]
        cache[index] = (sum(appointments) / len(appointments), sum(occupancy) / HISTORY_DAYS, joined)
    return cache[index]


def finance_months(clock: DemoClock) -> list[tuple[date, date]]:
    """(first day, last day covered) of 12 fiscal months ending with the month of as_of - 1 day."""
    last_day = clock.as_of - timedelta(days=1)
    months = []
    year, month = last_day.year, last_day.month
    for _ in range(12):
        first = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
        months.append((first, min(end, last_day)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def write_finances(network: Network, writer: CopyWriter) -> None:
    writer.write("hospital_financial_data", FINANCE_COLUMNS, _finance_rows(network))
    writer.finish("hospital_financial_data")


def _finance_rows(network: Network) -> Iterator[tuple]:
    rng = network.rng("hospital_financial_data")
    ids = IdMaker("hospital_financial_data")
    clock = network.clock
    months = finance_months(clock)
    number = 0
    for hospital in network.hospitals:
        for first, last in months:
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            revenue = sum(expected_daily_revenue_kobo(network, hospital, d) for d in days) * rng.uniform(0.96, 1.04)
            expenses = revenue * rng.uniform(0.78, 1.03)  # some months run at a loss
            partial = last.day != calendar.monthrange(last.year, last.month)[1]
            booked = datetime.combine(last, time(23, 0), tzinfo=LAGOS)
            created = min(booked + timedelta(hours=2), clock.now)
            metadata = json.dumps(
                {"source": "month_to_date" if partial else "monthly_close", "days_covered": len(days)}
            )
            fiscal_month = f"{first:%Y-%m}"
            for kind, shares, total in (("revenue", REVENUE_SHARES, revenue), ("expense", EXPENSE_SHARES, expenses)):
                weights = [share * rng.uniform(0.85, 1.15) for _, share in shares]
                for (category, _), weight in zip(shares, weights, strict=True):
                    amount = int(total * weight / sum(weights))
                    words = category.replace("_", " ")
                    yield (
                        ids(number),
                        hospital.id,
                        kind,
                        category,
                        naira(amount),
                        "NGN",
                        f"{first:%B %Y} {words} {kind}{' (month to date)' if partial else ''}",
                        booked,
                        fiscal_month,
                        f"GL-{hospital.site.slug}-{first:%Y%m}-{category}",
                        metadata,
                        created,
                        created,
                    )
                    number += 1
