"""Daily analytics metrics per hospital, for the 365 days before as_of."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from db.demo.amounts import naira
from db.demo.clock import utc_midnight
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.money import expected_daily_revenue_kobo
from db.demo.network import Network

ANALYTICS_COLUMNS = ("id", "hospital_id", "metric_name", "metric_value", "metric_date", "created_at")
METRICS = (
    "daily_appointments",  # counted from the appointments table (not cancelled, by Lagos date), as the Overview
    "bed_occupancy_rate",  # percent of usable beds held at the end of the day (db/demo/wards.py)
    "average_wait_minutes",  # outpatient wait
    "revenue_ngn",  # naira, agrees with the month's revenue rows in hospital_financial_data
    "emergency_count",  # counted from the emergency_requests table (by hospital_id and Lagos date of creation)
    "patient_satisfaction",  # average rating out of 5
)


def write_analytics(network: Network, writer: CopyWriter) -> None:
    """Needs the appointment and emergency counts, so it runs after those tables are written."""
    writer.write("analytics_data", ANALYTICS_COLUMNS, _analytics(network))
    writer.finish("analytics_data")


def _analytics(network: Network) -> Iterator[tuple]:
    rng = network.rng("analytics_data")
    ids = IdMaker("analytics_data")
    clock = network.clock
    days = clock.history_days()
    stamps = [(utc_midnight(day), utc_midnight(day) + timedelta(days=1, minutes=30)) for day in days]
    number = 0
    for hospital in network.hospitals:
        hospital_id = hospital.id
        appointments = network.appointments_per_day[hospital.index]
        emergencies = network.emergencies_per_day[hospital.index]
        occupancy = network.occupancy_per_day[hospital.index]
        for index, day in enumerate(days):
            metric_date, created = stamps[index]
            weekday_rush = 1.25 if day.weekday() == 0 else (0.7 if day.weekday() >= 5 else 1.0)
            wait = max(8.0, hospital.wait_minutes * weekday_rush * rng.uniform(0.8, 1.2))
            revenue = expected_daily_revenue_kobo(network, hospital, day) * rng.uniform(0.85, 1.15)
            # Long waits cost stars: 150 extra minutes of waiting is one star less.
            rating = hospital.satisfaction - (wait - hospital.wait_minutes) / 150 + rng.gauss(0, 0.12)
            satisfaction = max(1.0, min(5.0, rating))
            values = (
                str(appointments[index]),
                f"{occupancy[index]:.2f}",
                f"{wait:.1f}",
                naira(int(revenue)),
                str(emergencies[index]),
                f"{satisfaction:.2f}",
            )
            for name, value in zip(METRICS, values, strict=True):
                yield ids(number), hospital_id, name, value, metric_date, created
                number += 1
