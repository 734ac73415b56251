"""Financials: revenue, expenses and net by fiscal month, category and hospital; the transactions behind any bar;
patients' wallets and their reconciliation (network scope); a printable report for the board.

Every figure comes from the ledger aggregated in the database; the table beneath the charts lists the
ledger rows behind the bar clicked, so a bar and the sum of its rows agree to the kobo.
"""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("financials")

from datetime import UTC, datetime  # noqa: E402

import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402

from dashboard.domains.money import financial_report, financials, wallets  # noqa: E402
from dashboard.kit import charts, commands, drill, filters, kpi, listing, say  # noqa: E402
from dashboard.kit.export import export_panel  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import (  # noqa: E402
    LAGOS,
    NAIRA,
    Noun,
    count,
    humanise,
    lagos_datetime,
    md_escape,
    naira,
    naira_change,
    naira_short,
)
from dashboard.shell import data  # noqa: E402

KEY = "financials"
TOP_CATEGORIES = 8
TOP_HOSPITALS = 15
actor = viewer.actor
period = filters.current_range()
span = {"start": period.start, "end": period.end}
DRILL = f"{KEY}__{actor.scope_key}"  # a scope change starts with nothing selected
sees_wallets = viewer.user.role in permissions.readers("wallets") and actor.network_wide
KIND = financials.KIND_LABELS

page_header(
    "Financials",
    f"Revenue, expenses and net by fiscal month, {period.label}. Click a bar to see the transactions behind it.",
    viewer,
)
commands.show_done(KEY)

try:
    cards = data.cached(financials.month_figures, actor, month=period.end, today=filters.today())
    months = data.cached(financials.monthly_totals, actor, **span)
    categories = data.cached(financials.category_totals, actor, **span)
    hospitals = data.cached(financials.hospital_totals, actor, **span) if actor.network_wide else []
except ServiceError as exc:
    say.error(str(exc))
    st.stop()


# --- Cards: the range's last month against the same days of the month before ------------------------------


def _percent_words(fraction: float | None) -> str:
    return "" if fraction is None else f" ({fraction * 100:+.1f}%)"


def _card_parts(name: str, figure: financials.Comparison, colour: str) -> dict:
    """A money card's value, label (naming its days), delta against the same days last month, and help."""
    if figure.change_vs_last_month is not None:
        delta = f"{naira_change(figure.change_vs_last_month)}{_percent_words(figure.percent_vs_last_month)}"
        words = f"vs {cards.last_month.short_label}"
    elif figure.now is None:
        delta, words, colour = f"Nothing booked for {cards.this.short_label} yet", None, "off"
    else:  # say why there is no change, not a bare repeat of the figure
        delta, words, colour = f"No figures for {cards.last_month.short_label}", None, "off"
    return {
        "value": naira_short(figure.now) if figure.now is not None else "No figures",
        "label": f"{name}, {cards.this.label}",  # the period the card holds, in its visible label
        "help_extra": f"{cards.this.label}: {naira(figure.now)}; {cards.last_month.label}: "
        f"{naira(figure.last_month)}; {cards.last_year.label}: {naira(figure.last_year)}."
        + ("" if cards.running else f" {cards.this.label} has ended: whole months are compared."),
        "delta": delta,
        "delta_description": words,
        "delta_color": colour,
    }


FIGURES = (("Revenue", cards.revenue), ("Expenses", cards.expenses), ("Net", cards.net))


def _last_year_words() -> str:
    """The same figures against a year before, in one line (a second row of cards would repeat the values)."""
    if nothing := financials.year_before_note(cards):
        return nothing
    parts = []
    for name, figure in FIGURES:
        change = figure.change_vs_last_year
        parts.append(
            f"{name.lower()} {naira_change(change)}{_percent_words(figure.percent_vs_last_year)}"
            if change is not None
            else f"{name.lower()}: no figure"
        )
    return f"Against {cards.last_year.label}: " + ", ".join(parts) + "."


kpi.card_row(
    viewer,
    [
        kpi.figure_card("revenue_month_to_date", **_card_parts("Revenue", cards.revenue, "normal")),
        kpi.figure_card("expenses_month_to_date", **_card_parts("Expenses", cards.expenses, "inverse")),
        kpi.figure_card("net_month_to_date", **_card_parts("Net", cards.net, "normal")),
    ],
    per_row=3,
)
if cards.running:
    booked = f" (booked to {cards.booked_to:%-d %b})" if cards.booked_to else ""
    st.caption(
        f"**{cards.vs_last_month}.** {financials.month_label(cards.month)} is still running: the cards hold its "
        f"entries so far{booked} against the same days of the month before and of a year before, never against "
        f"whole months. {financials.same_days_note(cards) if cards.pro_rated else ''}"
    )
else:
    st.caption(f"**{cards.vs_last_month}**, whole months: the last month of the date range against the one before.")
st.caption(_last_year_words())


# --- The board report -------------------------------------------------------------------------------


def _report_panel() -> None:
    signature = (actor.scope_key, period.start, period.end)
    with st.expander(
        "Board report (PDF)", icon=":material/picture_as_pdf:", key=f"{KEY}_report_panel", on_change="rerun"
    ):
        st.caption(
            "The cards, the monthly chart and the category table as a PDF, with the scope, the date range and "
            "the time it was made printed on it. Making it is recorded in the audit trail."
        )
        if st.button("Prepare the PDF", key=f"{KEY}_report_prepare", icon=":material/print:"):
            try:
                with st.spinner("Making the report…"):
                    report = data.call(financial_report.financial_report, actor, **span)
            except ServiceError as exc:
                say.error(str(exc))
                return
            st.session_state[f"{KEY}_report"] = (signature, report)
        prepared = st.session_state.get(f"{KEY}_report")
        if prepared and prepared[0] == signature:
            report = prepared[1]
            st.download_button(
                f"Download the report ({report.pages} {'page' if report.pages == 1 else 'pages'})",
                data=report.content,
                file_name=report.file_name,
                mime=financial_report.PDF_MIME,
                icon=":material/download:",
                key=f"{KEY}_report_download",
            )


_report_panel()

# --- The charts, each bar clickable ---------------------------------------------------------------------


def _hover(label: str) -> str:
    return f"%{{x}}<br>{label}: {NAIRA}%{{y:,.2f}}<extra></extra>"


def _months_figure() -> go.Figure:
    labels = [m.label for m in months]
    fig = go.Figure()
    for kind, colour, values in (
        ("revenue", charts.BLUE, [m.revenue for m in months]),
        ("expense", charts.ORANGE, [m.expenses for m in months]),
    ):
        fig.add_bar(
            x=labels, y=[float(v) for v in values], name=KIND[kind], marker_color=colour,
            customdata=[[m.month, kind] for m in months], hovertemplate=_hover(KIND[kind]),
        )  # fmt: skip
    fig.add_scatter(
        x=labels, y=[float(m.net) for m in months], name="Net", mode="lines+markers",
        line={"color": charts.TEXT, "width": 2}, customdata=[[m.month, ""] for m in months],
        hovertemplate=_hover("Net"),
    )  # fmt: skip
    fig.update_layout(
        template=charts.TEMPLATE, title="Revenue, expenses and net by fiscal month", barmode="group", height=360,
        xaxis_title="Fiscal month", yaxis_title="Naira", xaxis={"type": "category"},
    )  # fmt: skip
    return charts.naira_axis(fig)


def _pick_month(point: dict) -> dict | None:
    month, kind = (point.get("customdata") or [None, None])[:2]
    if not month:
        return None
    words = (
        f"{KIND[kind]}, {financials.month_label(month)}" if kind else f"All entries, {financials.month_label(month)}"
    )
    return {"filters": {"month": month, "kind": kind or None}, "label": words}


def _category_figure(kind: str, colour: str) -> go.Figure | None:
    rows = [c for c in categories if c.kind == kind][:TOP_CATEGORIES]
    if not rows:
        return None
    total = sum((c.amount for c in categories if c.kind == kind), start=rows[0].amount * 0)
    leader = rows[0]
    share = f" ({float(leader.amount / total) * 100:.0f}%)" if total else ""
    fig = go.Figure(
        go.Bar(
            x=[float(c.amount) for c in rows], y=[humanise(c.category) for c in rows], orientation="h",
            marker_color=colour, customdata=[[kind, c.category] for c in rows],
            hovertemplate=f"%{{y}}<br>{KIND[kind]}: {NAIRA}%{{x:,.2f}}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        template=charts.TEMPLATE, height=max(220, 70 + 30 * len(rows)), showlegend=False,
        title=f"{KIND[kind]} by category: {humanise(leader.category)} is largest{share}", xaxis_title="Naira",
        yaxis={"autorange": "reversed", "type": "category"},
    )  # fmt: skip
    return charts.naira_axis(fig, "xaxis")


def _pick_category(point: dict) -> dict | None:
    kind, category = (point.get("customdata") or [None, None])[:2]
    if not category:
        return None
    return {
        "filters": {"kind": kind, "category": category},
        "label": f"{KIND[kind]}: {humanise(category)}",
    }


def _hospital_figure() -> go.Figure:
    rows = hospitals[:TOP_HOSPITALS]
    fig = go.Figure()
    for kind, colour, attribute in (("revenue", charts.BLUE, "revenue"), ("expense", charts.ORANGE, "expenses")):
        fig.add_bar(
            x=[float(getattr(h, attribute)) for h in rows], y=[h.hospital_name for h in rows], orientation="h",
            name=KIND[kind], marker_color=colour, customdata=[[h.hospital_id, kind] for h in rows],
            hovertemplate=f"%{{y}}<br>{KIND[kind]}: {NAIRA}%{{x:,.2f}}<extra></extra>",
        )  # fmt: skip
    more = f" (the {len(rows)} with the most revenue of {len(hospitals):,})" if len(hospitals) > len(rows) else ""
    fig.update_layout(
        template=charts.TEMPLATE, barmode="group", height=max(260, 90 + 44 * len(rows)), xaxis_title="Naira",
        title=f"Revenue and expenses by hospital{more}", yaxis={"autorange": "reversed", "type": "category"},
    )  # fmt: skip
    return charts.naira_axis(fig, "xaxis")


_names = {h.hospital_id: h.hospital_name for h in hospitals}


def _pick_hospital(point: dict) -> dict | None:
    hospital_id, kind = (point.get("customdata") or [None, None])[:2]
    if hospital_id not in _names:
        return None
    return {
        "filters": {"hospital_id": hospital_id, "kind": kind},
        "label": f"{_names[hospital_id]}, {KIND[kind].lower()}",
    }


if not any(m.entries for m in months):
    say.info(
        f"No revenue or expenses are booked for {period.label}. Hospitals book each month's figures at its end; "
        "pick a longer date range in the sidebar."
    )
else:
    drill.chart(_months_figure(), group=DRILL, key=f"{KEY}_months", pick=_pick_month)
    left, right = st.columns(2)
    for column, kind, colour in ((left, "revenue", charts.BLUE), (right, "expense", charts.ORANGE)):
        figure = _category_figure(kind, colour)
        with column:
            if figure is None:
                st.caption(f"No {KIND[kind].lower()} booked in the range.")
            else:
                drill.chart(figure, group=DRILL, key=f"{KEY}_categories_{kind}", pick=_pick_category)
    if actor.network_wide and hospitals:
        drill.chart(_hospital_figure(), group=DRILL, key=f"{KEY}_hospitals", pick=_pick_hospital)

# --- The transactions behind the selection -----------------------------------------------------------------
st.subheader("Transactions")
selection = drill.current(DRILL)
chosen = dict((selection or {}).get("filters") or {})
detail = ""
if selection:
    try:
        total = data.cached(financials.selection_total, actor, **span, **chosen)
        amount = (
            total.revenue if chosen.get("kind") == "revenue" else total.expenses if chosen.get("kind") else total.net
        )
        what = "net" if not chosen.get("kind") else KIND[chosen["kind"]].lower()
        detail = f"{Noun('entry', 'entries').count(total.entries)}, {what} {naira(amount)}"
    except ServiceError as exc:  # a selection the new date range or scope no longer holds
        say.warning(f"{exc} The selection was cleared.")
        drill.select(DRILL, None)
        chosen = {}
drill.chip(DRILL, detail=detail, hint="Click a bar or a point in a chart above to see the ledger entries behind it.")


def _ledger_frame(rows: list) -> pd.DataFrame:
    """The columns that tell entries apart, narrow enough for 1400 px; the description and reference are
    in the entry's details below the table and in the export (a long description cut the table off)."""
    frame = pd.DataFrame(
        {
            "Month": [financials.month_label(r.fiscal_month) for r in rows],
            "Category": [humanise(r.category) for r in rows],
            "Kind": [KIND[r.kind] for r in rows],
            "Amount": [naira(r.amount) for r in rows],
            "Booked": [f"{r.booked_at.astimezone(LAGOS):%-d %b %Y}" for r in rows],
        }
    )
    if actor.network_wide:
        frame.insert(1, "Hospital", [r.hospital_name for r in rows])
    return frame


def _ledger_export(rows: list) -> pd.DataFrame:
    frame = _ledger_frame(rows)
    frame["Amount"] = [r.amount for r in rows]  # numbers a spreadsheet adds up, to the kobo
    frame["Currency"] = "NGN"
    frame["Booked"] = [lagos_datetime(r.booked_at) for r in rows]
    frame["Description"] = [r.description or "" for r in rows]
    frame["Reference"] = [r.reference or "" for r in rows]
    if "Hospital" not in frame:
        frame.insert(1, "Hospital", [r.hospital_name for r in rows])
    return frame


def _entry_details(rows: list) -> None:
    """The whole of one entry of the page shown: what the table leaves out to fit the screen."""
    if not rows:
        return
    by_id = {r.entry_id: r for r in rows}
    with st.expander("Details of an entry", icon=":material/receipt_long:", key=f"{KEY}_entry", on_change="rerun"):
        chosen = st.selectbox(
            "Entry", list(by_id), key=f"{KEY}_entry_pick__{actor.scope_key}",
            format_func=lambda i: f"{financials.month_label(by_id[i].fiscal_month)} · {humanise(by_id[i].category)}"
            f" · {KIND[by_id[i].kind].lower()} · {naira(by_id[i].amount)}"
            + (f" · {by_id[i].hospital_name}" if actor.network_wide else ""),
        )  # fmt: skip
        entry = by_id.get(chosen)
        if entry is not None:
            st.markdown(
                f"**Description:** {md_escape(entry.description or 'none given')}  \n"
                f"**Reference:** {md_escape(entry.reference or 'none')}  \n"
                f"**Hospital:** {md_escape(entry.hospital_name)}  \n"
                f"**Booked:** {lagos_datetime(entry.booked_at)} (Lagos time), for the fiscal month "
                f"{financials.month_label(entry.fiscal_month)}"
            )


LEDGER = listing.Listing(
    key=f"{KEY}_ledger",
    noun=Noun("ledger entry", "ledger entries"),
    list_service=financials.list_transactions,
    export_service=financials.export_transactions,
    to_frame=_ledger_frame,
    export_frame=_ledger_export,
    file_stem="financial-transactions",
    search_label="Search entries",
    search_placeholder="Description, category, reference or hospital",
    empty=f"No ledger entries for {period.label}.",
    empty_filtered="No ledger entries match. Clear the search or the selection to see more.",
    # Amounts reach ₦1,000,000,000.00 and more: room for all of them at 1400 px, the short columns kept small.
    column_config={
        "Month": st.column_config.TextColumn("Month", width="small"),
        "Kind": st.column_config.TextColumn("Kind", width="small"),
        "Amount": st.column_config.TextColumn("Amount", width=170, alignment="right"),
        "Booked": st.column_config.TextColumn("Booked", width="small", help="The day it was booked (Lagos)"),
    },
)
try:
    _entry_details(listing.show(LEDGER, viewer, filters={**span, **chosen}).rows)
except ServiceError as exc:
    say.error(str(exc))

# --- The numbers behind the charts ------------------------------------------------------------------------
st.subheader("The numbers behind the charts")


def _figures_export(table: str, noun: Noun, to_frame) -> None:
    def prepare() -> tuple[pd.DataFrame, bool]:
        rows, truncated = data.call(financials.export_figures, actor, table=table, **span)
        return to_frame(rows, for_export=True), truncated

    export_panel(
        f"{KEY}_{table}_export__{actor.scope_key}", filters=(table, actor.scope_key, period.start, period.end),
        noun=noun, file_stem=f"financials-by-{table}", disabled=False, prepare=prepare,
    )  # fmt: skip


def _money(values, for_export: bool) -> list:
    return list(values) if for_export else [naira(v) for v in values]


def _months_frame(rows, for_export: bool = False) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Month": [r.label for r in rows],
            "Revenue": _money((r.revenue for r in rows), for_export),
            "Expenses": _money((r.expenses for r in rows), for_export),
            "Net": _money((r.net for r in rows), for_export),
            "Ledger entries": [r.entries for r in rows],
        }
    )


def _categories_frame(rows, for_export: bool = False) -> pd.DataFrame:
    totals = {k: sum((r.amount for r in rows if r.kind == k), start=0) for k in KIND}
    return pd.DataFrame(
        {
            "Category": [humanise(r.category) for r in rows],
            "Kind": [KIND[r.kind] for r in rows],
            "Amount": _money((r.amount for r in rows), for_export),
            "Share of its kind": [
                f"{float(r.amount / totals[r.kind]) * 100:.1f}%" if totals[r.kind] else "—" for r in rows
            ],
        }
    )


def _hospitals_frame(rows, for_export: bool = False) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Hospital": [r.hospital_name for r in rows],
            "Revenue": _money((r.revenue for r in rows), for_export),
            "Expenses": _money((r.expenses for r in rows), for_export),
            "Net": _money((r.net for r in rows), for_export),
        }
    )


def _consultations_frame(rows, for_export: bool = False) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Month": [r.label for r in rows],
            "Ledger: consultations": _money((r.ledger_consultations for r in rows), for_export),
            "Ledger: telemedicine": _money((r.ledger_telemedicine for r in rows), for_export),
            "Paid video sessions": [r.video_sessions_paid for r in rows],
            "Video sessions' fees": _money((r.video_revenue for r in rows), for_export),
            "Completed appointments": [r.appointments_completed for r in rows],
            "of them virtual": [r.virtual_completed for r in rows],
        }
    )


def _stale(as_of) -> bool:
    age = None if as_of is None else (datetime.now(UTC) - as_of).total_seconds()
    return age is None or age > financials.STALE_AFTER_SECONDS


def _as_of(moment) -> str:
    return lagos_datetime(moment) if moment is not None else "never refreshed"


tabs = ["By month", "By category", "Consultations"] + (["By hospital"] if actor.network_wide else [])
shown = st.tabs(tabs, key=f"{KEY}_tables", on_change="rerun")
with shown[0]:
    listing.page_table(_months_frame(months))
    _figures_export("months", Noun("month", "months"), _months_frame)
with shown[1]:
    listing.page_table(_categories_frame(categories))
    _figures_export("categories", Noun("category", "categories"), _categories_frame)
with shown[2]:
    st.caption(
        "The ledger's own consultation revenue beside what the platform recorded: the fees of paid video "
        "sessions and the appointments completed, by the month of the appointment. The telemedicine line "
        "and the video sessions' fees should move together; a gap is worth a question to the finance team."
    )
    summary = data.cached(financials.summary_status, actor)
    if _stale(summary.figures_as_of):  # nobody ran the schedule (healthdash db reconcile) for a while
        data.write(commands.in_a_live_session(financials.refresh_summaries), actor)
        summary = data.cached(financials.summary_status, actor)
    checks = data.cached(financials.consultation_check, actor, **span)
    st.caption(f"Sessions and appointments as of {_as_of(summary.figures_as_of)}.")
    listing.page_table(_consultations_frame(checks))
    _figures_export("consultations", Noun("month", "months"), _consultations_frame)
if actor.network_wide:
    with shown[3]:
        listing.page_table(_hospitals_frame(hospitals))
        _figures_export("hospitals", Noun("hospital", "hospitals"), _hospitals_frame)

# --- Refunds and adjustments (network administrators) ------------------------------------------------------


def _adjustment_form() -> None:
    """Find the wallet, say credit or debit, how much and why; confirm; posted once however often it is pressed."""
    from dashboard.domains.money import ledger

    nonce = commands.nonce(KEY)
    typed = st.text_input(
        "Find the patient", key=f"{KEY}_adjust_search_{nonce}", placeholder="Name or email, at least 2 characters"
    )
    found = data.call(wallets.find_wallets, actor, typed) if len(typed.strip()) >= wallets.MIN_SEARCH else []
    if len(typed.strip()) >= wallets.MIN_SEARCH and not found:
        st.caption("No wallet belongs to a patient of that name or email.")
    by_id = {w.wallet_id: w for w in found}
    wallet_id = st.selectbox(
        # Keyed by the matches too: a new search offers its own first match, not the last search's choice.
        "Wallet", list(by_id), key=f"{KEY}_adjust_wallet_{nonce}_{hash(tuple(by_id))}",
        placeholder="Find the patient first",
        format_func=lambda w: f"{by_id[w].name} ({by_id[w].email}) · balance {naira(by_id[w].balance)}",
    )  # fmt: skip
    direction_column, amount_column = st.columns(2)
    direction = direction_column.radio(
        "Direction", ["credit", "debit"], horizontal=True, key=f"{KEY}_adjust_direction_{nonce}",
        format_func=lambda d: "Credit (add to the wallet)" if d == "credit" else "Debit (take from the wallet)",
    )  # fmt: skip
    amount = amount_column.text_input("Amount (₦)", key=f"{KEY}_adjust_amount_{nonce}", placeholder="e.g. 2,500.00")
    reason = st.text_area(
        "Reason", key=f"{KEY}_adjust_reason_{nonce}", max_chars=ledger.MAX_REASON_LENGTH, height=68,
        help="Goes on the wallet's ledger and in the audit trail.",
    )  # fmt: skip
    if st.button("Post the adjustment…", key=f"{KEY}_adjust_ask"):
        if wallet_id is None:
            say.error("Find and pick the wallet first.")
        elif not reason.strip():
            say.error("Give the reason: it goes on the wallet's ledger and in the audit trail.")
        else:
            try:
                value = ledger.checked_amount(amount)
            except ServiceError as exc:
                say.error(str(exc))
            else:
                owner = by_id[wallet_id].name
                words = "Add" if direction == "credit" else "Take"
                commands.ask(
                    f"{KEY}_adjust",
                    f"{words} {naira(value)} {'to' if direction == 'credit' else 'from'} {owner}'s wallet "
                    f"(balance now {naira(by_id[wallet_id].balance)})? Reason: {reason.strip()}",
                    wallet_id=wallet_id, direction=direction, amount=str(value), reason=reason.strip(), owner=owner,
                    # One key per form filled in: a second press of Confirm replays the first posting.
                    idempotency_key=f"dashboard-adjustment:{viewer.user.session_id}:{nonce}",
                )  # fmt: skip
    pending = commands.confirmed(f"{KEY}_adjust")
    if pending:
        st.session_state[f"{KEY}_posted"] = True  # the wallet figures are brought up to date on the next render
        commands.perform(
            KEY, ledger.post_adjustment, actor, wallet_id=pending["wallet_id"], direction=pending["direction"],
            amount=pending["amount"], reason=pending["reason"], idempotency_key=pending["idempotency_key"],
            message=f"Posted: {pending['owner']}'s wallet is adjusted by "
            f"{'+' if pending['direction'] == 'credit' else '-'}{naira(pending['amount'])}.",
        )  # fmt: skip


# --- Patients' wallets (network scope) -------------------------------------------------------------------
if sees_wallets:
    st.subheader("Patients' wallets")
    st.caption("Patients' own money held on the platform, across the network: not any one hospital's.")
    status = data.cached(wallets.check_status, actor)
    posted = st.session_state.pop(f"{KEY}_posted", False)
    if posted or _stale(status.figures_as_of) or status.pending_wallets > wallets.CATCH_UP_WALLETS:
        # A backlog the schedule has not caught up with: check it once now, not on every render.
        with st.spinner("Bringing the wallet figures up to date…"):
            data.write(commands.in_a_live_session(wallets.refresh_reconciliation), actor)
        status = data.cached(wallets.check_status, actor)
    held = data.cached(wallets.wallet_totals, actor)
    flows = data.cached(wallets.monthly_flows, actor, **span)
    credits = sum((m.credits for m in flows), start=held.balance_held * 0)
    debits = sum((m.debits for m in flows), start=held.balance_held * 0)
    kpi.card_row(
        viewer,
        [
            kpi.figure_card(
                "wallet_balances", naira_short(held.balance_held), help_extra=f"Exactly {naira(held.balance_held)}."
            ),
            kpi.figure_card("wallets_funded", f"{count(held.funded)} of {count(held.wallets)}"),
            kpi.figure_card(
                "wallet_credits", naira_short(credits), help_extra=f"{period.label}: {naira(credits)}, as of "
                f"{_as_of(status.figures_as_of)}."
            ),
            kpi.figure_card(
                "wallet_debits", naira_short(debits), help_extra=f"{period.label}: {naira(debits)}, as of "
                f"{_as_of(status.figures_as_of)}."
            ),
        ],
    )
    recon = data.cached(wallets.reconciliation, actor)
    checks_column, button_column = st.columns([4, 1])
    checks_column.caption(
        f"Credits, debits and the transaction count as of {_as_of(status.figures_as_of)}. Reconciliation: "
        f"{count(recon.transactions_checked - recon.replayed)} transactions verified at the last check "
        f"({_as_of(status.last_checked_at)}), {count(recon.replayed)} newer ones replayed now."
    )
    if button_column.button("Check now", key=f"{KEY}_reconcile", icon=":material/refresh:"):
        try:
            data.write(commands.in_a_live_session(wallets.refresh_reconciliation), actor)
        except ServiceError as exc:
            say.error(str(exc))
        else:
            st.rerun()
    if recon.reconciles:
        say.success(
            f"Every wallet reconciles: {count(recon.wallets_checked)} wallets and "
            f"{count(recon.transactions_checked)} transactions replayed; each balance equals its last transaction's "
            "balance after, and every balance after is the one before plus a credit or minus a debit.",
            icon=":material/verified:",
        )
    else:
        say.warning(
            f"{Noun('wallet does', 'wallets do').count(recon.problem_count)} not reconcile, of "
            f"{count(recon.wallets_checked)}. Each is listed with the first transaction where its ledger breaks.",
            icon=":material/warning:",
        )

        def _last_after(problem, for_export: bool):
            if problem.last_balance_after is None:
                return None if for_export else "No transactions"
            return problem.last_balance_after if for_export else naira(problem.last_balance_after)

        def _problems_frame(rows, for_export: bool = False) -> pd.DataFrame:
            return pd.DataFrame(
                {
                    "Patient": [p.owner_name for p in rows],
                    "Balance": _money((p.balance for p in rows), for_export),
                    "Last balance after": [_last_after(p, for_export) for p in rows],
                    "Breaks at": [lagos_datetime(p.break_at) if p.break_at else "—" for p in rows],
                    "Transaction": [f"{p.break_type} {naira(p.break_amount)}" if p.break_type else "—" for p in rows],
                    "Recorded after": [naira(p.break_recorded) if p.break_recorded is not None else "—" for p in rows],
                    "Should be": [naira(p.break_expected) if p.break_expected is not None else "—" for p in rows],
                }
            )

        listing.page_table(_problems_frame(recon.problems))

        def _prepare_problems() -> tuple[pd.DataFrame, bool]:
            rows, truncated = data.call(wallets.export_wallet_figures, actor, table="reconciliation", **span)
            return _problems_frame(rows, for_export=True), truncated

        export_panel(
            f"{KEY}_reconciliation_export", filters=("reconciliation", recon.problem_count),
            file_stem="wallet-reconciliation", noun=Noun("wallet", "wallets"), disabled=False,
            prepare=_prepare_problems,
        )  # fmt: skip
    if flows:
        frame = pd.DataFrame(
            {
                "Month": [f"{m.month:%b %Y}" for m in flows],
                "Credits": [float(m.credits) for m in flows],
                "Debits": [float(m.debits) for m in flows],
            }
        )
        figure = charts.bar(
            frame, x="Month", y=["Credits", "Debits"], title="Wallet credits and debits by month (Lagos)",
            x_title="Month", y_title="Naira", stacked=False, hover_format=",.2f",
            colours={"Credits": charts.BLUE, "Debits": charts.ORANGE},
        )  # fmt: skip
        figure.update_layout(xaxis={"type": "category"})
        charts.show(charts.naira_axis(figure), key=f"{KEY}_wallet_flows")

        def _flows_frame(rows, for_export: bool = False) -> pd.DataFrame:
            return pd.DataFrame(
                {
                    "Month": [f"{m.month:%b %Y}" for m in rows],
                    "Credits": _money((m.credits for m in rows), for_export),
                    "Debits": _money((m.debits for m in rows), for_export),
                    "Net": _money((m.net for m in rows), for_export),
                    "Credit transactions": [m.credit_count for m in rows],
                    "Debit transactions": [m.debit_count for m in rows],
                }
            )

        with st.expander("Wallet credits and debits by month, as a table", key=f"{KEY}_flows_table", on_change="rerun"):
            listing.page_table(_flows_frame(flows))

            def _prepare_flows() -> tuple[pd.DataFrame, bool]:
                rows, truncated = data.call(wallets.export_wallet_figures, actor, table="months", **span)
                return _flows_frame(rows, for_export=True), truncated

            export_panel(
                f"{KEY}_flows_export", filters=("flows", period.start, period.end), file_stem="wallet-flows",
                noun=Noun("month", "months"), disabled=False, prepare=_prepare_flows,
            )  # fmt: skip
    if viewer.user.role in permissions.writers("wallets"):
        with st.expander(
            "Refund or adjust a wallet", icon=":material/currency_exchange:", key=f"{KEY}_adjust_panel",
            on_change="rerun",
        ):  # fmt: skip
            _adjustment_form()
elif viewer.user.role is permissions.ADMIN:
    st.caption("Patients' wallets are network-wide: pick All hospitals under Working scope to see them.")
