"""Licences: each hospital's operating licences and accreditations, what expires next, and renewals.

The cards count the licences in each band (expired, within 30, 60 and 90 days by default; the days come
from the settings), the panel names those expired or in the final band, and the list runs from the
licence that expires next, each row marked and tinted by its band. Administrators and compliance officers
record licences with their papers, renew them (who and when is kept) and download the papers; the forms
and the details of one licence are the page's part licences_forms_page.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.governance import licences, licences_forms_page
from dashboard.kit import alerts, filters, kpi, listing
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.formatting import Noun, count, lagos_date, md_escape
from dashboard.shell import data
from db.settings import Level

# Pale tints behind dark text (contrast above 4.5:1); the mark and the words say the same without colour.
TINTS = {"expired": "#f6d3c0", "final": "#f8e5b8", "second": "#fbf0d2", "first": "#dcebf7", "later": ""}
ALL = "all"


def days_words(days: int) -> str:
    if days < 0:
        return f"{count(-days)} day{'' if days == -1 else 's'} ago"
    return "Last day today" if days == 0 else f"{count(days)} day{'' if days == 1 else 's'}"


def _band(row: licences.LicenceRow) -> str:
    band = licences.bands()[row.band]
    return f"{band.mark} {band.word}"


TABLE = Table([
    Column("Status", _band),
    hospital_column(),
    Column("Licence", lambda r: r.kind_word),
    Column("Issuer", "issuer"),
    Column("Registry number", "registry_number"),
    Column("Expires", "expires_on", "date"),
    Column("Days left", lambda r: days_words(r.days_left)),
    Column("Issued", "issued_on", "date", export_only=True),
    # Renewals and the paper are in the panel below the list (and in the export): the list fits 1,400 pixels.
    Column("Renewals", "renewals", "count", export_only=True),
    Column("Last renewed", "last_renewed_at", "date", export_only=True),
    Column("Document", lambda r: r.document_name or "None stored", export_only=True),
])  # fmt: skip
WIDTHS = {"Status": 120, "Hospital": 195, "Licence": 120, "Issuer": 180, "Registry number": 140, "Expires": 95,
          "Days left": 85}  # fmt: skip


def _tinted(network_wide: bool):
    def frame(rows: list[licences.LicenceRow]):
        table = TABLE.frame(rows, network_wide=network_wide)
        tints = [TINTS.get(r.band, "") for r in rows]
        return table.style.apply(lambda column: [f"background-color: {t}" if t else "" for t in tints],
                                 subset=["Status", "Days left"])  # fmt: skip

    return frame


LISTINGS = {
    network_wide: listing.Listing(
        key="licences_list", noun=Noun("licence", "licences"), list_service=licences.list_licences,
        export_service=licences.export_licences, file_stem="licences", to_frame=_tinted(network_wide),
        export_frame=TABLE.export(network_wide), search_label="Search licences",
        search_placeholder="Hospital, state, issuer or registry number",
        empty="No licence is recorded in this scope yet. Record each hospital's operating licence below.",
        empty_filtered="No licence matches this search and status. Clear them to see every licence.",
        column_config={label: st.column_config.TextColumn(width=width) for label, width in WIDTHS.items()},
    )
    for network_wide in (True, False)
}  # fmt: skip


def _cards(ctx: PageContext, summary: licences.LicenceSummary) -> None:
    """Expired and the final band need attention when they hold any; the two earlier notices are for planning."""
    words = licences.bands()

    def status(value: int) -> dict:
        return {"status": kpi.Status.ATTENTION if value else kpi.Status.NORMAL,
                "status_note": "renew now" if value else None}  # fmt: skip

    def label(band: str) -> str:
        return words[band].word.replace("Within", "Expiring within")

    kpi.card_row(ctx.viewer, [
        kpi.figure_card("licences_expired", count(summary.expired), **status(summary.expired)),
        kpi.figure_card("licences_expiring_final", count(summary.final), label=label("final"), **status(summary.final)),
        kpi.figure_card("licences_expiring_second", count(summary.second), label=label("second")),
        kpi.figure_card("licences_expiring_first", count(summary.first), label=label("first")),
    ])  # fmt: skip


def _attention(ctx: PageContext, today) -> None:
    """The expired and final-band licences by name; all-clear only when neither card needs attention."""
    found = []
    for row in data.cached(licences.licence_alerts, ctx.actor, today=today):
        if row.band not in ("expired", "final"):
            continue
        what = f"{row.kind_word} of {md_escape(row.hospital_name)} ({md_escape(row.issuer)})"
        when = lagos_date(row.expires_on)
        found.append(alerts.Alert(
            key=f"licence_page:{row.id}", value=1.0, level=Level(1.0, 1.0), page=None,
            text=f"{what} expired on {when}." if row.days_left < 0 else f"{what} expires on {when} "
            f"({days_words(row.days_left)} left).",
            kind="Expired" if row.days_left < 0 else "Expiring soon", short=f"{md_escape(row.hospital_name)} ({when})",
        ))  # fmt: skip
    final = licences.bands()["final"].word.lower()
    alerts.panel(ctx.viewer, found, title="Renew now",
                 empty=f"No licence in this scope has expired or expires {final}.")  # fmt: skip


def render(ctx: PageContext) -> None:
    ctx.header(
        "Every hospital's licences and accreditations, the one that expires next first."
        if ctx.network_wide
        else "Your hospital's licences and accreditations, the one that expires next first."
    )
    ctx.done()
    today = filters.today()
    _cards(ctx, data.cached(licences.licence_summary, ctx.actor, today=today))
    _attention(ctx, today)
    st.subheader("What expires next")
    words = licences.bands()
    band = st.segmented_control(
        "Show", [ALL, *licences.BANDS], default=ALL, key=f"{ctx.key}_band",
        format_func=lambda b: "All" if b == ALL else f"{words[b].mark} {words[b].word}",
    ) or ALL  # fmt: skip
    page = listing.show(LISTINGS[ctx.network_wide], ctx.viewer,
                        filters={"band": None if band == ALL else band, "today": today})  # fmt: skip
    st.caption("Status bands: " + " · ".join(f"{b.mark} {b.word}" for b in words.values())
               + ". The days come from the settings (licence_*_notice_days).")  # fmt: skip
    licences_forms_page.show_details(ctx, page.rows)
    if ctx.can_write:
        licences_forms_page.show_add(ctx)
