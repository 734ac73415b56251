"""Emergencies: the dispatch desk. An offline map of Nigeria with hospitals, open emergencies and
ambulances; the nearest hospitals with free beds for a chosen emergency; the referral the receiving
hospital accepts or declines; ambulances' status and ETA; and how fast emergencies get a hospital.

The network desk (an ADMIN on All hospitals) refers; a hospital's administrator answers the
referrals sent to it (refreshed every 20 seconds without reloading) and can put the hospital on
diversion; executives read.
"""

import streamlit as st

from dashboard.gate import require_page_access

viewer = require_page_access("emergencies")

from datetime import datetime, time, timedelta  # noqa: E402

import pandas as pd  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.components import charts, confirm, filters, kpi, listing, say  # noqa: E402
from dashboard.components import map as deck_map  # noqa: E402
from dashboard.components.header import page_header  # noqa: E402
from dashboard.formatting import LAGOS, Noun, count, humanise, lagos_datetime, md_escape, minutes_words  # noqa: E402
from dashboard.services import emergencies, permissions, referrals, settings  # noqa: E402
from dashboard.services.errors import ServiceError  # noqa: E402
from db.base import UserRole  # noqa: E402

KEY = "emergencies"
REFRESH_SECONDS = 20
SELECTED = f"{KEY}_selected"
actor = viewer.actor
limits = settings.current()
may_write = viewer.user.role in permissions.writers("emergencies")
is_desk = actor.network_wide and viewer.user.role is UserRole.ADMIN
answer_minutes = limits.referral_answer_minutes

page_header(
    "Emergencies",
    "Open emergencies on the map, the nearest hospitals with free beds, and referrals the receiving hospital answers.",
    viewer,
)
confirm.show_done(KEY)


def _lower_first(words: str) -> str:
    """'ICU beds' stays so, 'General ward beds' becomes 'general ward beds', for use mid-sentence."""
    first = words.split(" ", 1)[0]
    return words if first.isupper() else words[:1].lower() + words[1:]


def _step_time(moment) -> str:
    return "—" if moment is None else lagos_datetime(moment)


def _referral_state(r) -> str:
    if r.status == "pending":
        waited = minutes_words(r.minutes_since_referred)
        return f"Not answered in {waited}: refer elsewhere" if r.overdue else f"Waiting {waited}"
    if r.status == "declined":
        return "Declined"
    return humanise(r.status)


def _do(command, *args, message: str, affects: str | None = None, **kwargs) -> None:
    confirm.perform(KEY, command, actor, *args, message=message, affects=affects, **kwargs)


# --- the receiving hospital: its inbox, live ---------------------------------------------------


@st.fragment(run_every=REFRESH_SECONDS)
def hospital_inbox() -> None:
    """Referrals sent to this hospital, re-read every REFRESH_SECONDS without reloading the page."""
    inbox = data.call(referrals.list_referrals, actor, incoming_only=True)
    waiting = [r for r in inbox if r.status == "pending"]
    st.subheader(f"Referrals to {viewer.scope_label}")
    st.caption(
        f"Answer within {answer_minutes:.0f} minutes: after that the dispatch desk may refer the patient elsewhere. "
        f"Refreshes every {REFRESH_SECONDS} seconds."
    )
    if not waiting:
        say.info(f"No referral is waiting for your answer. New ones appear here within {REFRESH_SECONDS} seconds.")
    for r in waiting:
        with st.container(border=True):
            st.markdown(
                f"**{md_escape(humanise(r.severity))} · {md_escape(humanise(r.emergency_type))}** — "
                f"{md_escape(r.patient_name)}, needs **{md_escape(r.bed_type or 'a bed')}**, "
                f"{'' if r.distance_km is None else f'{r.distance_km:,.1f} km away, '}"
                f"referred {minutes_words(r.minutes_since_referred)} ago"
                + (" · :orange[:material/warning: past the answer time]" if r.overdue else "")
            )
            if r.note:
                st.caption(f"Note from the desk: {md_escape(r.note)}")
            if not may_write:
                continue
            accept_column, reason_column, decline_column = st.columns([1, 3, 1], vertical_alignment="bottom")
            if accept_column.button("Accept", type="primary", key=f"{KEY}_accept_{r.id}", width="stretch"):
                _do(referrals.accept, r.id, affects=r.to_hospital_id,
                    message=f"Accepted: {r.patient_name} is coming to {r.to_hospital}.")  # fmt: skip
            reason = reason_column.text_input(
                "Reason for declining", key=f"{KEY}_decline_reason_{r.id}", max_chars=300,
                placeholder="e.g. no ICU bed free, theatre closed",
            )  # fmt: skip
            if decline_column.button("Decline", key=f"{KEY}_decline_{r.id}", width="stretch"):
                _do(referrals.decline, r.id, reason=reason, affects=r.to_hospital_id,
                    message=f"Declined the referral of {r.patient_name}; the desk is told.")  # fmt: skip
    answered = [r for r in inbox if r.status != "pending"]
    if answered:
        st.markdown("**Answered in the last day, and on their way**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Patient": [r.patient_name for r in answered],
                    "Emergency": [humanise(r.emergency_type) for r in answered],
                    "Status": [_referral_state(r) for r in answered],
                    "Answered": [_step_time(r.answered_at) for r in answered],
                    "Ambulance ETA": ["—" if r.ambulance_eta is None else f"{r.ambulance_eta} min" for r in answered],
                    "Reason declined": [r.decline_reason or "" for r in answered],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        _step_controls(answered, key="inbox")


def _step_controls(rows: list, *, key: str) -> None:
    """Dispatch, arrival and closing of an accepted referral: the desk's or the receiving hospital's."""
    actionable = [r for r in rows if r.status in ("accepted", "dispatched", "arrived")]
    if not may_write or not actionable:
        return
    by_id = {r.id: r for r in actionable}
    with st.container(border=True):
        st.markdown("**Next step of an accepted referral**")
        chosen = st.selectbox(
            "Referral", list(by_id), key=f"{KEY}_{key}_step_choice",
            format_func=lambda i: f"{by_id[i].patient_name} → {by_id[i].to_hospital} · {_referral_state(by_id[i])}",
        )  # fmt: skip
        r = by_id[chosen]
        if r.status == "accepted":
            eta_column, button_column, arrived_column = st.columns([1, 1, 1], vertical_alignment="bottom")
            eta = eta_column.number_input("Ambulance ETA (minutes)", value=15, step=1, key=f"{KEY}_{key}_eta_{r.id}")
            if button_column.button("Ambulance dispatched", key=f"{KEY}_{key}_dispatch_{r.id}", width="stretch"):
                _do(referrals.dispatch, r.id, eta_minutes=eta, affects=r.to_hospital_id,
                    message=f"Ambulance dispatched for {r.patient_name}, ETA {eta:.0f} min.")  # fmt: skip
            if arrived_column.button("Patient arrived", key=f"{KEY}_{key}_arrive_{r.id}", width="stretch"):
                _do(referrals.arrive, r.id, affects=r.to_hospital_id,
                    message=f"{r.patient_name} arrived at {r.to_hospital}.")  # fmt: skip
        elif r.status == "dispatched":
            if st.button("Patient arrived", key=f"{KEY}_{key}_arrive_{r.id}"):
                _do(referrals.arrive, r.id, affects=r.to_hospital_id,
                    message=f"{r.patient_name} arrived at {r.to_hospital}.")  # fmt: skip
        elif st.button("Close the referral (handed over)", key=f"{KEY}_{key}_close_{r.id}"):
            _do(referrals.close, r.id, affects=r.to_hospital_id,
                message=f"Closed: {r.patient_name} is in {r.to_hospital}'s care; emergency resolved.")  # fmt: skip


if not actor.network_wide:
    hospital_inbox()

# --- figures ----------------------------------------------------------------------------------

live = data.call(referrals.list_referrals, actor)
waiting_answers = [r for r in live if r.status == "pending"]
overdue = [r for r in waiting_answers if r.overdue]
diverted = data.cached(emergencies.diversions, actor)
open_page = data.call(emergencies.list_open, actor, page_size=1)
critical_page = data.call(emergencies.list_open, actor, severity="critical", page_size=1)
kpi.card_row(
    viewer,
    [
        kpi.Card("Open emergencies", count(open_page.total), help="Pending, dispatched or in progress, in scope."),
        kpi.Card(
            "Critical, open",
            count(critical_page.total),
            status=kpi.Status.ATTENTION if critical_page.total else kpi.Status.NORMAL,
        ),
        kpi.Card(
            "Referrals awaiting an answer",
            count(len(waiting_answers)),
            status=kpi.Status.ATTENTION if overdue else kpi.Status.NORMAL,
            status_note=f"{count(len(overdue))} past {answer_minutes:.0f} min"
            if overdue
            else f"answer in {answer_minutes:.0f} min",
        ),
        kpi.Card(
            "Hospitals on diversion",
            count(sum(1 for d in diverted if not d.accepting)),
            help="Hospitals that said they cannot take emergency patients now.",
        ),
    ],
)

# --- the map and the dispatch panel ------------------------------------------------------------

choices = data.call(emergencies.open_choices, actor)
by_id = {e.id: e for e in choices}
# Full width: at the national zoom Nigeria is about 650 pixels wide.
map_column = st.container()
side_column = st.container() if actor.network_wide else None
with map_column:
    st.subheader("Map")
    points = data.call(emergencies.map_data, actor)
    clicked = deck_map.show(
        deck_map.emergency_deck(points, selected=st.session_state.get(SELECTED)),
        key=f"{KEY}_map",
        alt="Map of Nigeria with hospitals, open emergencies and ambulances",
    )
    if clicked in by_id and clicked != st.session_state.get(SELECTED):
        st.session_state[SELECTED] = clicked
        st.session_state[f"{KEY}_pick"] = clicked
    deck_map.legend(aggregated=points.aggregated)
    if points.ambulances_not_drawn:
        st.caption(f"{count(points.ambulances_not_drawn)} older ambulance trips are not drawn.")


def _dispatch_panel() -> None:
    st.subheader("Dispatch")
    if not choices:
        say.info("No open emergency in scope. New requests appear here as they come in.")
        return
    if st.session_state.get(f"{KEY}_pick") not in by_id:
        st.session_state[f"{KEY}_pick"] = choices[0].id
    pick_column, bed_column = st.columns([3, 1])
    picked = pick_column.selectbox(
        "Emergency", list(by_id), key=f"{KEY}_pick",
        format_func=lambda i: f"{humanise(by_id[i].severity)} · {humanise(by_id[i].emergency_type)} · "
        f"{by_id[i].patient_name} · {minutes_words(by_id[i].age_minutes)}",
        help="Oldest critical first; or click an emergency on the map.",
    )  # fmt: skip
    st.session_state[SELECTED] = picked
    emergency = by_id[picked]
    st.caption(
        f"Waiting {minutes_words(emergency.age_minutes)} · {md_escape(humanise(emergency.status))} · with "
        f"{md_escape(emergency.hospital_name or 'the dispatch desk')}"
        + (f" · {md_escape(emergency.description)}" if emergency.description else "")
    )
    bed = bed_column.selectbox(
        "Beds needed", emergencies.BED_TYPES, key=f"{KEY}_bed_{picked}",
        index=emergencies.BED_TYPES.index(emergency.suggested_bed),
    )  # fmt: skip
    try:
        nearest = data.call(emergencies.nearest_hospitals, actor, picked, bed_type=bed)
    except ServiceError as exc:
        say.warning(str(exc))
        return
    if not nearest.hospitals:
        say.warning("No active hospital with a location was found.")
        return
    table_column, form_column = st.columns([3, 2])
    table_column.markdown("**Nearest hospitals**, best first")
    table_column.dataframe(
        pd.DataFrame(
            {
                "Hospital": [h.name for h in nearest.hospitals],
                "Distance": [f"{h.distance_km:,.1f} km" for h in nearest.hospitals],
                f"Free {_lower_first(bed)}": [h.free_beds for h in nearest.hospitals],
                "Counted": [
                    "never" if h.hours_since_count is None
                    else ("Stale: " if h.stale else "") + f"{minutes_words(h.hours_since_count * 60)} ago"
                    for h in nearest.hospitals
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    notes = [f"{d.name} ({d.distance_km:,.1f} km) is not accepting patients: {d.reason or 'no reason given'}"
             + (f", until {lagos_datetime(d.until)}" if d.until else "") for d in nearest.diverted]  # fmt: skip
    for note in notes:
        say.warning(note, icon=":material/block:", where=table_column)
    table_column.caption("Fresh counts with free beds come first, by distance; a stale count ranks below them.")
    if is_desk:
        names = {h.hospital_id: h for h in nearest.hospitals}
        with form_column.form(f"{KEY}_refer_{picked}_{confirm.nonce(KEY)}", border=True):
            target = st.selectbox(
                "Refer to", list(names),
                format_func=lambda i: f"{names[i].name} · {names[i].distance_km:,.1f} km · {names[i].free_beds} free",
            )  # fmt: skip
            note = st.text_input("Note for the hospital (optional)", max_chars=300)
            sent = st.form_submit_button("Send referral", type="primary")
        if sent:
            _do(referrals.refer, picked, target, bed_type=bed, note=note, affects=target,
                message=f"Referred {emergency.patient_name} to {names[target].name}; awaiting its answer.")  # fmt: skip
    steps = data.call(referrals.history, actor, picked)
    if steps:
        st.markdown("**Referrals of this emergency**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Hospital": [r.to_hospital for r in steps],
                    "Status": [_referral_state(r) for r in steps],
                    "Referred": [_step_time(r.referred_at) for r in steps],
                    "Answered": [_step_time(r.answered_at) for r in steps],
                    "Reason declined": [r.decline_reason or "" for r in steps],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        pending = [r for r in steps if r.status == "pending"]
        if is_desk and pending and st.button("Withdraw the waiting referral", key=f"{KEY}_withdraw_{pending[0].id}"):
            _do(referrals.withdraw, pending[0].id, affects=pending[0].to_hospital_id,
                message=f"Withdrew the referral to {pending[0].to_hospital}.")  # fmt: skip


if side_column is not None:
    with side_column:
        _dispatch_panel()


@st.fragment(run_every=REFRESH_SECONDS)
def desk_referrals() -> None:
    """The desk's view of every live referral, overdue answers first, re-read every REFRESH_SECONDS."""
    rows = data.call(referrals.list_referrals, actor)
    st.subheader("Referrals")
    if not rows:
        say.info(f"No live referral. Referrals and their answers appear here within {REFRESH_SECONDS} seconds.")
        return
    late = [r for r in rows if r.overdue]
    for r in late:
        say.warning(
            f"{r.to_hospital} has not answered the referral of {r.patient_name} in "
            f"{minutes_words(r.minutes_since_referred)}: refer the patient elsewhere from the dispatch panel.",
            icon=":material/warning:",
        )
    st.dataframe(
        pd.DataFrame(
            {
                "Patient": [r.patient_name for r in rows],
                "Severity": [humanise(r.severity) for r in rows],
                "To": [r.to_hospital for r in rows],
                "Status": [_referral_state(r) for r in rows],
                "Referred": [_step_time(r.referred_at) for r in rows],
                "Answered": [_step_time(r.answered_at) for r in rows],
                "Reason declined": [r.decline_reason or "" for r in rows],
                "Ambulance ETA": ["—" if r.ambulance_eta is None else f"{r.ambulance_eta} min" for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        f"Refreshes every {REFRESH_SECONDS} seconds. Overdue after {answer_minutes:.0f} minutes without an answer."
    )
    if is_desk:
        _step_controls(rows, key="desk")


if actor.network_wide:
    desk_referrals()

# --- the open requests ---------------------------------------------------------------------------


def _open_frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Severity": [humanise(r.severity) for r in rows],
            "Emergency": [humanise(r.emergency_type) for r in rows],
            "Patient": [r.patient_name for r in rows],
            "Waiting": [minutes_words(r.age_minutes) for r in rows],
            "Status": [humanise(r.status) for r in rows],
            "Referral": [
                "—" if r.referral_status is None
                else ("Overdue" if r.referral_overdue else humanise(r.referral_status)) + f" · {r.referral_hospital}"
                for r in rows
            ],
        }
    )  # fmt: skip
    frame.insert(4, "Hospital", [r.hospital_name or "Dispatch desk" for r in rows])
    return frame


OPEN = listing.Listing(
    key="emergencies_open",
    noun=Noun("open emergency", "open emergencies"),
    list_service=emergencies.list_open,
    export_service=emergencies.export_open,
    to_frame=_open_frame,
    file_stem="open-emergencies",
    search_label="Search by patient, emergency or hospital",
    search_placeholder="e.g. cardiac",
    empty="No open emergency in scope.",
    empty_filtered="No open emergency matches. Clear the search or pick All severities.",
)
st.subheader("Open requests, oldest critical first")
severity_column, search_column = st.columns([1, 2])
severity = severity_column.selectbox(
    "Severity", [None, *emergencies.SEVERITY_ORDER], key=f"{KEY}_severity",
    format_func=lambda s: "All severities" if s is None else humanise(s),
)  # fmt: skip
with search_column:
    search = listing.search_box(OPEN, viewer)
listing.show(OPEN, viewer, filters={"severity": severity}, search=search)

# --- ambulances ---------------------------------------------------------------------------------

st.subheader("Ambulances on the way")
ambulances = data.call(emergencies.open_ambulances, actor)
if not ambulances:
    say.info("No ambulance is on its way in this scope.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Patient": [a.patient_name for a in ambulances],
                "Emergency": [humanise(a.emergency_type) for a in ambulances],
                "Status": [humanise(a.status) for a in ambulances],
                "ETA": ["—" if a.eta_minutes is None else f"{a.eta_minutes} min" for a in ambulances],
                "Pickup": [a.pickup_address for a in ambulances],
                "To": [a.hospital_name or a.destination or "—" for a in ambulances],
                "Requested": [f"{minutes_words(a.age_minutes)} ago" for a in ambulances],
            }
        ),
        hide_index=True,
        width="stretch",
        # Fixed widths for the short columns, so Pickup and To keep the room they need at 1,400 pixels.
        column_config={
            "Patient": st.column_config.TextColumn(width=150),
            "Emergency": st.column_config.TextColumn(width=120),
            "Status": st.column_config.TextColumn(width=90),
            "ETA": st.column_config.TextColumn(width=60),
            "Pickup": st.column_config.TextColumn(width=260),
            "To": st.column_config.TextColumn(width=220),
            "Requested": st.column_config.TextColumn(width=110),
        },
        height="content" if len(ambulances) <= 10 else 400,
    )
    if may_write:
        amb_by_id = {a.id: a for a in ambulances}
        with st.expander("Set an ambulance's status and ETA"):
            chosen = st.selectbox(
                "Ambulance", list(amb_by_id), key=f"{KEY}_ambulance",
                format_func=lambda i: f"{amb_by_id[i].patient_name} · {humanise(amb_by_id[i].status)} · "
                f"{amb_by_id[i].pickup_address}",
            )  # fmt: skip
            a = amb_by_id[chosen]
            with st.form(f"{KEY}_ambulance_form_{a.id}_{confirm.nonce(KEY)}", border=False):
                status_column, eta_column = st.columns(2)
                statuses = [*emergencies.AMBULANCE_ORDER, "cancelled"]
                status = status_column.selectbox("Status", statuses, index=statuses.index(a.status),
                                                 format_func=humanise)  # fmt: skip
                eta = eta_column.number_input("ETA (minutes)", value=a.eta_minutes or 0, step=1)
                saved = st.form_submit_button("Save")
            if saved:
                _do(emergencies.update_ambulance, a.id, status=status, eta_minutes=eta, affects=a.hospital_id,
                    message=f"Ambulance for {a.patient_name}: {humanise(status)}, ETA {eta:.0f} min.")  # fmt: skip

# --- diversion (a hospital's own) ---------------------------------------------------------------

if not actor.network_wide:
    state = data.cached(emergencies.diversion, actor, hospital_id=actor.hospital_id)
    st.subheader("Accepting emergency patients")
    if state.accepting and not state.lapsed:
        st.caption(f"{md_escape(state.hospital_name)} accepts referrals.")
    elif state.lapsed:
        say.warning(f"The diversion's expected end ({lagos_datetime(state.until)}) has passed, so the desk "
                    "sees the hospital as accepting again. End it, or set a new end.")  # fmt: skip
    else:
        say.warning(f"{state.hospital_name} is NOT accepting patients: {state.reason}. Expected back "
                    f"{lagos_datetime(state.until)} (set {lagos_datetime(state.since)}).",
                    icon=":material/block:")  # fmt: skip
    if may_write:
        with st.expander("Not accepting patients (diversion)", expanded=False):
            with st.form(f"{KEY}_diversion_{confirm.nonce(KEY)}", border=False):
                reason = st.text_input("Reason", max_chars=300, placeholder="e.g. ICU full, generator down")
                today = filters.today()
                day_column, time_column = st.columns(2)
                end_day = day_column.date_input("Expected back on", value=today, format="DD/MM/YYYY")
                end_time = time_column.time_input(
                    "at (Lagos time)", value=time(hour=(datetime.now(LAGOS).hour + 4) % 24)
                )
                divert = st.form_submit_button("Stop accepting patients")
            if divert:
                until = datetime.combine(end_day, end_time, tzinfo=LAGOS)
                if until < datetime.now(LAGOS) and end_day == today:
                    until += timedelta(days=1)  # "at 02:00" typed in the evening means tonight
                _do(emergencies.set_diversion, actor.hospital_id, reason=reason, until=until,
                    message="The hospital is marked not accepting patients; the desk sees it at once.")  # fmt: skip
            if (not state.accepting or state.lapsed) and st.button("Accept patients again", key=f"{KEY}_end_diversion"):
                _do(emergencies.end_diversion, actor.hospital_id, message="The hospital accepts referrals again.")
elif diverted:
    st.subheader("Hospitals not accepting patients")
    st.dataframe(
        pd.DataFrame(
            {
                "Hospital": [d.hospital_name for d in diverted],
                "Reason": [d.reason or "" for d in diverted],
                "Since": [_step_time(d.since) for d in diverted],
                "Expected back": [_step_time(d.until) + (" (passed)" if d.lapsed else "") for d in diverted],
            }
        ),
        hide_index=True,
        width="stretch",
    )

# --- how fast emergencies get a hospital -----------------------------------------------------------

window = filters.current_range()
monthly = data.cached(emergencies.median_assignment_by_month, actor, start=window.start, end=window.end)
st.subheader("Time from request to an accepting hospital")
if not monthly:
    say.info(f"No referral was accepted for emergencies requested {window.label}. Widen the date range to see more.")
else:
    frame = pd.DataFrame(
        {"Month": [m.month.strftime("%b %Y") for m in monthly], "Median minutes": [m.median_minutes for m in monthly]}
    )
    charts.show(
        charts.bar(
            frame, x="Month", y="Median minutes", title="Median minutes from request to an accepted referral, by month",
            x_title="Month requested", y_title="Minutes (median)", hover_format=",.0f", value_suffix=" min",
            notes={"Median minutes": [f"({m.assigned:,} emergencies)" for m in monthly]},
        ),
        key=f"{KEY}_assignment",
    )  # fmt: skip
