"""Overview: what needs attention now in the working scope, each figure leading to its page."""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("overview")

import pandas as pd  # noqa: E402

from dashboard.domains.floor import resources, waitlist  # noqa: E402
from dashboard.domains.overview import overview  # noqa: E402
from dashboard.kit import alerts, kpi, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform import figures as catalogue  # noqa: E402
from dashboard.platform import permissions, settings  # noqa: E402
from dashboard.platform.formatting import (  # noqa: E402
    Noun,
    count,
    humanise,
    lagos_date,
    md_escape,
    minutes_words,
    naira,
    naira_change,
    naira_short,
    percent,
)
from dashboard.platform.settings import Level  # noqa: E402
from dashboard.shell import data  # noqa: E402

actor = viewer.actor
role = viewer.user.role
HOSPITALS = Noun("hospital", "hospitals")
limits = settings.current()

page_header("Overview", "What needs attention now.", viewer)
figures = data.cached(overview.overview_figures, actor)


def _status(key: str, value: float | None, level: Level) -> kpi.Status:
    if value is None:
        return kpi.Status.NO_DATA
    return kpi.Status.ATTENTION if alerts.standing(viewer, key, value, level) else kpi.Status.NORMAL


occupancy = figures.bed_occupancy_percent
free_share_status = {"alert": kpi.Status.ATTENTION, "watch": kpi.Status.NORMAL, "ok": kpi.Status.NORMAL}
revenue = figures.revenue_month_to_date
cards = [
    kpi.figure_card(
        "free_beds",
        count(figures.free_beds.value),
        status=free_share_status.get(figures.free_beds.status or "", kpi.Status.NO_DATA),
        status_note=f"alert at {limits.low_availability.raise_at:.0f}% free",
        page="resources",
    ),
    kpi.figure_card(
        "bed_occupancy",
        percent(None if occupancy.value is None else float(occupancy.value) / 100),
        delta=kpi.signed_change(occupancy.value, occupancy.comparison, unit="points", digits=1),
        delta_color="inverse",
        delta_description="vs the network" if occupancy.comparison is not None else None,
        status=_status("occupancy", occupancy.value, limits.occupancy),
        status_note=f"alert at {limits.occupancy.raise_at:.0f}%",
        page="resources",
    ),
    kpi.figure_card(
        "patients_waiting",
        count(figures.patients_waiting.value),
        status=kpi.Status.ATTENTION if figures.patients_over_target else kpi.Status.NORMAL,
        status_note=f"{count(figures.patients_over_target)} past target",
        page="waitlist",
    ),
    kpi.figure_card(
        "median_wait_today",
        minutes_words(figures.median_wait_minutes.value),
        delta=kpi.signed_change(figures.median_wait_minutes.value, figures.median_wait_minutes.comparison, unit="min"),
        delta_color="inverse",
        delta_description="vs the previous 7 days",
        page="waitlist",
    ),
    kpi.figure_card(
        "appointments_today",
        count(figures.appointments_today.value),
        delta=kpi.signed_change(figures.appointments_today.value, figures.appointments_today.comparison),
        delta_description="vs the same day last week",
        page="appointments",
    ),
    kpi.figure_card(
        "open_emergencies",
        count(figures.open_emergencies.value),
        delta=f"{count(figures.critical_emergencies.value)} critical" if figures.critical_emergencies.value else None,
        delta_color="off",
        status=kpi.Status.ATTENTION if figures.critical_emergencies.value else kpi.Status.NORMAL,
        status_note="any critical open",
        help_extra=(
            f"Opened in the last 7 days: {count(figures.emergencies_opened_7_days.value)} "
            f"(the 7 before: {count(figures.emergencies_opened_7_days.comparison)})."
        ),
        page="emergencies",
    ),
    kpi.figure_card(
        "documents_awaiting_verification",
        count(figures.documents_awaiting_verification.value),
        delta=HOSPITALS.count(figures.hospitals_awaiting_verification.value)
        if actor.network_wide and figures.hospitals_awaiting_verification.value
        else None,
        delta_color="off",
        help_extra="Hospitals waiting to be verified are counted beside it." if actor.network_wide else None,
        page="verification",
    ),
]
if revenue is not None:  # roles that do not read finances see no revenue
    cards.insert(
        6,
        kpi.figure_card(
            "revenue_month_to_date",
            naira_short(revenue.value),
            # A ledger posted at each month's close has nothing for "the same days last month": no delta then.
            delta=naira_change(revenue.change) if revenue.comparison else None,
            delta_color="normal",
            delta_description=f"vs {figures.comparison_label}" if revenue.comparison else None,
            help_extra=f"{figures.period_label}: {naira(revenue.value)}.",
            page="financials",
        ),
    )
kpi.card_row(viewer, cards)

# The alerts panel: everything in scope past a threshold, each leading to where it is dealt with.
candidates: list[alerts.Alert] = []
for low in data.cached(resources.low_availability_alerts, actor):
    where = f" at {md_escape(low.hospital_name)}" if actor.network_wide else ""
    candidates.append(
        alerts.Alert(
            key=f"low:{low.resource_id}",
            text=f"{md_escape(low.name)}{where}: {count(low.available)} of {count(low.usable)} free "
            f"({low.free_percent:.0f}%).",
            value=low.free_percent,
            level=limits.low_availability,
            page="resources",
            kind="Running low",
            short=f"{md_escape(low.name)}{where} ({low.free_percent:.0f}% free)",
        )
    )
for beds in data.cached(resources.beds_by_hospital, actor):
    if beds.stale:
        hours = beds.hours_since_update
        age = "never reported" if hours is None else f"last counted {minutes_words(hours * 60)} ago"
        candidates.append(
            alerts.Alert(
                key=f"stale:{beds.hospital_id}",
                text=f"Bed counts at {md_escape(beds.hospital_name)} are stale ({age}).",
                value=beds.hours_since_update if beds.hours_since_update is not None else 1e9,
                level=limits.stale,
                page="resources",
                kind="Stale bed counts",
                short=md_escape(beds.hospital_name),
            )
        )
if role in permissions.readers("waitlist"):
    for breach in data.cached(waitlist.breaches, actor):
        candidates.append(
            alerts.Alert(
                key=f"wait:{breach.id}",
                text=f"{md_escape(breach.patient_name)} ({humanise(breach.priority)}, {md_escape(breach.department)}"
                f"{', ' + md_escape(breach.hospital_name) if actor.network_wide else ''}) has waited "
                f"{minutes_words(breach.waited_minutes)}.",
                value=breach.waited_minutes,
                level=limits.wait_target(breach.priority),
                page="waitlist",
                kind="Waiting past the target",
                short=f"{md_escape(breach.patient_name)} ({minutes_words(breach.waited_minutes)})",
            )
        )
standing = alerts.standing_alerts(viewer, candidates)
# One status per screen: a card that needs attention always has its line in the panel, so the panel
# never says all-clear beside it. Where the panel already names the records behind the card (the
# patients past their target, the resources running low), those lines stand for it; otherwise the
# card's own figure does (e.g. for a role that may not open the Waitlist and so sees no names).
NAMED_BY = {"patients_waiting": "Waiting past the target", "free_beds": "Running low"}
named_kinds = {a.kind for a in standing}
for card in cards:
    if card.status is kpi.Status.ATTENTION and NAMED_BY.get(card.figure) not in named_kinds:
        standing.append(
            alerts.Alert(
                key=f"card:{card.figure}",
                text=f"{card.label}: {card.value} ({card.status_note})",
                value=1.0,
                level=Level(1.0, 1.0),
                page=card.page,
                kind=card.label,
                short=f"{card.value} ({card.status_note})",  # the kind already names the card
            )
        )
alerts.panel(viewer, standing, empty="Nothing in this scope breaches a threshold right now.")

if actor.network_wide:
    st.subheader("Reporting completeness", help=catalogue.figure("reporting_completeness").help)
    st.caption(
        f"Which hospitals have not reported within the expected period: beds every "
        f"{limits.beds_report_hours:.0f} hours, finances every {limits.finance_report_days:.0f} days, compliance "
        f"every {limits.compliance_report_days:.0f} days. Most overdue first."
    )
    reporting = data.cached(overview.reporting_completeness, actor)

    def _late(lateness) -> str:
        if lateness.last is None:
            return "Never reported"
        if lateness.late_by is None:
            return f"On time ({lagos_date(lateness.last)})"
        return f"{minutes_words(lateness.late_by.total_seconds() / 60)} late"

    overdue = [r for r in reporting if r.overdue_reports]
    if not overdue:
        say.success(f"All {count(len(reporting))} hospitals have reported on time.", icon=":material/check_circle:")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Hospital": [r.hospital_name for r in overdue],
                    "Beds": [_late(r.beds) for r in overdue],
                    "Finances": [_late(r.finance) for r in overdue],
                    "Compliance": [_late(r.compliance) for r in overdue],
                    "Reports overdue": [r.overdue_reports for r in overdue],
                }
            ),
            hide_index=True,
            width="stretch",
            height="content" if len(overdue) <= 25 else 600,
        )
        verb = "has" if len(overdue) == 1 else "have"
        st.caption(f"{count(len(overdue))} of {HOSPITALS.count(len(reporting))} {verb} a report overdue.")
if figures.free_beds.value is None and not actor.network_wide:
    st.info("This hospital has recorded no resources yet. Add its beds on the Resources & beds page.")
