"""Resources & beds, its supplies: when each consumable runs out, the chosen one's history, and what was used.

The alerts (stock lasting fewer days than a delivery takes) are built here once and shown by both the
Resources page's panel and the Overview's, so the two never disagree: a consumable judged by its days
left is not also listed as "running low" by its free share (one status per thing per screen).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.floor import supply_burn, supply_commands
from dashboard.domains.floor.supply_burn import ENOUGH, NO_USE, ORDER_NOW, OUT_OF_STOCK, Supply
from dashboard.kit import alerts, charts, commands, kpi, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform import figures as catalogue
from dashboard.platform.formatting import count, humanise, md_escape
from dashboard.shell import data
from db.settings import Level, Settings

STATUS_WORDS = {OUT_OF_STOCK: "Out of stock", ORDER_NOW: "Order now", ENOUGH: "Enough", NO_USE: "No use recorded"}
KIND_WORDS = {"usage": "Used", "delivery": "Delivered"}
RUNNING_OUT = "Running out"


def _days(n: float | None) -> str | None:
    return None if n is None else f"{n:g} day{'' if n == 1 else 's'}"


SUPPLIES = Table([
    Column("Supply", "name"), hospital_column(), Column("Category", "category", "code"),
    Column("In stock", "stock", "count"),
    Column("Used a day", lambda s: None if s.burn_per_day is None else f"{s.burn_per_day:,.1f}"),
    Column("Days left", "days_left", "count"), Column("Runs out on", "runs_out_on", "date"),
    Column("Lead time", lambda s: _days(s.lead_days)), Column("Status", lambda s: STATUS_WORDS[s.status]),
])  # fmt: skip
SHOWN = 50  # supplies listed (and offered for the chart), most urgent first
RECORD = Command("record_supply", supply_commands.record_stock_change, done="Recorded: {what}.", words=("what",))


def running_out_alerts(ctx: PageContext) -> list[alerts.Alert]:
    """One alert per consumable in scope whose stock lasts fewer days than its delivery takes, soonest first."""
    found = []
    # supply_burn.running_out's rule over the cached supplies: Resources & beds lists them too, so one read serves both.
    for s in (s for s in data.cached(supply_burn.supplies, ctx.actor) if s.below_lead_time):
        where = f" at {md_escape(s.hospital_name)}" if ctx.network_wide else ""
        text = (f"{md_escape(s.name)}{where}: {count(s.stock)} in stock, runs out {s.runs_out_words} at "
                f"{s.burn_per_day:,.1f} a day; a delivery takes {_days(s.lead_days)}.")  # fmt: skip
        # The service decided (days left below the lead time); the level only agrees with it.
        found.append(alerts.Alert(
            key=f"runout:{s.id}", text=text, value=float(s.days_left or 0), page="resources", kind=RUNNING_OUT,
            level=Level(s.lead_days, s.lead_days, higher_is_worse=False),
            short=f"{md_escape(s.name)}{where} ({_days(s.days_left)})",
        ))  # fmt: skip
    return found


def with_running_out(ctx: PageContext, candidates: list[alerts.Alert]) -> list[alerts.Alert]:
    """Supplies running out first, then the other candidates less any about the same resource (a "running low"
    by free share says less than a run-out date). The Resources page and the Overview both list these."""
    running_out = running_out_alerts(ctx)
    named = {a.key.partition(":")[2] for a in running_out}
    return running_out + [a for a in candidates if a.key.partition(":")[2] not in named]


def show(ctx: PageContext, limits: Settings) -> None:
    st.subheader("Supplies: when each runs out")
    rows = data.cached(supply_burn.supplies, ctx.actor)
    if not rows:
        st.info("No medication, blood, oxygen or supplies are recorded in this scope yet. Add them as resources "
                "and record what is used; their run-out dates appear here.")  # fmt: skip
        return
    _cards(ctx, rows)
    # The most urgent only: the network's 6,000 supplies at scale 50 sent 2 MB with every rerun.
    shown = rows[:SHOWN]
    st.dataframe(SUPPLIES.frame(shown, network_wide=ctx.network_wide), hide_index=True, width="stretch",
                 height="content" if len(shown) <= 12 else 460)  # fmt: skip
    more = (f"The {count(len(shown))} most urgent of {count(len(rows))}; pick a hospital under Working scope to "
            "see all of its supplies. ") if len(rows) > len(shown) else ""  # fmt: skip
    st.caption(f"{more}Most urgent first. {catalogue.figure('supply_burn_rate').help} "
               f"{catalogue.figure('supply_days_left').help} Lead times: " + ", ".join(
                   f"{humanise(c)} {_days(limits.restock_lead_days(c))}" for c in ("medication", "blood", "oxygen",
                                                                                    "supplies")) + ".")  # fmt: skip
    by_id = {s.id: s for s in shown}
    chosen = by_id[st.selectbox("Supply", list(by_id), key=f"{ctx.key}_supply", format_func=lambda i: by_id[i].name
                                + (f" — {by_id[i].hospital_name}" if ctx.network_wide else ""))]  # fmt: skip
    chart, form = st.columns([3, 2]) if ctx.can_write else (st.container(), None)
    with chart:
        _history(ctx, chosen)
    if form is not None:
        with form:
            _record(ctx, chosen)


def _cards(ctx: PageContext, rows: list[Supply]) -> None:
    short = [s for s in rows if s.below_lead_time]
    soonest = next((s for s in rows if s.days_left is not None), None)
    where = f" at {soonest.hospital_name}" if soonest and ctx.network_wide else ""
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("supplies_running_out", f"{count(len(short))} of {count(len(rows))}",
                        status=kpi.Status.ATTENTION if short else kpi.Status.NORMAL,
                        status_note="stock shorter than its lead time"),
        kpi.figure_card("supply_days_left", "—" if soonest is None else _days(soonest.days_left),
                        help_extra=None if soonest is None else f"Soonest: {md_escape(soonest.name)}"
                        f"{md_escape(where)}, {soonest.runs_out_words}."),
        kpi.figure_card("supply_burn_rate", "—" if soonest is None else f"{soonest.burn_per_day:,.1f} a day",
                        help_extra=None if soonest is None else f"Of {md_escape(soonest.name + where)}."),
    ], per_row=3)  # fmt: skip


def _history(ctx: PageContext, chosen: Supply) -> None:
    points = data.cached(supply_burn.history, ctx.actor, resource_id=chosen.id)
    if not points:
        say.info(f"No use or delivery of {chosen.name} is recorded in the last {supply_burn.HISTORY_DAYS} days. "
                 "Record one to start its history.")  # fmt: skip
        return
    frame = pd.DataFrame([(p.day, p.used, p.stock) for p in points], columns=["Day", "Used", "In stock"])
    charts.show(charts.bars_and_line(frame, x="Day", bars="Used", line="In stock", x_title="",
                                     title=f"{chosen.name}: used each day and the stock left",
                                     bars_title="Units used", line_title="Units in stock"),
                key=f"{ctx.key}_supply_history")  # fmt: skip


def _record(ctx: PageContext, chosen: Supply) -> None:
    st.markdown(f"**Record use or a delivery of {md_escape(chosen.name)}**")
    with st.form(commands.form_key(ctx, f"supply_{chosen.id}"), border=True):
        kind = st.segmented_control("What happened", list(KIND_WORDS), format_func=KIND_WORDS.get, default="usage")
        # No bounds on the input: a number out of range is refused by the service with a sentence.
        quantity = st.number_input("Units", value=None, step=1, placeholder="e.g. 3")
        note = st.text_input("Note (optional)", placeholder="e.g. Theatre 2, emergency caesarean")
        submitted = st.form_submit_button("Record", type="primary", width="stretch")
    if submitted:
        what = f"{quantity} {chosen.name} {'used' if kind == 'usage' else 'delivered'}"
        commands.run(ctx, RECORD, chosen.id, kind=kind, quantity=quantity, note=note, affects=chosen.hospital_id,
                     what=what)  # fmt: skip
