"""Reads the Prisma models of the seed document (a copy lives in tests/data) into plain facts.

The schema tests compare the migrated database against these facts, so "nothing missing or
renamed" is checked against the source document itself rather than against our own models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SPEC_COPY = Path(__file__).parent / "data" / "seed-schema.md"
SPEC_SHARED = Path(__file__).resolve().parents[2] / "shared" / "spec" / "seed-schema.md"
SCALARS = {"String", "DateTime", "Boolean", "Int", "Decimal", "Json", "UserRole"}


@dataclass
class PrismaField:
    name: str
    type: str
    optional: bool
    attributes: str

    @property
    def column(self) -> str:
        return snake_case(self.name)

    @property
    def default(self) -> str | None:
        match = re.search(r"@default\((.*)\)", self.attributes)
        return match.group(1) if match else None


@dataclass
class PrismaModel:
    name: str
    table: str
    fields: list[PrismaField] = field(default_factory=list)

    def scalar_fields(self) -> list[PrismaField]:
        return [f for f in self.fields if f.type in SCALARS]


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def parse_models(text: str | None = None) -> dict[str, PrismaModel]:
    text = text if text is not None else SPEC_COPY.read_text()
    models: dict[str, PrismaModel] = {}
    for match in re.finditer(r"^model (\w+) \{\n(.*?)^\}", text, flags=re.S | re.M):
        name, body = match.group(1), match.group(2)
        table = re.search(r'@@map\("(\w+)"\)', body).group(1)
        model = PrismaModel(name=name, table=table)
        for line in body.splitlines():
            line = line.split("//")[0].strip()
            if not line or line.startswith("@@"):
                continue
            parts = line.split(None, 2)
            fname, ftype = parts[0], parts[1]
            attributes = parts[2] if len(parts) > 2 else ""
            optional = ftype.endswith("?")
            model.fields.append(PrismaField(fname, ftype.rstrip("?").rstrip("[]"), optional, attributes))
        models[name] = model
    return models


def parse_indexes(text: str | None = None) -> dict[str, tuple[str, list[str]]]:
    text = text if text is not None else SPEC_COPY.read_text()
    found = re.findall(r"CREATE INDEX (\w+) ON (\w+)\(([^)]*)\);", text)
    return {name: (table, [c.strip() for c in cols.split(",")]) for name, table, cols in found}
