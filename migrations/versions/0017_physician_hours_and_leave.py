"""Physicians' weekly sessions and leave (issue 23, part 3).

Reviewed by hand. A booking may only fall inside one of the physician's weekly sessions at that hospital and
outside their leave (dashboard/domains/appointments/hours.py); the document has no place for either.

- `physician_sessions`: one row per weekly session of a physician at a hospital (weekday 1 = Monday ... 7 =
  Sunday, ISO; `starts` and `ends` as "HH:MM" Lagos wall-clock text, like `appointments.appointment_time`, so
  the two compare directly). CHECKs: the weekday, both times HH:MM, ends after starts. Foreign keys to
  `profiles` and `hospitals`. `created_by` is a plain user id, like `audit_logs.user_id`.
  No two sessions of one physician overlap on a weekday, at any hospital (a doctor is in one place at a time):
  the trigger `trg_physician_sessions_no_overlap` (function `healthdash_physician_sessions_no_overlap()`)
  refuses it with SQLSTATE 23P01 (exclusion_violation). It takes a transaction-level advisory lock on the
  physician first, so two concurrent writes cannot both pass, and runs as the owner (SECURITY DEFINER), so a
  session at a hospital outside the writer's scope still counts. (An EXCLUDE constraint would need the
  btree_gist extension and a GiST index Prisma cannot mirror.)
- `physician_leave`: leave and away days of a physician, first_day to last_day inclusive (Lagos days), at one
  hospital or, with a NULL hospital_id, at every hospital; kind is leave, away, training or sick; a reason.
  CHECKs: the kind, last_day on or after first_day.
- Row-level security, enabled and forced, like 0005/0013: sessions by `hospital_id` (policy `hospital_scope`).
  Leave (policy `hospital_scope`) is read where its hospital is in scope, and a network-wide row (NULL
  hospital) where the physician's own hospital is in scope (looked up through `profiles`, itself under
  row-level security); only the network's scope writes a network-wide row.
- `updated_at` on sessions is kept by `set_updated_at()`, as on every table with one.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TIMESTAMP as PG_TIMESTAMP

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = PG_TIMESTAMP(timezone=True)
HHMM = "'^([01][0-9]|2[0-3]):[0-5][0-9]$'"
LEAVE_KINDS = ("leave", "away", "training", "sick")
LEAVE_SCOPE = "healthdash_scope_allows(hospital_id)"
LEAVE_READ = (
    "healthdash_scope_allows(hospital_id) OR (hospital_id IS NULL AND EXISTS ("
    "SELECT FROM profiles p WHERE p.id = physician_leave.physician_id AND healthdash_scope_allows(p.hospital_id)))"
)


def upgrade() -> None:
    op.create_table(
        "physician_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("physician_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Text(), nullable=False),
        sa.Column("ends", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_physician_sessions_weekday")),
        sa.CheckConstraint(f"starts ~ {HHMM} AND ends ~ {HHMM}", name=op.f("ck_physician_sessions_times_hhmm")),
        sa.CheckConstraint("ends > starts", name=op.f("ck_physician_sessions_ends_after_starts")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_physician_sessions_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(["physician_id"], ["profiles.id"], name=op.f("fk_physician_sessions_physician_id_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physician_sessions")),
    )
    op.create_index(
        op.f("ix_physician_sessions_hospital_id_physician_id"), "physician_sessions", ["hospital_id", "physician_id"]
    )
    op.create_index(
        op.f("ix_physician_sessions_physician_id_weekday"), "physician_sessions", ["physician_id", "weekday"]
    )
    op.execute(
        "CREATE TRIGGER trg_physician_sessions_updated_at BEFORE UPDATE ON physician_sessions "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    op.execute(
        """
        CREATE FUNCTION healthdash_physician_sessions_no_overlap() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            -- One writer per physician at a time, so two overlapping sessions written at once cannot both pass.
            PERFORM pg_advisory_xact_lock(hashtextextended('physician_sessions/' || NEW.physician_id, 0));
            IF EXISTS (
                SELECT FROM physician_sessions s
                WHERE s.physician_id = NEW.physician_id AND s.weekday = NEW.weekday AND s.id <> NEW.id
                  AND s.starts < NEW.ends AND NEW.starts < s.ends
            ) THEN
                RAISE EXCEPTION 'physician % already has a session overlapping % to % on weekday %',
                    NEW.physician_id, NEW.starts, NEW.ends, NEW.weekday
                    USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'physician_sessions_no_overlap';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_physician_sessions_no_overlap BEFORE INSERT OR UPDATE ON physician_sessions "
        "FOR EACH ROW EXECUTE FUNCTION healthdash_physician_sessions_no_overlap()"
    )

    op.create_table(
        "physician_leave",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("physician_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="leave", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in LEAVE_KINDS) + ")", name=op.f("ck_physician_leave_kind")
        ),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_physician_leave_last_day_not_before_first")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_physician_leave_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(["physician_id"], ["profiles.id"], name=op.f("fk_physician_leave_physician_id_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_physician_leave")),
    )
    op.create_index(op.f("ix_physician_leave_physician_id_last_day"), "physician_leave", ["physician_id", "last_day"])
    op.create_index(op.f("ix_physician_leave_hospital_id_last_day"), "physician_leave", ["hospital_id", "last_day"])

    op.execute("ALTER TABLE physician_sessions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE physician_sessions FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY hospital_scope ON physician_sessions "
        "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
    )
    op.execute("ALTER TABLE physician_leave ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE physician_leave FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY hospital_scope ON physician_leave USING ({LEAVE_READ}) WITH CHECK ({LEAVE_SCOPE})")


def downgrade() -> None:
    op.drop_table("physician_leave")  # its policy and indexes go with it
    op.execute("DROP TRIGGER IF EXISTS trg_physician_sessions_no_overlap ON physician_sessions")
    op.execute("DROP TRIGGER IF EXISTS trg_physician_sessions_updated_at ON physician_sessions")
    op.drop_table("physician_sessions")
    op.execute("DROP FUNCTION IF EXISTS healthdash_physician_sessions_no_overlap()")
