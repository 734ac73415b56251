"""Digests: reports by email on a schedule (the board report PDF, a list as Excel, the alerts in words).

A page of its own rather than a part of My account: it has its own figures (what was sent, what failed), a
chart of deliveries, and for a network administrator everyone's subscriptions and the outbox, which My account
(who you are and your password) should not carry. Everyone sees and cancels their own digests and adds one;
`healthdash digests run` (cron or a systemd timer, README) sends them. The add form is the page's part
digests_form_page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.domains.digests import digests_form_page, subscriptions
from dashboard.kit import charts, commands, kpi, listing, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import Noun, count, lagos_date, lagos_datetime
from dashboard.shell import data
from db.base import UserRole

BLUE, ORANGE = "#0072B2", "#E69F00"  # the status palette: delivered, not delivered
CANCEL = Command(
    "cancel", subscriptions.cancel, done="Cancelled: {what} for {scope}. No more will be sent.",
    question="Cancel the {what} digest for {scope} ({when})? No more will be sent; what was sent stays listed.",
    words=("what", "scope", "when"),
)  # fmt: skip
STATUS_MARKS = {"sent": "✓ Sent", "queued": "… Waiting to send", "failed": "✕ Failed", "withheld": "⊘ Withheld"}


def _last(row: subscriptions.SubscriptionRow) -> str:
    if row.last_status is None:
        return "Not due yet"
    return STATUS_MARKS.get(row.last_status, row.last_status)


def _next(row: subscriptions.SubscriptionRow) -> str:
    moment = row.next_at(datetime.now(UTC))
    return lagos_datetime(moment) if moment else "Cancelled"


MINE = Table([
    Column("Digest", "what"),
    Column("Filters", "filters_words"),
    Column("Scope", "scope"),
    Column("Schedule (Lagos)", "when"),
    Column("Next", _next),
    Column("Last sent", "last_sent_at", "datetime", empty="Never"),
    Column("Last result", _last),
])  # fmt: skip
EVERYONE = Table([
    Column("Subscriber", "subscriber"),
    Column("Email", "email", export_only=True),
    Column("Digest", "what"),
    Column("Scope", "scope"),
    Column("Schedule (Lagos)", "when"),
    Column("Filters", "filters_words", export_only=True),
    Column("Since", "created_at", "date"),
    Column("Last sent", "last_sent_at", "datetime", empty="Never"),
    Column("Last result", _last),
    Column("Cancelled", "cancelled_at", "date", export_only=True, empty=""),
])  # fmt: skip


def _outbox_table(everyone: bool) -> Table:
    """The outbox's columns; the subscriber's name only where there are others' (a network administrator's)."""
    subscriber = [Column("Subscriber", "subscriber")] if everyone else []
    return Table([
        Column("Due (Lagos)", "due_at", "datetime"),
        Column("Result", lambda r: STATUS_MARKS.get(r.status, r.status)),
        *subscriber,
        Column("Digest", "what"),
        Column("Scope", "scope"),
        Column("Attempts", "attempts", "count"),
        Column("Why not sent", "last_error", empty=""),
        Column("Next attempt", "next_attempt_at", "datetime", empty=""),
        Column("Sent", "sent_at", "datetime", export_only=True, empty=""),
        Column("To", "recipient", export_only=True),
        Column("Subject", "subject", export_only=True),
        Column("Size (bytes)", "size_bytes", "count", export_only=True),
    ])  # fmt: skip


ALL_LIST = listing.Listing(
    key="digests_everyone", noun=Noun("digest", "digests"), list_service=subscriptions.all_subscriptions,
    export_service=subscriptions.export_subscriptions, table=EVERYONE, file_stem="digest-subscriptions",
    search_label="Search subscriptions", search_placeholder="Person, email or hospital",
    empty="Nobody has subscribed to a digest in this scope yet.",
    empty_filtered="No subscription matches this search. Clear it to see everyone's.",
)  # fmt: skip
OUTBOX_LISTS = {
    everyone: listing.Listing(
        key="digests_outbox", noun=Noun("delivery", "deliveries"), list_service=subscriptions.outbox_page,
        export_service=subscriptions.export_outbox, table=_outbox_table(everyone), file_stem="digest-outbox",
        search_label="Search deliveries", search_placeholder="Person, address or error" if everyone else "Error",
        empty="Nothing has been due yet. A digest appears here at its first time, once `healthdash digests run` "
        "runs.",
        empty_filtered="No delivery matches this search and result. Clear them to see every delivery.",
    )
    for everyone in (True, False)
}  # fmt: skip
RESULTS = {None: "Any result", "sent": "Sent", "queued": "Waiting to send", "failed": "Failed", "withheld": "Withheld"}


def _cards(ctx: PageContext, summary: subscriptions.DigestSummary) -> None:
    not_sent = summary.failed_7_days
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("digests_active", count(summary.active)),
        kpi.figure_card("digests_sent_7_days", count(summary.sent_7_days), label="Sent in the last 7 days"),
        kpi.figure_card("digests_failed_7_days", count(not_sent), label="Not delivered, last 7 days",
                        status=kpi.Status.ATTENTION if not_sent else kpi.Status.NORMAL,
                        status_note="see why below" if not_sent else None),
        kpi.figure_card("digests_waiting", count(summary.waiting), label="Waiting to send"),
    ])  # fmt: skip


def _chart(ctx: PageContext) -> None:
    days = data.call(subscriptions.deliveries_by_day, ctx.actor)
    whose = "Every subscriber's" if ctx.actor.role is UserRole.ADMIN else "Your"
    if not days:
        say.info(f"{whose} digests: none was due in the last 30 days. Add one below; the first is sent at its next "
                 "time.")  # fmt: skip
        return
    frame = pd.DataFrame({"Day": [lagos_date(d.day) for d in days], "Delivered": [d.sent for d in days],
                          "Not delivered": [d.failed for d in days]})  # fmt: skip
    charts.show(charts.bar(frame, x="Day", y=["Delivered", "Not delivered"], counts=True, height=300,
                           title=f"{whose} digests due each day, last 30 days", x_title="Day due (Lagos)",
                           y_title="Digests", colours={"Delivered": BLUE, "Not delivered": ORANGE}),
                key=f"{ctx.key}_chart")  # fmt: skip


def _cancel_picker(ctx: PageContext, rows: list[subscriptions.SubscriptionRow], part: str, name) -> None:
    """Pick one active digest of `rows` and ask to cancel it (the question and Confirm follow: CANCEL)."""
    by_id = {r.id: r for r in rows if r.active}
    if not by_id:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Digest to cancel", list(by_id), key=f"{ctx.key}_{part}_cancel_choice",
                            format_func=lambda i: name(by_id[i]))  # fmt: skip
    if right.button("Cancel this digest…", key=f"{ctx.key}_{part}_cancel_ask", width="stretch"):
        row = by_id[chosen]
        commands.ask_first(ctx, CANCEL, row.id, affects=row.hospital_id, what=row.what, scope=row.scope,
                           when=row.when)  # fmt: skip


def _mine(ctx: PageContext) -> None:
    st.subheader("Your digests")
    rows = data.call(subscriptions.my_subscriptions, ctx.actor)
    active = [r for r in rows if r.active]
    if not active:
        say.info("You have no digest yet. Add one below: the board report, a list as Excel, or the alerts, daily, "
                 "weekly or monthly.")  # fmt: skip
    else:
        st.dataframe(MINE.frame(active, network_wide=False), hide_index=True, width="stretch", height="content")
        _cancel_picker(ctx, active, "mine", lambda r: " · ".join((r.what, r.scope, r.when)))
    commands.confirming(ctx, CANCEL)
    cancelled = len(rows) - len(active)
    if cancelled:
        st.caption(f"{count(cancelled)} cancelled digest{'' if cancelled == 1 else 's'} not shown; what was sent "
                   "stays in the deliveries below.")  # fmt: skip


def _deliveries(ctx: PageContext) -> None:
    admin = ctx.actor.role is UserRole.ADMIN
    st.subheader("Deliveries: the outbox" if admin else "Your deliveries")
    result = st.segmented_control("Result", list(RESULTS), default=None, key=f"{ctx.key}_result",
                                  format_func=RESULTS.get)  # fmt: skip
    listing.show(OUTBOX_LISTS[admin], ctx.viewer, filters={"status": result})
    st.caption("A failed delivery is tried again after 5 minutes, then 10, 20 and 40 (the settings "
               "digest_retry_minutes and digest_max_attempts); a digest is withheld when its subscriber's account, "
               "role or hospital no longer allows that scope.")  # fmt: skip


def render(ctx: PageContext) -> None:
    admin = ctx.actor.role is UserRole.ADMIN
    whose = "Everyone's digests and what was sent." if admin else "Your digests and what was sent to you."
    ctx.header(f"Reports sent by email on a schedule: the board report, a list as Excel, or the alerts. {whose}")
    ctx.done()
    _cards(ctx, data.call(subscriptions.digest_summary, ctx.actor))
    _chart(ctx)
    _mine(ctx)
    digests_form_page.show_add(ctx)
    if admin:
        st.subheader("Everyone's digests")
        shown = st.segmented_control("Show", ["active", "cancelled", "all"], default="active",
                                     key=f"{ctx.key}_everyone_status", format_func=str.capitalize)  # fmt: skip
        shown = shown or "active"
        page = listing.show(ALL_LIST, ctx.viewer, filters={"status": None if shown == "all" else shown})
        _cancel_picker(ctx, [r for r in page.rows if r.user_id != ctx.actor.user_id], "everyone",
                       lambda r: " · ".join((r.subscriber, r.what, r.scope, r.when)))  # fmt: skip
    _deliveries(ctx)
