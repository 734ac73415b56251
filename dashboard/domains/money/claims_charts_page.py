"""Claims' charts: what each payer owes by age, how many days each takes to pay, and why claims were denied.

Each chart's bars carry what selects the claims behind them (the `pick_*` functions, for kit/drill.py), so a click
on the Claims page lists exactly the claims the bar sums.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.domains.money import claims
from dashboard.kit import charts
from dashboard.kit.charts import BLUE, ORANGE, SKY, VERMILLION, Series

# The legend above the plot, from its left edge (the template's sits at the right).
LEGEND_ABOVE = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}
BUCKET_COLOURS = {"0_30": SKY, "31_60": BLUE, "61_90": ORANGE, "90_plus": VERMILLION}


def pick_ageing(point: dict) -> dict | None:
    payer, bucket = (point.get("customdata") or [None, None])[:2]
    if bucket not in claims.BUCKETS:
        return None
    return {"filters": {"view": "open", "payer": payer, "bucket": bucket},
            "label": f"Open, {claims.BUCKET_WORDS[bucket]}: {payer}"}  # fmt: skip


def ageing_chart(owed: claims.Receivables) -> go.Figure:
    payers = owed.payers
    worst = max(payers, key=lambda p: (p.amounts["90_plus"], p.total))
    title = (f"Owed by payer and age: {worst.payer} owes most over 90 days" if worst.amounts["90_plus"]
             else "Owed by payer and age: nothing is over 90 days")  # fmt: skip
    fig = charts.money_bars(
        [p.payer for p in payers],
        [Series(claims.BUCKET_WORDS[b], [p.amounts[b] for p in payers], BUCKET_COLOURS[b],
                [[p.payer_name, b] for p in payers]) for b in claims.BUCKETS],
        title=title, horizontal=True, height=max(260, 110 + 38 * len(payers)),
    )  # fmt: skip
    fig.update_layout(barmode="stack", legend={**LEGEND_ABOVE, "traceorder": "normal"}, margin={"t": 90})
    return fig


def pick_payer(point: dict) -> dict | None:
    payer = (point.get("customdata") or [None])[0]
    return {"filters": {"view": "paid", "payer": payer}, "label": f"Paid in the period: {payer}"} if payer else None


def days_chart(performance: claims.Performance) -> go.Figure:
    rows = [p for p in performance.payers if p.paid]
    fig = go.Figure()
    fig.add_bar(y=[p.payer for p in rows], x=[p.median_days for p in rows], orientation="h", name="Median",
                marker_color=BLUE, customdata=[[p.payer_name] for p in rows],
                hovertemplate="%{y}<br>Median: %{x:.0f} days<extra></extra>")  # fmt: skip
    fig.add_scatter(y=[p.payer for p in rows], x=[p.p90_days for p in rows], mode="markers", name="90th percentile",
                    marker={"color": ORANGE, "symbol": "diamond", "size": 11},
                    customdata=[[p.payer_name] for p in rows],
                    hovertemplate="%{y}<br>90th percentile: %{x:.0f} days<extra></extra>")  # fmt: skip
    slowest = max(rows, key=lambda p: p.median_days or 0)
    title = f"Days to pay: {slowest.payer} is slowest" if len(rows) > 1 else f"Days to pay: {slowest.payer}"
    fig.update_layout(template=charts.TEMPLATE, title=title,
                      xaxis_title="Days from submission to payment",
                      yaxis={"autorange": "reversed", "type": "category"},
                      height=max(260, 110 + 38 * len(rows)),
                      legend=LEGEND_ABOVE, margin={"t": 90})  # fmt: skip
    return fig


def pick_reason(point: dict) -> dict | None:
    reason = (point.get("customdata") or [None])[0]
    if reason not in claims.REASON_WORDS:
        return None
    return {"filters": {"view": "denied", "reason": reason},
            "label": f"Denied in the period: {claims.REASON_WORDS[reason]}"}  # fmt: skip


def reasons_chart(reasons: list[claims.ReasonCount]) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(y=[r.words for r in reasons], x=[r.claims for r in reasons], orientation="h", marker_color=ORANGE,
                customdata=[[r.reason] for r in reasons], name="Claims denied",
                hovertemplate="%{y}<br>%{x:,} claims denied<extra></extra>")  # fmt: skip
    fig.update_layout(template=charts.TEMPLATE, title=f"Why claims were denied: {reasons[0].words.lower()} leads",
                      xaxis_title="Claims denied", yaxis={"autorange": "reversed", "type": "category"},
                      height=max(260, 110 + 34 * len(reasons)), showlegend=False)  # fmt: skip
    fig.update_xaxes(tickformat=",d", rangemode="tozero", dtick=1 if reasons[0].claims <= 5 else None)
    return fig
