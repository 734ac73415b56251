"""Claims: what NHIA and the HMOs owe and how old it is, how fast each pays, why claims are refused, and whether what
they paid is what the ledger booked.

The cards sum the ageing chart's rows (money/claims.receivables), so the card, the bars and the list behind a bar
agree; the chart's bars, the days-to-pay bars and the reasons' bars each select the claims behind them for the list
beneath (kit/drill.py). The tie line reads money/claims.ledger_tie. Administrators record a claim's submission,
payment or denial in the page's part claims_forms_page, each confirmed first.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.domains.money import claims, claims_forms_page
from dashboard.kit import charts, drill, filters, kpi, listing, say
from dashboard.kit.charts import BLUE, ORANGE, SKY, VERMILLION, Series
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform import figures
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import Noun, count, naira, naira_short, percent
from dashboard.shell import data

VIEW_WORDS = {"open": "Open, the oldest first", "not_submitted": "Not submitted", "paid": "Paid in the period",
              "denied": "Denied in the period", "all": "Every claim"}  # fmt: skip
# The legend above the plot, from its left edge (the template's sits at the right).
LEGEND_ABOVE = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}
BUCKET_COLOURS = {"0_30": SKY, "31_60": BLUE, "61_90": ORANGE, "90_plus": VERMILLION}


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} day{'' if round(value) == 1 else 's'}"


def _detail(row: claims.ClaimRow) -> str | None:
    """How long it has been open, how long it took to pay, or why it was denied."""
    if row.age_days is not None:
        return f"{_days(row.age_days)} open"
    if row.days_to_pay is not None:
        return f"Paid after {_days(row.days_to_pay)}"
    return row.reason_words


def _status(row: claims.ClaimRow) -> str:
    """The status, with the amount of a payment (often less than was billed)."""
    return f"Paid {naira(row.amount_paid)}" if row.status == "paid" else row.status_words


# The list fits 1,400 pixels network-wide; the dates and the reason in words are in the export too.
TABLE = Table([
    Column("Claim", "claim_number"),
    hospital_column(),
    Column("Patient", "patient_name"),
    Column("Payer", "payer"),
    Column("Billed", "amount_billed", "money"),
    Column("Status", _status, screen_only=True),
    Column("Detail", _detail, screen_only=True),
    Column("Status", "status_words", export_only=True),
    Column("Days open", "age_days", "count", export_only=True),
    Column("Days to pay", "days_to_pay", "count", export_only=True),
    Column("Paid", "amount_paid", "money", export_only=True),
    Column("Service", "service_date", "date", export_only=True),
    Column("Submitted", "submitted_at", "date", export_only=True),
    Column("Paid on", "paid_at", "date", export_only=True),
    Column("Denied on", "denied_at", "date", export_only=True),
    Column("Reason", "reason_words", export_only=True),
])  # fmt: skip
WIDTHS = {"Claim": 165, "Hospital": 160, "Patient": 130, "Payer": 115, "Billed": 100, "Status": 120,
          "Detail": 125}  # fmt: skip
LISTING = listing.Listing(
    key="claims_list", noun=Noun("claim", "claims"), list_service=claims.list_claims,
    export_service=claims.export_claims, file_stem="claims", table=TABLE, search_label="Search claims",
    search_placeholder="Claim number, patient, payer or hospital",
    empty="No claim is recorded in this scope yet. Claims appear here as the billing office records them.",
    empty_filtered="No claim matches this selection and search. Clear them to see every open claim.",
    column_config={label: st.column_config.TextColumn(width=width) for label, width in WIDTHS.items()},
)  # fmt: skip


def _cards(ctx: PageContext, owed: claims.Receivables, performance: claims.Performance) -> None:
    overall = performance.overall
    over, open_claims = owed.count("90_plus"), Noun("open claim", "open claims").count(owed.count())
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("claims_outstanding", naira_short(owed.outstanding),
                        help_extra=f"Now: {naira(owed.outstanding)} on {open_claims}."),
        kpi.figure_card("claims_over_90_days", naira_short(owed.over_90),
                        help_extra=f"Now: {naira(owed.over_90)}.",
                        status=kpi.Status.ATTENTION if over else kpi.Status.NORMAL,
                        status_note=f"{Noun('claim', 'claims').count(over)} over 90 days"),
        kpi.figure_card("claim_denial_rate", percent(overall.denial_rate),
                        help_extra=f"{count(overall.denied)} denied of {count(overall.decided)} paid or denied."),
        kpi.figure_card("claim_days_to_pay", _days(overall.median_days),
                        help_extra=f"90th percentile: {_days(overall.p90_days)}, over {count(overall.paid)} paid."),
    ])  # fmt: skip


def _tie(tie: claims.LedgerTie) -> None:
    """The paid claims against the ledger in one sentence: equal, or the difference in words."""
    months, spec = tie.months_words, figures.figure("claims_paid_against_ledger")
    if tie.agrees:
        say.success(f"Claims paid in {months}: {naira(tie.claims_paid)} = ledger {naira(tie.ledger)} (NHIA capitation "
                    "and HMO claims revenue), hospital by hospital and month by month.",
                    icon=":material/balance:")  # fmt: skip
        st.caption(f"{spec.label}: {spec.help}")
        return
    more = "more" if tie.difference > 0 else "less"
    places = Noun("hospital-month", "hospital-months").count(tie.mismatched)
    say.warning(f"Claims paid in {months}: {naira(tie.claims_paid)}; the ledger books {naira(tie.ledger)} as NHIA "
                f"capitation and HMO claims, {naira(abs(tie.difference))} {more} than the claims, in {places}. "
                "Record the payments the ledger shows, or correct the ledger.", icon=":material/balance:")  # fmt: skip
    st.caption(f"{spec.label}: {spec.help}")
    with st.expander("Where the claims and the ledger differ"):
        st.dataframe(Table([Column("Where", "words"), Column("Claims paid", "claims_paid", "money"),
                            Column("Ledger", "ledger", "money"), Column("Ledger less claims", "difference", "money")])
                     .frame(tie.largest, network_wide=False), hide_index=True, width="stretch")  # fmt: skip


def _pick_ageing(point: dict) -> dict | None:
    payer, bucket = (point.get("customdata") or [None, None])[:2]
    if bucket not in claims.BUCKETS:
        return None
    return {"filters": {"view": "open", "payer": payer, "bucket": bucket},
            "label": f"Open, {claims.BUCKET_WORDS[bucket]}: {payer}"}  # fmt: skip


def _ageing_chart(owed: claims.Receivables) -> go.Figure:
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


def _pick_payer(point: dict) -> dict | None:
    payer = (point.get("customdata") or [None])[0]
    return {"filters": {"view": "paid", "payer": payer}, "label": f"Paid in the period: {payer}"} if payer else None


def _days_chart(performance: claims.Performance) -> go.Figure:
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
    fig.update_layout(template=charts.TEMPLATE, title=f"Days to pay: {slowest.payer} is slowest",
                      xaxis_title="Days from submission to payment",
                      yaxis={"autorange": "reversed", "type": "category"},
                      height=max(260, 110 + 38 * len(rows)),
                      legend=LEGEND_ABOVE, margin={"t": 90})  # fmt: skip
    return fig


def _pick_reason(point: dict) -> dict | None:
    reason = (point.get("customdata") or [None])[0]
    if reason not in claims.REASON_WORDS:
        return None
    return {"filters": {"view": "denied", "reason": reason},
            "label": f"Denied in the period: {claims.REASON_WORDS[reason]}"}  # fmt: skip


def _reasons_chart(reasons: list[claims.ReasonCount]) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(y=[r.words for r in reasons], x=[r.claims for r in reasons], orientation="h", marker_color=ORANGE,
                customdata=[[r.reason] for r in reasons], name="Claims denied",
                hovertemplate="%{y}<br>%{x:,} claims denied<extra></extra>")  # fmt: skip
    fig.update_layout(template=charts.TEMPLATE, title=f"Why claims were denied: {reasons[0].words.lower()} leads",
                      xaxis_title="Claims denied", yaxis={"autorange": "reversed", "type": "category"},
                      height=max(260, 110 + 34 * len(reasons)), showlegend=False)  # fmt: skip
    fig.update_xaxes(tickformat=",d", rangemode="tozero", dtick=1 if reasons[0].claims <= 5 else None)
    return fig


def _payers_table(performance: claims.Performance) -> None:
    rows = [*performance.payers, performance.overall] if performance.payers else []
    if not rows:
        return
    st.dataframe(Table([
        Column("Payer", "payer"), Column("Paid", "paid", "count"),
        Column("Median days to pay", lambda p: _days(p.median_days)),
        Column("90th percentile", lambda p: _days(p.p90_days)), Column("Denied", "denied", "count"),
        Column("Denial rate", "denial_rate", "percent"), Column("Amount paid", "amount_paid", "money"),
    ]).frame(rows, network_wide=False), hide_index=True, width="stretch")  # fmt: skip


def render(ctx: PageContext) -> None:
    period, actor = ctx.period, ctx.actor
    span = {"start": period.start, "end": period.end}
    group = f"{ctx.key}__{actor.scope_key}"
    ctx.header(
        f"What NHIA and the HMOs owe and how old it is (now), and how they paid and refused claims in {period.label}. "
        "Click a bar to see the claims behind it."
    )
    ctx.done()
    today = filters.today()
    try:
        owed = data.cached(claims.receivables, actor, today=today)
        performance = data.cached(claims.payer_performance, actor, **span)
        reasons = data.cached(claims.denial_reasons, actor, **span)
        tie = data.cached(claims.ledger_tie, actor, **span)
    except ServiceError as exc:
        say.error(str(exc))
        return
    _cards(ctx, owed, performance)
    _tie(tie)
    if owed.payers:
        drill.chart(_ageing_chart(owed), group=group, key=f"{ctx.key}_ageing", pick=_pick_ageing)
    else:
        say.info("No claim is open in this scope: every submitted claim has been paid or denied.")
    left, right = st.columns(2)
    with left:
        if any(p.paid for p in performance.payers):
            drill.chart(_days_chart(performance), group=group, key=f"{ctx.key}_days", pick=_pick_payer)
        else:
            say.info(f"No claim was paid in {period.label}. Pick a longer date range in the sidebar.")
    with right:
        if reasons:
            drill.chart(_reasons_chart(reasons), group=group, key=f"{ctx.key}_reasons", pick=_pick_reason)
        else:
            say.info(f"No claim was denied in {period.label}.")
    st.subheader("The claims behind the figures")
    selection = drill.chip(group, hint="Click a bar above to see the claims behind it, or pick which claims to list.")
    chosen = dict((selection or {}).get("filters") or {})
    if not chosen:
        view = st.segmented_control("Show", list(VIEW_WORDS), default="open", key=f"{ctx.key}_view",
                                    format_func=VIEW_WORDS.get) or "open"  # fmt: skip
        chosen = {"view": None if view == "all" else view}
    page = listing.show(LISTING, ctx.viewer, filters={**chosen, **span, "today": today})
    st.subheader("How each payer pays")
    _payers_table(performance)
    if ctx.can_write:
        claims_forms_page.show(ctx, page.rows)
