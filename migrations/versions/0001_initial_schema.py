"""Initial schema: the 26 models of the seed, their constraints, indexes, trigger and functions.

Reviewed by hand after autogenerate. Beyond what the document declares, this revision adds:

Foreign keys (ERRATA "Foreign keys", columns that plainly name a row):
- prescriptions.physician_id -> profiles.id
- agent_assignments.patient_id -> users.id
- agent_assisted_patients.patient_id -> users.id
- hospital_patients.patient_id -> users.id
- hospital_patients.assigned_physician_id -> profiles.id
- patient_waitlist.patient_id -> users.id
- emergency_requests.assigned_physician_id -> profiles.id
- consultation_sessions.patient_id -> users.id
- consultation_sessions.physician_id -> profiles.id
and ERRATA 1's three: appointments.physician_id, appointments.agent_id and
conversations.physician_id -> profiles.id.

The nine indexes of the seed keep their names (idx_*); ix_* indexes cover the foreign keys the
dashboard filters or joins on. CHECK constraints list the allowed values of db/vocab.py.

set_updated_at() keeps updated_at current for plain SQL updates (the ORM sets it too).
calculate_distance() is mended with the haversine form, which cannot leave acos's domain
(ERRATA 3); check_user_role() qualifies its column and is false for a user with no profile (ERRATA 2).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


UPDATED_AT_TABLES = (
    "users",
    "profiles",
    "hospitals",
    "appointments",
    "consultation_sessions",
    "consultation_rooms",
    "conversations",
    "emergency_requests",
    "ambulance_requests",
    "wallets",
    "health_records",
    "prescriptions",
    "emergency_contacts",
    "agent_assisted_patients",
    "hospital_resources",
    "hospital_patients",
    "patient_waitlist",
    "hospital_financial_data",
    "hospital_compliance_tracking",
)

SET_UPDATED_AT = """
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$
"""

# Same name, arguments and unit (km) as the document; haversine with the asin argument clamped.
CALCULATE_DISTANCE = """
CREATE FUNCTION calculate_distance(lat1 DECIMAL, lng1 DECIMAL, lat2 DECIMAL, lng2 DECIMAL)
RETURNS DECIMAL
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (2 * 6371 * asin(least(1.0, sqrt(
        power(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lng2 - lng1) / 2), 2)
    ))))::numeric
$$
"""

# The document's version compared the column with itself ("user_id = user_id" is ambiguous).
CHECK_USER_ROLE = """
CREATE FUNCTION check_user_role(user_id TEXT, required_role TEXT)
RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT p.role::text = check_user_role.required_role
           FROM profiles p WHERE p.user_id = check_user_role.user_id),
        false)
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("action_category", sa.Text(), server_default="system_admin", nullable=False),
        sa.Column("action_type", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("resource_type", sa.Text(), nullable=True),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column(
            "old_values",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "new_values",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("impact_level", sa.Text(), server_default="low", nullable=False),
        sa.Column("compliance_relevant", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("financial_impact", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "impact_level IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_audit_logs_impact_level")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_created_at"), "audit_logs", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_audit_logs_hospital_id_created_at"),
        "audit_logs",
        ["hospital_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_audit_logs_user_id_created_at"), "audit_logs", ["user_id", "created_at"], unique=False)
    op.create_table(
        "hospitals",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("verification_status", sa.Text(), server_default="pending", nullable=False),
        sa.Column(
            "verification_documents",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "security_settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "verification_status IN ('pending', 'verified', 'rejected', 'suspended')",
            name=op.f("ck_hospitals_verification_status"),
        ),
        sa.CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name=op.f("ck_hospitals_latitude")),
        sa.CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name=op.f("ck_hospitals_longitude")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospitals")),
    )
    op.create_index("idx_hospitals_active_location", "hospitals", ["is_active", "latitude", "longitude"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("email_verified", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("email_verification_token", sa.Text(), nullable=True),
        sa.Column("reset_password_token", sa.Text(), nullable=True),
        sa.Column("reset_password_expires", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "ambulance_requests",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("emergency_type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("pickup_address", sa.Text(), nullable=False),
        sa.Column("pickup_latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("pickup_longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("destination_address", sa.Text(), nullable=True),
        sa.Column("destination_latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("destination_longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=False),
        sa.Column("ambulance_eta", sa.Integer(), nullable=True),
        sa.Column("assigned_hospital_id", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'dispatched', 'en_route', 'arrived', 'completed', 'cancelled')",
            name=op.f("ck_ambulance_requests_status"),
        ),
        sa.CheckConstraint(
            "ambulance_eta IS NULL OR ambulance_eta >= 0", name=op.f("ck_ambulance_requests_eta_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_hospital_id"],
            ["hospitals.id"],
            name=op.f("fk_ambulance_requests_assigned_hospital_id_hospitals"),
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_ambulance_requests_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ambulance_requests")),
    )
    op.create_index(
        op.f("ix_ambulance_requests_assigned_hospital_id_created_at"),
        "ambulance_requests",
        ["assigned_hospital_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_ambulance_requests_patient_id"), "ambulance_requests", ["patient_id"], unique=False)
    op.create_table(
        "analytics_data",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("metric_name", sa.Text(), nullable=False),
        sa.Column("metric_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "metric_date",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_analytics_data_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_data")),
    )
    op.create_index(
        op.f("ix_analytics_data_hospital_id_metric_name_metric_date"),
        "analytics_data",
        ["hospital_id", "metric_name", "metric_date"],
        unique=False,
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("document_name", sa.Text(), nullable=False),
        sa.Column("document_type", sa.Text(), nullable=False),
        sa.Column("document_url", sa.Text(), nullable=False),
        sa.Column("verification_status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("verified_by", sa.Text(), nullable=True),
        sa.Column("verified_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "upload_date",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "verification_status IN ('pending', 'verified', 'rejected')",
            name=op.f("ck_documents_verification_status"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_documents_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_user_id"), "documents", ["user_id"], unique=False)
    op.create_index(
        op.f("ix_documents_verification_status_upload_date"),
        "documents",
        ["verification_status", "upload_date"],
        unique=False,
    )
    op.create_table(
        "health_records",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("record_type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "recorded_date",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.Text(), nullable=True),
        sa.Column(
            "record_data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("document_url", sa.Text(), nullable=True),
        sa.Column("is_sensitive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_health_records_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_records")),
    )
    op.create_index("idx_health_records_patient_date", "health_records", ["patient_id", "recorded_date"], unique=False)
    op.create_table(
        "hospital_compliance_tracking",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("compliance_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="compliant", nullable=False),
        sa.Column("score", sa.Integer(), server_default=sa.text("100"), nullable=True),
        sa.Column(
            "last_assessment_date",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("next_assessment_due", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("assessed_by", sa.Text(), nullable=True),
        sa.Column(
            "assessment_details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "violations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column(
            "corrective_actions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=True,
        ),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('compliant', 'non_compliant', 'partially_compliant', 'under_review')",
            name=op.f("ck_hospital_compliance_tracking_status"),
        ),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN 0 AND 100",
            name=op.f("ck_hospital_compliance_tracking_score_0_100"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["hospitals.id"],
            name=op.f("fk_hospital_compliance_tracking_hospital_id_hospitals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_compliance_tracking")),
    )
    op.create_index(
        op.f("ix_hospital_compliance_tracking_hospital_id_compliance_type"),
        "hospital_compliance_tracking",
        ["hospital_id", "compliance_type"],
        unique=False,
    )
    op.create_table(
        "hospital_financial_data",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("transaction_type", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.Text(), server_default="NGN", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "transaction_date",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("fiscal_month", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=True,
        ),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "fiscal_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'",
            name=op.f("ck_hospital_financial_data_fiscal_month_yyyy_mm"),
        ),
        sa.CheckConstraint(
            "transaction_type IN ('revenue', 'expense')",
            name=op.f("ck_hospital_financial_data_transaction_type"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_hospital_financial_data_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_hospital_financial_data_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_financial_data")),
    )
    op.create_index(
        op.f("ix_hospital_financial_data_hospital_id_fiscal_month"),
        "hospital_financial_data",
        ["hospital_id", "fiscal_month"],
        unique=False,
    )
    op.create_table(
        "hospital_resources",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("total_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("available_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("in_use_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("maintenance_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.Text(), server_default="available", nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'limited', 'unavailable', 'maintenance')",
            name=op.f("ck_hospital_resources_status"),
        ),
        sa.CheckConstraint(
            "available_quantity + in_use_quantity + maintenance_quantity = total_quantity",
            name=op.f("ck_hospital_resources_quantities_add_up"),
        ),
        sa.CheckConstraint(
            "total_quantity >= 0 AND available_quantity >= 0 AND in_use_quantity >= 0 AND maintenance_quantity >= 0",
            name=op.f("ck_hospital_resources_quantities_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_hospital_resources_hospital_id_hospitals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_resources")),
    )
    op.create_index(
        op.f("ix_hospital_resources_hospital_id_category"),
        "hospital_resources",
        ["hospital_id", "category"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), server_default="info", nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("read", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "type IN ('info', 'success', 'warning', 'error', 'reminder')", name=op.f("ck_notifications_type")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("idx_notifications_user_read", "notifications", ["user_id", "read"], unique=False)
    op.create_table(
        "patient_waitlist",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), server_default="medium", nullable=False),
        sa.Column("status", sa.Text(), server_default="waiting", nullable=False),
        sa.Column("estimated_wait_time", sa.Integer(), nullable=True),
        sa.Column("called_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high', 'urgent')", name=op.f("ck_patient_waitlist_priority")
        ),
        sa.CheckConstraint(
            "status IN ('waiting', 'called', 'in_progress', 'completed', 'cancelled', 'no_show')",
            name=op.f("ck_patient_waitlist_status"),
        ),
        sa.CheckConstraint(
            "estimated_wait_time IS NULL OR estimated_wait_time >= 0",
            name=op.f("ck_patient_waitlist_wait_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_patient_waitlist_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_patient_waitlist_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_waitlist")),
    )
    op.create_index(
        op.f("ix_patient_waitlist_hospital_id_status_created_at"),
        "patient_waitlist",
        ["hospital_id", "status", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_patient_waitlist_patient_id"), "patient_waitlist", ["patient_id"], unique=False)
    op.create_table(
        "profiles",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("date_of_birth", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), server_default="Nigeria", nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "PATIENT",
                "PHYSICIAN",
                "AGENT",
                "HOSPITAL_ADMIN",
                "ADMIN",
                "EXECUTIVE",
                "COMPLIANCE_OFFICER",
                name="user_role",
            ),
            server_default="PATIENT",
            nullable=False,
        ),
        sa.Column("specialization", sa.Text(), nullable=True),
        sa.Column("license_number", sa.Text(), nullable=True),
        sa.Column("years_of_experience", sa.Integer(), nullable=True),
        sa.Column("consultation_rate", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("subscription_plan", sa.Text(), server_default="basic", nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "consultation_rate IS NULL OR consultation_rate >= 0", name=op.f("ck_profiles_consultation_rate")
        ),
        sa.CheckConstraint(
            "years_of_experience IS NULL OR years_of_experience >= 0", name=op.f("ck_profiles_experience")
        ),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_profiles_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_profiles_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_profiles_user_id")),
    )
    op.create_index("idx_profiles_role_active", "profiles", ["role", "is_active"], unique=False)
    op.create_index(op.f("ix_profiles_hospital_id"), "profiles", ["hospital_id"], unique=False)
    op.create_table(
        "wallets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("balance", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False),
        sa.Column("currency", sa.Text(), server_default="NGN", nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_wallets_balance_non_negative")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_wallets_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallets")),
        sa.UniqueConstraint("user_id", name=op.f("uq_wallets_user_id")),
    )
    op.create_table(
        "agent_assignments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column(
            "assigned_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('active', 'completed', 'cancelled')", name=op.f("ck_agent_assignments_status")),
        sa.CheckConstraint(
            "completed_at IS NULL OR completed_at >= assigned_at",
            name=op.f("ck_agent_assignments_completed_after_assigned"),
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["profiles.id"], name=op.f("fk_agent_assignments_agent_id_profiles")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_agent_assignments_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_assignments")),
    )
    op.create_index(op.f("ix_agent_assignments_agent_id"), "agent_assignments", ["agent_id"], unique=False)
    op.create_index(op.f("ix_agent_assignments_patient_id"), "agent_assignments", ["patient_id"], unique=False)
    op.create_table(
        "agent_assisted_patients",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("assistance_type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "last_interaction_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("appointment_booking_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'completed')", name=op.f("ck_agent_assisted_patients_status")
        ),
        sa.CheckConstraint("appointment_booking_count >= 0", name=op.f("ck_agent_assisted_patients_booking_count")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["profiles.id"], name=op.f("fk_agent_assisted_patients_agent_id_profiles")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_agent_assisted_patients_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_assisted_patients")),
    )
    op.create_index(op.f("ix_agent_assisted_patients_agent_id"), "agent_assisted_patients", ["agent_id"], unique=False)
    op.create_index(
        op.f("ix_agent_assisted_patients_patient_id"), "agent_assisted_patients", ["patient_id"], unique=False
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("physician_id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("agent_id", sa.Text(), nullable=True),
        sa.Column("appointment_date", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("appointment_time", sa.Text(), nullable=False),
        sa.Column("appointment_type", sa.Text(), server_default="consultation", nullable=False),
        sa.Column("consultation_type", sa.Text(), server_default="in_person", nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("meeting_link", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "appointment_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'",
            name=op.f("ck_appointments_appointment_time_hhmm"),
        ),
        sa.CheckConstraint(
            "consultation_type IN ('in_person', 'virtual')", name=op.f("ck_appointments_consultation_type")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'cancelled', 'completed', 'no_show')",
            name=op.f("ck_appointments_status"),
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["profiles.id"], name=op.f("fk_appointments_agent_id_profiles")),
        sa.ForeignKeyConstraint(["hospital_id"], ["hospitals.id"], name=op.f("fk_appointments_hospital_id_hospitals")),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_appointments_patient_id_users")),
        sa.ForeignKeyConstraint(["physician_id"], ["profiles.id"], name=op.f("fk_appointments_physician_id_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index("idx_appointments_patient_date", "appointments", ["patient_id", "appointment_date"], unique=False)
    op.create_index(
        "idx_appointments_physician_date", "appointments", ["physician_id", "appointment_date"], unique=False
    )
    op.create_index(op.f("ix_appointments_agent_id"), "appointments", ["agent_id"], unique=False)
    op.create_index(
        op.f("ix_appointments_hospital_id_appointment_date"),
        "appointments",
        ["hospital_id", "appointment_date"],
        unique=False,
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("physician_id", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), server_default="physician_consultation", nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active', 'closed', 'archived')", name=op.f("ck_conversations_status")),
        sa.CheckConstraint(
            "type IN ('ai_diagnosis', 'physician_consultation', 'agent_support')",
            name=op.f("ck_conversations_type"),
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_conversations_patient_id_users")),
        sa.ForeignKeyConstraint(["physician_id"], ["profiles.id"], name=op.f("fk_conversations_physician_id_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(op.f("ix_conversations_patient_id"), "conversations", ["patient_id"], unique=False)
    op.create_index(op.f("ix_conversations_physician_id"), "conversations", ["physician_id"], unique=False)
    op.create_table(
        "emergency_contacts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("relationship", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["profiles.id"], name=op.f("fk_emergency_contacts_patient_id_profiles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_contacts")),
    )
    op.create_index(op.f("ix_emergency_contacts_patient_id"), "emergency_contacts", ["patient_id"], unique=False)
    op.create_table(
        "emergency_requests",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("emergency_type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("severity", sa.Text(), server_default="medium", nullable=False),
        sa.Column("location_latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("location_longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("hospital_id", sa.Text(), nullable=True),
        sa.Column("assigned_physician_id", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_emergency_requests_severity")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'dispatched', 'in_progress', 'resolved', 'cancelled')",
            name=op.f("ck_emergency_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_physician_id"],
            ["profiles.id"],
            name=op.f("fk_emergency_requests_assigned_physician_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_emergency_requests_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_emergency_requests_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_requests")),
    )
    op.create_index(
        "idx_emergency_requests_status_created", "emergency_requests", ["status", "created_at"], unique=False
    )
    op.create_index(
        op.f("ix_emergency_requests_assigned_physician_id"),
        "emergency_requests",
        ["assigned_physician_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_emergency_requests_hospital_id_created_at"),
        "emergency_requests",
        ["hospital_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_emergency_requests_patient_id"), "emergency_requests", ["patient_id"], unique=False)
    op.create_table(
        "hospital_patients",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("assigned_physician_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column(
            "admission_date",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("discharge_date", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("room_number", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'admitted', 'discharged', 'transferred')",
            name=op.f("ck_hospital_patients_status"),
        ),
        sa.CheckConstraint(
            "discharge_date IS NULL OR discharge_date >= admission_date",
            name=op.f("ck_hospital_patients_discharge_after_admission"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_physician_id"],
            ["profiles.id"],
            name=op.f("fk_hospital_patients_assigned_physician_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id"], ["hospitals.id"], name=op.f("fk_hospital_patients_hospital_id_hospitals")
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_hospital_patients_patient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_patients")),
    )
    op.create_index(
        op.f("ix_hospital_patients_assigned_physician_id"),
        "hospital_patients",
        ["assigned_physician_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_hospital_patients_hospital_id_status"),
        "hospital_patients",
        ["hospital_id", "status"],
        unique=False,
    )
    op.create_index(op.f("ix_hospital_patients_patient_id"), "hospital_patients", ["patient_id"], unique=False)
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("physician_id", sa.Text(), nullable=False),
        sa.Column("medication_name", sa.Text(), nullable=False),
        sa.Column("dosage", sa.Text(), nullable=False),
        sa.Column("frequency", sa.Text(), nullable=False),
        sa.Column("duration", sa.Text(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'discontinued', 'cancelled')",
            name=op.f("ck_prescriptions_status"),
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_prescriptions_patient_id_users")),
        sa.ForeignKeyConstraint(["physician_id"], ["profiles.id"], name=op.f("fk_prescriptions_physician_id_profiles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
    )
    op.create_index(op.f("ix_prescriptions_patient_id"), "prescriptions", ["patient_id"], unique=False)
    op.create_index(op.f("ix_prescriptions_physician_id"), "prescriptions", ["physician_id"], unique=False)
    op.create_table(
        "wallet_transactions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("wallet_id", sa.Text(), nullable=False),
        sa.Column("transaction_type", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("balance_after", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reference_id", sa.Text(), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "transaction_type IN ('credit', 'debit')", name=op.f("ck_wallet_transactions_transaction_type")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_wallet_transactions_amount_positive")),
        sa.CheckConstraint("balance_after >= 0", name=op.f("ck_wallet_transactions_balance_after_non_negative")),
        sa.ForeignKeyConstraint(["wallet_id"], ["wallets.id"], name=op.f("fk_wallet_transactions_wallet_id_wallets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_transactions")),
    )
    op.create_index(
        "idx_wallet_transactions_wallet_created",
        "wallet_transactions",
        ["wallet_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "consultation_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("appointment_id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("physician_id", sa.Text(), nullable=False),
        sa.Column("session_type", sa.Text(), server_default="video", nullable=False),
        sa.Column("status", sa.Text(), server_default="scheduled", nullable=False),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("ended_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("consultation_rate", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("payment_status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "payment_status IN ('pending', 'paid', 'failed', 'refunded')",
            name=op.f("ck_consultation_sessions_payment_status"),
        ),
        sa.CheckConstraint(
            "session_type IN ('video', 'audio', 'text')", name=op.f("ck_consultation_sessions_session_type")
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'in_progress', 'completed', 'cancelled')",
            name=op.f("ck_consultation_sessions_status"),
        ),
        sa.CheckConstraint(
            "consultation_rate IS NULL OR consultation_rate >= 0",
            name=op.f("ck_consultation_sessions_rate_non_negative"),
        ),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes >= 0",
            name=op.f("ck_consultation_sessions_duration_non_negative"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_consultation_sessions_ended_after_started"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_consultation_sessions_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_consultation_sessions_patient_id_users")),
        sa.ForeignKeyConstraint(
            ["physician_id"], ["profiles.id"], name=op.f("fk_consultation_sessions_physician_id_profiles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_sessions")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_consultation_sessions_appointment_id")),
    )
    op.create_index(op.f("ix_consultation_sessions_patient_id"), "consultation_sessions", ["patient_id"], unique=False)
    op.create_index(
        op.f("ix_consultation_sessions_physician_id"), "consultation_sessions", ["physician_id"], unique=False
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("conversation_id", sa.Text(), nullable=False),
        sa.Column("sender_id", sa.Text(), nullable=True),
        sa.Column("sender_type", sa.Text(), nullable=False),
        sa.Column("message_type", sa.Text(), server_default="text", nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("message_type IN ('text', 'image', 'file')", name=op.f("ck_messages_message_type")),
        sa.CheckConstraint(
            "sender_type IN ('patient', 'physician', 'ai_bot', 'agent')", name=op.f("ck_messages_sender_type")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_messages_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("idx_messages_conversation_created", "messages", ["conversation_id", "created_at"], unique=False)
    op.create_index(op.f("ix_messages_sender_id"), "messages", ["sender_id"], unique=False)
    op.create_table(
        "consultation_rooms",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("room_token", sa.Text(), nullable=False),
        sa.Column("room_status", sa.Text(), server_default="waiting", nullable=False),
        sa.Column("patient_joined", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("physician_joined", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "room_status IN ('waiting', 'active', 'completed')",
            name=op.f("ck_consultation_rooms_room_status"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["consultation_sessions.id"],
            name=op.f("fk_consultation_rooms_session_id_consultation_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_rooms")),
        sa.UniqueConstraint("room_token", name=op.f("uq_consultation_rooms_room_token")),
        sa.UniqueConstraint("session_id", name=op.f("uq_consultation_rooms_session_id")),
    )

    op.execute(SET_UPDATED_AT)
    for table in UPDATED_AT_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )
    op.execute(CALCULATE_DISTANCE)
    op.execute(CHECK_USER_ROLE)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS check_user_role(TEXT, TEXT)")
    op.execute("DROP FUNCTION IF EXISTS calculate_distance(DECIMAL, DECIMAL, DECIMAL, DECIMAL)")
    for table in UPDATED_AT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_updated_at ON {table}")
    op.execute("DROP FUNCTION IF EXISTS set_updated_at()")
    op.drop_table("consultation_rooms")
    op.drop_index(op.f("ix_messages_sender_id"), table_name="messages")
    op.drop_index("idx_messages_conversation_created", table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_consultation_sessions_physician_id"), table_name="consultation_sessions")
    op.drop_index(op.f("ix_consultation_sessions_patient_id"), table_name="consultation_sessions")
    op.drop_table("consultation_sessions")
    op.drop_index("idx_wallet_transactions_wallet_created", table_name="wallet_transactions")
    op.drop_table("wallet_transactions")
    op.drop_index(op.f("ix_prescriptions_physician_id"), table_name="prescriptions")
    op.drop_index(op.f("ix_prescriptions_patient_id"), table_name="prescriptions")
    op.drop_table("prescriptions")
    op.drop_index(op.f("ix_hospital_patients_patient_id"), table_name="hospital_patients")
    op.drop_index(op.f("ix_hospital_patients_hospital_id_status"), table_name="hospital_patients")
    op.drop_index(op.f("ix_hospital_patients_assigned_physician_id"), table_name="hospital_patients")
    op.drop_table("hospital_patients")
    op.drop_index(op.f("ix_emergency_requests_patient_id"), table_name="emergency_requests")
    op.drop_index(op.f("ix_emergency_requests_hospital_id_created_at"), table_name="emergency_requests")
    op.drop_index(op.f("ix_emergency_requests_assigned_physician_id"), table_name="emergency_requests")
    op.drop_index("idx_emergency_requests_status_created", table_name="emergency_requests")
    op.drop_table("emergency_requests")
    op.drop_index(op.f("ix_emergency_contacts_patient_id"), table_name="emergency_contacts")
    op.drop_table("emergency_contacts")
    op.drop_index(op.f("ix_conversations_physician_id"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_patient_id"), table_name="conversations")
    op.drop_table("conversations")
    op.drop_index(op.f("ix_appointments_hospital_id_appointment_date"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_agent_id"), table_name="appointments")
    op.drop_index("idx_appointments_physician_date", table_name="appointments")
    op.drop_index("idx_appointments_patient_date", table_name="appointments")
    op.drop_table("appointments")
    op.drop_index(op.f("ix_agent_assisted_patients_patient_id"), table_name="agent_assisted_patients")
    op.drop_index(op.f("ix_agent_assisted_patients_agent_id"), table_name="agent_assisted_patients")
    op.drop_table("agent_assisted_patients")
    op.drop_index(op.f("ix_agent_assignments_patient_id"), table_name="agent_assignments")
    op.drop_index(op.f("ix_agent_assignments_agent_id"), table_name="agent_assignments")
    op.drop_table("agent_assignments")
    op.drop_table("wallets")
    op.drop_index(op.f("ix_profiles_hospital_id"), table_name="profiles")
    op.drop_index("idx_profiles_role_active", table_name="profiles")
    op.drop_table("profiles")
    op.drop_index(op.f("ix_patient_waitlist_patient_id"), table_name="patient_waitlist")
    op.drop_index(op.f("ix_patient_waitlist_hospital_id_status_created_at"), table_name="patient_waitlist")
    op.drop_table("patient_waitlist")
    op.drop_index("idx_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_hospital_resources_hospital_id_category"), table_name="hospital_resources")
    op.drop_table("hospital_resources")
    op.drop_index(op.f("ix_hospital_financial_data_hospital_id_fiscal_month"), table_name="hospital_financial_data")
    op.drop_table("hospital_financial_data")
    op.drop_index(
        op.f("ix_hospital_compliance_tracking_hospital_id_compliance_type"),
        table_name="hospital_compliance_tracking",
    )
    op.drop_table("hospital_compliance_tracking")
    op.drop_index("idx_health_records_patient_date", table_name="health_records")
    op.drop_table("health_records")
    op.drop_index(op.f("ix_documents_verification_status_upload_date"), table_name="documents")
    op.drop_index(op.f("ix_documents_user_id"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_analytics_data_hospital_id_metric_name_metric_date"), table_name="analytics_data")
    op.drop_table("analytics_data")
    op.drop_index(op.f("ix_ambulance_requests_patient_id"), table_name="ambulance_requests")
    op.drop_index(op.f("ix_ambulance_requests_assigned_hospital_id_created_at"), table_name="ambulance_requests")
    op.drop_table("ambulance_requests")
    op.drop_table("users")
    op.drop_index("idx_hospitals_active_location", table_name="hospitals")
    op.drop_table("hospitals")
    op.drop_index(op.f("ix_audit_logs_user_id_created_at"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_hospital_id_created_at"), table_name="audit_logs")
    op.drop_index(op.f("ix_audit_logs_created_at"), table_name="audit_logs")
    op.drop_table("audit_logs")
    sa.Enum(name="user_role").drop(op.get_bind(), checkfirst=True)
