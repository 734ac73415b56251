"""The network by state: Nigeria's local government areas, and each hospital's LGA (issue 24, part 5).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the document's
`hospitals.state` is free text and a hospital has no local government area, so the network cannot be grouped
by state with any trust, nor a hospital placed in its LGA. This adds:

- `nigerian_lgas`: the 774 local government areas of the 36 states and the Federal Capital Territory, one row
  each: code (the OCHA P-code, e.g. NG025011, primary key), state (the state's name as the package spells it:
  "Lagos", "Akwa Ibom", "Federal Capital Territory") and name ("Ikeja"). UNIQUE (state, name). Filled here from
  the maintained package naija-data (CC BY 4.0, compiled from INEC, OCHA and the Constitution's First
  Schedule), so the reference is the same on every database this revision builds. A reference table, not a
  CHECK of 774 pairs: a foreign key can point at it, the Prisma side reads it, and a boundary change is a new
  revision that adds or renames rows.
- `hospitals.lga`: nullable text (a client that does not know it keeps working). The foreign key
  (state, lga) -> nigerian_lgas (state, name) holds the pair valid: an LGA is named only with the state it
  lies in. It is MATCH SIMPLE, as PostgreSQL's default: while lga is NULL nothing is checked, so rows of other
  clients with a free-text state ("Lagos State") stay valid; the dashboard itself writes the package's names.
  Index ix_hospitals_state_lga on the key's columns (every foreign key is indexed; the by-state views group on it).

Not hospital-scoped (public facts, the same for everyone): no row-level security; the app role reads it only
(db/roles.py). The downgrade drops the index, the foreign key, the column and the table.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    import naija_data  # the maintained list of states and LGAs (pyproject dependencies)

    lgas = op.create_table(
        "nigerian_lgas",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_nigerian_lgas")),
        sa.UniqueConstraint("state", "name", name=op.f("uq_nigerian_lgas_state_name")),
    )
    state_names = {s.code: s.name for s in naija_data.states()}
    op.bulk_insert(
        lgas, [{"code": lga.code, "state": state_names[lga.state_code], "name": lga.name} for lga in naija_data.lgas()]
    )
    op.add_column("hospitals", sa.Column("lga", sa.Text(), nullable=True))
    op.create_foreign_key(
        op.f("fk_hospitals_state_nigerian_lgas"), "hospitals", "nigerian_lgas", ["state", "lga"], ["state", "name"]
    )
    # The key's columns indexed, as every foreign key is (tests/db/test_schema.py); the by-state views group on it.
    op.create_index(op.f("ix_hospitals_state_lga"), "hospitals", ["state", "lga"])


def downgrade() -> None:
    op.drop_index(op.f("ix_hospitals_state_lga"), table_name="hospitals")
    op.drop_constraint(op.f("fk_hospitals_state_nigerian_lgas"), "hospitals", type_="foreignkey")
    op.drop_column("hospitals", "lga")
    op.drop_table("nigerian_lgas")
