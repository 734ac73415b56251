"""Verification: the hospitals and user documents awaiting a network administrator, oldest first.

Approve or reject with a reason (required, confirmed): the service sets the status, notifies the
owner (a hospital's administrators) and audits, in one transaction, and refuses a decision someone
else made a moment ago. Only http(s) addresses are offered as links; anything else is shown as text.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard.domains.governance import verification, verification_decisions, verification_figures
from dashboard.domains.governance.verification import wait_text
from dashboard.kit import charts, commands, kpi, listing, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, count, humanise, lagos_date
from dashboard.shell import data

NOT_A_LINK = "This address is not a web (http or https) link, so it is not opened from here:"
WORDS = ("name", "verb", "decided", "who")
DECIDE = {
    kind: Command(kind, service, done="“{name}” {decided}; the owner is notified.",
                  question="{verb} “{name}”? {who} notified with your reason.", words=WORDS)
    for kind, service in (("hospital", verification_decisions.decide_hospital),
                          ("document", verification_decisions.decide_document))
}  # fmt: skip
WHO = {"hospital": "Its administrators are", "document": "Its owner is"}

HOSPITALS = listing.Listing(
    key="verification_hospitals",
    noun=Noun("hospital", "hospitals"),
    list_service=verification.list_pending_hospitals,
    export_service=verification.export_pending_hospitals,
    table=Table([
        Column("Hospital", "name"),
        Column("City", "city"),
        Column("State", "state"),
        Column("Registered", "waiting_since", "date"),
        Column("Waiting", lambda r: wait_text(r.waited_days)),
        Column("Documents", lambda r: "; ".join(f"{d.label} ({humanise(d.status)})" if d.status else d.label
                                                for d in r.documents) or "None listed"),
    ]),  # fmt: skip
    file_stem="hospitals-awaiting-verification",
    search_label="Search hospitals",
    search_placeholder="Name, city or state",
    empty="No hospital is waiting for verification.",
    empty_filtered="No waiting hospital matches this search. Clear it to see them all.",
    page_size=10,
    # Widths that fit the table at 1,400 pixels; a wait is a short '12 days' or '3 weeks' (wait_text).
    column_config={
        **{label: st.column_config.TextColumn(width=width) for label, width in
           (("Hospital", 220), ("City", 110), ("State", 100), ("Registered", 100), ("Waiting", 105))},
        "Documents": st.column_config.TextColumn(width="large"),
    },  # fmt: skip
)
DOCUMENTS = listing.Listing(
    key="verification_documents",
    noun=Noun("document", "documents"),
    list_service=verification.list_pending_documents,
    export_service=verification.export_pending_documents,
    table=Table([
        Column("Document", "document_name"),
        Column("Type", "document_type", "code"),
        Column("Owner", lambda r: f"{r.owner_name} ({r.owner_role})" if r.owner_role else r.owner_name),
        hospital_column(),
        Column("Uploaded", "uploaded_at", "date"),
        Column("Waiting", lambda r: wait_text(r.waited_days)),
        Column("Open", "link", empty=None),  # None unless an http(s) address
    ]),  # fmt: skip
    file_stem="documents-awaiting-review",
    search_label="Search documents",
    search_placeholder="Document, type, owner, email or hospital",
    empty="No document is waiting for review.",
    empty_filtered="No waiting document matches this search. Clear it to see them all.",
    column_config={
        **{label: st.column_config.TextColumn(width=width) for label, width in
           (("Document", 220), ("Type", 115), ("Owner", 170), ("Hospital", 150), ("Uploaded", 95), ("Waiting", 105))},
        "Open": st.column_config.LinkColumn("Open", display_text="Open", help="Only http(s) addresses are links.",
                                            width=60),
    },  # fmt: skip
)


def _cards(ctx: PageContext) -> None:
    figures = data.cached(verification_figures.queue_summary, ctx.actor)
    kpi.card_row(ctx.viewer, [
        kpi.figure_card("hospitals_awaiting_verification", count(figures.pending_hospitals)),
        kpi.figure_card("documents_awaiting_verification", count(figures.pending_documents)),
        kpi.figure_card("longest_verification_wait", wait_text(figures.oldest_days),
                        status=kpi.Status.ATTENTION if (figures.oldest_days or 0) >= 7 else kpi.Status.NORMAL,
                        status_note="attention from 7 days",
                        help_extra="It is the Waiting of the first row of the queues below."),
        kpi.figure_card("time_to_verify", wait_text(figures.median_days_last_30),
                        label="Median to verify, 30 days",  # the period in the label: short enough for a quarter card
                        delta=kpi.signed_change(figures.median_days_last_30, figures.median_days_previous_30,
                                                unit="days", digits=1),
                        delta_color="inverse", delta_description="vs prior 30 days",
                        help_extra=f"{count(figures.decided_last_30_days)} documents were decided in the last 30 "
                        "days."),
    ])  # fmt: skip


def _charts(ctx: PageContext) -> None:
    backlog_column, median_column = st.columns(2)
    with backlog_column:
        buckets = data.cached(verification_figures.backlog_by_age, ctx.actor)
        frame = pd.DataFrame({"Waiting": [b.label for b in buckets], "Hospitals": [b.hospitals for b in buckets],
                              "Documents": [b.documents for b in buckets]})  # fmt: skip
        charts.show(charts.bar(frame, x="Waiting", y=["Documents", "Hospitals"],
                               title="Backlog by how long it has waited", x_title="Waiting for",
                               y_title="Items waiting", counts=True, height=340,
                               colours={"Documents": charts.BLUE, "Hospitals": charts.ORANGE}),
                    key=f"{ctx.key}_backlog")  # fmt: skip
    with median_column:
        end = ctx.period.end
        start = min(ctx.period.start, end - timedelta(days=365))
        months = data.cached(verification_figures.median_days_to_verify, ctx.actor, start=start, end=end)
        if not months:
            say.info(f"No document was decided between {lagos_date(start)} and {lagos_date(end)}.")
            return
        frame = pd.DataFrame({"Month": [m.month for m in months], "Median days": [m.median_days for m in months]})
        charts.show(charts.line(frame, x="Month", y="Median days", title="Median time to verify a document, by month",
                                x_title="Month of the decision", y_title="Days from upload to decision",
                                hover_format=".1f", height=340), key=f"{ctx.key}_median")  # fmt: skip


def _decision(ctx: PageContext, kind: str, item_id: str, name: str, affects: str | None) -> None:
    """A reason and the two buttons; the chosen decision is confirmed before it is made."""
    reason = st.text_area("Reason (the owner reads it)", max_chars=verification_decisions.MAX_REASON_LENGTH,
                          height=80, key=commands.form_key(ctx, f"{kind}_reason_{item_id}"),
                          placeholder="e.g. Checked against the MDCN register.")  # fmt: skip
    for column, decision, label in zip(st.columns(2), ("approve", "reject"), ("Approve…", "Reject…"), strict=True):
        if not column.button(label, key=f"{ctx.key}_{kind}_{decision}", width="stretch",
                             type="primary" if decision == "approve" else "secondary"):  # fmt: skip
            continue
        if not reason.strip():
            say.error("Give a reason for the decision: the owner reads it in their notification.")
            continue
        commands.ask_first(ctx, DECIDE[kind], item_id, affects=affects, decision=decision, reason=reason, name=name,
                           verb=label.rstrip("…"), decided="verified" if decision == "approve" else "rejected",
                           who=WHO[kind])  # fmt: skip
    commands.confirming(ctx, DECIDE[kind])


def _open_link(link: str | None, address: str | None, label: str) -> None:
    if link:
        st.link_button(label, link, icon=":material/open_in_new:")
    elif address:
        st.caption(NOT_A_LINK)
        st.text(address)


def _hospitals(ctx: PageContext) -> None:
    st.subheader("Hospitals awaiting verification")
    rows = listing.show(HOSPITALS, ctx.viewer).rows
    if not rows:
        return
    with st.container(border=True):
        st.markdown("**Decide on a hospital**")
        by_id = {h.id: h for h in rows}
        chosen = by_id[st.selectbox(
            "Hospital", list(by_id), key=f"{ctx.key}_hospital_choice",
            format_func=lambda i: f"{by_id[i].name} · waiting {wait_text(by_id[i].waited_days)}",
        )]  # fmt: skip
        for document in chosen.documents:
            st.text(f"{document.label}: {humanise(document.status) if document.status else 'status not given'}")
            _open_link(document.link, document.address, f"Open {document.label[:60]}")
        _decision(ctx, "hospital", chosen.id, chosen.name, chosen.id)


def _documents(ctx: PageContext) -> None:
    st.subheader("Documents awaiting review")
    rows = listing.show(DOCUMENTS, ctx.viewer).rows
    if not rows:
        return
    with st.container(border=True):
        st.markdown("**Decide on a document**")
        docs = {d.id: d for d in rows}
        chosen = docs[st.selectbox(
            "Document", list(docs), key=f"{ctx.key}_document_choice",
            format_func=lambda i: f"{docs[i].document_name} · {docs[i].owner_name} · waiting "
                                  f"{wait_text(docs[i].waited_days)}",
        )]  # fmt: skip
        st.text(f"{chosen.document_name} — {humanise(chosen.document_type)}, uploaded by {chosen.owner_name} "
                f"({chosen.owner_email}) on {lagos_date(chosen.uploaded_at)}")  # fmt: skip
        _open_link(chosen.link, chosen.address, "Open the document")
        _decision(ctx, "document", chosen.id, chosen.document_name, None)


def render(ctx: PageContext) -> None:
    ctx.header("Hospitals and documents waiting for a decision, longest waiting first.")
    ctx.done()
    _cards(ctx)
    _charts(ctx)
    _hospitals(ctx)
    _documents(ctx)
