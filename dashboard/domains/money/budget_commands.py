"""Budget commands: set a year's budget for one category, remove it, and import a workbook of them.

Each is one transaction with one audit row. An import is all or none: every row of the workbook is checked
first, and if any is wrong nothing is written and each bad row is named in a sentence ("Row 7: category 'Staf'
is not one of ..."). A line already set for that hospital, year and category is replaced, month by month (the
unique line of migration 0022), and the check says how many lines an import will replace before it is run.

The workbook is an .xlsx (openpyxl) with one row per hospital, fiscal year and category: Hospital, Year,
Category, Annual budget, then Jan .. Dec. `budget_template` hands out one prefilled with the budgets in scope,
so the usual round is: download, edit in Excel, upload.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from dashboard.domains.money.budget_lines import (
    CATEGORY_WORDS,
    MONTH_NAMES,
    YearLine,
    checked_category,
    months_of_line,
)
from dashboard.domains.money.budgets import RESOURCE_TYPE, checked_year, months_of
from dashboard.domains.money.hospital_ledger import category_label
from dashboard.platform import audit, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.errors import InvalidInput, NotFound
from dashboard.platform.formatting import LAGOS, naira
from dashboard.platform.scope import hospital_in_scope, limit_to_scope, require_role
from db.ids import new_id
from db.models import Hospital
from db.models.budgets import BUDGET_CATEGORIES, HospitalBudget

WRITERS = permissions.writers("budgets")
# A network's template at scale 50 (1,000 hospitals x 17 categories) is 17,000 rows, about 1 MB: both fit.
MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_ERRORS_SAID = 50  # past these, the sentence says how many more rows are wrong
HEADERS = ("Hospital", "Year", "Category", "Annual budget", *MONTH_NAMES)
REQUIRED = ("Year", "Category", "Annual budget")  # a hospital's own may leave Hospital out; months are optional
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_audit = audit.Recorder("financial", RESOURCE_TYPE, impact="medium")


def _today(db: Session) -> date:
    return db.scalar(select(func.timezone("Africa/Lagos", func.now()))).date()


def _already_set(db: Session, lines: list[YearLine]) -> int:
    """How many of the lines (hospital, year, category) have a budget already: their January, as four arrays.

    Arrays, not a list of tuples: a network's workbook holds 17,000 lines, four parameters each, past the
    65,535 parameters a statement may carry.
    """
    if not lines:
        return 0
    found = db.scalar(
        text(
            "SELECT count(*) FROM hospital_budgets b JOIN unnest(CAST(:hospitals AS text[]), CAST(:months AS text[]), "
            "CAST(:kinds AS text[]), CAST(:categories AS text[])) AS line(hospital_id, fiscal_month, kind, category) "
            "ON b.hospital_id = line.hospital_id AND b.fiscal_month = line.fiscal_month "
            "AND b.transaction_type = line.kind AND b.category = line.category"
        ),
        {"hospitals": [ln.hospital_id for ln in lines], "months": [f"{ln.year:04d}-01" for ln in lines],
         "kinds": [ln.kind for ln in lines], "categories": [ln.category for ln in lines]},
    )  # fmt: skip
    return int(found or 0)


def _write(db: Session, actor: Actor, lines: list[YearLine]) -> int:
    """Insert or replace the twelve months of each line; returns how many year lines already existed."""
    replaced = _already_set(db, lines)
    months = [(ln, month, amount) for ln in lines for month, amount in zip(months_of(ln.year), ln.months, strict=True)]
    # One statement over arrays (a network's import is 204,000 months): no parameter limit, one round trip, and
    # far faster than rows of VALUES; the unique line makes a month already set an update in place.
    db.execute(
        text(
            "INSERT INTO hospital_budgets (id, hospital_id, fiscal_month, transaction_type, category, amount, "
            "entered_as, created_by, updated_by) "
            "SELECT id, hospital_id, fiscal_month, kind, category, amount, entered_as, :actor, :actor "
            "FROM unnest(CAST(:ids AS text[]), CAST(:hospitals AS text[]), CAST(:months AS text[]), "
            "CAST(:kinds AS text[]), CAST(:categories AS text[]), CAST(:amounts AS numeric[]), "
            "CAST(:entered AS text[])) AS line(id, hospital_id, fiscal_month, kind, category, amount, entered_as) "
            "ON CONFLICT ON CONSTRAINT uq_hospital_budgets_line DO UPDATE SET amount = EXCLUDED.amount, "
            "entered_as = EXCLUDED.entered_as, updated_by = EXCLUDED.updated_by"
        ),
        {
            "actor": actor.user_id,
            "ids": [new_id() for _ in months],
            "hospitals": [ln.hospital_id for ln, _, _ in months],
            "months": [month for _, month, _ in months],
            "kinds": [ln.kind for ln, _, _ in months],
            "categories": [ln.category for ln, _, _ in months],
            "amounts": [amount for _, _, amount in months],
            "entered": [ln.entered_as for ln, _, _ in months],
        },
    )  # fmt: skip
    return int(replaced or 0)


@dataclass(frozen=True)
class BudgetSet:
    hospital_name: str
    year: int
    category_label: str
    annual: Decimal
    replaced: bool


def set_budget(
    db: Session, actor: Actor, *, hospital_id: str, year: Any, category: Any, annual: Any = None,
    months: list[Any] | None = None,
) -> BudgetSet:  # fmt: skip
    """A hospital's budget for a year and category: an annual figure in twelve even parts, or twelve months."""
    require_role(db, actor, WRITERS, "set budgets")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    year = checked_year(year, _today(db))
    try:
        kind, category = checked_category(category)
        twelve, entered_as = months_of_line(annual, months)
    except InvalidInput as exc:
        raise InvalidInput(_sentence(str(exc))) from None
    line = YearLine(hospital_id, hospital_name, year, kind, category, twelve, entered_as)
    replaced = _write(db, actor, [line])
    _audit(db, actor, "budget_set", hospital_id, hospital=hospital_id, money=line.annual,
           new={"hospital": hospital_name, "year": year, "category": category, "annual": line.annual,
                "entered_as": entered_as, "months": list(twelve), "replaced": bool(replaced)})  # fmt: skip
    return BudgetSet(hospital_name, year, category_label(category), line.annual, bool(replaced))


def remove_budget(db: Session, actor: Actor, *, hospital_id: str, year: Any, category: Any) -> BudgetSet:
    """Remove a hospital's budget for a year and category (its twelve months); the audit row keeps what it was."""
    require_role(db, actor, WRITERS, "remove budgets")
    hospital_name = hospital_in_scope(db, actor, hospital_id)
    year = checked_year(year, _today(db))
    try:
        kind, category = checked_category(category)
    except InvalidInput as exc:
        raise InvalidInput(_sentence(str(exc))) from None
    removed = db.execute(
        delete(HospitalBudget).where(
            HospitalBudget.hospital_id == hospital_id, HospitalBudget.fiscal_month.in_(months_of(year)),
            HospitalBudget.transaction_type == kind, HospitalBudget.category == category,
        ).returning(HospitalBudget.fiscal_month, HospitalBudget.amount)
    ).all()  # fmt: skip
    if not removed:
        raise NotFound(f"{hospital_name} has no {category_label(category)} budget for {year}; nothing was removed.")
    annual = sum((amount for _, amount in removed), Decimal("0.00"))
    _audit(db, actor, "budget_removed", hospital_id, hospital=hospital_id, money=annual,
           old={"hospital": hospital_name, "year": year, "category": category, "annual": annual,
                "months": {month: amount for month, amount in sorted(removed)}})  # fmt: skip
    return BudgetSet(hospital_name, year, category_label(category), annual, True)


def _sentence(words: str) -> str:
    """'the category is empty; ...' as a sentence: capital first, full stop last."""
    words = words.strip()
    return (words[:1].upper() + words[1:]).rstrip(".") + "."


# --- the workbook ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    """What a workbook holds once every row has passed: the lines, and how many it replaces."""

    file_name: str
    lines: list[YearLine]
    replaces: int  # lines (hospital, year, category) already set that the import overwrites

    @property
    def hospitals(self) -> list[str]:
        return sorted({ln.hospital_name for ln in self.lines})

    @property
    def years(self) -> list[int]:
        return sorted({ln.year for ln in self.lines})

    @property
    def total(self) -> dict[str, Decimal]:
        return {k: sum((ln.annual for ln in self.lines if ln.kind == k), Decimal("0.00")) for k in BUDGET_CATEGORIES}


def _file_name(file_name: Any) -> str:
    name = PurePath(str(file_name or "").replace("\\", "/").replace("\x00", "")).name.strip()
    return name[:200] or "budgets.xlsx"


def _sheet_rows(content: Any, name: str) -> list[tuple]:
    """The first sheet's rows as values (formulas as their last computed values); refused in a sentence."""
    if not isinstance(content, bytes | bytearray | memoryview) or not bytes(content):
        raise InvalidInput("Attach the budget workbook (.xlsx); start from the template on this page.")
    content = bytes(content)
    if len(content) > MAX_WORKBOOK_BYTES:
        raise InvalidInput(f"“{name}” is {len(content) / 1048576:.1f} MB; a budget workbook can be at most 5 MB. "
                           "Remove other sheets or pictures from it.")  # fmt: skip
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise InvalidInput(f"“{name}” is not an Excel workbook (.xlsx). Save it from Excel as .xlsx, or start "
                           "from the template on this page.") from None  # fmt: skip
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise InvalidInput(f"“{name}” has more than {MAX_ROWS:,} rows; import it in parts.")
        return rows
    finally:
        workbook.close()


def _columns(header: tuple) -> dict[str, int]:
    found = {}
    for position, cell in enumerate(header):
        if isinstance(cell, str):
            words = " ".join(cell.replace("(₦)", "").replace("(naira)", "").split()).lower()
            for wanted in HEADERS:
                if words == wanted.lower() or (wanted == "Annual budget" and words in ("annual", "budget")):
                    found.setdefault(wanted, position)
    missing = [h for h in REQUIRED if h not in found]
    if missing:
        raise InvalidInput(
            f"The workbook's first row has no {', '.join(repr(m) for m in missing)} "
            f"{'column' if len(missing) == 1 else 'columns'}: its headings are {', '.join(HEADERS[:4])}, "
            "then Jan to Dec. "
            "Start from the template on this page."
        )
    return found


def _hospitals(db: Session, actor: Actor) -> dict[str, tuple[str, str]]:
    """The hospitals the actor may budget, by their name in lower case: {name: (id, name)}."""
    stmt = limit_to_scope(select(Hospital.id, Hospital.name), actor, Hospital.id)
    return {" ".join(name.lower().split()): (hospital_id, name) for hospital_id, name in db.execute(stmt)}


def _year_of(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _plan(db: Session, actor: Actor, content: Any, file_name: Any) -> ImportPlan:
    require_role(db, actor, WRITERS, "import budgets")
    name = _file_name(file_name)
    rows = _sheet_rows(content, name)
    if not rows:
        raise InvalidInput(f"“{name}” is empty; start from the template on this page.")
    columns = _columns(rows[0])
    hospitals = _hospitals(db, actor)
    own = next(iter(hospitals.values())) if not actor.network_wide and len(hospitals) == 1 else None
    today = _today(db)
    lines: list[YearLine] = []
    errors: list[str] = []
    seen: dict[tuple, int] = {}

    def cell(row: tuple, heading: str) -> Any:
        position = columns.get(heading)
        return row[position] if position is not None and position < len(row) else None

    for number, row in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue  # a blank row between blocks is not an error
        problems = []
        written = cell(row, "Hospital")
        hospital = None
        if written is None or (isinstance(written, str) and not written.strip()):
            hospital = own
            if hospital is None:
                problems.append("the hospital is empty; name the hospital as the template does")
        else:
            hospital = hospitals.get(" ".join(str(written).lower().split()))
            if hospital is None:
                problems.append(f"hospital '{str(written)[:80]}' is not "
                                + ("yours" if own else "a hospital in your working scope"))  # fmt: skip
        year = _year_of(cell(row, "Year"))
        try:
            year = checked_year(year, today)
        except InvalidInput:
            problems.append(f"the year '{'' if year is None else str(year)[:12]}' is not a fiscal year between "
                            f"2000 and {today.year + 5}")  # fmt: skip
            year = None
        kind = category = None
        try:
            kind, category = checked_category(cell(row, "Category"))
        except InvalidInput as exc:
            problems.append(str(exc))
        twelve = entered_as = None
        try:
            twelve, entered_as = months_of_line(cell(row, "Annual budget"), [cell(row, m) for m in MONTH_NAMES])
        except InvalidInput as exc:
            problems.append(str(exc))
        if not problems:
            key = (hospital[0], year, category)
            if key in seen:
                problems.append(f"{hospital[1]}'s {category_label(category)} budget for {year} is already on row "
                                f"{seen[key]}")  # fmt: skip
            else:
                seen[key] = number
                lines.append(YearLine(hospital[0], hospital[1], year, kind, category, twelve, entered_as))
        if problems:
            errors.append(f"Row {number}: " + "; ".join(problems) + ".")
    if errors:
        said = errors[:MAX_ERRORS_SAID]
        more = len(errors) - len(said)
        raise BadRows(
            f"Nothing was imported: {len(errors):,} {'row is' if len(errors) == 1 else 'rows are'} wrong in “{name}”. "
            "Correct them and upload the workbook again.",
            said + ([f"… and {more:,} more rows."] if more else []),
        )
    if not lines:
        raise InvalidInput(f"“{name}” has no budget rows under its headings; fill one row per hospital, year and "
                           "category.")  # fmt: skip
    return ImportPlan(name, lines, _already_set(db, lines))


class BadRows(InvalidInput):
    """A workbook with rows that cannot be imported: the sentence, then one sentence per bad row."""

    def __init__(self, summary: str, rows: list[str]):
        super().__init__(summary + " " + " ".join(rows))
        self.summary = summary
        self.rows = rows


def check_budget_workbook(db: Session, actor: Actor, *, content: Any, file_name: Any) -> ImportPlan:
    """Every row of an uploaded workbook checked, nothing written: what it would import, or each bad row."""
    return _plan(db, actor, content, file_name)


def import_budgets(db: Session, actor: Actor, *, content: Any, file_name: Any) -> ImportPlan:
    """Import a budget workbook: every row checked first, then all of it in this transaction with one audit row."""
    plan = _plan(db, actor, content, file_name)
    _write(db, actor, plan.lines)
    hospital_ids = sorted({ln.hospital_id for ln in plan.lines})
    _audit(db, actor, "budgets_imported", None, hospital=hospital_ids[0] if len(hospital_ids) == 1 else None,
           money=sum(plan.total.values(), Decimal("0.00")),
           new={"file": plan.file_name, "lines": len(plan.lines), "replaced": plan.replaces,
                "hospitals": plan.hospitals, "years": plan.years,
                "revenue": plan.total["revenue"], "expense": plan.total["expense"]})  # fmt: skip
    return plan


@permissions.reads("budgets", "download the budget template")
def budget_template(db: Session, actor: Actor, *, year: int) -> bytes:
    """An .xlsx to fill in: one row per hospital in scope and category, with the year's budgets already set.

    A line set month by month carries its months; one set as an annual figure carries that figure only. A second
    sheet says the rules. Downloading it is recorded like an export (it holds the budgets).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    year = checked_year(year, _today(db))
    hospitals = db.execute(
        limit_to_scope(select(Hospital.id, Hospital.name).order_by(Hospital.name, Hospital.id), actor, Hospital.id)
    ).all()
    stored = db.execute(
        limit_to_scope(
            select(HospitalBudget.hospital_id, HospitalBudget.category, HospitalBudget.fiscal_month,
                   HospitalBudget.amount, HospitalBudget.entered_as)
            .where(HospitalBudget.fiscal_month.in_(months_of(year))),
            actor, HospitalBudget.hospital_id,
        )
    ).all()  # fmt: skip
    lines: dict[tuple[str, str], dict] = {}
    for hospital_id, category, month, amount, entered_as in stored:
        line = lines.setdefault((hospital_id, category), {"months": {}, "entered_as": entered_as})
        line["months"][int(month[5:7])] = amount
    book = Workbook()
    sheet = book.active
    sheet.title = f"Budgets {year}"
    sheet.append(list(HEADERS))
    for hospital_id, hospital_name in hospitals:
        for kind in ("revenue", "expense"):
            for category in BUDGET_CATEGORIES[kind]:
                line = lines.get((hospital_id, category))
                annual, months = None, [None] * 12
                if line is not None:
                    values = [line["months"].get(m) for m in range(1, 13)]
                    if line["entered_as"] == "monthly" or None in values:
                        months = [float(v) if v is not None else None for v in values]
                    else:
                        annual = float(sum(values, Decimal("0.00")))
                sheet.append([hospital_name, year, category_label(category), annual, *months])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, width in enumerate((34, 8, 24, 18, *([14] * 12)), start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    for row in sheet.iter_rows(min_row=2, min_col=4):
        for cell in row:
            cell.number_format = "#,##0.00"
    sheet.freeze_panes = "D2"
    rules = book.create_sheet("How to fill it")
    for line in (
        ["One row per hospital, fiscal year (January to December) and category. Amounts in naira, kobo allowed."],
        [
            "Give the Annual budget alone (it is split in twelve even parts, the kobo left over in December), or all "
            "twelve months (the Annual budget then empty, or equal to their sum)."
        ],
        ["A row for a hospital, year and category already budgeted replaces that budget. Blank rows are skipped."],
        ["If any row is wrong, nothing is imported and every wrong row is named, so fix them and upload again."],
        [f"Categories: {CATEGORY_WORDS}."],
    ):
        rules.append(line)
    rules.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record_export(
        db, actor, action_type="budget_template_exported", resource_type=RESOURCE_TYPE,
        filters={"year": year, "made": datetime.now(LAGOS).isoformat(timespec="minutes")}, rows=sheet.max_row - 1,
    )  # fmt: skip
    return buffer.getvalue()


def plan_words(plan: ImportPlan) -> str:
    """What an import will do, in a sentence the page shows before the reader presses Import."""
    lines = f"{len(plan.lines):,} budget {'line' if len(plan.lines) == 1 else 'lines'}"
    hospitals = plan.hospitals
    where = hospitals[0] if len(hospitals) == 1 else f"{len(hospitals):,} hospitals"
    years = ", ".join(str(y) for y in plan.years)
    replaces = (f"; it replaces {plan.replaces:,} {'line' if plan.replaces == 1 else 'lines'} already set"
                if plan.replaces else "")  # fmt: skip
    return (f"“{plan.file_name}” holds {lines} for {where}, fiscal year {years}: revenue "
            f"{naira(plan.total['revenue'])}, expenses {naira(plan.total['expense'])}{replaces}.")  # fmt: skip
