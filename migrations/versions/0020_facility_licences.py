"""Facility licences and accreditations with their renewals (issue 23, part 5).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the document's
`hospitals.verification_documents` lists papers by address only, with no place for a licence's issuer,
registry number, dates or renewals, and nothing warns before a licence lapses. This adds:

- `facility_licences`: one row per licence or accreditation of a hospital: kind (operating_licence,
  accreditation, other; CHECK), issuer (a state ministry of health, HEFAMAA, NHIA, MDCN...), registry
  number, issued_on and expires_on (dates, CHECK expires_on > issued_on), created_by (a plain user id, like
  the audit trail's). Its status (expired, expiring within 30/60/90 days) is derived from expires_on and
  today, never stored. UNIQUE (hospital_id, issuer, registry_number): one paper is recorded once.
  UNIQUE (id, hospital_id) is the target of the children's two-column foreign keys. Index on expires_on
  for the network's "what expires next".
- `facility_licence_documents`: the licence's paper itself, stored in PostgreSQL (bytea) so a backup holds
  it and row-level security guards it: file name, content_type (CHECK: application/pdf, image/png,
  image/jpeg, as recognised from the content by the dashboard), size_bytes (CHECK: = octet_length(content)
  and at most 5 MB), uploaded_by, uploaded_at. A renewal may add a new paper; the latest is current, the
  earlier ones stay.
- `facility_licence_renewals`: previous and new expiry (CHECK new > previous), renewed_by, renewed_at, note.
  The dashboard's role may only read and add rows (db/roles.py): the history is not rewritten.

Both child tables carry the licence's hospital_id, held equal to it by the foreign key (licence_id,
hospital_id) -> facility_licences (id, hospital_id), ON DELETE CASCADE, so each table's row-level security
reads its own column.

Row-level security (as migrations 0005 and 0013): the three tables are enabled AND forced under policy
`hospital_scope`, USING and WITH CHECK `healthdash_scope_allows(hospital_id)`: a hospital's scope reads and
writes its own licences, the network scope ('*') all, no scope none. Roles with BYPASSRLS (the owner, the
demo loader) are not affected. updated_at on facility_licences is kept by set_updated_at() (revision 0001).

The downgrade drops the three tables (their policies go with them).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
TABLES = ("facility_licences", "facility_licence_documents", "facility_licence_renewals")


def _now(name: str) -> sa.Column:
    return sa.Column(name, TIMESTAMP, server_default=sa.text("now()"), nullable=False)


def _licence_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["licence_id", "hospital_id"],
        ["facility_licences.id", "facility_licences.hospital_id"],
        name=op.f(f"fk_{table}_licence_id_facility_licences"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "facility_licences",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("registry_number", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(
            "kind IN ('operating_licence', 'accreditation', 'other')", name=op.f("ck_facility_licences_kind")
        ),
        sa.CheckConstraint("expires_on > issued_on", name=op.f("ck_facility_licences_expires_after_issue")),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_facility_licences_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_licences")),
        sa.UniqueConstraint("id", "hospital_id", name=op.f("uq_facility_licences_id_hospital_id")),
        sa.UniqueConstraint(
            "hospital_id",
            "issuer",
            "registry_number",
            name=op.f("uq_facility_licences_hospital_id_issuer_registry_number"),
        ),
    )
    op.create_index(op.f("ix_facility_licences_expires_on"), "facility_licences", ["expires_on"])
    op.create_table(
        "facility_licence_documents",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("licence_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=True),
        _now("uploaded_at"),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f("ck_facility_licence_documents_content_type"),
        ),
        sa.CheckConstraint(
            f"size_bytes = octet_length(content) AND size_bytes <= {MAX_DOCUMENT_BYTES}",
            name=op.f("ck_facility_licence_documents_size"),
        ),
        _licence_key("facility_licence_documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_licence_documents")),
    )
    op.create_index(
        op.f("ix_facility_licence_documents_licence_id_uploaded_at"),
        "facility_licence_documents",
        ["licence_id", "uploaded_at"],
    )
    op.create_table(
        "facility_licence_renewals",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("licence_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("previous_expires_on", sa.Date(), nullable=False),
        sa.Column("new_expires_on", sa.Date(), nullable=False),
        sa.Column("renewed_by", sa.Text(), nullable=True),
        _now("renewed_at"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "new_expires_on > previous_expires_on", name=op.f("ck_facility_licence_renewals_extends_expiry")
        ),
        _licence_key("facility_licence_renewals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_licence_renewals")),
    )
    op.create_index(
        op.f("ix_facility_licence_renewals_licence_id_renewed_at"),
        "facility_licence_renewals",
        ["licence_id", "renewed_at"],
    )
    op.execute(
        "CREATE TRIGGER trg_facility_licences_updated_at BEFORE UPDATE ON facility_licences "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY hospital_scope ON {table} "
            "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # its indexes, trigger, policy and row-level security go with it
