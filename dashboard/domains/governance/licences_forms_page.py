"""Licences' forms: one licence's renewals, its paper to download and its renewal; recording a new licence.

A part of the Licences page (licences_page.py runs it). The paper is read only when asked for ("Get the
document"), then offered through st.download_button, which the app serves only to the session that made it.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from dashboard.domains.governance import licence_commands, licences
from dashboard.kit import commands, filters, pickers, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.panel import panel
from dashboard.kit.tables import Column, Table
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import lagos_date, lagos_datetime
from dashboard.shell import data

ADD = Command("add", licence_commands.add_licence, done="{what} of {name} recorded; it expires on {expires}.",
              words=("what", "name", "expires"))  # fmt: skip
RENEW = Command("renew", licence_commands.renew_licence, done="{what} of {name} renewed to {expires}.",
                words=("what", "name", "expires"))  # fmt: skip
UPLOAD_TYPES = ["pdf", "png", "jpg", "jpeg"]
UPLOAD_HELP = "A PDF, PNG or JPEG of at most 5 MB; its content is checked, whatever its name says."
OTHER_ISSUER = "Another issuer…"
# The regulators a Nigerian hospital's papers usually come from; any other can be typed.
ISSUERS = (
    "State Ministry of Health", "HEFAMAA (Lagos)", "FCT Health and Human Services Secretariat",
    "National Health Insurance Authority (NHIA)", "Medical and Dental Council of Nigeria (MDCN)",
    "Pharmacy Council of Nigeria (PCN)", "Medical Laboratory Science Council of Nigeria (MLSCN)",
)  # fmt: skip
RENEWALS = Table([
    Column("Renewed", "renewed_at", "datetime"),
    Column("By", "renewed_by"),
    Column("Expiry before", "previous_expires_on", "date"),
    Column("New expiry", "new_expires_on", "date"),
    Column("Note", "note"),
])  # fmt: skip


def _document(ctx: PageContext, chosen: licences.LicenceRow) -> None:
    if chosen.document_name is None:
        st.caption("No document is stored for this licence; attach one when you renew it.")
        return
    key = f"{ctx.key}_document_{ctx.actor.scope_key}"
    if st.button(f"Get the document ({chosen.document_name})", key=f"{ctx.key}_get_{chosen.id}",
                 icon=":material/description:"):  # fmt: skip
        try:
            stored = data.call(licences.licence_document, ctx.actor, chosen.id)
        except ServiceError as exc:
            say.error(str(exc))
            return
        st.session_state[key] = (chosen.id, stored)
    kept = st.session_state.get(key)
    if kept and kept[0] == chosen.id and kept[1] is not None:
        stored = kept[1]
        st.download_button(f"Download {stored.file_name}", stored.content, file_name=stored.file_name,
                           mime=stored.content_type, icon=":material/download:", key=f"{ctx.key}_download",
                           help=f"Uploaded {lagos_datetime(stored.uploaded_at)}.")  # fmt: skip


def _renew(ctx: PageContext, chosen: licences.LicenceRow) -> None:
    st.markdown("**Renew it**")
    suffix = chosen.id
    with st.form(commands.form_key(ctx, f"renew_{suffix}"), border=False):
        left, right = st.columns(2)
        start = max(chosen.expires_on, filters.today())
        new_expiry = left.date_input("New expiry date", value=start + timedelta(days=365),
                                     min_value=chosen.expires_on + timedelta(days=1), format="DD/MM/YYYY")  # fmt: skip
        paper = right.file_uploader("The renewed licence (optional)", type=UPLOAD_TYPES, help=UPLOAD_HELP)
        note = st.text_input("Note", max_chars=licence_commands.MAX_NOTE_LENGTH,
                             placeholder="e.g. Renewal fee paid; certificate collected from HEFAMAA.")  # fmt: skip
        submitted = st.form_submit_button("Record the renewal", type="primary")
    if submitted:
        commands.run(ctx, RENEW, chosen.id, new_expires_on=new_expiry, seen_expires_on=chosen.expires_on, note=note,
                     document=paper.getvalue() if paper else None, file_name=paper.name if paper else None,
                     affects=chosen.hospital_id, what=chosen.kind_word, name=chosen.hospital_name,
                     expires=lagos_date(new_expiry))  # fmt: skip


def show_details(ctx: PageContext, rows: list[licences.LicenceRow]) -> None:
    """One licence of the list shown: its renewals, its document, and (for writers) its renewal."""
    if not rows:
        return
    with panel(ctx, "A licence: renewals, document and renewal" if ctx.can_write else "A licence: renewals and "
               "document", "details", icon=":material/history:"):  # fmt: skip
        by_id = {r.id: r for r in rows}
        picked = st.selectbox("Licence", list(by_id), key=f"{ctx.key}_details_choice",
                              format_func=lambda i: f"{by_id[i].hospital_name} · {by_id[i].label} · expires "
                              f"{lagos_date(by_id[i].expires_on)}")  # fmt: skip
        chosen = by_id[picked]
        st.text(f"Issued {lagos_date(chosen.issued_on)}, expires {lagos_date(chosen.expires_on)}.")
        try:
            renewals = data.call(licences.renewals_of, ctx.actor, chosen.id)
        except ServiceError as exc:
            say.error(str(exc))
            return
        if renewals:
            st.dataframe(RENEWALS.frame(renewals, network_wide=False), hide_index=True, width="stretch")
        else:
            st.caption("Not renewed through the dashboard yet.")
        _document(ctx, chosen)
        if ctx.can_write:
            _renew(ctx, chosen)


def show_add(ctx: PageContext) -> None:
    with panel(ctx, "Record a licence or accreditation", "add", icon=":material/add:"):
        hospital_id = pickers.hospital_for_action(ctx.viewer, f"{ctx.key}_add_hospital",
                                                  help="The hospital the licence is issued to.")  # fmt: skip
        left, right = st.columns(2)
        kind = left.selectbox("What it is", list(licences.KIND_WORDS), format_func=licences.KIND_WORDS.get,
                              key=f"{ctx.key}_add_kind")  # fmt: skip
        issuer = right.selectbox("Issuer", [*ISSUERS, OTHER_ISSUER], key=f"{ctx.key}_add_issuer")
        if issuer == OTHER_ISSUER:
            issuer = st.text_input("Name of the issuer", max_chars=licence_commands.MAX_ISSUER_LENGTH,
                                   key=commands.form_key(ctx, "add_issuer_other"))  # fmt: skip
        today = filters.today()
        with st.form(commands.form_key(ctx, "add"), border=False):
            first, second, third = st.columns(3)
            number = first.text_input("Registry number", max_chars=licence_commands.MAX_NUMBER_LENGTH,
                                      placeholder="e.g. HEF/LAG/2026/0412")  # fmt: skip
            issued = second.date_input("Issued on", value=today, min_value=date(1960, 1, 1), max_value=today,
                                       format="DD/MM/YYYY")  # fmt: skip
            expires = third.date_input("Expires on", value=today + timedelta(days=365), format="DD/MM/YYYY",
                                       min_value=date(1960, 1, 2), max_value=today + timedelta(days=3660))  # fmt: skip
            paper = st.file_uploader("The licence's document", type=UPLOAD_TYPES, help=UPLOAD_HELP)
            submitted = st.form_submit_button("Record the licence", type="primary")
        if submitted and hospital_id:
            name = dict(data.hospital_choices(ctx.actor)).get(hospital_id, "the hospital")
            commands.run(ctx, ADD, hospital_id=hospital_id, kind=kind, issuer=issuer, registry_number=number,
                         issued_on=issued, expires_on=expires, document=paper.getvalue() if paper else None,
                         file_name=paper.name if paper else None, affects=hospital_id,
                         what=licences.KIND_WORDS[kind], name=name, expires=lagos_date(expires))  # fmt: skip
