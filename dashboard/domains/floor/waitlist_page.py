"""Waitlist: the live queue by department and priority, call next, and the waits against their targets.

The queue refreshes itself every 30 seconds without reloading the page (a fragment); actions are
one service call each (one transaction, one audit row), and call-next is safe when two
administrators press it at once (the service locks with SKIP LOCKED).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domains.floor import waitlist_commands, waitlist_queue, waitlist_waits, words
from dashboard.kit import alerts, charts, commands, kpi, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import count, humanise, md_escape, minutes_words
from dashboard.shell import data
from dashboard.shell.gate import live_fragment, live_refresh_seconds, within_a_refresh
from db import settings
from db.settings import WAIT_PRIORITIES

QUEUE = Table([Column("Patient", "patient_name"), Column("Hospital no.", "hospital_number"), hospital_column(),
               Column("Department", "department"),
               Column("Priority", "priority", "code"), Column("Waiting", lambda e: minutes_words(e.waited_minutes)),
               Column("Past target", lambda e: "Yes" if e.over_target else "", empty=""),
               Column("Arrived", lambda e: words.arrived(e.arrived_at)), Column("Reason", "reason")])  # fmt: skip
WITH_STAFF = Table([c for c in QUEUE.columns if c.label != "Past target"])
COMPLETE = Command("complete", waitlist_commands.complete, done="{name} is marked as seen.")
PRIORITY = Command("priority", waitlist_commands.change_priority, done="{name} is now {level} priority.",
                   words=("name", "level"))  # fmt: skip
CANCEL = Command("cancel", waitlist_commands.cancel, done="{name}'s visit is cancelled.", words=("name", "department"),
                 question="Cancel {name}'s visit to {department}? They leave the queue.")  # fmt: skip


def _figures_at_the_top(ctx: PageContext) -> None:
    """The breaches and the cards: re-read with the queue, so the top never lags behind it."""
    limits = settings.current()
    # Breaches first: a patient past the wait target for their priority (alerts raise and clear apart).
    candidates = [alerts.Alert(
        key=f"wait:{b.id}", value=b.waited_minutes, level=limits.wait_target(b.priority),
        kind="Waiting past the target",
        text=f"{md_escape(b.patient_name)} ({humanise(b.priority)}, {md_escape(b.department)}"
        f"{', ' + md_escape(b.hospital_name) if ctx.network_wide else ''}) has waited "
        f"{minutes_words(b.waited_minutes)}; the target is {minutes_words(b.target_minutes)}.",
        short=f"{md_escape(b.patient_name)} ({minutes_words(b.waited_minutes)})",
    ) for b in data.call(waitlist_queue.breaches, ctx.actor)]  # fmt: skip
    alerts.panel(ctx.viewer, alerts.standing_alerts(ctx.viewer, candidates), title="Waiting past the target")
    medians = data.call(waitlist_waits.median_waits, ctx.actor)
    now = data.call(waitlist_queue.waiting_now, ctx.actor)
    targets = ", ".join(f"{p} {minutes_words(limits.wait_target(p).raise_at)}" for p in WAIT_PRIORITIES)
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("patients_waiting", count(now.waiting)),
        kpi.figure_card("past_wait_target", count(now.over_target), status_note="targets by priority",
                        status=kpi.Status.ATTENTION if now.over_target else kpi.Status.NORMAL,
                        help_extra=f"Targets: {targets}."),
        kpi.figure_card("median_wait_today", minutes_words(medians.today_minutes), delta_color="inverse",
                        delta=kpi.signed_change(medians.today_minutes, medians.previous_7_days_minutes, unit="min"),
                        delta_description="vs last 7 days", help_extra=f"{count(medians.today_count)} called today."),
        kpi.figure_card("longest_wait_now", minutes_words(now.longest_wait_minutes)),
    ])  # fmt: skip
    later = data.call(waitlist_queue.future_arrivals, ctx.actor)
    if later:
        say.warning(f"{count(later)} waitlist {'entry has' if later == 1 else 'entries have'} an arrival time after "
                    "now (a wrong clock where they were entered): they are left out of the queue and these figures "
                    "until then.", icon=":material/schedule:")  # fmt: skip


def _call_next_controls(ctx: PageContext, department: str | None) -> None:
    """Call the next patient: a hospital (network scope only), a department with someone waiting, then one click."""
    hospital_id = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_call_hospital",
                                              help="Calling a patient happens in one hospital's queue.")  # fmt: skip
    options = data.call(waitlist_queue.call_options, ctx.actor, hospital_id=hospital_id)
    waiting = {d.department: d.waiting for d in options.departments}
    if not waiting:
        where = "in this hospital" if ctx.network_wide else "in any department"
        say.info(f"Nobody is waiting {where} now, so there is nobody to call. New arrivals appear in the queue "
                 f"{within_a_refresh()}; call them from here then.")  # fmt: skip
        return
    follows, choice, first = f"{ctx.key}_call_follows", f"{ctx.key}_call_department", options.first_choice(department)
    # Re-set the choice only when what it should follow changes, so a department picked by hand stays.
    if st.session_state.get(follows) != (hospital_id, first) or st.session_state.get(choice) not in waiting:
        st.session_state[follows], st.session_state[choice] = (hospital_id, first), first
    target = st.selectbox("Department to call from", list(waiting), key=choice, format_func=lambda name: (
        f"{name} ({count(waiting[name])} waiting)" + (" · next" if name == options.next_department else "")
    ))  # fmt: skip
    if not st.button("Call next patient", type="primary", key=f"{ctx.key}_call_next", icon=":material/campaign:"):
        return
    # Not a Command: what the words say (who was called) is known only once the service has answered.
    try:
        called = data.write(commands.in_a_live_session(waitlist_commands.call_next), ctx.actor,
                            hospital_id=hospital_id, department=target, affects=hospital_id)  # fmt: skip
    except ServiceError as exc:
        say.error(str(exc))
        return
    if called is None:
        say.info(f"Nobody is waiting in {target} now. New arrivals appear here {within_a_refresh()}.")
        return
    # "Update a patient" opens on the patient just called, ready to be marked as seen.
    st.session_state[f"{ctx.key}__just_called"] = called.id
    commands.done(f"Called {called.patient_name} ({humanise(called.priority)}, waited "
                  f"{minutes_words(called.waited_minutes)}) to {called.department}.", ctx.key)  # fmt: skip


def _entry_actions(ctx: PageContext, entries: list) -> None:
    """Mark as seen, cancel or re-prioritise one entry of the queue shown."""
    by_id = {e.id: e for e in entries}
    if (just_called := st.session_state.pop(f"{ctx.key}__just_called", None)) in by_id:
        st.session_state[f"{ctx.key}_entry"] = just_called
    chosen = st.selectbox("Patient", list(by_id), key=f"{ctx.key}_entry", format_func=lambda i: (
        f"{by_id[i].patient_name} · {by_id[i].department} · {humanise(by_id[i].status)}"
        + (f" · {by_id[i].hospital_name}" if ctx.network_wide else "")))  # fmt: skip
    entry = by_id[chosen]
    who = {"affects": entry.hospital_id, "name": entry.patient_name}
    complete_tab, priority_tab, cancel_tab = st.tabs(
        ["Mark as seen", "Change priority", "Cancel"], key=f"{ctx.key}_entry_tabs", on_change="rerun"
    )
    with complete_tab:
        if not entry.may_complete:
            st.caption(f"{md_escape(entry.patient_name)} has not been called yet; call them first.")
        elif st.button("Mark as seen", key=f"{ctx.key}_complete"):
            commands.run(ctx, COMPLETE, entry.id, **who)
    with priority_tab:
        if not entry.may_change_priority:
            st.caption("Only a patient who is still waiting can change priority.")
        else:
            current = WAIT_PRIORITIES.index(entry.priority) if entry.priority in WAIT_PRIORITIES else 2
            priority = st.selectbox("New priority", WAIT_PRIORITIES, index=current, format_func=humanise,
                                    key=f"{ctx.key}_priority_{entry.id}")  # fmt: skip
            if st.button("Change priority", key=f"{ctx.key}_change_priority"):
                commands.run(ctx, PRIORITY, entry.id, priority=priority, level=humanise(priority), **who)
    with cancel_tab:
        reason = st.text_input("Reason", max_chars=200, key=f"{ctx.key}_cancel_reason_{entry.id}",
                               placeholder="e.g. left before being seen")  # fmt: skip
        if st.button("Cancel this visit…", key=f"{ctx.key}_cancel"):
            try:
                reason = waitlist_commands.cancel_reason(reason)
            except ServiceError as exc:
                say.error(str(exc))
            else:
                commands.ask_first(ctx, CANCEL, entry.id, reason=reason, department=entry.department, **who)
    # Exactly the visit the question named, whatever is selected now; the service refuses in a
    # sentence if it has left the queue meanwhile (called and seen by someone else).
    commands.confirming(ctx, CANCEL)


@live_fragment(live=True)
def _live_queue(ctx: PageContext, departments: list[str]) -> None:
    """The breaches, the cards and the queue, re-read every live_refresh_seconds without reloading the page."""
    _figures_at_the_top(ctx)
    st.subheader("The queue")
    department = st.selectbox("Department", [None, *departments], key=f"{ctx.key}_department",
                              format_func=lambda d: "All departments" if d is None else d)  # fmt: skip
    entries = data.call(waitlist_queue.queue, ctx.actor, department=department)
    waiting, with_staff = [e for e in entries if e.waiting], [e for e in entries if not e.waiting]
    where = department or "any department"
    st.caption(f"{count(len(waiting))} waiting in {md_escape(where)}, in the order call-next takes them. "
               f"Refreshes every {live_refresh_seconds():g} seconds.")  # fmt: skip
    if waiting:
        st.dataframe(QUEUE.frame(waiting, network_wide=ctx.network_wide), hide_index=True, width="stretch",
                     height=min(600, 38 + 35 * len(waiting)))  # fmt: skip
    else:
        say.info(f"No patients waiting in {where}. New arrivals appear here {within_a_refresh()}.")
    if with_staff:
        st.markdown(f"**Called or being seen** ({count(len(with_staff))})")
        st.dataframe(WITH_STAFF.frame(with_staff, network_wide=ctx.network_wide), hide_index=True, width="stretch",
                     height=min(400, 38 + 35 * len(with_staff)))  # fmt: skip
    if ctx.can_write:
        call_column, act_column = st.columns(2)
        with call_column.container(border=True):
            st.markdown("**Call the next patient**")
            _call_next_controls(ctx, department)
        with act_column.container(border=True):
            st.markdown("**Update a patient**")
            if entries:
                _entry_actions(ctx, entries)
            else:
                st.caption("Nobody is in this queue.")


def render(ctx: PageContext) -> None:
    ctx.header("Who is waiting, where, and for how long; call the next patient.")
    ctx.done()
    _live_queue(ctx, data.call(waitlist_queue.departments, ctx.actor))
    st.subheader("How long patients waited today")
    buckets = data.call(waitlist_waits.wait_distribution, ctx.actor)
    if sum(b.patients for b in buckets) == 0:
        st.info("Nobody has been called yet today. The distribution fills in as patients are called.")
        return
    shown = [humanise(p) for p in WAIT_PRIORITIES]
    table = pd.DataFrame([{"Wait": label, **{humanise(p): n for p, n in row.items()}}
                          for label, row in waitlist_waits.by_wait(buckets).items()])  # fmt: skip
    charts.show(charts.bar(
        table, x="Wait", y=shown, title="Patients called today, by how long they waited",
        x_title="Wait from arrival to call", y_title="Patients", counts=True,
        colours={humanise(p): c for p, c in charts.PRIORITY_COLOURS.items()},
    ), key=f"{ctx.key}_distribution")  # fmt: skip
