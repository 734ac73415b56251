"""Verification: the hospitals and user documents awaiting a network administrator, oldest first.

Approve or reject with a reason (required, confirmed): the service sets the status, notifies the
owner (a hospital's administrators) and audits, in one transaction, and refuses a decision someone
else made a moment ago. Only http(s) addresses are offered as links; anything else is shown as text.
"""

from datetime import timedelta

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("verification")

import pandas as pd  # noqa: E402

from dashboard.domains.governance import verification  # noqa: E402
from dashboard.kit import charts, commands, filters, kpi, listing, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform.formatting import Noun, count, humanise, lagos_date  # noqa: E402
from dashboard.shell import data  # noqa: E402

KEY = "verification"
actor = viewer.actor
period = filters.current_range()
NOT_A_LINK = "This address is not a web (http or https) link, so it is not opened from here:"


_waited = verification.wait_text  # days up to two weeks, then weeks, then months: the cards and the queues alike


page_header("Verification", "Hospitals and documents waiting for a decision, longest waiting first.", viewer)
commands.show_done(KEY)

# --- The cards and figures ------------------------------------------------------------------------------------
figures = data.cached(verification.queue_summary, actor)
kpi.card_row(
    viewer,
    [
        kpi.figure_card("hospitals_awaiting_verification", count(figures.pending_hospitals)),
        kpi.figure_card("documents_awaiting_verification", count(figures.pending_documents)),
        kpi.figure_card(
            "longest_verification_wait",
            _waited(figures.oldest_days),
            status=kpi.Status.ATTENTION if (figures.oldest_days or 0) >= 7 else kpi.Status.NORMAL,
            status_note="attention from 7 days",
            help_extra="It is the Waiting of the first row of the queues below.",
        ),
        kpi.figure_card(
            "time_to_verify",
            _waited(figures.median_days_last_30),
            label="Median to verify, 30 days",  # the period in the label: short enough for a quarter card
            delta=kpi.signed_change(figures.median_days_last_30, figures.median_days_previous_30, unit="days",
                                    digits=1),
            delta_color="inverse",
            delta_description="vs prior 30 days",
            help_extra=f"{count(figures.decided_last_30_days)} documents were decided in the last 30 days.",
        ),
    ],
)  # fmt: skip

backlog_column, median_column = st.columns(2)
with backlog_column:
    buckets = data.cached(verification.backlog_by_age, actor)
    frame = pd.DataFrame(
        {
            "Waiting": [b.label for b in buckets],
            "Hospitals": [b.hospitals for b in buckets],
            "Documents": [b.documents for b in buckets],
        }
    )
    charts.show(
        charts.bar(frame, x="Waiting", y=["Documents", "Hospitals"], title="Backlog by how long it has waited",
                   x_title="Waiting for", y_title="Items waiting", counts=True, height=340,
                   colours={"Documents": charts.BLUE, "Hospitals": charts.ORANGE}),
        key=f"{KEY}_backlog",
    )  # fmt: skip
with median_column:
    months_start = min(period.start, period.end - timedelta(days=365))
    months = data.cached(verification.median_days_to_verify, actor, start=months_start, end=period.end)
    if months:
        frame = pd.DataFrame({"Month": [m.month for m in months], "Median days": [m.median_days for m in months]})
        fig = charts.line(frame, x="Month", y="Median days", title="Median time to verify a document, by month",
                          x_title="Month of the decision", y_title="Days from upload to decision", hover_format=".1f",
                          height=340)  # fmt: skip
        charts.show(fig, key=f"{KEY}_median")
    else:
        say.info(f"No document was decided between {lagos_date(months_start)} and {lagos_date(period.end)}.")


# --- Deciding ------------------------------------------------------------------------------------------------------


def _decision_controls(kind: str, item_id: str, name: str, affects: str | None) -> None:
    """A reason and the two buttons; the chosen decision is confirmed before it is made."""
    reason = st.text_area(
        "Reason (the owner reads it)", max_chars=verification.MAX_REASON_LENGTH, height=80,
        key=f"{KEY}_{kind}_reason_{item_id}_{commands.nonce(KEY)}",
        placeholder="e.g. Checked against the MDCN register.",
    )  # fmt: skip
    approve, reject = st.columns(2)
    for column, decision, label in ((approve, "approve", "Approve…"), (reject, "reject", "Reject…")):
        if column.button(label, key=f"{KEY}_{kind}_{decision}", width="stretch",
                         type="primary" if decision == "approve" else "secondary"):  # fmt: skip
            if not reason.strip():
                st.error("Give a reason for the decision: the owner reads it in their notification.")
                continue
            who = "its administrators are" if kind == "hospital" else "its owner is"
            commands.ask(
                f"{KEY}_{kind}", f"{'Approve' if decision == 'approve' else 'Reject'} “{name}”? {who.capitalize()} "
                f"notified with your reason.", item_id=item_id, decision=decision, reason=reason, name=name,
                affects=affects,
            )  # fmt: skip


def _decide(kind: str) -> None:
    pending = commands.confirmed(f"{KEY}_{kind}")
    if not pending:
        return
    command = verification.decide_hospital if kind == "hospital" else verification.decide_document
    words = "verified" if pending["decision"] == "approve" else "rejected"
    commands.perform(
        KEY, command, actor, pending["item_id"], decision=pending["decision"], reason=pending["reason"],
        affects=pending["affects"], message=f"“{pending['name']}” {words}; the owner is notified.",
    )  # fmt: skip


def _open_link(link: str | None, address: str | None, label: str) -> None:
    if link:
        st.link_button(label, link, icon=":material/open_in_new:")
    elif address:
        st.caption(NOT_A_LINK)
        st.text(address)


# --- Hospitals --------------------------------------------------------------------------------------------------------
st.subheader("Hospitals awaiting verification")


def _hospitals_frame(rows: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Hospital": [r.name for r in rows],
            "City": [r.city or "—" for r in rows],
            "State": [r.state or "—" for r in rows],
            "Registered": [lagos_date(r.waiting_since) for r in rows],
            "Waiting": [_waited(r.waited_days) for r in rows],
            "Documents": ["; ".join(f"{d.label} ({humanise(d.status)})" if d.status else d.label
                                    for d in r.documents) or "None listed" for r in rows],
        }
    )  # fmt: skip


HOSPITALS = listing.Listing(
    key=f"{KEY}_hospitals",
    noun=Noun("hospital", "hospitals"),
    list_service=verification.list_pending_hospitals,
    export_service=verification.export_pending_hospitals,
    to_frame=_hospitals_frame,
    file_stem="hospitals-awaiting-verification",
    search_label="Search hospitals",
    search_placeholder="Name, city or state",
    empty="No hospital is waiting for verification.",
    empty_filtered="No waiting hospital matches this search. Clear it to see them all.",
    page_size=10,
    # Widths that fit the table at 1,400 pixels; a wait is a short '12 days' or '3 weeks' (wait_text).
    column_config={
        "Hospital": st.column_config.TextColumn(width=220),
        "City": st.column_config.TextColumn(width=110),
        "State": st.column_config.TextColumn(width=100),
        "Registered": st.column_config.TextColumn(width=100),
        "Waiting": st.column_config.TextColumn(width=105),
        "Documents": st.column_config.TextColumn(width="large"),
    },
)
hospital_page = listing.show(HOSPITALS, viewer)
if hospital_page.rows:
    with st.container(border=True):
        st.markdown("**Decide on a hospital**")
        by_id = {h.id: h for h in hospital_page.rows}
        chosen = by_id[
            st.selectbox(
                "Hospital",
                list(by_id),
                key=f"{KEY}_hospital_choice",
                format_func=lambda i: f"{by_id[i].name} · waiting {_waited(by_id[i].waited_days)}",
            )
        ]
        for document in chosen.documents:
            st.text(f"{document.label}: {humanise(document.status) if document.status else 'status not given'}")
            _open_link(document.link, document.address, f"Open {document.label[:60]}")
        _decision_controls("hospital", chosen.id, chosen.name, chosen.id)  # fmt: skip
        _decide("hospital")

# --- Documents --------------------------------------------------------------------------------------------------------
st.subheader("Documents awaiting review")


def _documents_frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Document": [r.document_name for r in rows],
            "Type": [humanise(r.document_type) for r in rows],
            "Owner": [f"{r.owner_name} ({r.owner_role})" if r.owner_role else r.owner_name for r in rows],
            "Hospital": [r.hospital_name or "—" for r in rows],
            "Uploaded": [lagos_date(r.uploaded_at) for r in rows],
            "Waiting": [_waited(r.waited_days) for r in rows],
            "Open": [r.link for r in rows],  # None unless an http(s) address
        }
    )
    if not actor.network_wide:
        frame = frame.drop(columns=["Hospital"])
    return frame


DOCUMENTS = listing.Listing(
    key=f"{KEY}_documents",
    noun=Noun("document", "documents"),
    list_service=verification.list_pending_documents,
    export_service=verification.export_pending_documents,
    to_frame=_documents_frame,
    file_stem="documents-awaiting-review",
    search_label="Search documents",
    search_placeholder="Document, type, owner, email or hospital",
    empty="No document is waiting for review.",
    empty_filtered="No waiting document matches this search. Clear it to see them all.",
    column_config={
        "Document": st.column_config.TextColumn(width=220),
        "Type": st.column_config.TextColumn(width=115),
        "Owner": st.column_config.TextColumn(width=170),
        "Hospital": st.column_config.TextColumn(width=150),
        "Uploaded": st.column_config.TextColumn(width=95),
        "Waiting": st.column_config.TextColumn(width=105),
        "Open": st.column_config.LinkColumn(
            "Open", display_text="Open", help="Only http(s) addresses are links.", width=60
        ),
    },
)
document_page = listing.show(DOCUMENTS, viewer)
if document_page.rows:
    with st.container(border=True):
        st.markdown("**Decide on a document**")
        docs = {d.id: d for d in document_page.rows}
        chosen_doc = docs[st.selectbox(
            "Document", list(docs), key=f"{KEY}_document_choice",
            format_func=lambda i: f"{docs[i].document_name} · {docs[i].owner_name} · waiting "
                                  f"{_waited(docs[i].waited_days)}",
        )]  # fmt: skip
        uploaded = lagos_date(chosen_doc.uploaded_at)
        st.text(f"{chosen_doc.document_name} — {humanise(chosen_doc.document_type)}, uploaded by "
                f"{chosen_doc.owner_name} ({chosen_doc.owner_email}) on {uploaded}")  # fmt: skip
        _open_link(chosen_doc.link, chosen_doc.address, "Open the document")
        _decision_controls("document", chosen_doc.id, chosen_doc.document_name, None)
        _decide("document")
