"""The Emergencies page's referrals: a receiving hospital's inbox, the desk's list, and the next step of each.

Which buttons a referral offers comes from the services (`referral_reads.next_steps`, `carrying_out`),
so the inbox, the desk's list and the dispatch panel offer the same ones.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.emergencies import referral_commands, referral_reads
from dashboard.domains.emergencies.referral_reads import Board, ReferralRow
from dashboard.kit import commands, say
from dashboard.kit.commands import Command
from dashboard.kit.tables import Column, Table
from dashboard.platform.formatting import count, humanise, md_escape, minutes_words
from dashboard.shell.gate import within_a_refresh
from db import settings

ACCEPT = Command("accept", referral_commands.accept, done="Accepted: {name} is coming to {hospital}.",
                 words=("name", "hospital"))  # fmt: skip
DECLINE = Command("decline", referral_commands.decline, done="Declined the referral of {name}; the desk is told.")
DISPATCH = Command("dispatch", referral_commands.dispatch, done="Ambulance dispatched for {name}, ETA {eta:.0f} min.",
                   words=("name", "eta"))  # fmt: skip
ARRIVE = Command("arrive", referral_commands.arrive, done="{name} arrived at {hospital}.", words=("name", "hospital"))
CLOSE = Command("close", referral_commands.close, done="Closed: {name} is in {hospital}'s care; emergency resolved.",
                words=("name", "hospital"))  # fmt: skip


def state_words(r: ReferralRow) -> str:
    """'Waiting 5 min', 'Not answered in 16 min: refer elsewhere', or the status itself."""
    if r.status == "pending":
        waited = minutes_words(r.minutes_since_referred)
        return f"Not answered in {waited}: refer elsewhere" if r.overdue else f"Waiting {waited}"
    return humanise(r.status)


def _eta(r) -> str | None:
    return None if r.ambulance_eta is None else f"{r.ambulance_eta} min"


STATUS = Column("Status", state_words)
REFERRED = Column("Referred", "referred_at", "datetime")
ANSWERED = Column("Answered", "answered_at", "datetime")
DECLINED = Column("Reason declined", "decline_reason", empty="")
INBOX = Table([Column("Patient", "patient_name"), Column("Emergency", "emergency_type", "code"), STATUS, ANSWERED,
               Column("Ambulance ETA", _eta), DECLINED])  # fmt: skip
DESK = Table([Column("Patient", "patient_name"), Column("Severity", "severity", "code"), Column("To", "to_hospital"),
              STATUS, REFERRED, ANSWERED, DECLINED, Column("Ambulance ETA", _eta)])  # fmt: skip
HISTORY = Table([Column("Hospital", "to_hospital"), STATUS, REFERRED, ANSWERED, DECLINED])


def _table(ctx, table: Table, rows: list) -> None:
    st.dataframe(table.frame(rows, network_wide=ctx.network_wide), hide_index=True, width="stretch")


def _answer_controls(ctx, r: ReferralRow) -> None:
    steps = referral_reads.next_steps(r, ctx.actor)
    if referral_reads.STEP_ACCEPT not in steps:
        return
    accept_column, reason_column, decline_column = st.columns([1, 3, 1], vertical_alignment="bottom")
    if accept_column.button("Accept", type="primary", key=f"{ctx.key}_accept_{r.id}", width="stretch"):
        commands.run(ctx, ACCEPT, r.id, affects=r.to_hospital_id, name=r.patient_name, hospital=r.to_hospital)
    reason = reason_column.text_input(
        "Reason for declining", key=f"{ctx.key}_decline_reason_{r.id}", max_chars=300,
        placeholder="e.g. no ICU bed free, theatre closed",
    )  # fmt: skip
    if referral_reads.STEP_DECLINE in steps and decline_column.button(
        "Decline", key=f"{ctx.key}_decline_{r.id}", width="stretch"
    ):
        commands.run(ctx, DECLINE, r.id, reason=reason, affects=r.to_hospital_id, name=r.patient_name)


def inbox(ctx, board: Board) -> None:
    """Referrals sent to this hospital: the ones waiting for its answer, then those answered in the last day."""
    answer_minutes = settings.current().referral_answer_minutes
    st.subheader(f"Referrals to {ctx.viewer.scope_label}")
    st.caption(
        f"Answer within {answer_minutes:.0f} minutes: after that the dispatch desk may refer the patient elsewhere. "
        f"New referrals appear {within_a_refresh()}."
    )
    if not board.waiting:
        say.info(f"No referral is waiting for your answer. New ones appear here {within_a_refresh()}.")
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
            _answer_controls(ctx, r)
    if board.answered:
        st.markdown("**Answered in the last day, and on their way**")
        _table(ctx, INBOX, board.answered)
        step_controls(ctx, board.answered, part="inbox")


def step_controls(ctx, rows: list[ReferralRow], *, part: str) -> None:
    """Dispatch, arrival and closing of an accepted referral: the steps the services offer this viewer."""
    offered = referral_reads.carrying_out(rows, ctx.actor)
    by_id = {r.id: r for r in rows if r.id in offered}
    if not by_id:
        return
    key = f"{ctx.key}_{part}"
    with st.container(border=True):
        st.markdown("**Next step of an accepted referral**")
        chosen = st.selectbox(
            "Referral", list(by_id), key=f"{key}_step_choice",
            format_func=lambda i: f"{by_id[i].patient_name} → {by_id[i].to_hospital} · {state_words(by_id[i])}",
        )  # fmt: skip
        r, steps = by_id[chosen], offered[chosen]
        who = {"affects": r.to_hospital_id, "name": r.patient_name}
        arrived_column = st
        if referral_reads.STEP_DISPATCH in steps:
            eta_column, button_column, arrived_column = st.columns([1, 1, 1], vertical_alignment="bottom")
            eta = eta_column.number_input("Ambulance ETA (minutes)", value=15, step=1, key=f"{key}_eta_{r.id}")
            if button_column.button("Ambulance dispatched", key=f"{key}_dispatch_{r.id}", width="stretch"):
                commands.run(ctx, DISPATCH, r.id, eta_minutes=eta, eta=eta, **who)
        if referral_reads.STEP_ARRIVE in steps and arrived_column.button(
            "Patient arrived", key=f"{key}_arrive_{r.id}", width="stretch"
        ):
            commands.run(ctx, ARRIVE, r.id, hospital=r.to_hospital, **who)
        closing = referral_reads.STEP_CLOSE in steps
        if closing and st.button("Close the referral (handed over)", key=f"{key}_close_{r.id}"):
            commands.run(ctx, CLOSE, r.id, hospital=r.to_hospital, **who)


def desk(ctx, board: Board) -> None:
    """The desk's view of every live referral, overdue answers first."""
    rows = board.rows
    st.subheader("Referrals")
    if not rows:
        say.info(
            f"No live referral. Referrals and their answers appear here {within_a_refresh()}."
        )
        return
    for r in (r for r in rows if r.overdue):
        say.warning(
            f"{r.to_hospital} has not answered the referral of {r.patient_name} in "
            f"{minutes_words(r.minutes_since_referred)}: refer the patient elsewhere from the dispatch panel.",
            icon=":material/warning:",
        )
    _table(ctx, DESK, rows)
    shown = "" if board.listed <= len(rows) else f"The {count(len(rows))} most urgent of {count(board.listed)}. "
    st.caption(
        f"{shown}Live referrals and those answered in the last day. Overdue after "
        f"{settings.current().referral_answer_minutes:.0f} minutes without an answer; the page reads them again "
        f"{within_a_refresh()} of a change."
    )
    step_controls(ctx, rows, part="desk")
