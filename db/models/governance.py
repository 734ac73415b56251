"""Oversight: compliance assessments, analytics metrics, documents, notifications, the audit log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import (
    Base,
    Json,
    Metric,
    Money,
    Timestamp,
    created_at_column,
    id_column,
    in_list,
    json_default,
    updated_at_column,
)
from db.vocab import COMPLIANCE_STATUSES, IMPACT_LEVELS, NOTIFICATION_TYPES, VERIFICATION_STATUSES

if TYPE_CHECKING:
    from db.models.hospitals import Hospital
    from db.models.people import User


def partition_key_column() -> Mapped[datetime]:
    """The month a row is filed under (migration 0010): part of the primary key, now() unless given."""
    return mapped_column(TIMESTAMP(timezone=True), primary_key=True, server_default=func.now())


class HospitalComplianceTracking(Base):
    __tablename__ = "hospital_compliance_tracking"
    __table_args__ = (
        CheckConstraint(in_list("status", COMPLIANCE_STATUSES), name="status"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_0_100"),
        Index(None, "hospital_id", "compliance_type"),
        # Checklist answers and evidence point here with their hospital (migration 0024).
        UniqueConstraint("id", "hospital_id"),
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str] = mapped_column(ForeignKey("hospitals.id"))
    compliance_type: Mapped[str]
    status: Mapped[str] = mapped_column(default="compliant", server_default="compliant")
    score: Mapped[int | None] = mapped_column(default=100, server_default=text("100"))
    last_assessment_date: Mapped[datetime] = created_at_column()
    next_assessment_due: Mapped[Timestamp | None]
    assessed_by: Mapped[str | None]
    assessment_details: Mapped[Json | None] = mapped_column(default=dict, server_default=json_default("{}"))
    violations: Mapped[Json | None] = mapped_column(default=list, server_default=json_default("[]"))
    corrective_actions: Mapped[Json | None] = mapped_column(default=list, server_default=json_default("[]"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    hospital: Mapped[Hospital] = relationship(back_populates="compliance_tracking")


class AnalyticsData(Base):
    """Partitioned by Lagos month on metric_date (migration 0010), hence the key (id, metric_date)."""

    __tablename__ = "analytics_data"
    __table_args__ = (
        Index(None, "hospital_id", "metric_name", "metric_date"),
        Index(None, "metric_name"),  # the network's metric list, one probe a name (migration 0010)
    )

    id: Mapped[str] = id_column()
    hospital_id: Mapped[str | None] = mapped_column(ForeignKey("hospitals.id"))
    metric_name: Mapped[str]
    metric_value: Mapped[Metric | None]
    metric_date: Mapped[datetime] = partition_key_column()
    created_at: Mapped[datetime] = created_at_column()

    hospital: Mapped[Hospital | None] = relationship(back_populates="analytics_data")


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(in_list("verification_status", VERIFICATION_STATUSES), name="verification_status"),
        Index(None, "user_id"),
        Index(None, "verification_status", "upload_date"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    document_name: Mapped[str]
    document_type: Mapped[str]
    document_url: Mapped[str]
    verification_status: Mapped[str] = mapped_column(default="pending", server_default="pending")
    verified_by: Mapped[str | None]
    verified_at: Mapped[Timestamp | None]
    upload_date: Mapped[datetime] = created_at_column()

    user: Mapped[User] = relationship(back_populates="documents")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(in_list("type", NOTIFICATION_TYPES), name="type"),
        Index("idx_notifications_user_read", "user_id", "read"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(default="info", server_default="info")
    title: Mapped[str]
    message: Mapped[str]
    read: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = created_at_column()

    user: Mapped[User] = relationship(back_populates="notifications")


class AuditLog(Base):
    """Append-only. user_id is plain text on purpose: an audit row outlives the user it names.

    Partitioned by Lagos month on created_at (migration 0010), hence the key (id, created_at).
    """

    __tablename__ = "audit_logs"
    __table_args__ = (
        CheckConstraint(in_list("impact_level", IMPACT_LEVELS), name="impact_level"),
        Index(None, "hospital_id", "created_at"),
        Index(None, "user_id", "created_at"),
        Index(None, "created_at"),
        Index(None, "chain_seq"),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str]
    hospital_id: Mapped[str | None]
    action_category: Mapped[str] = mapped_column(default="system_admin", server_default="system_admin")
    action_type: Mapped[str] = mapped_column(default="unknown", server_default="unknown")
    resource_type: Mapped[str | None]
    resource_id: Mapped[str | None]
    old_values: Mapped[Json | None] = mapped_column(default=dict, server_default=json_default("{}"))
    new_values: Mapped[Json | None] = mapped_column(default=dict, server_default=json_default("{}"))
    impact_level: Mapped[str] = mapped_column(default="low", server_default="low")
    compliance_relevant: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    financial_impact: Mapped[Money | None] = mapped_column(default=Decimal(0), server_default=text("0"))
    session_id: Mapped[str | None]
    ip_address: Mapped[str | None]
    user_agent: Mapped[str | None]
    created_at: Mapped[datetime] = partition_key_column()
    # Migration 0012: the row's place in the trail's hash chain and its link, both set by the database.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    chain_hash: Mapped[str | None]
