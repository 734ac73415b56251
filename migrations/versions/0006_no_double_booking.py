"""No double booking: a physician's slot holds at most one appointment that is not cancelled.

Reviewed by hand. An addition beyond the document (ERRATA "Additions beyond the document"): the
document's appointments table lets two bookings take the same physician at the same time, and a
check in the application alone cannot stop two administrators (or the platform's other clients)
booking one slot at the same moment. The database can:

- `uq_appointments_physician_slot`, a partial UNIQUE index on
  (physician_id, timezone('Africa/Lagos', appointment_date)::date, appointment_time)
  WHERE status <> 'cancelled'.

  `appointment_time` is the slot's Lagos wall-clock time ("HH:MM"); `appointment_date` is a
  timestamptz that the platform's clients fill with the slot's moment or with a midnight. Either way
  the slot's day is the Lagos calendar day of `appointment_date`, so the index keys on that day, not
  on the timestamp (which would let a midnight-stamped and a moment-stamped booking of one slot both
  in). `timezone(text, timestamptz)` is IMMUTABLE in PostgreSQL (checked on 15 and 18), and so is
  the timestamp -> date cast, so the expression is accepted in an index as it stands. (Its
  immutability rests on the zone's rules not changing under stored rows; Africa/Lagos has kept
  UTC+1 without daylight saving since 1919.) Written the same in the model's `__table_args__`, so
  `alembic check` sees no drift.

  A cancelled appointment frees its slot; pending, confirmed, completed and no-show ones hold it.
  The index also serves the service's "is this slot free" lookup.

Existing rows that already clash are not touched: the appointments belong to the platform and its
patients, and choosing which of two bookings to cancel is not a migration's decision. The upgrade
locks the table against writes (SHARE mode, as CREATE INDEX would), counts the clashing slots, and
when there are any refuses with one sentence saying how many and the query that lists them, so an
operator can cancel or move the extra bookings and run the upgrade again. Nothing is written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.errors import CommandError

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_appointments_physician_slot"
SLOT_DAY = "(timezone('Africa/Lagos', appointment_date)::date)"
CLASHES = (
    f"SELECT physician_id, {SLOT_DAY} AS lagos_day, appointment_time, count(*) AS bookings, "
    "string_agg(id, ', ' ORDER BY created_at, id) AS appointment_ids FROM appointments "
    "WHERE status <> 'cancelled' GROUP BY 1, 2, 3 HAVING count(*) > 1 ORDER BY 2, 1, 3"
)


def upgrade() -> None:
    conn = op.get_bind()
    # No booking may slip in between the count and the index.
    op.execute("LOCK TABLE appointments IN SHARE MODE")
    # appointments has forced row-level security (0005): count every row, whatever this role is.
    previous_scope = conn.scalar(sa.text("SELECT current_setting('healthdash.scope', true)"))
    conn.execute(sa.text("SELECT set_config('healthdash.scope', '*', true)"))
    slots, bookings = conn.execute(
        sa.text(f"SELECT count(*), coalesce(sum(bookings), 0) FROM ({CLASHES}) AS clashes")
    ).one()
    conn.execute(sa.text("SELECT set_config('healthdash.scope', :scope, true)"), {"scope": previous_scope or ""})
    if slots:
        raise CommandError(
            f"Cannot add the no-double-booking index: {slots} physician slot(s) already hold more than one "
            f"appointment that is not cancelled ({bookings} appointments in all); list them with "
            f'"{CLASHES}", cancel or move the extra bookings, and run the upgrade again.'
        )
    op.create_index(
        INDEX,
        "appointments",
        ["physician_id", sa.text(SLOT_DAY), "appointment_time"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="appointments")
