"""Declarative base, constraint naming convention and the column shapes the models share."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import MetaData, Numeric, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.ids import new_id

# Deterministic names make Alembic migrations reproducible and errors traceable to one constraint.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# ERRATA 5: explicit precision, never float for money. consultation_rate is a fee in naira per
# consultation (the seed's 50000.00), so it is Money, not a Metric, despite the word "rate".
Money = Annotated[Decimal, mapped_column(Numeric(14, 2))]
Coordinate = Annotated[Decimal, mapped_column(Numeric(9, 6))]
Metric = Annotated[Decimal, mapped_column(Numeric(18, 4))]
Timestamp = Annotated[datetime, mapped_column(TIMESTAMP(timezone=True))]
Json = Annotated[Any, mapped_column(JSONB)]


class UserRole(enum.StrEnum):
    PATIENT = "PATIENT"
    PHYSICIAN = "PHYSICIAN"
    AGENT = "AGENT"
    HOSPITAL_ADMIN = "HOSPITAL_ADMIN"
    ADMIN = "ADMIN"
    # ERRATA: the two staff roles the dashboard's users need.
    EXECUTIVE = "EXECUTIVE"
    COMPLIANCE_OFFICER = "COMPLIANCE_OFFICER"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {str: Text(), datetime: TIMESTAMP(timezone=True)}


def id_column() -> Mapped[str]:
    return mapped_column(Text, primary_key=True, default=new_id)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(TIMESTAMP(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    # The trigger set_updated_at() keeps it current for plain SQL; onupdate covers the ORM.
    return mapped_column(TIMESTAMP(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now())


def json_default(literal: str) -> Any:
    return text(f"'{literal}'::jsonb")


def in_list(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that `column` takes one of `values` (NULL passes, as in SQL)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
