"""Pagination in SQL: a page of rows plus the total, for "1–50 of 12,480"; and capped fetches for exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_PAGE_SIZE = 200
EXPORT_LIMIT = 50_000  # rows in one CSV export: enough for a year of a hospital's records, small enough to hold


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int  # 1-based
    page_size: int

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.page_size)

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def fetch_page(db: Session, stmt: Select, *, page: int, page_size: int) -> tuple[list, int, int, int]:
    """Run `stmt` (already scoped and ordered) for one page; returns (rows, total, page, page_size)."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    last_page = max(1, -(-total // page_size))
    page = max(1, min(int(page), last_page))
    rows = db.execute(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    return rows, total, page, page_size


def fetch_capped(db: Session, stmt: Select, limit: int = EXPORT_LIMIT) -> tuple[list, bool]:
    """Up to `limit` rows of `stmt` (already scoped and ordered), and whether more were left out."""
    rows = db.execute(stmt.limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def like_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, with the user's % and _ taken literally."""
    # NUL cannot reach PostgreSQL text; dropping it keeps a pasted search from failing the page.
    escaped = text.replace("\x00", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
