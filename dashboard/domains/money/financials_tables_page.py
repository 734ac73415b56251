"""Financials' tables: the ledger entries behind the selection, one entry's details, and the numbers behind the
charts, each with its export (money formatted on screen, numbers in the file)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard.domains.money import consultations, hospital_ledger_entries
from dashboard.domains.money.hospital_ledger import KIND_LABELS as KIND
from dashboard.domains.money.hospital_ledger import month_label
from dashboard.kit import commands, listing
from dashboard.kit.commands import Command
from dashboard.kit.export import export_panel
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import Noun, humanise, lagos_datetime, md_escape, naira
from dashboard.shell import data

_month = Column("Month", "label")
_money = [Column(label, label.lower(), "money") for label in ("Revenue", "Expenses")] + [Column("Net", "net", "money")]
# The columns that tell entries apart fit 1400 px; the description and reference are in the entry's details and
# in the export (a long description cut the table off), and the export always names the hospital.
ENTRIES = Table(
    [
        Column("Month", lambda r: month_label(r.fiscal_month)),
        Column("Hospital", "hospital_name", network_only=True, screen_only=True),
        Column("Hospital", "hospital_name", export_only=True),
        Column("Category", lambda r: humanise(r.category)),
        Column("Kind", lambda r: KIND[r.kind]),
        Column("Amount", "amount", "money"),
        Column("Booked", "booked_at", "date", screen_only=True),
        Column("Booked", "booked_at", "datetime", export_only=True),
        Column("Currency", lambda r: "NGN", export_only=True),
        Column("Description", "description", export_only=True, empty=""),
        Column("Reference", "reference", export_only=True, empty=""),
    ]
)
MONTHS = Table([_month, *_money, Column("Ledger entries", "entries", "count")])
CATEGORIES = Table(
    [
        Column("Category", lambda r: humanise(r.category)),
        Column("Kind", lambda r: KIND[r.kind]),
        Column("Amount", "amount", "money"),
        Column("Share of its kind", "share", "percent"),
    ]
)
HOSPITALS = Table([Column("Hospital", "hospital_name"), *_money])
CONSULTATIONS = Table(
    [
        _month,
        Column("Ledger: consultations", "ledger_consultations", "money"),
        Column("Ledger: telemedicine", "ledger_telemedicine", "money"),
        Column("Paid video sessions", "video_sessions_paid", "count"),
        Column("Video sessions' fees", "video_revenue", "money"),
        Column("Completed appointments", "appointments_completed", "count"),
        Column("of them virtual", "virtual_completed", "count"),
    ]
)
LEDGER = listing.Listing(
    key="financials_ledger",
    noun=Noun("ledger entry", "ledger entries"),
    list_service=hospital_ledger_entries.list_transactions,
    export_service=hospital_ledger_entries.export_transactions,
    table=ENTRIES,
    file_stem="financial-transactions",
    search_label="Search entries",
    search_placeholder="Description, category, reference or hospital",
    empty_filtered="No ledger entries match. Clear the search or the selection to see more.",
)
REFRESH = Command("refresh", consultations.refresh_summaries, done="The figures are up to date.")


def entries(ctx: PageContext, filters: dict) -> None:
    """The ledger entries behind the selection, a page of them, and the details of one."""
    # Amounts reach ₦1,000,000,000.00 and more: room for all of them at 1400 px, the short columns kept small.
    text = st.column_config.TextColumn
    shown = dataclasses.replace(
        LEDGER,
        empty=f"No ledger entries for {ctx.period.label}.",
        column_config={
            "Month": text("Month", width="small"),
            "Kind": text("Kind", width="small"),
            "Amount": text("Amount", width=170, alignment="right"),
            "Booked": text("Booked", width="small", help="The day it was booked (Lagos)"),
        },
    )
    rows = listing.show(shown, ctx.viewer, filters=filters).rows
    if not rows:
        return
    by_id = {r.entry_id: r for r in rows}
    with panel(ctx, "Details of an entry", "entry", icon=":material/receipt_long:"):
        chosen = st.selectbox(
            "Entry", list(by_id), key=f"{ctx.key}_entry_pick__{ctx.actor.scope_key}",
            format_func=lambda i: f"{month_label(by_id[i].fiscal_month)} · {humanise(by_id[i].category)}"
            f" · {KIND[by_id[i].kind].lower()} · {naira(by_id[i].amount)}"
            + (f" · {by_id[i].hospital_name}" if ctx.network_wide else ""),
        )  # fmt: skip
        entry = by_id.get(chosen)
        if entry is not None:
            st.markdown(
                f"**Description:** {md_escape(entry.description or 'none given')}  \n"
                f"**Reference:** {md_escape(entry.reference or 'none')}  \n"
                f"**Hospital:** {md_escape(entry.hospital_name)}  \n"
                f"**Booked:** {lagos_datetime(entry.booked_at)} (Lagos time), for the fiscal month "
                f"{month_label(entry.fiscal_month)}"
            )


def _figures(ctx: PageContext, rows: list, name: str, noun: Noun, table: Table) -> None:
    listing.page_table(table.frame(rows, network_wide=ctx.network_wide))
    span = {"start": ctx.period.start, "end": ctx.period.end}

    def prepare() -> tuple[pd.DataFrame, bool]:
        found, truncated = data.call(hospital_ledger_entries.export_figures, ctx.actor, table=name, **span)
        return table.frame(found, network_wide=ctx.network_wide, for_export=True), truncated

    export_panel(
        f"{ctx.key}_{name}_export__{ctx.actor.scope_key}", filters=(name, ctx.actor.scope_key, *span.values()),
        noun=noun, file_stem=f"financials-by-{name}", disabled=False, prepare=prepare,
    )  # fmt: skip


def figures(ctx: PageContext, months: list, categories: list, hospitals: list) -> None:
    """The numbers behind the charts, a tab each."""
    names = ["By month", "By category", "Consultations"] + (["By hospital"] if ctx.network_wide else [])
    tabs = st.tabs(names, key=f"{ctx.key}_tables", on_change="rerun")
    with tabs[0]:
        _figures(ctx, months, "months", Noun("month", "months"), MONTHS)
    with tabs[1]:
        _figures(ctx, categories, "categories", Noun("category", "categories"), CATEGORIES)
    with tabs[2]:
        st.caption(
            "The ledger's own consultation revenue beside what the platform recorded: the fees of paid video "
            "sessions and the appointments completed, by the month of the appointment. The telemedicine line "
            "and the video sessions' fees should move together; a gap is worth a question to the finance team."
        )
        summary = data.cached(consultations.summary_status, ctx.actor)
        as_of = lagos_datetime(summary.figures_as_of) if summary.figures_as_of else "never refreshed"
        if summary.stale:  # the schedule (healthdash db reconcile) has not run for a while: the reader may refresh
            words, button = st.columns([4, 1])
            words.caption(f"Sessions and appointments as of {as_of}.")
            if button.button("Refresh", key=f"{ctx.key}_refresh_summaries", icon=":material/refresh:"):
                commands.run(ctx, REFRESH)
        else:
            st.caption(f"Sessions and appointments as of {as_of}.")
        checks = data.cached(consultations.consultation_check, ctx.actor, start=ctx.period.start, end=ctx.period.end)
        _figures(ctx, checks, "consultations", Noun("month", "months"), CONSULTATIONS)
    if ctx.network_wide:
        with tabs[3]:
            _figures(ctx, hospitals, "hospitals", Noun("hospital", "hospitals"), HOSPITALS)
