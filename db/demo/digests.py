"""Digests by email (migration 0025): a few subscriptions of the demo logins and 30 days of their outbox.

The story (docs/demo-data.md): the network administrator gets the board report every Monday and the network's
alerts every morning; the network executive the board report on the 1st of each month; the largest hospital's
administrator the day's appointments as Excel every morning and the admitted patients every Friday; its
compliance officer the licences expiring within 30 days every Monday; the second hospital's executive its
alerts every morning. The smallest hospital's administrator tried a daily alerts digest and cancelled it
12 days ago. Four days ago the mail server was down from 06:20 to 07:40: the digests due in that window were
retried (after 5, 10, 20 and 40 minutes, the settings' backoff) and went out late, on their third to fifth
attempt. Two days ago the second hospital's executive's mailbox was full: the alerts failed five times and are
marked failed, with the server's answer. Everything else was delivered within the minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from db.base import UserRole
from db.demo.clock import LAGOS
from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import HospitalNode, Network, Person

SUBSCRIPTION_COLUMNS = (
    "id", "user_id", "hospital_id", "kind", "list_key", "filters", "cadence", "send_time", "weekday", "monthday",
    "active", "created_at", "cancelled_at", "cancelled_by",
)  # fmt: skip
OUTBOX_COLUMNS = (
    "id", "subscription_id", "hospital_id", "due_at", "status", "attempts", "next_attempt_at", "last_error",
    "sent_at", "recipient", "subject", "size_bytes", "created_at", "updated_at",
)  # fmt: skip
HISTORY_DAYS = 30
OUTAGE_DAYS_AGO = 4
OUTAGE = (time(6, 20), time(7, 40))  # Lagos: the mail server refused connections
MAILBOX_FULL_DAYS_AGO = 2
RETRY_MINUTES = (5, 10, 20, 40)  # the settings' default backoff (digest_retry_minutes = 5, doubling)
MAILBOX_FULL = (
    "The mail server refused or could not be reached (SMTPRecipientsRefused: {{'{email}': (452, "
    "b'4.2.2 Mailbox full')}})"
)
SIZES = {"board_report": 52_000, "list_excel": 9_000, "alerts_summary": 2_400}
WORDS = {"board_report": "Board report", "alerts_summary": "Alerts"}
LIST_WORDS = {"appointments": "Appointments", "admitted": "Admitted patients", "licences": "Licences"}


def write_digests(network: Network, writer: CopyWriter) -> None:
    subscriptions, outbox = _digests(network)
    writer.write("digest_subscriptions", SUBSCRIPTION_COLUMNS, subscriptions)
    writer.write("digest_outbox", OUTBOX_COLUMNS, outbox)
    writer.finish("digest_subscriptions", "digest_outbox")


def _plan(network: Network) -> list[dict]:
    """The subscriptions: who, what, for which hospital (None: the network), when; in a fixed order."""
    largest, second, smallest = _hospitals(network)
    staff = network.network_staff

    def sub(person: Person, hospital: HospitalNode | None, kind: str, cadence: str, at: str, **more) -> dict:
        return {"person": person, "hospital": hospital, "kind": kind, "cadence": cadence, "at": at, **more}

    return [
        sub(staff[UserRole.ADMIN], None, "board_report", "weekly", "07:00", weekday=0, age=75),
        sub(staff[UserRole.ADMIN], None, "alerts_summary", "daily", "07:00", age=60),
        sub(staff[UserRole.EXECUTIVE], None, "board_report", "monthly", "08:00", monthday=1, age=90),
        sub(largest.staff[UserRole.HOSPITAL_ADMIN], largest, "list_excel", "daily", "06:30", age=45,
            list_key="appointments", filters='{"days": 1}'),
        sub(largest.staff[UserRole.HOSPITAL_ADMIN], largest, "list_excel", "weekly", "17:00", weekday=4, age=45,
            list_key="admitted", filters="{}"),
        sub(largest.staff[UserRole.COMPLIANCE_OFFICER], largest, "list_excel", "weekly", "09:00", weekday=0, age=50,
            list_key="licences", filters='{"band": "final"}'),
        sub(second.staff[UserRole.EXECUTIVE], second, "alerts_summary", "daily", "07:30", age=20),
        sub(smallest.staff[UserRole.HOSPITAL_ADMIN], smallest, "alerts_summary", "daily", "08:00", age=25,
            cancelled=12),
    ]  # fmt: skip


def _hospitals(network: Network) -> tuple[HospitalNode, HospitalNode, HospitalNode]:
    """The largest hospital, the second largest, the smallest (the same one at a network of one or two)."""
    by_size = sorted(network.hospitals, key=lambda h: (-h.size, h.index))
    return by_size[0], by_size[min(1, len(by_size) - 1)], by_size[-1]


def _due_days(plan: dict, first: date, last: date):
    day = first
    while day <= last:
        if (plan["cadence"] == "daily" or (plan["cadence"] == "weekly" and day.weekday() == plan.get("weekday"))
                or (plan["cadence"] == "monthly" and day.day == plan.get("monthday"))):  # fmt: skip
            yield day
        day += timedelta(days=1)


def _digests(network: Network) -> tuple[list[tuple], list[tuple]]:
    rng = network.rng("digests")
    now, today = network.clock.now, network.clock.as_of
    sub_ids, outbox_ids = IdMaker("digest_subscriptions"), IdMaker("digest_outbox")
    outage_day = today - timedelta(days=OUTAGE_DAYS_AGO)
    second = _hospitals(network)[1]
    down_from, down_to = (datetime.combine(outage_day, t, tzinfo=LAGOS) for t in OUTAGE)
    subscriptions, outbox = [], []
    for number, plan in enumerate(_plan(network)):
        person, hospital = plan["person"], plan["hospital"]
        sub_id = sub_ids(number)
        created = now - timedelta(days=plan["age"], hours=rng.randint(1, 8))
        cancelled = now - timedelta(days=plan["cancelled"]) if "cancelled" in plan else None
        hh, mm = (int(p) for p in plan["at"].split(":"))
        subscriptions.append((
            sub_id, person.user_id, hospital.id if hospital else None, plan["kind"], plan.get("list_key"),
            plan.get("filters", "{}"), plan["cadence"], plan["at"], plan.get("weekday"), plan.get("monthday"),
            cancelled is None, created, cancelled, person.user_id if cancelled else None,
        ))  # fmt: skip
        scope = hospital.name if hospital else "All hospitals"
        what = LIST_WORDS[plan["list_key"]] if plan["kind"] == "list_excel" else WORDS[plan["kind"]]
        for day in _due_days(plan, max(created.astimezone(LAGOS).date(), today - timedelta(days=HISTORY_DAYS)), today):
            due = datetime.combine(day, time(hh, mm), tzinfo=LAGOS)
            if due < created or due > now or (cancelled is not None and due > cancelled):
                continue
            subject = f"{what}: {scope}, {day.day} {day:%b %Y}"
            size = int(SIZES[plan["kind"]] * rng.uniform(0.85, 1.2))
            attempts, sent_at = 1, due + timedelta(seconds=rng.randint(20, 90))
            status, error, next_attempt = "sent", None, None
            if down_from <= due < down_to:  # retried on the backoff until the server was back
                tries = [due]
                for wait in RETRY_MINUTES:
                    tries.append(tries[-1] + timedelta(minutes=wait))
                worked = next(n for n, moment in enumerate(tries) if moment >= down_to)  # within 5 at 80 minutes
                attempts, sent_at = worked + 1, tries[worked] + timedelta(seconds=rng.randint(20, 90))
            elif hospital is second and day == today - timedelta(days=MAILBOX_FULL_DAYS_AGO):
                status, attempts, sent_at, error = "failed", 5, None, MAILBOX_FULL.format(email=person.email)
            if sent_at is not None:
                sent_at = min(sent_at, now)  # a digest due a moment before the demo's now was sent by now
            updated = min(sent_at or due + timedelta(minutes=sum(RETRY_MINUTES)), now).astimezone(UTC)
            outbox.append((
                outbox_ids(len(outbox)), sub_id, hospital.id if hospital else None, due.astimezone(UTC), status,
                attempts, next_attempt, error, sent_at.astimezone(UTC) if sent_at else None, person.email,
                subject if status == "sent" else None, size if status == "sent" else None, due.astimezone(UTC),
                updated,
            ))  # fmt: skip
    return subscriptions, outbox
