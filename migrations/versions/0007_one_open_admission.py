"""One open admission per patient: a patient is in at most one hospital of the network at a time.

Reviewed by hand. An addition beyond the document (ERRATA "Additions beyond the document"): the
document's hospital_patients table lets one patient hold two current admissions, at one hospital or
at two. The dashboard's admit checks first, but under row-level security (0005) a hospital's
administrator cannot see another hospital's admissions, and a check in the application alone cannot
stop two administrators (or the platform's other clients) admitting one patient at the same moment.
The database can:

- `uq_hospital_patients_open_admission`, a partial UNIQUE index on (patient_id)
  WHERE status IN ('admitted', 'active') AND discharge_date IS NULL.

  The condition is the dashboard's "current admission" (db/rules.py CURRENT_ADMISSION_STATUSES and no
  discharge date): "admitted" is what the dashboard and the demo write, "active" the document's
  default that other clients may leave. A discharged or transferred admission, or one with a
  discharge date, does not count. Unique checks see every row, whatever the row-level-security
  scope, so a hospital-scoped transaction is refused too, without being shown the other admission.
  Written the same in the model's `__table_args__`, so `alembic check` sees no drift.

Existing rows that already clash are not touched: which of two open admissions is the true one (and
whether the other should be discharged or marked transferred, with its bed given back) is a clinical
record's decision, not a migration's. The upgrade locks the table against writes (SHARE mode, as
CREATE INDEX would), counts the patients with more than one open admission, and when there are any
refuses with one sentence saying how many and the query that lists them, so an operator can discharge
or transfer the extra admissions and run the upgrade again. Nothing is written.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.errors import CommandError

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_hospital_patients_open_admission"
OPEN = "status IN ('admitted', 'active') AND discharge_date IS NULL"
CLASHES = (
    "SELECT patient_id, count(*) AS open_admissions, "
    "string_agg(id || ' at ' || hospital_id, ', ' ORDER BY admission_date, id) AS admissions "
    f"FROM hospital_patients WHERE {OPEN} GROUP BY patient_id HAVING count(*) > 1 ORDER BY patient_id"
)


def upgrade() -> None:
    conn = op.get_bind()
    # No admission may slip in between the count and the index.
    op.execute("LOCK TABLE hospital_patients IN SHARE MODE")
    # hospital_patients has forced row-level security (0005): count every row, whatever this role is.
    previous_scope = conn.scalar(sa.text("SELECT current_setting('healthdash.scope', true)"))
    conn.execute(sa.text("SELECT set_config('healthdash.scope', '*', true)"))
    patients, admissions = conn.execute(
        sa.text(f"SELECT count(*), coalesce(sum(open_admissions), 0) FROM ({CLASHES}) AS clashes")
    ).one()
    conn.execute(sa.text("SELECT set_config('healthdash.scope', :scope, true)"), {"scope": previous_scope or ""})
    if patients:
        raise CommandError(
            f"Cannot add the one-open-admission index: {patients} patient(s) already have more than one open "
            f"admission ({admissions} admissions in all); list them with "
            f'"{CLASHES}", discharge or transfer the extra admissions, and run the upgrade again.'
        )
    op.create_index(INDEX, "hospital_patients", ["patient_id"], unique=True, postgresql_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="hospital_patients")
