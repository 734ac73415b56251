"""Verification's two queues, hospitals and documents, each with its panel to approve or reject one.

A part of the Verification page (verification_page.py runs it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.domains.governance import verification, verification_decisions
from dashboard.domains.governance.verification import wait_text
from dashboard.kit import commands, listing, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, humanise, lagos_date

NOT_A_LINK = "This address is not a web (http or https) link, so it is not opened from here:"
WORDS = ("name", "verb", "decided", "who")
DECIDE = {
    kind: Command(kind, service, done="“{name}” {decided}; the owner is notified.",
                  question="{verb} “{name}”? {who} notified with your reason.", words=WORDS)
    for kind, service in (("hospital", verification_decisions.decide_hospital),
                          ("document", verification_decisions.decide_document))
}  # fmt: skip
WHO = {"hospital": "Its administrators are", "document": "Its owner is"}

HOSPITAL_LIST = listing.Listing(
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
        Column("Expired licences", lambda r: "; ".join(r.expired_licences) or "None"),
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
           (("Hospital", 170), ("City", 80), ("State", 75), ("Registered", 90), ("Waiting", 80), ("Documents", 170),
            ("Expired licences", 190))},
    },  # fmt: skip
)
DOCUMENT_LIST = listing.Listing(
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


def _hospital(chosen) -> None:
    for words in chosen.expired_licences:
        say.warning(f"Licence past its expiry: {words}. See it on the Licences page before verifying.",
                    icon=":material/event_busy:")  # fmt: skip
    for document in chosen.documents:
        st.text(f"{document.label}: {humanise(document.status) if document.status else 'status not given'}")
        _open_link(document.link, document.address, f"Open {document.label[:60]}")


def _document(chosen) -> None:
    st.text(f"{chosen.document_name} — {humanise(chosen.document_type)}, uploaded by {chosen.owner_name} "
            f"({chosen.owner_email}) on {lagos_date(chosen.uploaded_at)}")  # fmt: skip
    _open_link(chosen.link, chosen.address, "Open the document")


@dataclass(frozen=True)
class Queue:
    kind: str  # "hospital" or "document": the words, the widget keys and the command's slot
    title: str
    listing: listing.Listing
    choice: str  # the picker's label
    option: Callable[[Any], str]  # one item in the picker
    name: Callable[[Any], str]  # what the question and the done words call it
    affects: Callable[[Any], str | None]  # the hospital the decision changes
    describe: Callable[[Any], None]  # what is decided on: its papers and their links


HOSPITALS = Queue(
    "hospital", "Hospitals awaiting verification", HOSPITAL_LIST, "Hospital",
    option=lambda h: f"{h.name} · waiting {wait_text(h.waited_days)}", name=lambda h: h.name,
    affects=lambda h: h.id, describe=_hospital,
)  # fmt: skip
DOCUMENTS = Queue(
    "document", "Documents awaiting review", DOCUMENT_LIST, "Document",
    option=lambda d: f"{d.document_name} · {d.owner_name} · waiting {wait_text(d.waited_days)}",
    name=lambda d: d.document_name, affects=lambda d: None, describe=_document,
)  # fmt: skip


def show(ctx: PageContext, queue: Queue) -> None:
    st.subheader(queue.title)
    rows = listing.show(queue.listing, ctx.viewer).rows
    if not rows:
        return
    with st.container(border=True):
        st.markdown(f"**Decide on a {queue.kind}**")
        by_id = {r.id: r for r in rows}
        chosen = by_id[st.selectbox(queue.choice, list(by_id), key=f"{ctx.key}_{queue.kind}_choice",
                                    format_func=lambda i: queue.option(by_id[i]))]  # fmt: skip
        queue.describe(chosen)
        _decision(ctx, queue.kind, chosen.id, queue.name(chosen), queue.affects(chosen))
