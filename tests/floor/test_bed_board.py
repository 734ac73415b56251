"""The bed board: beds as rows, their lifecycle, and the bed resource counts the database derives from them.

On the hospital floor fixture, hospital A puts its general ward on the board (beds 1-6 of "Ward A"); Amaka,
admitted to General ward beds already, is seated in the first bed. Every change (admit, discharge, transfer,
clean, block, reserve) is followed by the check that matters: the resource's four counts are its beds, and
the bed census's "held by admitted patients" equals the beds in use. The schema's own guards (occupied iff an
admission, blocked with a reason, no hand count on a board ward) and row-level security as the app role close it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from dashboard.domains.floor import admission_commands, bed_board, bed_commands, bed_figures, resource_commands
from dashboard.platform.dates import LAGOS
from dashboard.platform.errors import InvalidInput, NotPermitted, OutOfScope
from db import demo, migrate
from db.engine import make_engine
from db.models import AuditLog, Bed, Hospital, HospitalResource
from db.row_scope import apply_scope
from tests.fixtures import hospital_floor
from tests.fixtures.hospital_floor import resource_counts
from tests.fixtures.throwaway import create_database, drop_database
from tests.money.test_ledger_concurrency import secured_database

floor = hospital_floor.floor


@pytest.fixture
def board(db_session, floor):
    """Hospital A's general ward on the board: Ward A, beds 1-6."""
    said = bed_commands.add_beds(
        db_session, floor.actor("ha_a"), hospital_id=floor.hospital_a, resource_id=floor.resources["a_general"],
        ward="Ward A", labels="1-6", bed_type="general",
    )  # fmt: skip
    return said


def beds_of(db, resource_id) -> dict[str, Bed]:
    db.expire_all()
    return {b.label: b for b in db.scalars(select(Bed).where(Bed.resource_id == resource_id))}


def assert_counts_are_the_beds(db, floor, resource_id):
    """The resource's counts are its beds (free, occupied, the rest), and the census holds what is in use."""
    states = Counter(b.state for b in beds_of(db, resource_id).values())
    total, available, in_use, maintenance, _ = resource_counts(db, resource_id)
    assert (total, available, in_use, maintenance) == (
        sum(states.values()), states["free"], states["occupied"],
        states["cleaning"] + states["blocked"] + states["reserved"],
    )  # fmt: skip
    ward = next(w for w in bed_figures.bed_census(db, floor.actor("ha_a")).wards if w.resource_id == resource_id)
    assert ward.beds.held == ward.beds.in_use == states["occupied"]


def test_adding_beds_takes_over_the_counts_and_seats_the_patient_already_there(db_session, floor, board):
    general = floor.resources["a_general"]
    assert board.startswith("6 beds added to Ward A. 1 of them now hold")
    beds = beds_of(db_session, general)
    assert sorted(beds, key=int) == ["1", "2", "3", "4", "5", "6"]
    assert beds["1"].state == "occupied" and beds["1"].admission_id == floor.admissions["amaka_general"]
    assert resource_counts(db_session, general)[:4] == (6, 5, 1, 0)
    assert_counts_are_the_beds(db_session, floor, general)
    row = db_session.scalars(select(AuditLog).where(AuditLog.action_type == "beds_added")).one()
    assert row.new_values["labels"] == ["1", "2", "3", "4", "5", "6"] and row.hospital_id == floor.hospital_a


def test_admit_discharge_transfer_and_clean_keep_the_counts_equal_to_the_beds(db_session, floor, board):
    ha, general = floor.actor("ha_a"), floor.resources["a_general"]
    beds = beds_of(db_session, general)
    admitted = admission_commands.admit(
        db_session, ha, hospital_id=floor.hospital_a, patient_id=floor.users["patient_5"], bed_id=beds["4"].id
    )
    assert admitted.bed_resource_id == general
    assert beds_of(db_session, general)["4"].admission_id == admitted.admission_id
    assert_counts_are_the_beds(db_session, floor, general)
    # Without a bed named, the first free bed of the ward is taken (a waiting patient given a bed).
    admission_commands.transfer(db_session, ha, floor.admissions["ngozi_waiting"], bed_resource_id=general,
                                room_number=None)  # fmt: skip
    assert beds_of(db_session, general)["2"].admission_id == floor.admissions["ngozi_waiting"]
    assert_counts_are_the_beds(db_session, floor, general)
    # A move to another bed: the old one goes to cleaning.
    admission_commands.transfer(db_session, ha, admitted.admission_id, room_number=None, bed_id=beds["6"].id)
    now = beds_of(db_session, general)
    assert (now["4"].state, now["4"].admission_id, now["6"].admission_id) == ("cleaning", None, admitted.admission_id)
    assert_counts_are_the_beds(db_session, floor, general)
    admission_commands.discharge(db_session, ha, admitted.admission_id)
    assert beds_of(db_session, general)["6"].state == "cleaning"
    assert resource_counts(db_session, general)[:4] == (6, 2, 2, 2)
    assert_counts_are_the_beds(db_session, floor, general)
    assert bed_commands.mark_clean(db_session, ha, beds["6"].id) == "Ward A, bed 6 is now free."
    assert resource_counts(db_session, general)[:4] == (6, 3, 2, 1)
    assert_counts_are_the_beds(db_session, floor, general)
    # The free-bed figure of every page reads the same truth.
    totals = bed_figures.bed_totals(db_session, ha)
    assert totals.in_use == totals.held + (4 - 1) + 3 + 4  # ICU, maternity and paediatric still typed


def test_block_reserve_and_their_reasons(db_session, floor, board):
    ha, general = floor.actor("ha_a"), floor.resources["a_general"]
    beds = beds_of(db_session, general)
    with pytest.raises(InvalidInput, match="Say why the bed is blocked"):
        bed_commands.block(db_session, ha, beds["3"].id, reason="  ")
    said = bed_commands.block(db_session, ha, beds["3"].id, reason="Broken bed rail")
    assert said == "Ward A, bed 3 is now blocked: Broken bed rail."
    with pytest.raises(InvalidInput, match="Say who or what the bed is kept for"):
        bed_commands.reserve(db_session, ha, beds["5"].id, reason=None)
    bed_commands.reserve(db_session, ha, beds["5"].id, reason="Referral from LUTH")
    assert resource_counts(db_session, general)[:4] == (6, 3, 1, 2)
    assert_counts_are_the_beds(db_session, floor, general)
    bed_commands.unblock(db_session, ha, beds["3"].id)
    bed_commands.release(db_session, ha, beds["5"].id)
    assert resource_counts(db_session, general)[:4] == (6, 5, 1, 0)
    actions = db_session.scalars(select(AuditLog.action_type).where(AuditLog.resource_type == "bed")).all()
    assert Counter(actions) == Counter(["bed_blocked", "bed_reserved", "bed_unblocked", "bed_released"])


def test_a_bed_moves_only_along_its_lifecycle(db_session, floor, board):
    ha, general = floor.actor("ha_a"), floor.resources["a_general"]
    beds = beds_of(db_session, general)
    with pytest.raises(InvalidInput, match=r"^This bed \(Ward A, bed 1\) is occupied, so it cannot be blocked now\."):
        bed_commands.block(db_session, ha, beds["1"].id, reason="Leaking roof")
    with pytest.raises(InvalidInput, match=r"^This bed \(Ward A, bed 2\) is already free: nothing to change\."):
        bed_commands.mark_clean(db_session, ha, beds["2"].id)
    with pytest.raises(InvalidInput, match=r"^Ward A, bed 1 is occupied, not blocked\."):
        bed_commands.unblock(db_session, ha, beds["1"].id)
    admission_commands.discharge(db_session, ha, floor.admissions["amaka_general"])
    # A bed being cleaned is given to nobody.
    with pytest.raises(InvalidInput, match=r"^Ward A, bed 1 is being cleaned\. Pick another ward"):
        admission_commands.admit(db_session, ha, hospital_id=floor.hospital_a, patient_id=floor.users["patient_5"],
                                 bed_id=beds["1"].id)  # fmt: skip
    assert beds_of(db_session, general)["1"].state == "cleaning"
    assert_counts_are_the_beds(db_session, floor, general)


def test_a_full_ward_refuses_an_admission_in_a_sentence(db_session, floor, board):
    ha, general = floor.actor("ha_a"), floor.resources["a_general"]
    for label, bed in beds_of(db_session, general).items():
        if label != "1":
            bed_commands.block(db_session, ha, bed.id, reason="Ward repainting")
    with pytest.raises(InvalidInput, match=f"^No General ward beds are free at {hospital_floor.HOSPITAL_A}\\."):
        admission_commands.admit(db_session, ha, hospital_id=floor.hospital_a, patient_id=floor.users["patient_5"],
                                 bed_resource_id=general)  # fmt: skip
    assert_counts_are_the_beds(db_session, floor, general)


def test_the_resources_page_refuses_a_hand_count_of_a_board_ward(db_session, floor, board):
    ha, general = floor.actor("ha_a"), floor.resources["a_general"]
    with pytest.raises(InvalidInput, match="^The bed board keeps the counts of General ward beds at .*: they follow"):
        resource_commands.update_quantities(db_session, ha, general, total=10, available=9, in_use=1, maintenance=0)
    # A ward not on the board keeps its typed counts.
    resource_commands.update_quantities(db_session, ha, floor.resources["a_isolation"], total=3, available=3,
                                        in_use=0, maintenance=0)  # fmt: skip
    assert resource_counts(db_session, floor.resources["a_isolation"])[:4] == (3, 3, 0, 0)
    # The database refuses it too, for any client: only the beds move a board ward's counts.
    with pytest.raises(DBAPIError, match="kept by its bed board"), db_session.begin_nested():
        db_session.execute(
            text("UPDATE hospital_resources SET total_quantity = 7, available_quantity = 6 WHERE id = :id"),
            {"id": general},
        )


def test_adding_beds_is_refused_in_sentences(db_session, floor, board):
    ha = floor.actor("ha_a")
    add = dict(hospital_id=floor.hospital_a, resource_id=floor.resources["a_general"], bed_type="general")
    with pytest.raises(InvalidInput, match="^Ward A already has beds 5, 6: pick other numbers"):
        bed_commands.add_beds(db_session, ha, ward="Ward A", labels="5-8", **add)
    with pytest.raises(InvalidInput, match="^Name the ward"):
        bed_commands.add_beds(db_session, ha, ward=" ", labels="1-2", **add)
    with pytest.raises(InvalidInput, match="is not a range of up to 200 beds"):
        bed_commands.add_beds(db_session, ha, ward="Ward C", labels="1-1000", **add)
    with pytest.raises(InvalidInput, match="^That is not a bed resource of"):
        bed_commands.add_beds(db_session, ha, ward="Ward C", labels="1-2", **{
            **add, "resource_id": floor.resources["b_general"]})  # fmt: skip
    # ICU has Tunde admitted: two new ICU beds seat him in the first.
    said = bed_commands.add_beds(db_session, ha, ward="ICU", labels="ICU1-ICU2", hospital_id=floor.hospital_a,
                                 resource_id=floor.resources["a_icu"], bed_type="icu")  # fmt: skip
    assert "1 of them now hold" in said and "ICU beds at" in said
    assert bed_commands.bed_labels("B1-B3, 7") == ["B1", "B2", "B3", "7"]


def test_scope_and_role_refusals(db_session, floor, board):
    bed = beds_of(db_session, floor.resources["a_general"])["2"]
    with pytest.raises(OutOfScope):
        bed_commands.block(db_session, floor.actor("ha_b"), bed.id, reason="Not mine")
    with pytest.raises(OutOfScope):
        bed_board.beds(db_session, floor.actor("ha_b"), floor.hospital_a)
    with pytest.raises(NotPermitted):
        bed_commands.block(db_session, floor.actor("exec_a"), bed.id, reason="Executives read")
    with pytest.raises(InvalidInput, match="^That is not a bed of"):
        admission_commands.admit(db_session, floor.actor("ha_b"), hospital_id=floor.hospital_b,
                                 patient_id=floor.users["patient_5"], bed_id=bed.id)  # fmt: skip
    assert beds_of(db_session, floor.resources["a_general"])["2"].state == "free"


def test_the_board_reads_patients_days_and_wards(db_session, floor, board):
    read = bed_board.beds(db_session, floor.actor("exec_a"), floor.hospital_a)
    first = read[0]
    assert (first.name, first.patient_name, round(first.days_in)) == ("Ward A, bed 1", "Amaka Eze", 2)
    assert [b.label for b in read] == ["1", "2", "3", "4", "5", "6"]
    assert bed_board.by_ward(read)[0] == bed_board.WardStates("Ward A", 5, 1, 0, 0, 0)
    hospitals = bed_board.board_hospitals(db_session, floor.actor("admin"))
    assert [(h.hospital_id, h.beds) for h in hospitals] == [(floor.hospital_a, 6)]


def test_the_schema_makes_bad_beds_unwritable(db_session, floor, board):
    general = floor.resources["a_general"]
    bed = beds_of(db_session, general)["2"]
    bad = {
        "state = 'occupied'": "ck_beds_occupied_by_admission",
        "state = 'blocked', reason = NULL": "ck_beds_reason_given",
        "state = 'reserved', reason = ' '": "ck_beds_reason_given",
        "admission_id = :musa_b, state = 'occupied'": "of hospital",
        "resource_id = :b_general": "not a bed resource of hospital",
    }
    for change, refusal in bad.items():
        with pytest.raises((IntegrityError, DBAPIError), match=refusal), db_session.begin_nested():
            values = {"id": bed.id, "musa_b": floor.admissions["musa_b"], "b_general": floor.resources["b_general"]}
            db_session.execute(text(f"UPDATE beds SET {change} WHERE id = :id"), values)
    with pytest.raises(IntegrityError, match="uq_beds_hospital_id_ward_label"), db_session.begin_nested():
        db_session.add(Bed(hospital_id=floor.hospital_a, resource_id=general, ward="Ward A", label="2"))
        db_session.flush()
    # A state change dates itself, whoever writes it.
    before = bed.state_since
    db_session.execute(text("UPDATE beds SET state = 'cleaning' WHERE id = :id"), {"id": bed.id})
    assert beds_of(db_session, general)["2"].state_since >= before


def test_row_level_security_holds_beds_to_their_hospital(admin_url):
    with secured_database(admin_url, "healthdash_beds_rls") as database:
        with Session(database.owner) as db, db.begin():
            hospitals = [Hospital(name="Alpha beds"), Hospital(name="Beta beds")]
            db.add_all(hospitals)
            db.flush()
            for h in hospitals:
                resource = HospitalResource(hospital_id=h.id, name="General ward beds", category="beds")
                db.add(resource)
                db.flush()
                db.add_all(
                    [Bed(hospital_id=h.id, resource_id=resource.id, ward="Ward 1", label=str(n)) for n in (1, 2)]
                )
                resource_b = resource.id
            a, b = (h.id for h in hospitals)
        with Session(database.app) as db, db.begin():
            assert db.scalar(select(func.count()).select_from(Bed)) == 0  # no scope: nothing
        with Session(database.app) as db, db.begin():
            apply_scope(db, a)
            assert set(db.scalars(select(Bed.hospital_id))) == {a}
            # The app role frees a bed of its hospital, and the database recounts the ward under the same scope.
            changed = db.execute(text("UPDATE beds SET state = 'blocked', reason = 'Broken' WHERE label = '1'"))
            assert changed.rowcount == 1  # hospital B's bed 1 is not there to change
            assert db.execute(select(HospitalResource.total_quantity, HospitalResource.maintenance_quantity)).one() == (
                2, 1)  # fmt: skip
            # Hospital B's ward is invisible here: a bed for it is refused (by the trigger, which cannot see it).
            with pytest.raises(DBAPIError, match="row-level security|not a bed resource"), db.begin_nested():
                db.execute(text("INSERT INTO beds (id, hospital_id, resource_id, ward, label) "
                                "VALUES ('x', :b, :r, 'W', '9')"), {"b": b, "r": resource_b})  # fmt: skip
        with Session(database.app) as db, db.begin():
            apply_scope(db, None)
            assert db.scalar(select(func.count()).select_from(Bed)) == 4


def test_the_demo_board_tells_its_story_and_agrees_with_the_counts(admin_url):
    """The demo's bed board (db/demo/bed_board.py): beds are their counts, occupied beds their admissions."""
    url = create_database(admin_url, prefix="healthdash_board_demo")
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        as_of = date(2026, 3, 15)
        demo.build_demo(engine, scale=0.2, as_of=as_of, progress=False)
        now = datetime.combine(as_of, time(12, 0), tzinfo=LAGOS)
        with Session(engine) as db:
            board = db.execute(
                text("SELECT DISTINCT h.name FROM beds b JOIN hospitals h ON h.id = b.hospital_id")
            ).all()
            assert [r[0] for r in board] == ["Lagos Specialist Hospital"]  # the README's hospital administrator's
            disagree = db.execute(text(
                "SELECT r.name FROM hospital_resources r JOIN beds b ON b.resource_id = r.id GROUP BY r.id "
                "HAVING (r.total_quantity, r.available_quantity, r.in_use_quantity, r.maintenance_quantity) <> "
                "(count(*)::int, (count(*) FILTER (WHERE b.state = 'free'))::int, "
                "(count(*) FILTER (WHERE b.state = 'occupied'))::int, "
                "(count(*) FILTER (WHERE b.state IN ('cleaning', 'blocked', 'reserved')))::int)"
            )).all()  # fmt: skip
            assert disagree == []
            unheld = db.scalar(text(
                "SELECT count(*) FROM hospital_patients p JOIN beds s ON s.resource_id = p.bed_resource_id "
                "WHERE p.status = 'admitted' AND p.discharge_date IS NULL "
                "AND NOT EXISTS (SELECT FROM beds b WHERE b.admission_id = p.id)"
            ))  # fmt: skip
            assert unheld == 0
            states = dict(db.execute(text("SELECT state, count(*) FROM beds GROUP BY 1")).all())
            assert states["cleaning"] >= 1 and states["blocked"] >= 1 and states["reserved"] >= 1
            assert (
                db.scalar(text("SELECT count(*) FROM beds WHERE state IN ('blocked', 'reserved') AND reason IS NULL"))
                == 0
            )
            full = db.execute(text(
                "SELECT ward FROM beds GROUP BY hospital_id, ward HAVING count(*) FILTER (WHERE state = 'free') = 0"
            )).scalars().all()  # fmt: skip
            assert "Ward A" in full
            assert db.scalar(text("SELECT max(greatest(state_since, created_at, updated_at)) FROM beds")) <= now
    finally:
        engine.dispose()
        drop_database(admin_url, url.database)
