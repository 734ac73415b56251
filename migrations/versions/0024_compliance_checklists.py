"""Compliance checklists with evidence (issue 24, part 4).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): the document's
`hospital_compliance_tracking` holds an assessment's score as one number typed by the assessor, with no
standard of what was checked, no answer per point and nowhere for the proof. This adds:

- `compliance_checklist_items`: the network's standard checklist of each compliance type: code (UNIQUE per
  type), text, required (an item whose failure keeps an assessment from being compliant), weight (1 to 10,
  its share of the score) and position (its order, UNIQUE per type). Seeded here for the six types the
  network assesses (dashboard/domains/governance/compliance.py KNOWN_TYPES). Not hospital-scoped: every
  hospital is assessed against the same standard, so it has no row-level security; the dashboard's role only
  reads it (db/roles.py). The demo build keeps it when it empties the application's tables (reference data,
  like alembic_version).
- `compliance_checklist_answers`: one answer per (assessment, item) (UNIQUE): met, not_met or
  not_applicable (CHECK), a note (at most 1,000 characters), answered_by (a plain user id, like the audit
  trail's) and answered_at. An answer may be changed (the audit trail keeps the earlier one). The
  assessment's score is computed from its answers by the dashboard (the figure catalogue's
  `checklist_score`) and written to hospital_compliance_tracking.score, so every page that shows a score
  shows this one.
- `compliance_evidence`: files proving an item (a certificate, a photo of the fire exits): file name,
  content_type (CHECK: application/pdf, image/png, image/jpeg, as recognised from the content by the
  dashboard), size_bytes (CHECK: = octet_length(content) and at most 5 MB), the bytes (bytea, so a backup
  holds them and row-level security guards them), uploaded_by, uploaded_at. Only ever added to.

Answers and evidence carry the assessment's hospital_id, held equal to it by the foreign key
(assessment_id, hospital_id) -> hospital_compliance_tracking (id, hospital_id), ON DELETE CASCADE; for that
key, hospital_compliance_tracking gains UNIQUE (id, hospital_id) (its id is already its key, so no row can
break it). Each table's row-level security then reads its own column.

Row-level security (as migrations 0005, 0013 and 0020): the answers and the evidence are enabled AND forced
under policy `hospital_scope`, USING and WITH CHECK `healthdash_scope_allows(hospital_id)`.

The downgrade drops the three tables (their policies go with them) and the unique key.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
SCOPED = ("compliance_checklist_answers", "compliance_evidence")

# The standard checklists as of this migration: (type, [(code, text, required, weight)]), in order.
CHECKLISTS = (
    ("NHIA accreditation", (
        ("NHIA-C1", "Current NHIA accreditation certificate displayed at reception", True, 3),
        ("NHIA-C2", "Enrollee register updated within the last month", False, 2),
        ("NHIA-C3", "Encounter forms complete for the last 20 claims sampled", True, 3),
        ("NHIA-C4", "Drug formulary displayed at the pharmacy", False, 1),
        ("NHIA-C5", "Referral letters on file for secondary care claims", False, 2),
        ("NHIA-C6", "Grievance desk staffed and its log kept", False, 1),
    )),
    ("Infection prevention and control", (
        ("IPC-C1", "Hand hygiene station with soap and water in every ward", True, 3),
        ("IPC-C2", "Sharps containers below the fill line in clinical areas", True, 2),
        ("IPC-C3", "Autoclave validation log complete for the last quarter", True, 3),
        ("IPC-C4", "Isolation room with signage available", False, 2),
        ("IPC-C5", "Staff trained in IPC within the last 12 months", False, 2),
        ("IPC-C6", "Personal protective equipment stocked in every ward", False, 1),
    )),
    ("NDPR data protection", (
        ("NDP-C1", "Data protection officer appointed in writing", True, 2),
        ("NDP-C2", "Record of processing activities up to date", False, 2),
        ("NDP-C3", "Each staff member has their own EMR login", True, 3),
        ("NDP-C4", "Impact assessment done for patient-facing apps", False, 2),
        ("NDP-C5", "Paper records kept in locked storage", False, 1),
    )),
    ("Fire safety", (
        ("FIRE-C1", "Emergency exits unobstructed and signed", True, 3),
        ("FIRE-C2", "Fire extinguishers within their service date", True, 2),
        ("FIRE-C3", "Fire drill held within the last 12 months", False, 2),
        ("FIRE-C4", "Smoke detectors tested this year", False, 2),
        ("FIRE-C5", "Fire Service certificate current", False, 1),
    )),
    ("Pharmacy licensing (PCN)", (
        ("PCN-C1", "Premises licence from the PCN current", True, 3),
        ("PCN-C2", "Superintendent pharmacist's licence current", True, 3),
        ("PCN-C3", "Controlled drugs register balanced", True, 2),
        ("PCN-C4", "Vaccine fridge temperature logged twice a day", False, 2),
        ("PCN-C5", "Expired stock kept apart and recorded", False, 1),
    )),
    ("Medical waste management", (
        ("WST-C1", "Clinical and general waste segregated at source", True, 3),
        ("WST-C2", "Waste contractor's permit current", True, 2),
        ("WST-C3", "Incinerator or disposal logbook kept", False, 2),
        ("WST-C4", "Colour-coded bins in every clinical area", False, 1),
        ("WST-C5", "Waste handlers vaccinated against hepatitis B", False, 1),
    )),
)  # fmt: skip


def _now(name: str) -> sa.Column:
    return sa.Column(name, TIMESTAMP, server_default=sa.text("now()"), nullable=False)


# The foreign keys are named short: the naming convention's full names pass PostgreSQL's 63 bytes.
def _assessment_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["assessment_id", "hospital_id"],
        ["hospital_compliance_tracking.id", "hospital_compliance_tracking.hospital_id"],
        name=op.f(f"fk_{table}_assessment"),
        ondelete="CASCADE",
    )


def _item_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["item_id"], ["compliance_checklist_items.id"], name=op.f(f"fk_{table}_item")
    )


def upgrade() -> None:
    op.create_unique_constraint(
        op.f("uq_hospital_compliance_tracking_id_hospital_id"), "hospital_compliance_tracking", ["id", "hospital_id"]
    )
    items = op.create_table(
        "compliance_checklist_items",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("compliance_type", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("weight", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _now("created_at"),
        sa.CheckConstraint("weight BETWEEN 1 AND 10", name=op.f("ck_compliance_checklist_items_weight_1_10")),
        sa.CheckConstraint("position >= 1", name=op.f("ck_compliance_checklist_items_position_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_checklist_items")),
        sa.UniqueConstraint("compliance_type", "code", name=op.f("uq_compliance_checklist_items_compliance_type_code")),
        sa.UniqueConstraint(
            "compliance_type", "position", name=op.f("uq_compliance_checklist_items_compliance_type_position")
        ),
    )
    op.create_table(
        "compliance_checklist_answers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("assessment_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Text(), nullable=True),
        _now("answered_at"),
        sa.CheckConstraint(
            "answer IN ('met', 'not_met', 'not_applicable')", name=op.f("ck_compliance_checklist_answers_answer")
        ),
        sa.CheckConstraint(
            "note IS NULL OR char_length(note) <= 1000", name=op.f("ck_compliance_checklist_answers_note_length")
        ),
        _assessment_key("compliance_checklist_answers"),
        _item_key("compliance_checklist_answers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_checklist_answers")),
        sa.UniqueConstraint(
            "assessment_id", "item_id", name=op.f("uq_compliance_checklist_answers_assessment_id_item_id")
        ),
    )
    op.create_index(op.f("ix_compliance_checklist_answers_item_id"), "compliance_checklist_answers", ["item_id"])
    op.create_table(
        "compliance_evidence",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("assessment_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=True),
        _now("uploaded_at"),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f("ck_compliance_evidence_content_type"),
        ),
        sa.CheckConstraint(
            f"size_bytes = octet_length(content) AND size_bytes <= {MAX_EVIDENCE_BYTES}",
            name=op.f("ck_compliance_evidence_size"),
        ),
        _assessment_key("compliance_evidence"),
        _item_key("compliance_evidence"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_evidence")),
    )
    op.create_index(
        op.f("ix_compliance_evidence_assessment_id_item_id_uploaded_at"),
        "compliance_evidence",
        ["assessment_id", "item_id", "uploaded_at"],
    )
    op.create_index(op.f("ix_compliance_evidence_item_id"), "compliance_evidence", ["item_id"])
    rows = []
    for kind, checklist in CHECKLISTS:
        for position, (code, wording, required, weight) in enumerate(checklist, start=1):
            rows.append({"id": f"checklist-{code.lower()}", "compliance_type": kind, "code": code, "text": wording,
                         "required": required, "weight": weight, "position": position})  # fmt: skip
    op.bulk_insert(items, rows)
    for table in SCOPED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY hospital_scope ON {table} "
            "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
        )


def downgrade() -> None:
    for table in (*reversed(SCOPED), "compliance_checklist_items"):
        op.drop_table(table)  # its indexes, policy and row-level security go with it
    op.drop_constraint(
        op.f("uq_hospital_compliance_tracking_id_hospital_id"), "hospital_compliance_tracking", type_="unique"
    )
