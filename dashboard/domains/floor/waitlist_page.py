"""Waitlist: the live queue by department and priority, call next, and the waits against their targets.

The queue refreshes itself every 30 seconds without reloading the page (a fragment); actions are
one service call each (one transaction, one audit row), and call-next is safe when two
administrators press it at once (the service locks with SKIP LOCKED).
"""

import streamlit as st

from dashboard.shell.gate import live_fragment, require_page_access

viewer = require_page_access("waitlist")

import pandas as pd  # noqa: E402

from dashboard.domains.floor import waitlist  # noqa: E402
from dashboard.kit import alerts, charts, commands, filters, kpi, pickers, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions, settings  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import LAGOS, count, humanise, lagos_time, md_escape, minutes_words  # noqa: E402
from dashboard.shell import data  # noqa: E402

KEY = "waitlist"
PRIORITIES = ("urgent", "high", "medium", "low")
REFRESH_SECONDS = 30
may_write = viewer.user.role in permissions.writers("waitlist")
actor = viewer.actor

page_header("Waitlist", "Who is waiting, where, and for how long; call the next patient.", viewer)
commands.show_done(KEY)

departments = data.call(waitlist.departments, actor)


def _figures_at_the_top() -> None:
    """The breaches and the cards: re-read with the queue, so the top never lags behind it."""
    # Breaches first: a patient past the wait target for their priority (alerts raise and clear apart).
    breaches = data.call(waitlist.breaches, actor)
    standing = alerts.standing_alerts(
        viewer,
        [
            alerts.Alert(
                key=f"wait:{b.id}",
                text=(
                    f"{md_escape(b.patient_name)} ({humanise(b.priority)}, {md_escape(b.department)}"
                    f"{'' if not actor.network_wide else ', ' + md_escape(b.hospital_name)}) has waited "
                    f"{minutes_words(b.waited_minutes)}; the target is {minutes_words(b.target_minutes)}."
                ),
                value=b.waited_minutes,
                level=settings.current().wait_target(b.priority),
                kind="Waiting past the target",
                short=f"{md_escape(b.patient_name)} ({minutes_words(b.waited_minutes)})",
            )
            for b in breaches
        ],
    )
    alerts.panel(viewer, standing, title="Waiting past the target")

    medians = data.call(waitlist.median_waits, actor)
    now = data.call(waitlist.waiting_now, actor)
    targets = ", ".join(f"{p} {minutes_words(settings.current().wait_target(p).raise_at)}" for p in PRIORITIES)
    kpi.card_row(
        viewer,
        [
            kpi.figure_card("patients_waiting", count(now.waiting)),
            kpi.figure_card(
                "past_wait_target",
                count(now.over_target),
                status=kpi.Status.ATTENTION if now.over_target else kpi.Status.NORMAL,
                status_note="targets by priority",
                help_extra=f"Targets: {targets}.",
            ),
            kpi.figure_card(
                "median_wait_today",
                minutes_words(medians.today_minutes),
                delta=kpi.signed_change(medians.today_minutes, medians.previous_7_days_minutes, unit="min"),
                delta_color="inverse",
                delta_description="vs last 7 days",
                help_extra=f"{count(medians.today_count)} called today.",
            ),
            kpi.figure_card("longest_wait_now", minutes_words(now.longest_wait_minutes)),
        ],
    )
    later = data.call(waitlist.future_arrivals, actor)
    if later:
        say.warning(
            f"{count(later)} waitlist {'entry has' if later == 1 else 'entries have'} an arrival time after now "
            "(a wrong clock where they were entered): they are left out of the queue and these figures until then.",
            icon=":material/schedule:",
        )


def _arrived(moment) -> str:
    """'03:41' today; '24 Nov, 18:05' for an arrival on an earlier day, so a long wait reads right."""
    local = moment.astimezone(LAGOS)
    return lagos_time(moment) if local.date() == filters.today() else f"{local.day} {local:%b}, {local:%H:%M}"


def _queue_frame(entries: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Patient": [e.patient_name for e in entries],
            "Department": [e.department for e in entries],
            "Priority": [humanise(e.priority) for e in entries],
            "Waiting": [minutes_words(e.waited_minutes) for e in entries],
            "Past target": ["Yes" if e.over_target else "" for e in entries],
            "Arrived": [_arrived(e.arrived_at) for e in entries],
            "Reason": [e.reason for e in entries],
        }
    )
    if actor.network_wide:
        frame.insert(1, "Hospital", [e.hospital_name for e in entries])
    return frame


def _call_next_controls(department: str | None) -> None:
    """Call the next patient: a hospital (network scope only), a department with someone waiting, then one click.

    The department offered first is the one of the patient call-next would take (most urgent, then
    longest waiting), or the queue's filter when someone waits there.
    """
    hospital_id = pickers.hospital_for_action(
        viewer, f"{KEY}_call_hospital", help="Calling a patient happens in one hospital's queue."
    )
    options = data.call(waitlist.call_options, actor, hospital_id=hospital_id)
    waiting = {d.department: d.waiting for d in options.departments}
    if not waiting:
        where = "in this hospital" if actor.network_wide else "in any department"
        say.info(
            f"Nobody is waiting {where} now, so there is nobody to call. New arrivals appear in the queue "
            f"within {REFRESH_SECONDS} seconds; call them from here then."
        )
        return
    follows = department if department in waiting else options.next_department
    # Re-set the choice only when what it should follow changes, so a department picked by hand stays.
    if st.session_state.get(f"{KEY}_call_follows") != (hospital_id, follows) or (
        st.session_state.get(f"{KEY}_call_department") not in waiting
    ):
        st.session_state[f"{KEY}_call_follows"] = (hospital_id, follows)
        st.session_state[f"{KEY}_call_department"] = follows

    def option(name: str) -> str:
        return f"{name} ({count(waiting[name])} waiting)" + (" · next" if name == options.next_department else "")

    target = st.selectbox("Department to call from", list(waiting), key=f"{KEY}_call_department", format_func=option)
    if st.button("Call next patient", type="primary", key=f"{KEY}_call_next", icon=":material/campaign:"):
        try:
            called = data.write(
                commands.in_a_live_session(waitlist.call_next),
                actor,
                hospital_id=hospital_id,
                department=target,
                affects=hospital_id,
            )
        except ServiceError as exc:
            say.error(str(exc))
            return
        if called is None:
            say.info(f"Nobody is waiting in {target} now. New arrivals appear here within {REFRESH_SECONDS} seconds.")
            return
        # "Update a patient" opens on the patient just called, ready to be marked as seen.
        st.session_state[f"{KEY}__just_called"] = called.id
        commands.done(
            f"Called {called.patient_name} ({humanise(called.priority)}, waited "
            f"{minutes_words(called.waited_minutes)}) to {called.department}.",
            KEY,
        )


def _entry_actions(entries: list) -> None:
    """Mark as seen, cancel or re-prioritise one entry of the queue shown."""
    by_id = {e.id: e for e in entries}
    just_called = st.session_state.pop(f"{KEY}__just_called", None)
    if just_called in by_id:
        st.session_state[f"{KEY}_entry"] = just_called
    chosen = st.selectbox(
        "Patient",
        list(by_id),
        format_func=lambda i: (
            f"{by_id[i].patient_name} · {by_id[i].department} · {humanise(by_id[i].status)}"
            + (f" · {by_id[i].hospital_name}" if actor.network_wide else "")
        ),
        key=f"{KEY}_entry",
    )
    entry = by_id[chosen]
    complete_tab, priority_tab, cancel_tab = st.tabs(
        ["Mark as seen", "Change priority", "Cancel"], key=f"{KEY}_entry_tabs", on_change="rerun"
    )
    with complete_tab:
        if entry.waiting:
            st.caption(f"{md_escape(entry.patient_name)} has not been called yet; call them first.")
        elif st.button("Mark as seen", key=f"{KEY}_complete"):
            _write(waitlist.complete, entry, f"{entry.patient_name} is marked as seen.")
    with priority_tab:
        if not entry.waiting:
            st.caption("Only a patient who is still waiting can change priority.")
        else:
            priority = st.selectbox("New priority", PRIORITIES, index=PRIORITIES.index(entry.priority)
                                    if entry.priority in PRIORITIES else 2, format_func=humanise,
                                    key=f"{KEY}_priority_{entry.id}")  # fmt: skip
            if st.button("Change priority", key=f"{KEY}_change_priority"):
                _write(waitlist.change_priority, entry, f"{entry.patient_name} is now {humanise(priority)} priority.",
                       priority=priority)  # fmt: skip
    with cancel_tab:
        reason = st.text_input("Reason", max_chars=200, key=f"{KEY}_cancel_reason_{entry.id}",
                               placeholder="e.g. left before being seen")  # fmt: skip
        if st.button("Cancel this visit…", key=f"{KEY}_cancel"):
            if not reason.strip():
                st.error("Give a reason for cancelling (at most 200 characters).")
            else:
                commands.ask(KEY, f"Cancel {entry.patient_name}'s visit to {entry.department}? They leave the queue.",
                            entry_id=entry.id, hospital_id=entry.hospital_id, name=entry.patient_name,
                            reason=reason)  # fmt: skip
    pending = commands.confirmed(KEY)
    if pending:
        # Exactly the visit the question named, whatever is selected now; the service refuses in a
        # sentence if it has left the queue meanwhile (called and seen by someone else).
        try:
            data.write(
                commands.in_a_live_session(waitlist.cancel),
                actor,
                pending["entry_id"],
                affects=pending["hospital_id"],
                reason=pending["reason"],
            )
        except ServiceError as exc:
            say.error(str(exc))
            return
        commands.done(f"{pending['name']}'s visit is cancelled.", KEY)


def _write(command, entry, message: str, **kwargs) -> None:
    commands.perform(KEY, command, actor, entry.id, message=message, affects=entry.hospital_id, **kwargs)


@live_fragment(run_every=REFRESH_SECONDS)
def live_queue() -> None:
    """The breaches, the cards and the queue, re-read every 30 seconds without reloading the page."""
    _figures_at_the_top()
    st.subheader("The queue")
    department = st.selectbox(
        "Department", [None, *departments], format_func=lambda d: "All departments" if d is None else d,
        key=f"{KEY}_department",
    )  # fmt: skip
    entries = data.call(waitlist.queue, actor, department=department)
    waiting = [e for e in entries if e.waiting]
    with_staff = [e for e in entries if not e.waiting]
    where = department or "any department"
    st.caption(f"{count(len(waiting))} waiting in {md_escape(where)}, in the order call-next takes them. "
               f"Refreshes every {REFRESH_SECONDS} seconds.")  # fmt: skip
    if waiting:
        st.dataframe(_queue_frame(waiting), hide_index=True, width="stretch",
                     height=min(600, 38 + 35 * len(waiting)))  # fmt: skip
    else:
        say.info(f"No patients waiting in {where}. New arrivals appear here within {REFRESH_SECONDS} seconds.")
    if with_staff:
        st.markdown(f"**Called or being seen** ({count(len(with_staff))})")
        st.dataframe(_queue_frame(with_staff).drop(columns=["Past target"]), hide_index=True,
                     width="stretch", height=min(400, 38 + 35 * len(with_staff)))  # fmt: skip
    if may_write:
        call_column, act_column = st.columns(2)
        with call_column.container(border=True):
            st.markdown("**Call the next patient**")
            _call_next_controls(department)
        with act_column.container(border=True):
            st.markdown("**Update a patient**")
            if entries:
                _entry_actions(entries)
            else:
                st.caption("Nobody is in this queue.")


live_queue()

st.subheader("How long patients waited today")
buckets = data.call(waitlist.wait_distribution, actor)
if sum(b.patients for b in buckets) == 0:
    st.info("Nobody has been called yet today. The distribution fills in as patients are called.")
else:
    frame = pd.DataFrame([{"Wait": b.label, "Priority": humanise(b.priority), "Patients": b.patients} for b in buckets])
    table = frame.pivot_table(index="Wait", columns="Priority", values="Patients", aggfunc="sum", sort=False)
    table = table.reindex(columns=[humanise(p) for p in PRIORITIES]).fillna(0).reset_index()
    charts.show(
        charts.bar(
            table,
            x="Wait",
            y=[humanise(p) for p in PRIORITIES],
            title="Patients called today, by how long they waited",
            x_title="Wait from arrival to call",
            y_title="Patients",
            colours={humanise(p): c for p, c in charts.PRIORITY_COLOURS.items()},
            counts=True,
        ),
        key=f"{KEY}_distribution",
    )
