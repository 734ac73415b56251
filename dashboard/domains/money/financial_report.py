"""The printable financial report: a PDF of the Financials view for a board pack, made on the server.

Made with fpdf2 (the document) and matplotlib (the monthly chart as an image), both from PyPI and
neither fetching anything at run time: matplotlib draws with its Agg renderer, no browser, and ships
the DejaVu Sans font whose glyphs include the naira sign, which fpdf2 embeds. (Plotly's image
export, kaleido 1.x, drives a Chrome it must find; this needs none.)

The figures come from the same services as the page, in the same transaction, so the report and the
screen agree to the kobo. Making it is recorded in the audit trail like an export, in that
transaction too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.domains.money import budgets, hospital_ledger, month_figures
from dashboard.platform import audit, permissions
from dashboard.platform.actors import ROLE_NAMES, Actor
from dashboard.platform.dates import checked_range
from dashboard.platform.formatting import LAGOS, humanise, lagos_date, lagos_datetime, naira, naira_short
from db.models import Hospital

RESOURCE_TYPE = "financial_report"
PDF_MIME = "application/pdf"
BLUE, ORANGE, GREY, TEXT = "#0072B2", "#E69F00", "#8C8C8C", "#111820"  # the dashboard's palette (charts.py)
MAX_HOSPITAL_ROWS = 60


@dataclass(frozen=True)
class Report:
    content: bytes
    file_name: str
    scope_label: str
    pages: int


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _scope_label(db: Session, actor: Actor) -> str:
    if actor.network_wide:
        return "All hospitals"
    return db.scalar(select(Hospital.name).where(Hospital.id == actor.hospital_id)) or "One hospital"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _booked(value: Decimal | None) -> str:
    """A month's figure, or "No figures" when nothing is booked for it (not a bare dash)."""
    return "No figures" if value is None else naira(value)


def _signed(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return ("+" if value >= 0 else "") + naira(value)


def monthly_chart_png(months: list[hospital_ledger.MonthTotals]) -> bytes:
    """Revenue and expenses by month as grouped bars, net as a line: a PNG at print resolution."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(7.2, 3.0), dpi=200)
    axes = figure.add_subplot()
    labels = [m.label for m in months]
    positions = range(len(months))
    width = 0.38
    axes.bar([p - width / 2 for p in positions], [float(m.revenue) for m in months], width, label="Revenue", color=BLUE)
    axes.bar([p + width / 2 for p in positions], [float(m.expenses) for m in months], width, label="Expenses",
             color=ORANGE)  # fmt: skip
    axes.plot(list(positions), [float(m.net) for m in months], color=TEXT, marker="o", linewidth=1.5, label="Net")
    axes.axhline(0, color=GREY, linewidth=0.6)
    axes.set_xticks(list(positions), labels, fontsize=8, rotation=0 if len(months) <= 8 else 45)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: naira_short(value)))
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylabel("Naira", fontsize=8)
    axes.set_title("Revenue, expenses and net by fiscal month", fontsize=10, loc="left", color=TEXT)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dde3e8", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(fontsize=8, frameon=False, ncols=3, loc="upper right", bbox_to_anchor=(1, 1.18))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@permissions.reads("financials", "print the financial report")
def financial_report(db: Session, actor: Actor, *, start: date, end: date, made_at: datetime | None = None) -> Report:
    """The PDF of the financial view over `start`..`end` in the actor's scope; audited as an export."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    start, end = checked_range(start, end)
    made_at = made_at or datetime.now(UTC)
    scope_label = _scope_label(db, actor)
    months = hospital_ledger.monthly_totals(db, actor, start=start, end=end)
    cards = month_figures.month_figures(db, actor, month=end, today=made_at.astimezone(LAGOS).date())
    categories = hospital_ledger.category_totals(db, actor, start=start, end=end)
    hospitals = hospital_ledger.hospital_totals(db, actor, start=start, end=end) if actor.network_wide else []
    # Budget against actual for the fiscal year of the range's end: the same report as the Financials part.
    budget = (
        budgets.budget_report(db, actor, year=end.year, today=made_at.astimezone(LAGOS).date())
        if actor.role in permissions.readers("budgets")
        else None
    )

    fonts = _font_dir()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"Financial report: {scope_label}")
    pdf.set_author("healthdash")
    pdf.set_creation_date(made_at)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    stamp = (
        f"Scope: {scope_label}  ·  Period: {lagos_date(start)} – {lagos_date(end)} (fiscal months "
        f"{hospital_ledger.month_label(months[0].month)} to {hospital_ledger.month_label(months[-1].month)})  ·  "
        f"Made {lagos_datetime(made_at)} (Lagos time)"
    )

    def footer() -> None:  # the stamp and "Page n of N" on every page
        pdf.set_y(-12)
        pdf.set_font("DejaVu", "", 7)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(0, 5, f"{stamp}  ·  Page {pdf.page_no()} of {{nb}}", align="C")

    pdf.footer = footer  # type: ignore[method-assign]
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 9, "Financial report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, f"Scope: {scope_label}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(
        0, 5, f"Period: {lagos_date(start)} – {lagos_date(end)}, the fiscal months "
        f"{hospital_ledger.month_label(months[0].month)} to {hospital_ledger.month_label(months[-1].month)}",
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip
    role = ROLE_NAMES.get(actor.role, actor.role.value)
    pdf.multi_cell(0, 5, f"Made: {lagos_datetime(made_at)} (Lagos time), for: {role}",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    pdf.ln(3)

    def heading(words: str) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, 7, words, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 8.5)

    def table(header: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
        """A grid whose amount columns (all but the first) are never narrower than their longest cell.

        fpdf2 wraps a cell that does not fit, and a wrapped amount ("₦1,234,5" over "67.89") is misread;
        so each amount column is widened to its longest text, taken from the first (label) column,
        and the font shrinks only if even that cannot make room.
        """
        aligns = ("LEFT",) + ("RIGHT",) * (len(header) - 1)
        size = 8.5
        while True:
            pdf.set_font("DejaVu", "", size)
            needed = [
                max(pdf.get_string_width(row[i]) for row in (header, *rows)) + 2 * pdf.c_margin + 1.5
                for i in range(len(header))
            ]
            scale = pdf.epw / sum(widths)
            fitted = [max(w * scale, needed[i]) if i else w * scale for i, w in enumerate(widths)]
            spare = pdf.epw - sum(fitted[1:])
            if spare >= min(needed[0], 25) or size <= 6:
                break
            size -= 0.5
        fitted[0] = max(spare, 10)
        with pdf.table(col_widths=fitted, width=sum(fitted), text_align=aligns, line_height=5.2,
                       first_row_as_headings=True, headings_style=_headings()) as grid:  # fmt: skip
            for row in (header, *rows):
                line = grid.row()
                for value in row:
                    line.cell(value)
        pdf.set_font("DejaVu", "", 8.5)

    def _headings():
        from fpdf.fonts import FontFace

        return FontFace(emphasis="BOLD", fill_color=(232, 238, 243))

    def note(words: str) -> None:
        pdf.ln(1)
        pdf.multi_cell(0, 5, words, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    figures = (("Revenue", cards.revenue), ("Expenses", cards.expenses), ("Net", cards.net))
    if cards.running:
        heading(f"{cards.this.label}, the month so far, against the same days before")
        note(
            f"{hospital_ledger.month_label(cards.month)} is still running: its entries booked so far "
            + (f"(to {lagos_date(cards.booked_to)}) " if cards.booked_to else "")
            + "are compared with the same days of the month before and of the same month last year, "
            "never with whole months." + (" " + month_figures.same_days_note(cards) if cards.pro_rated else "")
        )
    else:
        heading(f"{cards.this.label} against the month before and the same month last year")
    comparisons = (
        (cards.last_month, "last_month", month_figures.month_before_note(cards)),
        (cards.last_year, "last_year", month_figures.year_before_note(cards)),
    )
    if all(nothing for _, _, nothing in comparisons) and any(figure.now is not None for _, figure in figures):
        # Nothing to compare with: this month's own figures still stand, then why there is no change.
        table(("", cards.this.label), [(name, _booked(figure.now)) for name, figure in figures], (20, 45))
        pdf.ln(2)
    for other, attribute, nothing_booked in comparisons:
        if nothing_booked:  # the page's sentence, not a table whose every row says "No figures"
            note(nothing_booked)
            pdf.ln(2)
            continue
        table(
            ("", cards.this.label, other.label, "Change", "%"),
            [
                (name, _booked(figure.now), _booked(getattr(figure, attribute)),
                 _signed(getattr(figure, f"change_vs_{attribute}")),
                 _percent(getattr(figure, f"percent_vs_{attribute}")))
                for name, figure in figures
            ],
            (20, 45, 45, 45, 20),
        )  # fmt: skip
        pdf.ln(2)
    if all(figure.now is None for _, figure in figures):
        note(f"No figures are booked for {cards.this.label}, so there is no change to show.")

    heading("By fiscal month")
    pdf.image(io.BytesIO(monthly_chart_png(months)), w=pdf.epw)
    table(
        ("Month", "Revenue", "Expenses", "Net", "Ledger rows"),
        [(m.label, naira(m.revenue), naira(m.expenses), naira(m.net), f"{m.entries:,}") for m in months]
        + [("Total", naira(sum((m.revenue for m in months), Decimal(0))),
            naira(sum((m.expenses for m in months), Decimal(0))), naira(sum((m.net for m in months), Decimal(0))),
            f"{sum(m.entries for m in months):,}")],
        (30, 40, 40, 40, 25),
    )  # fmt: skip

    heading("By category")
    totals = {k: sum((c.amount for c in categories if c.kind == k), Decimal(0)) for k in hospital_ledger.KIND_LABELS}
    table(
        ("Category", "Kind", "Amount", "Share of its kind"),
        [(humanise(c.category), hospital_ledger.KIND_LABELS[c.kind], naira(c.amount),
          f"{float(c.amount / totals[c.kind]) * 100:.1f}%" if totals[c.kind] else "—") for c in categories],
        (60, 30, 45, 40),
    )  # fmt: skip

    if budget is not None:
        heading(f"Budget against actual, {budget.year}")
        if not budget.has_budget:
            note(f"No budget is set for {budget.year} in this scope, so there is nothing to compare with.")
        else:
            note(budgets.report_words(budget))
            table(
                ("", "Budget to date", "Actual to date", "Against budget", "%"),
                [(name, naira(t.budget_to_date), naira(t.actual_to_date), budgets.variance_text(t.variance),
                  budgets.share_text(t.variance_share)) for name, t in (("Revenue", budget.revenue),
                                                                         ("Expenses", budget.expenses))],
                (20, 40, 40, 40, 20),
            )  # fmt: skip
            pdf.ln(2)
            table(
                ("Category", "Kind", "Budget to date", "Actual to date", "Against budget", "%"),
                [(c.label, c.kind_word, naira(c.budget_to_date), naira(c.actual_to_date),
                  budgets.variance_text(c.variance), budgets.share_text(c.variance_share))
                 for c in budget.categories],
                (45, 20, 35, 35, 35, 15),
            )  # fmt: skip
            note("Categories furthest over budget first: an expense above its budget, revenue below it.")

    if hospitals:
        heading("By hospital")
        shown = hospitals[:MAX_HOSPITAL_ROWS]
        table(
            ("Hospital", "Revenue", "Expenses", "Net"),
            [(h.hospital_name, naira(h.revenue), naira(h.expenses), naira(h.net)) for h in shown],
            (70, 35, 35, 35),
        )  # fmt: skip
        if len(hospitals) > len(shown):
            pdf.cell(0, 6, f"The {len(shown)} hospitals with the most revenue of {len(hospitals):,}.",
                     new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip

    content = bytes(pdf.output())
    audit.record_export(
        db, actor, action_type="financial_report_exported", resource_type=RESOURCE_TYPE,
        filters={"start": start, "end": end, "scope": scope_label}, rows=len(months) + len(categories) + len(hospitals),
    )  # fmt: skip
    slug = "network" if actor.network_wide else "hospital"
    return Report(content, f"financial-report-{slug}-{end:%Y-%m}.pdf", scope_label, pdf.pages_count)
