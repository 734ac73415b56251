"""Beds as individual rows with a state (issue 23, part 1): the bed board.

Reviewed by hand after autogenerate. An addition beyond the document (ERRATA "Additions beyond the
document"): the document counts a hospital's beds only as numbers on hospital_resources, typed in by
staff. A hospital that runs a bed board keeps each bed as a row instead:

- `beds`: hospital, the bed resource it counts toward (`resource_id` -> hospital_resources.id, a
  resource of category 'beds' of the same hospital), ward, label (the bed number), bed_type (general,
  icu, maternity, paediatric, isolation), state (free, occupied, reserved, cleaning, blocked) and
  `state_since`, a reason (required when blocked or reserved: why, or for whom), and the admission in
  it (`admission_id` -> hospital_patients.id).
  CHECKs: an occupied bed has its admission and only an occupied bed has one; blocked and reserved say
  why; a ward and a label are not blank. UNIQUE (hospital_id, ward, label): no two "Ward B, 4". A
  unique index on admission_id: an admission holds one bed at most. An index on (resource_id, state)
  for the recount below.
- Trigger `trg_beds_checked` (BEFORE INSERT OR UPDATE): the bed's resource is a bed resource of the
  bed's own hospital and its admission an admission of that hospital (a foreign key cannot say "of the
  same hospital"), and `state_since` moves to now() whenever the state changes, whoever wrote it.
- Trigger `trg_beds_recount` (AFTER INSERT, UPDATE or DELETE, each row): the bed resource's four
  counts and status are set from its beds, in the same transaction as the bed change. Free beds are
  available, occupied ones in use, and cleaning, blocked or reserved ones "maintenance" (out of the
  free pool, held by no patient). A trigger, not the service, so every client of the shared database
  (the Node backend through Prisma as well as the dashboard) keeps the counts equal to the beds: there
  is one truth of beds in use. The resource row is locked by a statement of its own before the
  recount, so two sessions changing beds of one resource are serialised and the second counts the
  first's committed beds (READ COMMITTED: each statement of the function takes a fresh snapshot).
- Trigger `trg_hospital_resources_board_counts` (BEFORE UPDATE on hospital_resources): a bed resource
  that has beds on the board refuses a hand change of its counts; only the recount (a nested trigger,
  pg_trigger_depth() > 1) changes them. Its other columns (name, updated_at: "confirm the count")
  stay writable. A hospital without beds on the board types its counts as before.
- the updated_at trigger (set_updated_at, revision 0001), as every table with updated_at has.
- Row-level security on `beds` by hospital_id, enabled and forced, policy `hospital_scope` for reads
  and writes, as revision 0005 put on the other hospital tables.

Downgrade drops the triggers, functions and the table (the beds recorded are lost; the resource
counts stay as the board last left them).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
BED_TYPES = ("general", "icu", "maternity", "paediatric", "isolation")
BED_STATES = ("free", "occupied", "reserved", "cleaning", "blocked")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


CHECKED = """
CREATE FUNCTION healthdash_bed_checked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM hospital_resources r
                   WHERE r.id = NEW.resource_id AND r.hospital_id = NEW.hospital_id AND r.category = 'beds') THEN
        RAISE EXCEPTION 'bed % counts toward %, which is not a bed resource of hospital %',
            NEW.label, NEW.resource_id, NEW.hospital_id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.admission_id IS NOT NULL AND NOT EXISTS (
        SELECT FROM hospital_patients a WHERE a.id = NEW.admission_id AND a.hospital_id = NEW.hospital_id) THEN
        RAISE EXCEPTION 'bed % holds admission %, which is not of hospital %',
            NEW.label, NEW.admission_id, NEW.hospital_id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.state IS DISTINCT FROM OLD.state AND NEW.state_since = OLD.state_since THEN
        NEW.state_since := now();
    END IF;
    RETURN NEW;
END $$
"""

RECOUNT = """
CREATE FUNCTION healthdash_beds_recount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    resource text;
BEGIN
    FOREACH resource IN ARRAY ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[
            CASE WHEN TG_OP <> 'DELETE' THEN NEW.resource_id END,
            CASE WHEN TG_OP <> 'INSERT' THEN OLD.resource_id END]) x WHERE x IS NOT NULL ORDER BY x) LOOP
        -- Locked first, by a statement of its own: the recount below then sees every committed bed.
        PERFORM FROM hospital_resources WHERE id = resource FOR UPDATE;
        UPDATE hospital_resources r SET
            total_quantity = c.total, available_quantity = c.free, in_use_quantity = c.occupied,
            maintenance_quantity = c.total - c.free - c.occupied,
            status = CASE WHEN c.total > 0 AND c.free + c.occupied = 0 THEN 'maintenance'
                          WHEN c.free = 0 THEN 'unavailable'
                          WHEN c.free < 0.2 * c.total THEN 'limited'
                          ELSE 'available' END
        FROM (SELECT count(*) AS total, count(*) FILTER (WHERE state = 'free') AS free,
                     count(*) FILTER (WHERE state = 'occupied') AS occupied
              FROM beds WHERE resource_id = resource) c
        WHERE r.id = resource
          AND (r.total_quantity, r.available_quantity, r.in_use_quantity)
              IS DISTINCT FROM (c.total::int, c.free::int, c.occupied::int);
    END LOOP;
    RETURN NULL;
END $$
"""

BOARD_COUNTS = """
CREATE FUNCTION healthdash_board_counts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() = 1
       AND (NEW.total_quantity, NEW.available_quantity, NEW.in_use_quantity, NEW.maintenance_quantity)
           IS DISTINCT FROM (OLD.total_quantity, OLD.available_quantity, OLD.in_use_quantity, OLD.maintenance_quantity)
       AND EXISTS (SELECT FROM beds WHERE resource_id = NEW.id) THEN
        RAISE EXCEPTION 'the counts of % are kept by its bed board: change the beds instead', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "beds",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=False),
        sa.Column("ward", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("bed_type", sa.Text(), server_default="general", nullable=False),
        sa.Column("state", sa.Text(), server_default="free", nullable=False),
        sa.Column("state_since", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("admission_id", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(_in("bed_type", BED_TYPES), name=op.f("ck_beds_bed_type")),
        sa.CheckConstraint(_in("state", BED_STATES), name=op.f("ck_beds_state")),
        sa.CheckConstraint(
            "(state = 'occupied') = (admission_id IS NOT NULL)", name=op.f("ck_beds_occupied_by_admission")
        ),
        sa.CheckConstraint(
            "state NOT IN ('blocked', 'reserved') OR length(btrim(coalesce(reason, ''))) > 0",
            name=op.f("ck_beds_reason_given"),
        ),
        sa.CheckConstraint("length(btrim(ward)) > 0 AND length(btrim(label)) > 0", name=op.f("ck_beds_named")),
        sa.ForeignKeyConstraint(
            ["admission_id"], ["hospital_patients.id"], name=op.f("fk_beds_admission_id_hospital_patients")
        ),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_beds_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["hospital_resources.id"], name=op.f("fk_beds_resource_id_hospital_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beds")),
        sa.UniqueConstraint("hospital_id", "ward", "label", name=op.f("uq_beds_hospital_id_ward_label")),
    )
    op.create_index(op.f("ix_beds_resource_id_state"), "beds", ["resource_id", "state"])
    op.create_index(op.f("ix_beds_admission_id"), "beds", ["admission_id"], unique=True)
    op.execute(
        "CREATE TRIGGER trg_beds_updated_at BEFORE UPDATE ON beds FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(CHECKED)
    op.execute(
        "CREATE TRIGGER trg_beds_checked BEFORE INSERT OR UPDATE ON beds "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_bed_checked()"
    )
    op.execute(RECOUNT)
    op.execute(
        "CREATE TRIGGER trg_beds_recount AFTER INSERT OR UPDATE OR DELETE ON beds "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_beds_recount()"
    )
    op.execute(BOARD_COUNTS)
    op.execute(
        "CREATE TRIGGER trg_hospital_resources_board_counts BEFORE UPDATE ON hospital_resources "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_board_counts_guard()"
    )
    op.execute("ALTER TABLE beds ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE beds FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY hospital_scope ON beds USING (healthdash_scope_allows(hospital_id)) "
        "WITH CHECK (healthdash_scope_allows(hospital_id))"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_hospital_resources_board_counts ON hospital_resources")
    op.execute("DROP FUNCTION IF EXISTS healthdash_board_counts_guard()")
    op.drop_table("beds")  # its triggers, policy and indexes go with it
    op.execute("DROP FUNCTION IF EXISTS healthdash_beds_recount()")
    op.execute("DROP FUNCTION IF EXISTS healthdash_bed_checked()")
