"""In-app notifications for patients, physicians and staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import Network

NOTIFICATION_COLUMNS = ("id", "user_id", "type", "title", "message", "read", "created_at")
PATIENT_NOTIFICATIONS = (
    ("reminder", "Appointment reminder", "You have an appointment with Dr. {doctor} tomorrow at {time}."),
    ("success", "Wallet topped up", "₦{amount} was added to your wallet."),
    ("info", "Prescription ready", "Your prescription is ready for collection at the pharmacy."),
    ("info", "Lab results available", "Your lab results are ready. Open Health Records to view them."),
    ("warning", "Low wallet balance", "Your wallet balance is low. Top up before your next consultation."),
    ("reminder", "Take your medication", "Reminder: take your evening dose."),
)
STAFF_NOTIFICATIONS = (
    ("warning", "Documents awaiting verification", "{count} documents are waiting for review."),
    ("error", "Stock-out alert", "Oxytocin (ampoules) is out of stock at {hospital}."),
    ("reminder", "Compliance assessment due", "The fire safety assessment for {hospital} is due this month."),
    ("info", "Monthly finance report ready", "The finance report for {hospital} is ready."),
    ("warning", "Long waiting times", "Outpatients at {hospital} waited over 90 minutes on average yesterday."),
)
PHYSICIAN_NOTIFICATIONS = (
    ("reminder", "Video consultation soon", "Your video consultation with {patient} starts in 15 minutes."),
    ("info", "New message", "{patient} sent you a message."),
)


def write_notifications(network: Network, writer: CopyWriter) -> None:
    writer.write("notifications", NOTIFICATION_COLUMNS, _notifications(network))
    writer.finish("notifications")


def _notifications(network: Network) -> Iterator[tuple]:
    rng = network.rng("notifications")
    ids = IdMaker("notifications")
    clock = network.clock
    staff = network.staff
    physicians = network.physicians
    for number in range(network.plan.notifications):
        draw = rng.random()
        if draw < 0.75:
            user = network.pick_patient(rng)
            kind, title, template = rng.choice(PATIENT_NOTIFICATIONS)
            doctor = rng.choice(user.hospital.physicians)
            text = template.format(
                doctor=doctor.last_name, time=rng.choice(("09:00", "10:30", "13:15", "15:45")),
                amount=f"{rng.choice((2_000, 5_000, 10_000, 20_000)):,}",
            )  # fmt: skip
        elif draw < 0.9:
            user = rng.choice(physicians)
            kind, title, template = rng.choice(PHYSICIAN_NOTIFICATIONS)
            text = template.format(patient=rng.choice(user.hospital.patients).full_name)
        else:
            user = rng.choice(staff)
            kind, title, template = rng.choice(STAFF_NOTIFICATIONS)
            hospital = user.hospital or rng.choice(network.hospitals)
            text = template.format(count=rng.randint(2, 12), hospital=hospital.name)
        created = clock.between(rng, max(user.created_at, clock.history_start), clock.now - timedelta(minutes=10))
        read = rng.random() < (0.9 if clock.now - created > timedelta(days=3) else 0.3)
        yield ids(number), user.user_id, kind, title, text, read, created
