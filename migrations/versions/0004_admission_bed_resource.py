"""The bed an admission holds: hospital_patients.bed_resource_id -> hospital_resources.id.

Reviewed by hand after autogenerate. An addition beyond the document (ERRATA "Additions beyond the
document"): the seed's hospital_patients has a room but no link to the hospital_resources row whose
beds it occupies, so admitting, discharging or transferring a patient could not move the bed
counts (available, in use) with it, and a ward's census could not be told from its free beds.

- hospital_patients.bed_resource_id: nullable text, so clients that do not know the column keep
  working, and an admission with no bed (a patient waiting for one) is NULL.
- A foreign key to hospital_resources.id without ON DELETE: a bed resource still held by an
  admission cannot be deleted from under it.
- An index on the column: the census groups by it and every bed count change looks it up.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hospital_patients", sa.Column("bed_resource_id", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_hospital_patients_bed_resource_id_hospital_resources"),
        "hospital_patients",
        "hospital_resources",
        ["bed_resource_id"],
        ["id"],
    )
    op.create_index(
        op.f("ix_hospital_patients_bed_resource_id"), "hospital_patients", ["bed_resource_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hospital_patients_bed_resource_id"), table_name="hospital_patients")
    op.drop_constraint(
        op.f("fk_hospital_patients_bed_resource_id_hospital_resources"), "hospital_patients", type_="foreignkey"
    )
    op.drop_column("hospital_patients", "bed_resource_id")
