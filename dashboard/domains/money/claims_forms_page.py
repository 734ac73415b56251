"""Claims' forms: record a claim's submission, its payment or its denial, each confirmed before it is written.

A part of the Claims page (claims_page.py runs it). The claim is one of the list shown above; the form offers what
its status allows (a claim not submitted is submitted; an open one is paid or denied).
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from dashboard.domains.money import claim_commands, claims
from dashboard.kit import commands, filters
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.platform.formatting import lagos_date, md_escape, naira

WORDS = ("number", "payer", "patient", "amount", "day", "reason")
SUBMIT = Command("submit", claim_commands.record_submission, words=WORDS,
                 done="Claim {number} recorded as submitted to {payer} on {day}.",
                 question="Record that claim {number} ({patient}, {amount}) was submitted to {payer} on {day}? It "
                 "starts to age from that day.")  # fmt: skip
PAY = Command("pay", claim_commands.record_payment, words=WORDS,
              done="Payment of {amount} by {payer} recorded on claim {number}.",
              question="Record that {payer} paid {amount} on claim {number} ({patient}) on {day}? The claim leaves "
              "what is owed; a payment cannot be undone here.")  # fmt: skip
DENY = Command("deny", claim_commands.record_denial, words=WORDS,
               done="Denial of claim {number} by {payer} recorded ({reason}).",
               question="Record that {payer} denied claim {number} ({patient}, {amount}) on {day}: {reason}? The claim "
               "leaves what is owed; a denial cannot be undone here.")  # fmt: skip


def _words(row: claims.ClaimRow, **more) -> dict:
    return {"number": row.claim_number, "payer": row.payer_name, "patient": row.patient_name,
            "amount": naira(row.amount_billed), "reason": "", **more}  # fmt: skip


def _submit(ctx: PageContext, row: claims.ClaimRow) -> None:
    today = filters.today()
    with st.form(commands.form_key(ctx, f"submit_{row.id}"), border=False):
        day = st.date_input("Submitted on", value=today, min_value=row.service_date, max_value=today,
                            format="DD/MM/YYYY")  # fmt: skip
        if st.form_submit_button("Record the submission…", type="primary"):
            commands.ask_first(ctx, SUBMIT, row.id, affects=row.hospital_id, submitted_on=day,
                               **_words(row, day=lagos_date(day)))  # fmt: skip


def _decide(ctx: PageContext, row: claims.ClaimRow) -> None:
    today = filters.today()
    submitted = row.submitted_at.astimezone(claim_commands.LAGOS).date()
    paid, denied = st.columns(2)
    with paid.form(commands.form_key(ctx, f"pay_{row.id}")):
        st.markdown("**Paid**")
        amount = st.number_input("Amount paid (₦)", min_value=0.01, max_value=float(row.amount_billed),
                                 value=float(row.amount_billed), step=1000.0, format="%.2f")  # fmt: skip
        day = st.date_input("Paid on", value=today, min_value=submitted, max_value=today, format="DD/MM/YYYY",
                            key=commands.form_key(ctx, f"paid_on_{row.id}"))  # fmt: skip
        if st.form_submit_button("Record the payment…", type="primary"):
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
            commands.ask_first(ctx, PAY, row.id, affects=row.hospital_id, amount_paid=value, paid_on=day,
                               **_words(row, amount=naira(value), day=lagos_date(day)))  # fmt: skip
    with denied.form(commands.form_key(ctx, f"deny_{row.id}")):
        st.markdown("**Denied**")
        reason = st.selectbox("Payer's reason", list(claims.REASON_WORDS), format_func=claims.REASON_WORDS.get)
        day = st.date_input("Denied on", value=today, min_value=submitted, max_value=today, format="DD/MM/YYYY",
                            key=commands.form_key(ctx, f"denied_on_{row.id}"))  # fmt: skip
        if st.form_submit_button("Record the denial…"):
            words = _words(row, day=lagos_date(day), reason=claims.REASON_WORDS[reason].lower())
            commands.ask_first(ctx, DENY, row.id, affects=row.hospital_id, reason=reason, denied_on=day, **words)


def _record(ctx: PageContext, actionable: list[claims.ClaimRow]) -> None:
    if not actionable:
        st.caption("The list above holds no open or unsubmitted claim. Pick a bar of the ageing chart, or search "
                   "for the claim by its number.")  # fmt: skip
        return
    by_id = {r.id: r for r in actionable}
    picked = st.selectbox("Claim", list(by_id), key=f"{ctx.key}_record_claim",
                          format_func=lambda i: f"{by_id[i].label} · {naira(by_id[i].amount_billed)}")  # fmt: skip
    row = by_id[picked]
    if row.status == "not_submitted":
        st.caption(f"Service on {lagos_date(row.service_date)}; not submitted to {md_escape(row.payer_name)} yet.")
        _submit(ctx, row)
    else:
        st.caption(f"Submitted on {lagos_date(row.submitted_at)}, open for {row.age_days:,} days; "
                   f"billed {naira(row.amount_billed)}.")  # fmt: skip
        _decide(ctx, row)


def show(ctx: PageContext, rows: list[claims.ClaimRow]) -> None:
    """A claim of the list shown: record what its status allows, after a question."""
    with panel(ctx, "Record a claim's submission, payment or denial", "record", icon=":material/edit_note:"):
        _record(ctx, [r for r in rows if r.status in ("open", "not_submitted")])
    for command in (SUBMIT, PAY, DENY):  # below the forms, so a question asked on this run is drawn on it
        commands.confirming(ctx, command)
