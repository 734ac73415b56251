"""The referral handshake (domains/emergencies/referral_reads.py, referral_commands.py) under row-level security.

A database of its own with its own two roles (as tests/db/test_row_level_security.py): the owner fills
it, and every service call runs as the least-privilege app role under its actor's scope, one
transaction each, as data.call does. Hospitals: Origin (holds the emergencies), Receiver, Other,
Diverted, Inactive. Each test makes its own emergency, so tests do not depend on each other.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from dashboard.domains.emergencies import diversion, open_list, referral_commands, referral_reads
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound, NotPermitted, OutOfScope, ServiceError
from db import migrate, roles
from db.base import UserRole
from db.engine import make_engine, make_owner_engine
from db.models import AmbulanceRequest, AuditLog, EmergencyRequest, Hospital, HospitalResource, Profile, User
from db.models.emergency import Referral
from db.row_scope import apply_scope
from tests.fixtures.throwaway import create_database, drop_database

SITES = {  # label: (lat, lon, active, diverted)
    "origin": ("6.5244", "3.3792", True, False),
    "receiver": ("6.6018", "3.3515", True, False),
    "other": ("7.1475", "3.3619", True, False),
    "diverted": ("6.4550", "3.3941", True, True),
    "inactive": ("6.5000", "3.3500", False, False),
}


@dataclass
class World:
    app: object
    owner: object
    hospitals: dict[str, str]
    patient: str
    desk: Actor
    actors: dict[str, Actor]


@pytest.fixture(scope="module")
def world(admin_url):
    url = create_database(admin_url, prefix="healthdash_referrals")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    roles.apply_as_superuser(superuser, names)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    migrate.upgrade(owner)
    assert roles.refresh_grants(owner, names)
    hospitals = {}
    with Session(owner) as session, session.begin():
        now = session.scalar(select(func.now()))
        for label, (lat, lon, active, diverted) in SITES.items():
            hospital = Hospital(
                name=f"{label.title()} Hospital", latitude=Decimal(lat), longitude=Decimal(lon), is_active=active,
                accepting_patients=not diverted, diversion_reason="Flooded ward" if diverted else None,
                diversion_until=now + timedelta(hours=3) if diverted else None,
            )  # fmt: skip
            session.add(hospital)
            session.flush()
            session.add(HospitalResource(hospital_id=hospital.id, name="ICU beds", category="beds", total_quantity=4,
                                         available_quantity=2, in_use_quantity=2))  # fmt: skip
            hospitals[label] = hospital.id
        user = User(email="referral.patient@test.healthdash.ng", password="x")
        user.profile = Profile(first_name="Ngozi", last_name="Obi", role=UserRole.PATIENT, phone="+2348011111111")
        session.add(user)
        session.flush()
        patient = user.id
    app = make_engine(roles.as_role(url, names.app))
    actors = {
        label: Actor(f"ha-{label}", UserRole.HOSPITAL_ADMIN, hospitals[label])
        for label in ("origin", "receiver", "other")
    }
    actors["receiver2"] = Actor("ha-receiver-2", UserRole.HOSPITAL_ADMIN, hospitals["receiver"])
    actors["scoped_admin"] = Actor("admin-scoped", UserRole.ADMIN, hospitals["origin"])
    actors["executive"] = Actor("exec", UserRole.EXECUTIVE, None)
    yield World(app, owner, hospitals, patient, Actor("desk", UserRole.ADMIN, None), actors)
    for engine in (app, owner, superuser):
        engine.dispose()
    drop_database(admin_url, url.database)
    with make_engine(admin_url).connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
        conn.commit()


def call(world: World, service, actor: Actor, *args, **kwargs):
    """One unit of work as the app role under the actor's scope, as dashboard.shell.data.call runs it."""
    with Session(world.app) as session, session.begin():
        apply_scope(session, actor.hospital_id, actor.user_id)
        return service(session, actor, *args, **kwargs)


def new_emergency(world: World, *, status: str = "pending") -> str:
    with Session(world.owner) as session, session.begin():
        row = EmergencyRequest(patient_id=world.patient, emergency_type="stroke", severity="critical", status=status,
                               hospital_id=world.hospitals["origin"], location_latitude=Decimal("6.5300"),
                               location_longitude=Decimal("3.3700"))  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def owner_scalar(world: World, stmt):
    with Session(world.owner) as session:
        return session.scalar(stmt)


def audit_actions(world: World, referral_id: str) -> list[str]:
    with Session(world.owner) as session:
        return list(session.scalars(select(AuditLog.action_type).where(AuditLog.resource_id == referral_id)
                                    .order_by(AuditLog.created_at, AuditLog.id)))  # fmt: skip


def test_the_handshake_walks_every_step_with_a_time_and_an_audit_row(world):
    emergency = new_emergency(world)
    made = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"],
                note="Stroke, FAST+")  # fmt: skip
    assert (made.status, made.to_hospital, made.bed_type) == ("pending", "Receiver Hospital", "ICU beds")
    assert made.distance_km == pytest.approx(8.24, abs=0.01)  # 6.53, 3.37 to 6.6018, 3.3515 by haversine
    accepted = call(world, referral_commands.accept, world.actors["receiver"], made.id)
    assert accepted.status == "accepted" and accepted.answered_at is not None
    assert (
        owner_scalar(world, select(EmergencyRequest.hospital_id).where(EmergencyRequest.id == emergency))
        == (world.hospitals["receiver"])
    )  # the receiver took the emergency over
    dispatched = call(world, referral_commands.dispatch, world.actors["receiver"], made.id, eta_minutes=18)
    assert (dispatched.status, dispatched.ambulance_eta, dispatched.ambulance_status) == (
        "dispatched",
        18,
        "dispatched",
    )
    arrived = call(world, referral_commands.arrive, world.desk, made.id)
    closed = call(world, referral_commands.close, world.actors["receiver"], made.id)
    assert (arrived.status, closed.status, closed.ambulance_status) == ("arrived", "closed", "completed")
    steps = [closed.referred_at, closed.answered_at, closed.dispatched_at, closed.arrived_at, closed.closed_at]
    assert None not in steps and steps == sorted(steps)
    assert owner_scalar(world, select(EmergencyRequest.status).where(EmergencyRequest.id == emergency)) == "resolved"
    assert audit_actions(world, made.id) == [
        "referral_made", "referral_accepted", "referral_dispatched", "referral_arrived", "referral_closed",
    ]  # fmt: skip
    # The ambulance made at dispatch runs from the emergency to the hospital.
    ambulance = owner_scalar(world, select(AmbulanceRequest).where(AmbulanceRequest.assigned_hospital_id
                                                                   == world.hospitals["receiver"]))  # fmt: skip
    assert ambulance.contact_phone == "+2348011111111" and ambulance.pickup_latitude == Decimal("6.53")


def test_refused_steps_say_why_and_write_nothing(world):
    emergency = new_emergency(world)
    receiver, other = world.hospitals["receiver"], world.hospitals["other"]
    refusals = [
        (world.actors["receiver"], emergency, receiver, NotPermitted, "dispatch desk"),
        (world.actors["scoped_admin"], emergency, receiver, OutOfScope, "All hospitals"),
        (world.desk, emergency, world.hospitals["diverted"], InvalidInput, "not accepting patients until"),
        (world.desk, emergency, world.hospitals["inactive"], InvalidInput, "not active"),
        (world.desk, emergency, world.hospitals["origin"], InvalidInput, "already with Origin"),
        (world.desk, "no-such-emergency", receiver, NotFound, "no longer exists"),
        (world.desk, emergency, "no-such-hospital", NotFound, "no longer exists"),
    ]
    for actor, emergency_id, hospital_id, error, words in refusals:
        with pytest.raises(error, match=words):
            call(world, referral_commands.refer, actor, emergency_id, hospital_id)
    assert owner_scalar(world, select(func.count()).where(Referral.emergency_request_id == emergency)) == 0

    made = call(world, referral_commands.refer, world.desk, emergency, receiver)
    with pytest.raises(InvalidInput, match="has until .* to answer"):
        call(world, referral_commands.refer, world.desk, emergency, other)
    for actor, error, words in (
        # Row-level security hides it from a third hospital altogether.
        (world.actors["other"], NotFound, "no longer exists"),
        (world.actors["origin"], NotPermitted, "Only Receiver Hospital can accept"),
        (world.desk, NotPermitted, "Only Receiver Hospital"),
        (world.actors["executive"], NotPermitted, "cannot accept"),
    ):
        with pytest.raises(error, match=words):
            call(world, referral_commands.accept, actor, made.id)
    with pytest.raises(InvalidInput, match="accepted first"):
        call(world, referral_commands.dispatch, world.desk, made.id, eta_minutes=10)
    with pytest.raises(InvalidInput, match="arrived first"):
        call(world, referral_commands.close, world.desk, made.id)
    with pytest.raises(InvalidInput, match="Say why"):
        call(world, referral_commands.decline, world.actors["receiver"], made.id, reason="  ")
    declined = call(world, referral_commands.decline, world.actors["receiver"], made.id, reason="No ICU nurse tonight")
    assert (declined.status, declined.decline_reason) == ("declined", "No ICU nurse tonight")
    with pytest.raises(InvalidInput, match="already declined"):
        call(world, referral_commands.decline, world.actors["receiver2"], made.id, reason="again")
    with pytest.raises(InvalidInput, match="already declined, so it can no longer be accepted"):
        call(world, referral_commands.accept, world.actors["receiver"], made.id)
    with pytest.raises(InvalidInput, match="already declined this patient"):
        call(world, referral_commands.refer, world.desk, emergency, receiver)
    assert audit_actions(world, made.id) == ["referral_made", "referral_declined"]  # refusals changed nothing
    # Refer elsewhere after a decline; a closed emergency cannot be referred at all.
    assert call(world, referral_commands.refer, world.desk, emergency, other).status == "pending"
    closed = new_emergency(world, status="resolved")
    with pytest.raises(InvalidInput, match="already resolved"):
        call(world, referral_commands.refer, world.desk, closed, receiver)


def test_an_unanswered_referral_is_flagged_and_the_desk_refers_elsewhere(world):
    emergency = new_emergency(world)
    first = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    assert not first.overdue
    with Session(world.owner) as session, session.begin():
        session.execute(update(Referral).where(Referral.id == first.id)
                        .values(referred_at=func.now() - timedelta(minutes=16)))  # fmt: skip
    listed = {r.id: r for r in call(world, referral_reads.board, world.desk).rows}
    assert listed[first.id].overdue
    opened = call(world, open_list.get_open, world.desk, emergency)
    assert opened.referral_overdue and opened.referral_hospital == "Receiver Hospital"
    second = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["other"])
    assert second.to_hospital == "Other Hospital"
    assert owner_scalar(world, select(Referral.status).where(Referral.id == first.id)) == "withdrawn"
    with pytest.raises(InvalidInput, match="already withdrawn"):
        call(world, referral_commands.accept, world.actors["receiver"], first.id)
    assert call(world, referral_commands.withdraw, world.desk, second.id).status == "withdrawn"


def test_row_level_security_shows_a_referral_to_both_ends_and_no_one_else(world):
    emergency = new_emergency(world)
    made = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])

    def seen(hospital: str | None, *, scoped: bool = True) -> tuple[int, int]:
        with Session(world.app) as session, session.begin():
            if scoped:
                apply_scope(session, hospital)
            return (
                session.scalar(select(func.count()).where(Referral.id == made.id)),
                session.scalar(select(func.count()).where(EmergencyRequest.id == emergency)),
            )

    assert seen(world.hospitals["receiver"]) == (1, 1)  # the receiver reads the emergency referred to it
    assert seen(world.hospitals["origin"]) == (1, 1)
    assert seen(world.hospitals["other"]) == (0, 0)
    assert seen(None) == (1, 1)  # the network
    assert seen(None, scoped=False) == (0, 0)  # no scope: nothing, fail closed

    def take_over(hospital: str) -> int:
        with Session(world.app) as session, session.begin():
            apply_scope(session, hospital)
            return session.execute(
                update(EmergencyRequest).where(EmergencyRequest.id == emergency).values(hospital_id=hospital)
            ).rowcount

    assert take_over(world.hospitals["receiver"]) == 0  # not before it accepts
    assert take_over(world.hospitals["other"]) == 0
    call(world, referral_commands.accept, world.actors["receiver"], made.id)
    assert (
        owner_scalar(world, select(EmergencyRequest.hospital_id).where(EmergencyRequest.id == emergency))
        == (world.hospitals["receiver"])
    )
    # Once it holds an accepted referral, the receiver may change the emergency but not give it to another hospital.
    with pytest.raises(Exception, match="row-level security"), Session(world.app) as session, session.begin():
        apply_scope(session, world.hospitals["receiver"])
        session.execute(update(EmergencyRequest).where(EmergencyRequest.id == emergency)
                        .values(hospital_id=world.hospitals["other"]))  # fmt: skip


def _race(world: World, *calls) -> list[object]:
    """Run the calls at the same moment on two connections; each result is the value or the ServiceError."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(position: int, service, actor, *args) -> None:
        kwargs = {"reason": args[-1]} if service is referral_commands.decline else {}
        args = args[:-1] if kwargs else args
        barrier.wait()
        try:
            results[position] = call(world, service, actor, *args, **kwargs)
        except ServiceError as exc:
            results[position] = exc

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_answers_at_once_one_wins_and_the_other_is_told(world):
    emergency = new_emergency(world)
    made = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    results = _race(
        world,
        (referral_commands.accept, world.actors["receiver"], made.id),
        (referral_commands.decline, world.actors["receiver2"], made.id, "Theatre closed"),
    )
    errors = [r for r in results if isinstance(r, ServiceError)]
    done = [r for r in results if isinstance(r, referral_reads.ReferralRow)]
    assert len(done) == 1 and len(errors) == 1 and isinstance(errors[0], InvalidInput)
    assert "already" in str(errors[0])
    final = owner_scalar(world, select(Referral.status).where(Referral.id == made.id))
    assert final == done[0].status
    assert len(audit_actions(world, made.id)) == 2  # referred, and one answer


def test_two_desks_referring_one_patient_at_once_make_one_referral(world):
    emergency = new_emergency(world)
    results = _race(
        world,
        (referral_commands.refer, world.desk, emergency, world.hospitals["receiver"]),
        (referral_commands.refer, Actor("desk-2", UserRole.ADMIN, None), emergency, world.hospitals["other"]),
    )
    assert sum(isinstance(r, referral_reads.ReferralRow) for r in results) == 1
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(refused) == 1 and "already referred" in str(refused[0])
    assert owner_scalar(world, select(func.count()).where(Referral.emergency_request_id == emergency)) == 1


# --- one state per screen (issue 18) ---------------------------------------------------------------


def _panels(world: World, actor: Actor, emergency: str) -> dict[str, object]:
    """Every place the Emergencies page shows the referral's state, read as the page reads it."""
    board = call(world, referral_reads.board, actor, emergency_id=emergency if actor.network_wide else None)
    listed = [r for r in board.rows if r.emergency_id == emergency]
    opened = call(world, open_list.list_open, actor, page_size=500).rows
    return {
        "board": board,
        "table": [r.status for r in listed],  # the desk's Referrals table, or the hospital's inbox
        "history": [r.status for r in board.history],  # the dispatch panel's "Referrals of this emergency"
        "open list": [e.referral_status for e in opened if e.id == emergency],
        "waiting rows": len(board.waiting),
        "steps": {r.id: referral_reads.next_steps(r, actor) for r in listed},
    }


def test_after_every_step_each_panel_of_the_page_says_the_same_state(world):
    emergency = new_emergency(world)
    receiver = world.actors["receiver"]
    before = call(world, referral_reads.fingerprint, world.desk)
    made = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    after_refer = call(world, referral_reads.fingerprint, world.desk)
    assert after_refer != before  # a page polling the fingerprint reads everything again

    desk = _panels(world, world.desk, emergency)
    assert desk["table"] == desk["history"] == desk["open list"] == ["pending"]
    assert desk["steps"] == {made.id: ("withdraw",)}
    assert desk["board"].awaiting == desk["waiting rows"]
    inbox = _panels(world, receiver, emergency)
    assert inbox["table"] == ["pending"] and inbox["steps"] == {made.id: ("accept", "decline")}

    call(world, referral_commands.accept, receiver, made.id)
    assert call(world, referral_reads.fingerprint, world.desk) != after_refer
    for actor in (world.desk, receiver, world.actors["origin"]):
        seen = _panels(world, actor, emergency)
        board = seen["board"]
        # The card counts the rows the table shows as waiting, and none of them is this accepted one.
        assert board.awaiting == seen["waiting rows"] == sum(1 for r in board.rows if r.status == "pending")
        assert made.id not in {r.id for r in board.waiting}
        assert all(step not in ("withdraw", "accept", "decline") for step in seen["steps"].get(made.id, ()))
        if actor is not world.actors["origin"]:
            assert seen["table"] == ["accepted"], actor
        assert seen["open list"] == ["accepted"], actor
    assert _panels(world, world.desk, emergency)["history"] == ["accepted"]
    assert _panels(world, world.desk, emergency)["steps"][made.id] == ("dispatch", "arrive")

    for step, kwargs, state, steps in (
        (referral_commands.dispatch, {"eta_minutes": 12}, "dispatched", ("arrive",)),
        (referral_commands.arrive, {}, "arrived", ("close",)),
        (referral_commands.close, {}, "closed", ()),
    ):
        call(world, step, receiver, made.id, **kwargs)
        desk = _panels(world, world.desk, emergency)
        assert desk["table"] == desk["history"] == [state]
        assert desk["steps"][made.id] == steps == _panels(world, receiver, emergency)["steps"][made.id]
    assert _panels(world, world.desk, emergency)["open list"] == []  # resolved: off the open list


def test_the_awaiting_card_of_a_hospital_counts_the_referrals_it_must_answer(world):
    emergency = new_emergency(world)
    made = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    origin = call(world, referral_reads.board, world.actors["origin"])
    # The origin sent it: not in its inbox, so not in its card either (it used to count 1 with no row shown).
    assert made.id not in {r.id for r in origin.rows}
    assert origin.awaiting == len(origin.waiting)
    receiving = call(world, referral_reads.board, world.actors["receiver"])
    assert made.id in {r.id for r in receiving.waiting} and receiving.awaiting == len(receiving.waiting)
    call(world, referral_commands.decline, world.actors["receiver"], made.id, reason="No ICU nurse")
    again = call(world, referral_reads.board, world.actors["receiver"])
    assert again.awaiting == receiving.awaiting - 1 == len(again.waiting)
    assert {r.id: r.status for r in again.rows}[made.id] == "declined"


def test_next_steps_offer_only_what_the_commands_allow(world):
    emergency = new_emergency(world)
    made = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    for actor in (world.actors["origin"], world.actors["other"], world.actors["executive"]):
        assert referral_reads.next_steps(made, actor) == ()
    assert referral_reads.next_steps(made, world.actors["scoped_admin"]) == ()  # the desk works network-wide
    with pytest.raises(NotPermitted):
        call(world, referral_commands.accept, world.actors["origin"], made.id)


def test_a_dispatched_emergency_says_so_and_is_referred_again_only_with_a_reason(world):
    emergency = new_emergency(world)
    first = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    call(world, referral_commands.accept, world.actors["receiver"], first.id)
    call(world, referral_commands.dispatch, world.actors["receiver"], first.id, eta_minutes=15)
    warning = call(world, referral_reads.before_referring, world.desk, emergency)
    assert warning is not None and not warning.blocking and warning.referral_id == first.id
    assert warning.sentence.startswith("Ambulance dispatched to Receiver Hospital at ")
    assert "(ETA 15 min)" in warning.sentence
    # Without a reason: refused, saying what it is committed to and what referring again does.
    for reason in (None, "   "):
        with pytest.raises(InvalidInput, match=r"Ambulance dispatched to Receiver Hospital .* say why"):
            call(world, referral_commands.refer, world.desk, emergency, world.hospitals["other"], reason=reason)
    assert owner_scalar(world, select(Referral.status).where(Referral.id == first.id)) == "dispatched"
    # With one: allowed, the earlier referral ended, the reason on the new referral and in the audit row.
    second = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["other"],
                  reason="Receiver's ICU lost power", note="Bring the scan")  # fmt: skip
    assert second.status == "pending" and second.note == "Referred again: Receiver's ICU lost power — Bring the scan"
    assert owner_scalar(world, select(Referral.status).where(Referral.id == first.id)) == "withdrawn"
    with Session(world.owner) as session:
        made = session.scalar(select(AuditLog.new_values).where(AuditLog.resource_id == second.id))
    assert made["referred_again_because"] == "Receiver's ICU lost power"
    assert made["withdrew"] == {"referral_id": first.id, "hospital": "Receiver Hospital", "was": "dispatched"}
    # The ambulance is not called back by it: the desk does that.
    ambulance = select(AmbulanceRequest.status).join(Referral, Referral.ambulance_request_id == AmbulanceRequest.id)
    assert owner_scalar(world, ambulance.where(Referral.id == first.id)) == "dispatched"


def test_an_accepted_emergency_warns_and_an_arrived_patient_is_refused(world):
    emergency = new_emergency(world)
    assert call(world, referral_reads.before_referring, world.desk, emergency) is None
    first = call(world, referral_commands.refer, world.desk, emergency, world.hospitals["receiver"])
    assert call(world, referral_reads.before_referring, world.desk, emergency) is None  # pending: the answer-time rule
    call(world, referral_commands.accept, world.actors["receiver"], first.id)
    warning = call(world, referral_reads.before_referring, world.desk, emergency)
    assert warning.sentence.startswith("Receiver Hospital accepted this patient at ")
    call(world, referral_commands.arrive, world.actors["receiver"], first.id)
    refused = call(world, referral_reads.before_referring, world.desk, emergency)
    assert refused.blocking
    with pytest.raises(InvalidInput, match="arrived at Receiver Hospital"):
        call(world, referral_commands.refer, world.desk, emergency, world.hospitals["other"], reason="any")
    # Marked dispatched outside any referral (a hospital's own ambulance): says so, needs a reason too.
    marked = new_emergency(world, status="dispatched")
    said = call(world, referral_reads.before_referring, world.desk, marked)
    assert said is not None and "dispatched" in said.sentence
    with pytest.raises(InvalidInput, match="say why"):
        call(world, referral_commands.refer, world.desk, marked, world.hospitals["other"])
    again = call(world, referral_commands.refer, world.desk, marked, world.hospitals["other"],
                 reason="Own ambulance broke")  # fmt: skip
    assert again.status == "pending"


def test_an_open_desk_page_sees_a_diversion_the_moment_it_is_set_or_ended(world):
    """The desk's page redraws when its fingerprint changes: a hospital that stops accepting must change it."""
    desk, receiver = world.desk, world.actors["receiver"]
    before = call(world, referral_reads.fingerprint, desk)
    call(world, diversion.set_diversion, receiver, world.hospitals["receiver"], reason="Generator down",
         until=datetime.now(UTC) + timedelta(hours=2))  # fmt: skip
    during = call(world, referral_reads.fingerprint, desk)
    assert during != before
    call(world, diversion.end_diversion, receiver, world.hospitals["receiver"])
    assert call(world, referral_reads.fingerprint, desk) != during
