"""Emergencies: the dispatch desk. An offline map of Nigeria with hospitals, open emergencies and
ambulances; the nearest hospitals with free beds for a chosen emergency; the referral the receiving
hospital accepts or declines; ambulances' status and ETA; and how fast emergencies get a hospital.

The network desk (an ADMIN on All hospitals) refers; a hospital's administrator answers the
referrals sent to it and can put the hospital on diversion; executives read.

One state per screen: every panel draws the referrals from one read (`referrals.board`), made once
per run, and which buttons a referral offers comes from `referrals.next_steps`. Nothing redraws on
its own schedule: a small fragment polls `referrals.fingerprint` every REFRESH_SECONDS and, when
anything changed, runs the whole page again, so the table, the emergency's history and the cards
never disagree (a fragment redrawing only the table once left "Accepted" beside "Waiting 0 min").
"""

import streamlit as st

from dashboard.shell.gate import live_fragment, require_page_access

viewer = require_page_access("emergencies")

from datetime import datetime, time, timedelta  # noqa: E402

import pandas as pd  # noqa: E402

from dashboard.domains.emergencies import emergencies, referrals  # noqa: E402
from dashboard.kit import charts, commands, filters, kpi, listing, say  # noqa: E402
from dashboard.kit import map as deck_map  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import permissions, settings  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import LAGOS, Noun, count, humanise, lagos_datetime, md_escape, minutes_words  # noqa: E402
from dashboard.shell import data  # noqa: E402
from db.base import UserRole  # noqa: E402

KEY = "emergencies"
REFRESH_SECONDS = 20
SELECTED = f"{KEY}_selected"
PICK = f"{KEY}_pick"
LAST_CLICK = f"{KEY}_last_click"
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
commands.show_done(KEY)


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
    return humanise(r.status)


def _do(command, *args, message: str, affects: str | None = None, **kwargs) -> None:
    commands.perform(KEY, command, actor, *args, message=message, affects=affects, **kwargs)


# --- one read of the state, before anything is drawn ------------------------------------------------

choices = data.call(emergencies.open_choices, actor)
by_id = {e.id: e for e in choices}
if actor.network_wide and choices and st.session_state.get(PICK) not in by_id:
    st.session_state[PICK] = choices[0].id
picked = st.session_state.get(PICK) if actor.network_wide and choices else None
try:
    board = data.call(referrals.board, actor, emergency_id=picked)
except ServiceError:  # the picked emergency left the scope between two runs: read without it
    board = data.call(referrals.board, actor)
    picked = None
counts = data.call(emergencies.open_counts, actor)
diverted = data.cached(emergencies.diversions, actor)
window = filters.current_range()
monthly = data.cached(emergencies.median_assignment_by_month, actor, start=window.start, end=window.end)


@live_fragment(run_every=REFRESH_SECONDS)
def _watch(seen: str) -> None:
    """Runs the whole page again when a referral, open emergency or ambulance in scope has changed."""
    if data.call(referrals.fingerprint, actor) != seen:
        st.rerun(scope="app")


_watch(board.fingerprint)

# --- figures ----------------------------------------------------------------------------------

on_diversion = [d for d in diverted if not d.accepting]
lapsed = len(diverted) - len(on_diversion)
latest = monthly[-1] if monthly else None
kpi.card_row(
    viewer,
    [
        kpi.figure_card("open_emergencies", count(counts.open)),
        kpi.figure_card(
            "critical_emergencies",
            count(counts.critical),
            status=kpi.Status.ATTENTION if counts.critical else kpi.Status.NORMAL,
        ),
        kpi.figure_card(
            "referrals_awaiting",
            count(board.awaiting),
            status=kpi.Status.ATTENTION if board.overdue else kpi.Status.NORMAL,
            status_note=f"{count(board.overdue)} past {answer_minutes:.0f} min"
            if board.overdue
            else f"answer in {answer_minutes:.0f} min",
        ),
        kpi.figure_card(
            "hospitals_on_diversion",
            count(len(on_diversion)),
            help_extra=f"{count(lapsed)} more whose expected end has passed count as accepting again."
            if lapsed
            else None,
        ),
        kpi.figure_card(
            "minutes_to_accepted_referral",
            "—" if latest is None else f"{latest.median_minutes:,.0f} min in {latest.month:%b}",
            help_extra=None if latest is None else f"{latest.month:%b %Y}: {count(latest.assigned)} emergencies.",
        ),
    ],
)

# --- the receiving hospital: its inbox ---------------------------------------------------------


def _answer_controls(r) -> None:
    steps = referrals.next_steps(r, actor)
    if referrals.STEP_ACCEPT not in steps:
        return
    accept_column, reason_column, decline_column = st.columns([1, 3, 1], vertical_alignment="bottom")
    if accept_column.button("Accept", type="primary", key=f"{KEY}_accept_{r.id}", width="stretch"):
        _do(referrals.accept, r.id, affects=r.to_hospital_id,
            message=f"Accepted: {r.patient_name} is coming to {r.to_hospital}.")  # fmt: skip
    reason = reason_column.text_input(
        "Reason for declining", key=f"{KEY}_decline_reason_{r.id}", max_chars=300,
        placeholder="e.g. no ICU bed free, theatre closed",
    )  # fmt: skip
    if referrals.STEP_DECLINE in steps and decline_column.button(
        "Decline", key=f"{KEY}_decline_{r.id}", width="stretch"
    ):
        _do(referrals.decline, r.id, reason=reason, affects=r.to_hospital_id,
            message=f"Declined the referral of {r.patient_name}; the desk is told.")  # fmt: skip


def hospital_inbox() -> None:
    """Referrals sent to this hospital: the ones waiting for its answer, then those answered in the last day."""
    st.subheader(f"Referrals to {viewer.scope_label}")
    st.caption(
        f"Answer within {answer_minutes:.0f} minutes: after that the dispatch desk may refer the patient elsewhere. "
        f"New referrals appear within {REFRESH_SECONDS} seconds."
    )
    if not board.waiting:
        say.info(f"No referral is waiting for your answer. New ones appear here within {REFRESH_SECONDS} seconds.")
    for r in board.waiting:
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
            _answer_controls(r)
    answered = [r for r in board.rows if r.status != "pending"]
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
    """Dispatch, arrival and closing of an accepted referral: what next_steps offers this viewer."""
    steps = {r.id: referrals.next_steps(r, actor) for r in rows}
    by_id = {r.id: r for r in rows if set(steps[r.id]) & {"dispatch", "arrive", "close"}}
    if not by_id:
        return
    with st.container(border=True):
        st.markdown("**Next step of an accepted referral**")
        chosen = st.selectbox(
            "Referral", list(by_id), key=f"{KEY}_{key}_step_choice",
            format_func=lambda i: f"{by_id[i].patient_name} → {by_id[i].to_hospital} · {_referral_state(by_id[i])}",
        )  # fmt: skip
        r = by_id[chosen]
        offered = steps[r.id]
        if referrals.STEP_DISPATCH in offered:
            eta_column, button_column, arrived_column = st.columns([1, 1, 1], vertical_alignment="bottom")
            eta = eta_column.number_input("Ambulance ETA (minutes)", value=15, step=1, key=f"{KEY}_{key}_eta_{r.id}")
            if button_column.button("Ambulance dispatched", key=f"{KEY}_{key}_dispatch_{r.id}", width="stretch"):
                _do(referrals.dispatch, r.id, eta_minutes=eta, affects=r.to_hospital_id,
                    message=f"Ambulance dispatched for {r.patient_name}, ETA {eta:.0f} min.")  # fmt: skip
        else:
            arrived_column = st
        if referrals.STEP_ARRIVE in offered and arrived_column.button(
            "Patient arrived", key=f"{KEY}_{key}_arrive_{r.id}", width="stretch"
        ):
            _do(referrals.arrive, r.id, affects=r.to_hospital_id,
                message=f"{r.patient_name} arrived at {r.to_hospital}.")  # fmt: skip
        if referrals.STEP_CLOSE in offered and st.button(
            "Close the referral (handed over)", key=f"{KEY}_{key}_close_{r.id}"
        ):
            _do(referrals.close, r.id, affects=r.to_hospital_id,
                message=f"Closed: {r.patient_name} is in {r.to_hospital}'s care; emergency resolved.")  # fmt: skip


if not actor.network_wide:
    hospital_inbox()

# --- the map and the dispatch panel ------------------------------------------------------------

# Full width: at the national zoom Nigeria is about 650 pixels wide.
map_column = st.container()
side_column = st.container() if actor.network_wide else None
with map_column:
    st.subheader("Map")
    points = data.call(emergencies.map_data, actor)
    clicked = deck_map.show(
        deck_map.emergency_deck(points, selected=picked),
        key=f"{KEY}_map",
        alt="Map of Nigeria with hospitals, open emergencies and ambulances",
    )
    # A new click picks that emergency; the page is read again so the panel's history is the clicked one's.
    if clicked in by_id and clicked != st.session_state.get(LAST_CLICK):
        st.session_state[LAST_CLICK] = clicked
        if clicked != picked:
            st.session_state[PICK] = clicked
            st.rerun()
    deck_map.legend(aggregated=points.aggregated)
    if points.ambulances_not_drawn:
        st.caption(f"{count(points.ambulances_not_drawn)} older ambulance trips are not drawn.")


def _refer_form(emergency, names: dict, bed: str, where) -> None:
    commitment = board.commitment
    if commitment is not None and commitment.blocking:
        say.warning(commitment.sentence, icon=":material/block:", where=where)
        return
    if commitment is not None:
        say.warning(f"{commitment.sentence} {referrals.ASK_REASON}", icon=":material/warning:", where=where)
    with where.form(f"{KEY}_refer_{emergency.id}_{commands.nonce(KEY)}", border=True):
        target = st.selectbox(
            "Refer to", list(names),
            format_func=lambda i: f"{names[i].name} · {names[i].distance_km:,.1f} km · {names[i].free_beds} free",
        )  # fmt: skip
        reason = (
            st.text_input("Why refer again (required)", max_chars=300, placeholder="e.g. Beta's ICU lost power")
            if commitment is not None
            else None
        )
        note = st.text_input("Note for the hospital (optional)", max_chars=300)
        sent = st.form_submit_button("Refer again" if commitment is not None else "Send referral", type="primary")
    if sent:
        _do(referrals.refer, emergency.id, target, bed_type=bed, note=note, reason=reason, affects=None,
            message=f"Referred {emergency.patient_name} to {names[target].name}; awaiting its answer.")  # fmt: skip


def _dispatch_panel() -> None:
    st.subheader("Dispatch")
    if not choices or picked is None:
        say.info("No open emergency in scope. New requests appear here as they come in.")
        return
    pick_column, bed_column = st.columns([3, 1])
    pick_column.selectbox(
        "Emergency", list(by_id), key=PICK,
        format_func=lambda i: f"{humanise(by_id[i].severity)} · {humanise(by_id[i].emergency_type)} · "
        f"{by_id[i].patient_name} · {minutes_words(by_id[i].age_minutes)}",
        help="Oldest critical first; or click an emergency on the map.",
    )  # fmt: skip
    st.session_state[SELECTED] = picked
    emergency = by_id[picked]
    # The referral's state when there is one, worded as the open requests' table words it, so the two
    # never disagree (the request's own status stays "pending" until an ambulance is dispatched).
    where = (
        f"referral {humanise(emergency.referral_status).lower()} · {md_escape(emergency.referral_hospital)}"
        if emergency.referral_status
        else f"{humanise(emergency.status)} · with {md_escape(emergency.hospital_name or 'the dispatch desk')}"
    )
    st.caption(
        f"Requested {minutes_words(emergency.age_minutes)} ago · {where}"
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
        # The hospital already holding the emergency is no choice: refer it elsewhere.
        targets = {h.hospital_id: h for h in nearest.hospitals if h.hospital_id != emergency.hospital_id}
        if targets:
            _refer_form(emergency, targets, bed, form_column)
        else:
            say.info("No other hospital with a location to refer to.", where=form_column)
    elif board.commitment is not None:
        say.info(board.commitment.sentence, where=form_column)
    steps = board.history
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
        withdrawable = [r for r in steps if referrals.STEP_WITHDRAW in referrals.next_steps(r, actor)]
        if withdrawable and st.button("Withdraw the waiting referral", key=f"{KEY}_withdraw_{withdrawable[0].id}"):
            _do(referrals.withdraw, withdrawable[0].id, affects=None,
                message=f"Withdrew the referral to {withdrawable[0].to_hospital}.")  # fmt: skip


if side_column is not None:
    with side_column:
        _dispatch_panel()


def desk_referrals() -> None:
    """The desk's view of every live referral, overdue answers first."""
    rows = board.rows
    st.subheader("Referrals")
    if not rows:
        say.info(f"No live referral. Referrals and their answers appear here within {REFRESH_SECONDS} seconds.")
        return
    for r in (r for r in rows if r.overdue):
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
    shown = "" if board.listed <= len(rows) else f"The {count(len(rows))} most urgent of {count(board.listed)}. "
    st.caption(
        f"{shown}Live referrals and those answered in the last day. Overdue after {answer_minutes:.0f} minutes "
        f"without an answer; the page reads them again within {REFRESH_SECONDS} seconds of a change."
    )
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
    # The columns a dispatcher scans at 1,400 pixels; pickup, emergency and the full destination are in
    # the detail view under the table.
    st.dataframe(
        pd.DataFrame(
            {
                "Patient": [a.patient_name for a in ambulances],
                "Status": [humanise(a.status) for a in ambulances],
                "ETA": ["—" if a.eta_minutes is None else f"{a.eta_minutes} min" for a in ambulances],
                "To": [a.hospital_name or a.destination or "—" for a in ambulances],
                "Requested": [f"{minutes_words(a.age_minutes)} ago" for a in ambulances],
            }
        ),
        hide_index=True,
        width="stretch",
        height="content" if len(ambulances) <= 10 else 400,
    )
    amb_by_id = {a.id: a for a in ambulances}
    with st.expander("Ambulance details" + (", status and ETA" if may_write else "")):
        chosen = st.selectbox(
            "Ambulance", list(amb_by_id), key=f"{KEY}_ambulance",
            format_func=lambda i: f"{amb_by_id[i].patient_name} · {humanise(amb_by_id[i].status)} · "
            f"{amb_by_id[i].hospital_name or amb_by_id[i].destination or 'no destination'}",
        )  # fmt: skip
        a = amb_by_id[chosen]
        st.markdown(
            f"**{md_escape(humanise(a.emergency_type))}** for {md_escape(a.patient_name)} · "
            f"requested {lagos_datetime(a.created_at)}  \n"
            f"Pickup: {md_escape(a.pickup_address)}  \n"
            f"To: {md_escape(a.destination or a.hospital_name or 'not set')}"
        )
        if may_write:
            with st.form(f"{KEY}_ambulance_form_{a.id}_{commands.nonce(KEY)}", border=False):
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
            with st.form(f"{KEY}_diversion_{commands.nonce(KEY)}", border=False):
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
