"""Financials' charts, each bar clickable: by fiscal month (with the net), by category, by hospital.

A click selects the ledger entries behind the bar (kit/drill.py); the table beneath lists them.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.money.hospital_ledger import KIND_LABELS as KIND
from dashboard.domains.money.hospital_ledger import CategoryTotal, HospitalTotals, MonthTotals, month_label
from dashboard.kit import charts, drill
from dashboard.kit.charts import BLUE, ORANGE, Series
from dashboard.kit.page import PageContext
from dashboard.platform.formatting import humanise

TOP_CATEGORIES = 8
TOP_HOSPITALS = 15
COLOURS = {"revenue": BLUE, "expense": ORANGE}


def _pick_month(point: dict) -> dict | None:
    month, kind = (point.get("customdata") or [None, None])[:2]
    if not month:
        return None
    words = f"{KIND[kind]}, {month_label(month)}" if kind else f"All entries, {month_label(month)}"
    return {"filters": {"month": month, "kind": kind or None}, "label": words}


def _pick_category(point: dict) -> dict | None:
    kind, category = (point.get("customdata") or [None, None])[:2]
    if not category:
        return None
    return {"filters": {"kind": kind, "category": category}, "label": f"{KIND[kind]}: {humanise(category)}"}


def _months_chart(months: list[MonthTotals]):
    return charts.money_bars(
        [m.label for m in months],
        [
            Series(KIND["revenue"], [m.revenue for m in months], BLUE, [[m.month, "revenue"] for m in months]),
            Series(KIND["expense"], [m.expenses for m in months], ORANGE, [[m.month, "expense"] for m in months]),
        ],
        trend=Series("Net", [m.net for m in months], charts.TEXT, [[m.month, ""] for m in months]),
        title="Revenue, expenses and net by fiscal month",
        label_title="Fiscal month",
    )


def _category_chart(categories: list[CategoryTotal], kind: str):
    rows = [c for c in categories if c.kind == kind][:TOP_CATEGORIES]
    if not rows:
        return None
    leader = rows[0]
    share = f" ({leader.share * 100:.0f}%)" if leader.share is not None else ""
    return charts.money_bars(
        [humanise(c.category) for c in rows],
        [Series(KIND[kind], [c.amount for c in rows], COLOURS[kind], [[kind, c.category] for c in rows])],
        title=f"{KIND[kind]} by category: {humanise(leader.category)} is largest{share}",
        horizontal=True,
        height=max(220, 70 + 30 * len(rows)),
    )


def _hospitals_chart(hospitals: list[HospitalTotals]):
    rows = hospitals[:TOP_HOSPITALS]
    more = f" (the {len(rows)} with the most revenue of {len(hospitals):,})" if len(hospitals) > len(rows) else ""
    return charts.money_bars(
        [h.hospital_name for h in rows],
        [
            Series(
                KIND[kind], [getattr(h, attribute) for h in rows], COLOURS[kind], [[h.hospital_id, kind] for h in rows]
            )
            for kind, attribute in (("revenue", "revenue"), ("expense", "expenses"))
        ],
        title=f"Revenue and expenses by hospital{more}",
        horizontal=True,
        height=max(260, 90 + 44 * len(rows)),
    )


def show(ctx: PageContext, group: str, months: list, categories: list, hospitals: list) -> None:
    drill.chart(_months_chart(months), group=group, key=f"{ctx.key}_months", pick=_pick_month)
    for column, kind in zip(st.columns(2), ("revenue", "expense"), strict=True):
        figure = _category_chart(categories, kind)
        with column:
            if figure is None:
                st.caption(f"No {KIND[kind].lower()} booked in the range.")
            else:
                drill.chart(figure, group=group, key=f"{ctx.key}_categories_{kind}", pick=_pick_category)
    if ctx.network_wide and hospitals:
        names = {h.hospital_id: h.hospital_name for h in hospitals}

        def pick_hospital(point: dict) -> dict | None:
            hospital_id, kind = (point.get("customdata") or [None, None])[:2]
            if hospital_id not in names:
                return None
            return {
                "filters": {"hospital_id": hospital_id, "kind": kind},
                "label": f"{names[hospital_id]}, {KIND[kind].lower()}",
            }

        drill.chart(_hospitals_chart(hospitals), group=group, key=f"{ctx.key}_hospitals", pick=pick_hospital)
