"""What a budget line may say, checked the same way for the form and for every row of an imported workbook.

A year's budget for one category is given either as one annual figure or as twelve monthly ones. An annual
figure is kept as twelve even parts, the kobo left over in December, so the twelve add up to the year to the kobo.
Even twelfths, not parts weighted by days or seasons: a hospital's large costs (salaries, rent, the diesel
contract, NHIA capitation) run by the month, not by the day, and the ledger books by fiscal month; a hospital that
knows its seasons (the malaria months, December's slow weeks) gives the twelve months instead.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from dashboard.domains.money.budgets import CATEGORY_KIND
from dashboard.domains.money.hospital_ledger import category_label
from dashboard.platform.errors import InvalidInput
from dashboard.platform.formatting import naira
from db.models.budgets import BUDGET_CATEGORIES

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LARGEST = Decimal("999999999999.99")  # NUMERIC(14, 2), as the ledger's amounts
KOBO = Decimal("0.01")
CATEGORY_WORDS = ", ".join(category_label(c) for kind in ("revenue", "expense") for c in BUDGET_CATEGORIES[kind])


def _key(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


_BY_WORDS = {_key(category): category for category in CATEGORY_KIND}


def checked_category(value: object) -> tuple[str, str]:
    """(kind, category) of a category written as the ledger does ("utilities_and_diesel") or as the page says it
    ("Utilities and diesel"), in any case; else a sentence naming the categories (and the nearest one)."""
    text = value.strip() if isinstance(value, str) else ""
    found = _BY_WORDS.get(_key(text)) if text else None
    if found is not None:
        return CATEGORY_KIND[found], found
    if not text:
        raise InvalidInput(f"the category is empty; it must be one of {CATEGORY_WORDS}")
    near = difflib.get_close_matches(_key(text), list(_BY_WORDS), n=1, cutoff=0.6)
    hint = f" (did you mean {category_label(_BY_WORDS[near[0]])}?)" if near else ""
    raise InvalidInput(f"category '{text[:60]}' is not one of {CATEGORY_WORDS}{hint}")


def checked_amount(value: object, what: str) -> Decimal | None:
    """A naira amount (a number, or text like "₦1,250,000.50"); None when empty; else a sentence about `what`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be an amount in naira")
    if isinstance(value, float):
        value = repr(value)  # the shortest text of the number Excel stored: 1234.56, not 1234.5599999
    try:
        amount = Decimal(str(value).replace("₦", "").replace(",", "").replace(" ", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"{what} '{str(value)[:30]}' is not an amount in naira") from None
    if not amount.is_finite():
        raise InvalidInput(f"{what} '{str(value)[:30]}' is not an amount in naira")
    if amount < 0:
        raise InvalidInput(f"{what} is below zero; a budget is what is planned, never negative")
    if amount != amount.quantize(KOBO):
        raise InvalidInput(f"{what} has more than two decimal places (kobo)")
    if amount > LARGEST:
        raise InvalidInput(f"{what} is more than {naira(LARGEST)}")
    return amount.quantize(KOBO)


def even_twelfths(annual: Decimal) -> list[Decimal]:
    """An annual figure in twelve even parts, the kobo left over in December: they add up to it exactly."""
    kobo = int(annual * 100)
    part = kobo // 12
    return [Decimal(part) / 100] * 11 + [Decimal(kobo - 11 * part) / 100]


@dataclass(frozen=True)
class YearLine:
    """A year's budget for one hospital and category, month by month."""

    hospital_id: str
    hospital_name: str
    year: int
    kind: str
    category: str
    months: tuple[Decimal, ...]  # twelve, January first
    entered_as: str  # "annual" or "monthly"

    @property
    def annual(self) -> Decimal:
        return sum(self.months, Decimal("0.00"))


def months_of_line(annual: object, months: list[object] | None) -> tuple[tuple[Decimal, ...], str]:
    """The twelve months of a line given as an annual figure, twelve months, or both (which must agree)."""
    year_total = checked_amount(annual, "the annual budget")
    given = [checked_amount(v, f"{name}'s budget") for v, name in zip(months or [], MONTH_NAMES, strict=False)]
    if any(v is not None for v in given):
        missing = [name for v, name in zip(given + [None] * (12 - len(given)), MONTH_NAMES, strict=True) if v is None]
        if missing:
            raise InvalidInput(f"give all twelve months or none ({', '.join(missing)} "
                               f"{'is' if len(missing) == 1 else 'are'} empty)")  # fmt: skip
        total = sum(given, Decimal("0.00"))
        if year_total is not None and year_total != total:
            raise InvalidInput(f"the months add up to {naira(total)} but the annual budget says {naira(year_total)}; "
                               "leave the annual budget empty or make them agree")  # fmt: skip
        return tuple(given), "monthly"
    if year_total is None:
        raise InvalidInput("give an annual budget or the twelve months")
    return tuple(even_twelfths(year_total)), "annual"
