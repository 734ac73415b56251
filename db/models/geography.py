"""Nigeria's local government areas (migration 0021, issue 24 part 5): the reference a hospital's LGA points at.

Filled by the migration from the maintained package naija-data; hospitals.(state, lga) references (state, name),
so a hospital names an LGA only with the state it lies in. Public facts: no hospital scope, read-only to the app.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class NigerianLga(Base):
    __tablename__ = "nigerian_lgas"
    __table_args__ = (UniqueConstraint("state", "name"),)

    code: Mapped[str] = mapped_column(primary_key=True)  # the OCHA P-code, e.g. NG025011
    state: Mapped[str]  # "Lagos", "Federal Capital Territory": the package's spelling, as hospitals.state holds it
    name: Mapped[str]  # "Ikeja"
