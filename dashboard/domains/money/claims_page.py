"""Claims: what NHIA and the HMOs owe and how old it is, how fast each pays, why claims are refused, and whether what
they paid is what the ledger booked.

The cards sum the ageing chart's rows (money/claims.receivables), so the card, the bars and the list behind a bar
agree; the chart's bars, the days-to-pay bars and the reasons' bars each select the claims behind them for the list
beneath (kit/drill.py). The tie line reads money/claims.ledger_tie. Administrators record a claim's submission,
payment or denial in the page's part claims_forms_page, each confirmed first; the charts are claims_charts_page.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.money import claims, claims_forms_page
from dashboard.domains.money import claims_charts_page as plots
from dashboard.kit import drill, filters, kpi, listing, say
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform import figures
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import Noun, count, naira, naira_short, percent
from dashboard.shell import data

VIEW_WORDS = {"open": "Open, the oldest first", "not_submitted": "Not submitted", "paid": "Paid in the period",
              "denied": "Denied in the period", "all": "Every claim"}  # fmt: skip


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
        drill.chart(plots.ageing_chart(owed), group=group, key=f"{ctx.key}_ageing", pick=plots.pick_ageing)
    else:
        say.info("No claim is open in this scope: every submitted claim has been paid or denied.")
    left, right = st.columns(2)
    with left:
        if any(p.paid for p in performance.payers):
            drill.chart(plots.days_chart(performance), group=group, key=f"{ctx.key}_days", pick=plots.pick_payer)
        else:
            say.info(f"No claim was paid in {period.label}. Pick a longer date range in the sidebar.")
    with right:
        if reasons:
            drill.chart(plots.reasons_chart(reasons), group=group, key=f"{ctx.key}_reasons", pick=plots.pick_reason)
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
