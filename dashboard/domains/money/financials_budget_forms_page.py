"""Financials' budget forms: set (or remove) a year's budget for one category, and import a workbook of them, with
the template to start from. A part of "Budget against actual" (financials_budget_page.py), for the roles that set
budgets (network and hospital administrators, each within their scope).

An import is checked before it is offered: the reader sees what it holds and how many lines it replaces, or every
wrong row named, and presses Import only for a workbook that passed; the command checks it all again as it writes.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.money import budget_commands, budgets
from dashboard.domains.money.budget_lines import MONTH_NAMES
from dashboard.domains.money.hospital_ledger import category_label
from dashboard.kit import commands, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.export import XLSX_MIME
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import md_escape, naira
from dashboard.shell import data

SET = Command("budget_set", budget_commands.set_budget, done="{name}'s {category} budget for {year} saved: {amount}.",
              words=("name", "category", "year", "amount"))  # fmt: skip
REMOVE = Command(
    "budget_remove", budget_commands.remove_budget, done="{name}'s {category} budget for {year} removed.",
    question="Remove {name}'s {category} budget for {year} (all twelve months)? Its comparison with the ledger goes "
    "with it; the audit trail keeps what it was.",
    words=("name", "category", "year"),
)  # fmt: skip
IMPORT = Command("budget_import", budget_commands.import_budgets, done="{lines} imported from “{file}”.",
                 words=("lines", "file"))  # fmt: skip
GIVEN_AS = {"annual": "One annual figure", "monthly": "Month by month"}


def set_form(ctx: PageContext, year: int) -> None:
    with panel(ctx, "Set a budget", "budget_set", icon=":material/edit_note:"):
        st.caption(
            "A year's budget for one category. An annual figure is split in twelve even parts (the kobo left over in "
            "December); give the twelve months instead when the hospital knows its seasons. Setting it again "
            "replaces it."
        )
        hospital_id = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_budget_hospital",
                                                  help="The hospital whose budget this is.")  # fmt: skip
        first, second, third = st.columns([1, 2, 2])
        chosen_year = first.number_input("Fiscal year", min_value=budgets.EARLIEST_YEAR, value=year, step=1,
                                         key=f"{ctx.key}_budget_set_year")  # fmt: skip
        options = [c for kind in ("revenue", "expense") for c in budgets.BUDGET_CATEGORIES[kind]]
        category = second.selectbox(
            "Category", options, key=f"{ctx.key}_budget_set_category",
            format_func=lambda c: f"{category_label(c)} ({budgets.CATEGORY_KIND[c]})",
        )  # fmt: skip
        by_month = third.radio("Given as", ["annual", "monthly"], horizontal=True,
                               key=f"{ctx.key}_budget_set_as",
                               format_func=GIVEN_AS.get)  # fmt: skip
        with st.form(commands.form_key(ctx, "budget_set"), border=False):
            annual, months = None, None
            if by_month == "annual":
                annual = st.number_input("Annual budget (₦)", min_value=0.0, step=100_000.0, format="%.2f")
            else:
                columns = st.columns(6)
                months = [columns[i % 6].number_input(f"{name} (₦)", min_value=0.0, step=10_000.0, format="%.2f")
                          for i, name in enumerate(MONTH_NAMES)]  # fmt: skip
            save, remove = st.columns([1, 1])
            saved = save.form_submit_button("Save the budget", type="primary")
            removed = remove.form_submit_button("Remove this budget…")
        name = dict(data.hospital_choices(ctx.actor)).get(hospital_id or "", "the hospital")
        words = {"name": name, "category": category_label(category), "year": int(chosen_year)}
        if saved and hospital_id:
            amount = naira(annual if annual is not None else sum(months or []))
            commands.run(ctx, SET, hospital_id=hospital_id, year=int(chosen_year), category=category,
                         annual=None if annual is None else f"{annual:.2f}",
                         months=None if months is None else [f"{m:.2f}" for m in months],
                         affects=hospital_id, amount=amount, **words)  # fmt: skip
        if removed and hospital_id:
            commands.ask_first(ctx, REMOVE, hospital_id=hospital_id, year=int(chosen_year), category=category,
                               affects=hospital_id, **words)  # fmt: skip
        commands.confirming(ctx, REMOVE)


def _template(ctx: PageContext, year: int) -> None:
    key = f"{ctx.key}_budget_template__{ctx.actor.scope_key}"
    if st.button(f"Prepare the {year} template", key=f"{ctx.key}_budget_template_prepare", icon=":material/grid_on:"):
        try:
            st.session_state[key] = (year, data.call(budget_commands.budget_template, ctx.actor, year=year))
        except ServiceError as exc:
            say.error(str(exc))
    kept = st.session_state.get(key)
    if kept and kept[0] == year:
        st.download_button(f"Download the template ({year})", kept[1], file_name=f"budgets-{year}.xlsx",
                           mime=XLSX_MIME, icon=":material/download:",
                           key=f"{ctx.key}_budget_template_download")  # fmt: skip


def import_form(ctx: PageContext, year: int) -> None:
    with panel(ctx, "Import budgets from Excel", "budget_import", icon=":material/upload_file:"):
        st.caption(
            "One row per hospital, year and category: Hospital, Year, Category, Annual budget, then Jan to Dec "
            "(optional). The template holds every category with the budgets already set: fill it in and upload it. "
            "Every row is checked first; if any is wrong, nothing is imported and each wrong row is named."
        )
        _template(ctx, year)
        upload = st.file_uploader("Budget workbook (.xlsx)", type=["xlsx"], max_upload_size=5,
                                  key=commands.form_key(ctx, "budget_import_file"))  # fmt: skip
        if upload is None:
            return
        content = upload.getvalue()
        try:
            plan = data.call(budget_commands.check_budget_workbook, ctx.actor, content=content, file_name=upload.name)
        except budget_commands.BadRows as exc:
            say.error(exc.summary)
            st.markdown("\n".join(f"- {md_escape(row)}" for row in exc.rows))
            return
        except ServiceError as exc:
            say.error(str(exc))
            return
        say.info(budget_commands.plan_words(plan))
        lines = f"{len(plan.lines):,} budget {'line' if len(plan.lines) == 1 else 'lines'}"
        if st.button(f"Import {lines}", type="primary", key=f"{ctx.key}_budget_import_go"):
            affects = plan.lines[0].hospital_id if len(plan.hospitals) == 1 else None
            commands.run(ctx, IMPORT, content=content, file_name=upload.name, affects=affects, lines=lines.capitalize(),
                         file=plan.file_name)  # fmt: skip


def show(ctx: PageContext, year: int) -> None:
    set_form(ctx, year)
    import_form(ctx, year)
