"""Overview: what needs attention now in the working scope, each figure leading to its page."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.floor import bed_figures, resource_list, waitlist_queue
from dashboard.domains.floor import resources_supplies_page as supplies
from dashboard.domains.governance.compliance_words_page import average_card
from dashboard.domains.overview import overview, overview_licences_page, overview_states_page
from dashboard.kit import alerts, kpi, say
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform import figures as catalogue
from dashboard.platform import permissions
from dashboard.platform.formatting import (
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
from dashboard.shell import data
from db import settings
from db.settings import Level, Settings

HOSPITALS = Noun("hospital", "hospitals")
FREE_SHARE_STATUS = {"alert": kpi.Status.ATTENTION, "watch": kpi.Status.NORMAL, "ok": kpi.Status.NORMAL}
# One status per screen: a card that needs attention always has its line in the panel, so the panel never says all-clear
# beside it. Where the panel already names the records behind the card (the patients past their target, the resources
# running low), those lines stand for it; otherwise the card's own figure does (for a role that sees no names).
NAMED_BY = {"patients_waiting": "Waiting past the target", "free_beds": "Running low"}


def _late(lateness: overview.Lateness) -> str:
    if lateness.last is None:
        return "Never reported"
    if lateness.late_by is None:
        return f"On time ({lagos_date(lateness.last)})"
    return f"{minutes_words(lateness.late_by.total_seconds() / 60)} late"


REPORTING = Table([
    Column("Hospital", "hospital_name"),
    Column("Beds", lambda r: _late(r.beds)),
    Column("Finances", lambda r: _late(r.finance)),
    Column("Compliance", lambda r: _late(r.compliance)),
    Column("Reports overdue", "overdue_reports", "count"),
])  # fmt: skip


def render(ctx: PageContext) -> None:
    ctx.header("What needs attention now.")
    limits = settings.current()
    figures = data.cached(overview.overview_figures, ctx.actor)
    cards = _cards(ctx, figures, limits)
    kpi.card_row(ctx.viewer, cards)
    # The alerts panel: everything in scope past a threshold, each leading to where it is dealt with.
    standing = alerts.standing_alerts(ctx.viewer, supplies.with_running_out(ctx, _candidates(ctx, limits)))
    named_kinds = {a.kind for a in standing}
    for card in cards:
        if card.status is kpi.Status.ATTENTION and NAMED_BY.get(card.figure) not in named_kinds:
            standing.append(
                alerts.Alert(
                    key=f"card:{card.figure}", text=f"{card.label}: {card.value} ({card.status_note})", value=1.0,
                    level=Level(1.0, 1.0), page=card.page, kind=card.label,
                    short=f"{card.value} ({card.status_note})",  # the kind already names the card
                )
            )  # fmt: skip
    alerts.panel(ctx.viewer, standing, empty="Nothing in this scope breaches a threshold right now.")
    if ctx.network_wide:
        _reporting(ctx, limits)
    elif figures.free_beds.value is None:
        st.info("This hospital has recorded no resources yet. Add its beds on the Resources & beds page.")
    overview_states_page.group_by_state(ctx, metric="state_bed_occupancy")


def _status(ctx: PageContext, key: str, value: float | None, level: Level) -> kpi.Status:
    if value is None:
        return kpi.Status.NO_DATA
    return kpi.Status.ATTENTION if alerts.standing(ctx.viewer, key, value, level) else kpi.Status.NORMAL


def _cards(ctx: PageContext, figures: overview.OverviewFigures, limits: Settings) -> list[kpi.Card]:
    occupancy, median = figures.bed_occupancy_percent, figures.median_wait_minutes
    critical, opened = figures.critical_emergencies.value, figures.emergencies_opened_7_days
    hospitals_waiting = figures.hospitals_awaiting_verification.value
    cards = [
        kpi.figure_card(
            "free_beds", count(figures.free_beds.value),
            status=FREE_SHARE_STATUS.get(figures.free_beds.status or "", kpi.Status.NO_DATA),
            status_note=f"alert at {limits.low_availability.raise_at:.0f}% free", page="resources",
        ),
        kpi.figure_card(
            "bed_occupancy", percent(None if occupancy.value is None else float(occupancy.value) / 100),
            delta=kpi.signed_change(occupancy.value, occupancy.comparison, unit="points", digits=1),
            delta_color="inverse",
            delta_description="vs the network" if occupancy.comparison is not None else None,
            status=_status(ctx, "occupancy", occupancy.value, limits.occupancy),
            status_note=f"alert at {limits.occupancy.raise_at:.0f}%", page="resources",
        ),
        kpi.figure_card(
            "patients_waiting", count(figures.patients_waiting.value),
            status=kpi.Status.ATTENTION if figures.patients_over_target else kpi.Status.NORMAL,
            status_note=f"{count(figures.patients_over_target)} past target", page="waitlist",
        ),
        kpi.figure_card(
            "median_wait_today", minutes_words(median.value),
            delta=kpi.signed_change(median.value, median.comparison, unit="min"), delta_color="inverse",
            delta_description="vs the previous 7 days", page="waitlist",
        ),
        kpi.figure_card(
            "appointments_today", count(figures.appointments_today.value),
            delta=kpi.signed_change(figures.appointments_today.value, figures.appointments_today.comparison),
            delta_description="vs the same day last week", page="appointments",
        ),
        kpi.figure_card(
            "open_emergencies", count(figures.open_emergencies.value),
            delta=f"{count(critical)} critical" if critical else None, delta_color="off",
            status=kpi.Status.ATTENTION if critical else kpi.Status.NORMAL, status_note="any critical open",
            help_extra=f"Opened in the last 7 days: {count(opened.value)} (the 7 before: {count(opened.comparison)}).",
            page="emergencies",
        ),
        kpi.figure_card(
            "documents_awaiting_verification", count(figures.documents_awaiting_verification.value),
            delta=HOSPITALS.count(hospitals_waiting) if ctx.network_wide and hospitals_waiting else None,
            delta_color="off",
            help_extra="Hospitals waiting to be verified are counted beside it." if ctx.network_wide else None,
            page="verification",
        ),
        average_card(ctx, alarm_below_middle=True, page="compliance"),  # Compliance's own card; alarm if red
    ]  # fmt: skip
    revenue = figures.revenue_month_to_date
    if revenue is not None:  # roles that do not read finances see no revenue
        # A ledger posted at each month's close has nothing for "the same days last month": no delta then.
        cards.insert(6, kpi.figure_card(
            "revenue_month_to_date", naira_short(revenue.value),
            delta=naira_change(revenue.change) if revenue.comparison else None, delta_color="normal",
            delta_description=f"vs {figures.comparison_label}" if revenue.comparison else None,
            help_extra=f"{figures.period_label}: {naira(revenue.value)}.", page="financials",
        ))  # fmt: skip
    return cards


def _candidates(ctx: PageContext, limits: Settings) -> list[alerts.Alert]:
    """Everything in scope that may be past a threshold: resources running low, stale bed counts, long waits."""
    actor, found = ctx.actor, []
    for low in data.cached(resource_list.low_availability_alerts, actor):
        where = f" at {md_escape(low.hospital_name)}" if ctx.network_wide else ""
        found.append(alerts.Alert(
            key=f"low:{low.resource_id}", value=low.free_percent, level=limits.low_availability, page="resources",
            text=f"{md_escape(low.name)}{where}: {count(low.available)} of {count(low.usable)} free "
            f"({low.free_percent:.0f}%).",
            kind="Running low", short=f"{md_escape(low.name)}{where} ({low.free_percent:.0f}% free)",
        ))  # fmt: skip
    for beds in data.cached(bed_figures.beds_by_hospital, actor):
        if beds.stale:
            hours, name = beds.hours_since_update, md_escape(beds.hospital_name)
            age = "never reported" if hours is None else f"last counted {minutes_words(hours * 60)} ago"
            found.append(alerts.Alert(
                key=f"stale:{beds.hospital_id}", text=f"Bed counts at {name} are stale ({age}).",
                value=hours if hours is not None else 1e9, level=limits.stale, page="resources",
                kind="Stale bed counts", short=name,
            ))  # fmt: skip
    if ctx.viewer.user.role in permissions.readers("waitlist"):
        for breach in data.cached(waitlist_queue.breaches, actor):
            where = f", {md_escape(breach.hospital_name)}" if ctx.network_wide else ""
            found.append(alerts.Alert(
                key=f"wait:{breach.id}", value=breach.waited_minutes, level=limits.wait_target(breach.priority),
                text=f"{md_escape(breach.patient_name)} ({humanise(breach.priority)}, {md_escape(breach.department)}"
                f"{where}) has waited {minutes_words(breach.waited_minutes)}.",
                page="waitlist", kind="Waiting past the target",
                short=f"{md_escape(breach.patient_name)} ({minutes_words(breach.waited_minutes)})",
            ))  # fmt: skip
    if ctx.viewer.user.role in permissions.readers("licences"):
        found.extend(overview_licences_page.licence_alerts(ctx, limits))
    return found


def _reporting(ctx: PageContext, limits: Settings) -> None:
    st.subheader("Reporting completeness", help=catalogue.figure("reporting_completeness").help)
    st.caption(
        f"Which hospitals have not reported within the expected period: beds every "
        f"{limits.beds_report_hours:.0f} hours, finances every {limits.finance_report_days:.0f} days, compliance "
        f"every {limits.compliance_report_days:.0f} days. Most overdue first."
    )
    reporting = data.cached(overview.reporting_completeness, ctx.actor)
    overdue = [r for r in reporting if r.overdue_reports]
    if not overdue:
        say.success(f"All {count(len(reporting))} hospitals have reported on time.", icon=":material/check_circle:")
        return
    frame = REPORTING.frame(overdue, network_wide=True)
    st.dataframe(frame, hide_index=True, width="stretch", height="content" if len(overdue) <= 25 else 600)
    verb = "has" if len(overdue) == 1 else "have"
    st.caption(f"{count(len(overdue))} of {HOSPITALS.count(len(reporting))} {verb} a report overdue.")
