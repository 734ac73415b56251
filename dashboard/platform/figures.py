"""The catalogue of figures: every number the dashboard shows, declared once.

Each figure has a name, a definition in one sentence a manager understands, a unit, the period it
covers and the one service function that computes it for a scope. Cards take their label and help
text from here (`dashboard.kit.kpi.figure_card`), the "How figures are counted" page lists
it, and `tests/platform/test_figure_catalogue.py` checks that every source exists and every card that shows a
catalogued figure says its definition. Two places that show the same figure call the same source,
so they cannot drift apart (as DHIS2's indicator definitions and Metabase's metrics do).

This module is plain data: it names its sources by dotted path rather than importing them, so any
service may read a definition without an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from dashboard.platform import permissions

Unit = Literal["count", "percent", "naira", "minutes", "days", "ratio", "score"]

# The periods, in words the pages print beside the figure.
NOW = "now"
TODAY = "today (Lagos time)"
DATE_RANGE = "the date range in the sidebar"
MONTH_TO_DATE = "the month so far, against the same days of the month before and of the same month last year"
LAST_7_DAYS = "today and the 6 days before, against the 7 days before those"
CURRENT = "each hospital's latest assessment"
# Appointments' cards, charts and list cover one range: the sidebar's, reaching into the coming weeks
# while the page's "Include the next 60 days" is on (it is, unless the reader turns it off).
DIGEST_WEEK = "the last 7 days, by the time each digest was due"
APPOINTMENTS_RANGE = "the date range in the sidebar, and the next 60 days while the Appointments list includes them"
# Budget against actual: the fiscal year (January to December) of the sidebar's end, its months booked so far.
BUDGET_YEAR = "the fiscal year of the date range's end, from January to the last month booked"


@dataclass(frozen=True)
class FigureSpec:
    key: str
    label: str
    definition: str  # one sentence, ending with a full stop
    unit: Unit
    period: str
    source: str  # "domain.module:function[.field]" under dashboard.domains
    area: str  # the permission area whose readers see it (and the page that explains it)

    @property
    def help(self) -> str:
        """A card's help text: the definition, then the period when the definition does not say it."""
        return self.definition if self.period == NOW else f"{self.definition} Period: {self.period}."

    def function(self) -> Callable:
        module, _, rest = self.source.partition(":")
        return getattr(importlib.import_module(f"dashboard.domains.{module}"), rest.split(".")[0])


def _f(key: str, label: str, definition: str, unit: Unit, period: str, source: str, area: str) -> FigureSpec:
    return FigureSpec(key, label, definition, unit, period, source, area)


CATALOGUE: tuple[FigureSpec, ...] = (
    # --- Beds and resources ------------------------------------------------------------------------
    _f("free_beds", "Free beds now",
       "Beds neither in use nor in maintenance, over every ward of the active hospitals in scope, from each "
       "ward's latest count.",
       "count", NOW, "floor.bed_figures:bed_totals", "resources"),
    _f("bed_occupancy", "Bed occupancy",
       "Beds in use out of the beds that can be used (total less those in maintenance), at active hospitals.",
       "percent", NOW, "floor.bed_figures:bed_totals", "resources"),
    _f("beds_in_use", "Beds in use",
       "Beds held by admitted patients, plus any a ward has counted in use without an admission recorded here.",
       "count", NOW, "floor.bed_figures:bed_totals", "resources"),
    _f("free_icu_beds", "Free ICU beds",
       "ICU beds neither in use nor in maintenance, from each ICU's latest count.",
       "count", NOW, "floor.bed_figures:beds_by_hospital", "resources"),
    _f("stale_counts", "Stale counts",
       "Resources whose count nobody has updated or confirmed within the stale threshold.",
       "count", NOW, "floor.resource_list:category_summary", "resources"),
    # Supplies (issue 23): from each consumable's stock history (migration 0018), floor/supply_burn.py.
    _f("supply_burn_rate", "Burn rate",
       "Units of a supply used a day: those used in the last 28 days (Lagos, today included) divided by 28, or by "
       "the days since its first record when its history is shorter.",
       "count", "the last 28 days", "floor.supply_burn:supplies", "resources"),
    _f("supply_days_left", "Runs out in",
       "Whole days the stock in hand lasts at the burn rate (rounded down); the run-out date is that many days "
       "after today in Lagos.",
       "days", NOW, "floor.supply_burn:supplies", "resources"),
    _f("supplies_running_out", "Supplies to order now",
       "Supplies whose stock lasts fewer days than a delivery of their category takes (the restock lead time).",
       "count", NOW, "floor.supply_burn:running_out", "resources"),
    # The bed board (issue 23): a ward's beds one by one (migration 0015), floor/bed_board.py.
    _f("board_free_beds", "Free beds in the ward",
       "Beds of the ward ready for a patient now: not occupied, reserved, being cleaned or blocked.",
       "count", NOW, "floor.bed_board:beds", "bed_board"),
    _f("board_occupied_beds", "Occupied beds in the ward",
       "Beds of the ward held by a patient admitted and not yet discharged or moved.",
       "count", NOW, "floor.bed_board:beds", "bed_board"),
    _f("board_cleaning_beds", "Beds being cleaned",
       "Beds of the ward whose patient has left and which housekeeping has not yet marked clean.",
       "count", NOW, "floor.bed_board:beds", "bed_board"),
    _f("board_blocked_beds", "Blocked beds in the ward",
       "Beds of the ward out of use for a reason recorded on the board, such as a broken bed or isolation.",
       "count", NOW, "floor.bed_board:beds", "bed_board"),
    # --- Admissions -------------------------------------------------------------------------------
    _f("in_hospital_now", "In hospital now",
       "Patients admitted and not yet discharged.",
       "count", NOW, "floor.admission_queries:stay_figures", "admissions"),
    _f("average_stay", "Average length of stay",
       "Days from admission to discharge, averaged over the patients discharged in the period.",
       "days", DATE_RANGE, "floor.admission_queries:stay_figures", "admissions"),
    _f("discharges", "Discharges",
       "Patients discharged in the period.",
       "count", DATE_RANGE, "floor.admission_queries:stay_figures", "admissions"),
    _f("bed_turnover", "Bed turnover",
       "Discharges in the period per bed in scope.",
       "ratio", DATE_RANGE, "floor.admission_queries:stay_figures", "admissions"),
    # --- Waitlist ---------------------------------------------------------------------------------
    _f("patients_waiting", "Patients waiting",
       "Patients who have arrived and not yet been called, in every department in scope.",
       "count", NOW, "floor.waitlist_queue:waiting_now", "waitlist"),
    _f("past_wait_target", "Past the wait target",
       "Patients waiting longer than the target for their priority.",
       "count", NOW, "floor.waitlist_queue:waiting_now", "waitlist"),
    _f("median_wait_today", "Median wait today",
       "The middle wait from arrival to being called, of the patients called today, against the 7 days before.",
       "minutes", TODAY, "floor.waitlist_waits:median_waits", "waitlist"),
    _f("longest_wait_now", "Longest wait now",
       "How long the patient who has waited longest, and is still waiting, has been waiting.",
       "minutes", NOW, "floor.waitlist_queue:waiting_now", "waitlist"),
    # --- Appointments -----------------------------------------------------------------------------
    _f("appointments_today", "Appointments today",
       "Appointments dated today, cancelled ones left out, against the same weekday last week.",
       "count", TODAY, "overview.overview:overview_figures.appointments_today", "appointments"),
    _f("appointments_booked", "Appointments",
       "Appointments dated in the period, cancelled ones included.",
       "count", APPOINTMENTS_RANGE, "appointments.appointment_figures:figures", "appointments"),
    _f("no_show_rate", "No-show rate",
       "No-shows out of the appointments whose outcome is known (completed or no-show).",
       "percent", APPOINTMENTS_RANGE, "appointments.appointment_figures:figures", "appointments"),
    _f("cancellation_rate", "Cancellation rate",
       "Cancelled appointments out of every appointment dated in the period.",
       "percent", APPOINTMENTS_RANGE, "appointments.appointment_figures:figures", "appointments"),
    _f("virtual_share", "Virtual",
       "Virtual appointments out of all appointments in the period, cancelled ones left out.",
       "percent", APPOINTMENTS_RANGE, "appointments.appointment_figures:figures", "appointments"),
    # --- Emergencies ------------------------------------------------------------------------------
    _f("open_emergencies", "Open emergencies",
       "Emergency requests not yet closed (pending, dispatched or in progress) that a hospital in scope holds, "
       "has referred or has been referred.",
       "count", NOW, "emergencies.open_list:open_counts.open", "emergencies"),
    _f("critical_emergencies", "Critical, open",
       "Open emergency requests whose severity is critical.",
       "count", NOW, "emergencies.open_list:open_counts.critical", "emergencies"),
    _f("referrals_awaiting", "Referrals awaiting an answer",
       "Referrals sent to a hospital in scope that it has not yet accepted or declined.",
       "count", NOW, "emergencies.referral_reads:board.awaiting", "emergencies"),
    _f("hospitals_on_diversion", "Hospitals on diversion",
       "Hospitals that have stopped accepting referred patients for now.",
       "count", NOW, "emergencies.diversion:diversions", "emergencies"),
    _f("minutes_to_accepted_referral", "Minutes to an accepted referral",
       "The middle time from an emergency request to the first referral a hospital accepted, by month.",
       "minutes", DATE_RANGE, "emergencies.response_times:median_assignment_by_month", "emergencies"),
    # --- Money ------------------------------------------------------------------------------------
    _f("revenue_month_to_date", "Revenue this month",
       "Income booked on the hospitals' ledgers for this month so far (every entry of its fiscal month).",
       "naira", MONTH_TO_DATE, "money.month_figures:month_to_date", "financials"),
    _f("expenses_month_to_date", "Expenses this month",
       "Costs booked on the hospitals' ledgers for this month so far (every entry of its fiscal month).",
       "naira", MONTH_TO_DATE, "money.month_figures:month_to_date", "financials"),
    _f("net_month_to_date", "Net this month",
       "Revenue less expenses booked for this month so far.",
       "naira", MONTH_TO_DATE, "money.month_figures:month_to_date", "financials"),
    # Budget against actual (issue 24): money/budgets.py, one report read by the page, its export and the board PDF.
    _f("budget_to_date", "Budget to date",
       "What the hospitals planned to earn or spend in the months compared: each month's budget (an annual one in "
       "twelve even parts), a month still running by the share of its days booked so far, and a month a hospital "
       "has not booked left out.",
       "naira", BUDGET_YEAR, "money.budgets:budget_report", "budgets"),
    _f("actual_to_date", "Actual to date",
       "What the hospitals' ledgers booked in the same months and categories as the budget it is set against.",
       "naira", BUDGET_YEAR, "money.budgets:budget_report", "budgets"),
    _f("variance_to_date", "Against budget",
       "Actual less budget over the same months: above zero an expense is over its budget and revenue ahead of it.",
       "naira", BUDGET_YEAR, "money.budgets:budget_report", "budgets"),
    _f("categories_over_budget", "Categories over budget",
       "Expense categories that spent more than their budget to date, and revenue categories that earned less.",
       "count", BUDGET_YEAR, "money.budgets:budget_report", "budgets"),
    _f("wallet_balances", "Held in wallets",
       "What patients' wallets hold now, the sum of their balances.",
       "naira", NOW, "money.wallets:wallet_totals", "wallets"),
    _f("wallets_funded", "Wallets with money",
       "Patients' wallets whose balance is above zero, out of every wallet.",
       "count", NOW, "money.wallets:wallet_totals", "wallets"),
    _f("wallet_credits", "Credits",
       "Money added to patients' wallets (top-ups and refunds), by the Lagos day it was added.",
       "naira", DATE_RANGE, "money.wallets:monthly_flows", "wallets"),
    _f("wallet_debits", "Debits",
       "Money taken from patients' wallets to pay for care, by the Lagos day it was taken.",
       "naira", DATE_RANGE, "money.wallets:monthly_flows", "wallets"),
    # Claims (issue 24): NHIA and HMO claims (migration 0023), money/claims.py. The cards sum the ageing chart's rows.
    _f("claims_outstanding", "Owed on claims",
       "What NHIA and the HMOs owe on claims submitted and neither paid nor denied yet, at the amount billed.",
       "naira", NOW, "money.claims:receivables", "claims"),
    _f("claims_over_90_days", "Owed over 90 days",
       "The part of what is owed on claims submitted more than 90 days ago (Lagos days, from the submission).",
       "naira", NOW, "money.claims:receivables", "claims"),
    _f("claim_denial_rate", "Denial rate",
       "Claims denied out of the claims paid or denied in the period.",
       "percent", DATE_RANGE, "money.claims:payer_performance", "claims"),
    _f("claim_days_to_pay", "Median days to pay",
       "The middle number of Lagos days from a claim's submission to its payment, over the claims paid in the "
       "period; the 90th percentile beside it is the wait that only one claim in ten exceeds.",
       "days", DATE_RANGE, "money.claims:payer_performance", "claims"),
    _f("claims_paid_against_ledger", "Claims paid against the ledger",
       "What NHIA and the HMOs paid on claims, by hospital and Lagos month of payment, against the ledger's NHIA "
       "capitation and HMO claims revenue of the same hospitals and months.",
       "naira", "every fiscal month the date range in the sidebar touches", "money.claims:ledger_tie", "claims"),
    # --- Governance -------------------------------------------------------------------------------
    _f("compliance_score", "Average score",
       "The average score, out of 100, of each hospital's latest assessment of each compliance type.",
       "score", CURRENT, "governance.compliance_scores:summary", "compliance"),
    # Checklists (issue 24, migration 0024): the rule is compliance_checklists.score_of; the thresholds are the
    # score bands of db/settings (compliant 85, partial 60 by default).
    _f("checklist_score", "Checklist score",
       "The weighted share of a checklist's applicable items that are met, out of 100 (an item not answered yet "
       "counts as not met; items answered not applicable are left out); a required item not met or not answered "
       "caps it at the top of the partially compliant band (84 by default), so it is never compliant; once an item "
       "is answered it is the assessment's score.",
       "score", CURRENT, "governance.compliance_checklists:checklist", "compliance"),
    _f("assessments_overdue", "Assessments overdue",
       "Compliance types whose next assessment date has passed without a new assessment.",
       "count", NOW, "governance.compliance_scores:summary", "compliance"),
    _f("assessments_due_soon", "Due in the next 30 days",
       "Compliance types whose next assessment date falls within the next 30 days.",
       "count", NOW, "governance.compliance_scores:summary", "compliance"),
    _f("open_findings", "Open findings",
       "Violations and corrective actions of the latest assessments that nobody has closed yet.",
       "count", NOW, "governance.compliance_scores:summary", "compliance"),
    # Every staff role sees this count on the Overview (the Verification page lists the documents).
    _f("documents_awaiting_verification", "Documents to verify",
       "Staff and patient documents (licences and the like) waiting for a reviewer's decision, whose owner "
       "belongs to a hospital in scope.",
       "count", NOW, "governance.verification:awaiting_counts", "overview"),
    _f("hospitals_awaiting_verification", "Hospitals to verify",
       "Hospitals registered on the network that wait for an administrator to verify them.",
       "count", NOW, "governance.verification:awaiting_counts", "verification"),
    _f("longest_verification_wait", "Longest wait",
       "How long the hospital or document at the head of its verification queue has waited, the longer of the "
       "two queues' first rows.",
       "days", NOW, "governance.verification_figures:queue_summary", "verification"),
    _f("time_to_verify", "Median time to verify",
       "The middle time from a document's upload to its decision, for the documents decided in the period.",
       "days", "the last 30 days, against the 30 days before", "governance.verification_figures:queue_summary",
       "verification"),
    # Licences: the bands follow db/settings (licence_*_notice_days); the cards' labels name the days in force.
    _f("licences_expired", "Licences expired",
       "Facility licences and accreditations of hospitals in scope whose expiry date has passed without a renewal.",
       "count", TODAY, "governance.licences:licence_summary", "licences"),
    _f("licences_expiring_final", "Expiring within 30 days",
       "Licences and accreditations still valid today that expire within the final notice period (30 days by "
       "default).",
       "count", TODAY, "governance.licences:licence_summary", "licences"),
    _f("licences_expiring_second", "Expiring within 60 days",
       "Licences and accreditations that expire after the final notice period but within the second (60 days by "
       "default).",
       "count", TODAY, "governance.licences:licence_summary", "licences"),
    _f("licences_expiring_first", "Expiring within 90 days",
       "Licences and accreditations that expire after the second notice period but within the first (90 days by "
       "default).",
       "count", TODAY, "governance.licences:licence_summary", "licences"),
    # Peers (issue 24): overview/peers.py sets each hospital's catalogued figures beside its peer group's median.
    _f("revenue_per_bed", "Revenue per bed",
       "Income booked on a hospital's ledger in the fiscal months of the period, divided by its beds (every bed "
       "counted on Resources & beds, in use, free or in maintenance).",
       "naira", DATE_RANGE, "overview.peers:peer_comparison", "peers"),
    _f("peers_compared", "Hospitals compared",
       "Active hospitals with a facility type recorded and beds counted, in a peer group of at least 3.",
       "count", NOW, "overview.peers:peer_comparison", "peers"),
    _f("peer_groups", "Peer groups",
       "Groups of hospitals of one facility type and size band, or of the whole type where its band holds fewer "
       "than 3.",
       "count", NOW, "overview.peers:peer_comparison", "peers"),
    _f("peers_not_compared", "Not compared",
       "Active hospitals in scope with no facility type recorded, no beds counted, or fewer than 3 of their type.",
       "count", NOW, "overview.peers:peer_comparison", "peers"),
    _f("peer_median", "Peer median",
       "The middle value of a figure among the hospitals of the same facility type and size band (under 50, "
       "50–149, 150–399, 400 or more beds), the hospital itself included; a group of fewer than 3 hospitals is "
       "widened to its whole type, and a type of fewer than 3 is not compared.",
       "ratio", DATE_RANGE, "overview.peers:peer_comparison", "peers"),
    _f("peer_gap", "Gap to peers",
       "A hospital's figure less its peer median, in the figure's own units; within 5% of the median either way "
       "is in line, otherwise it is ahead or behind by which way the figure is better.",
       "ratio", DATE_RANGE, "overview.peers:peer_comparison", "peers"),
    _f("behind_peers", "Behind their peers",
       "Hospitals behind their peer median on at least 3 of the 5 figures compared (occupancy, average length of "
       "stay, revenue per bed, no-show rate and compliance score).",
       "count", DATE_RANGE, "overview.peers:peer_comparison", "peers"),
    # The network by state (issue 24): overview/states.py groups each hospital's share by its state (hospitals.state),
    # so a state's figure is the sum of its hospitals'; the map, its table and the state's hospitals read it.
    _f("states_covered", "States covered",
       "States (of the 36 and the FCT) with at least one hospital in scope.",
       "count", NOW, "overview.states:state_figures", "overview"),
    _f("states_without_verified", "States with none verified",
       "States whose hospitals in scope all still wait for the network to verify them (or were refused).",
       "count", NOW, "overview.states:state_figures", "overview"),
    _f("state_bed_occupancy", "Bed occupancy by state",
       "Beds in use out of the beds that can be used, over the active hospitals of the state.",
       "percent", NOW, "overview.states:state_figures", "resources"),
    _f("state_revenue_month_to_date", "Revenue this month by state",
       "Income booked on the ledgers of the state's hospitals for this month so far (every entry of its fiscal "
       "month booked by today).",
       "naira", "the month so far", "overview.states:state_figures", "financials"),
    _f("state_compliance_score", "Compliance score by state",
       "The average score, out of 100, of the latest assessment of each compliance type at the state's hospitals.",
       "score", CURRENT, "overview.states:state_figures", "compliance"),
    _f("state_open_emergencies", "Open emergencies by state",
       "Emergency requests not yet closed (pending, dispatched or in progress) held by the state's hospitals.",
       "count", NOW, "overview.states:state_figures", "emergencies"),
    _f("reporting_completeness", "Reporting completeness",
       "Hospitals that have reported beds, finances and compliance within their expected intervals.",
       "count", NOW, "overview.overview:reporting_completeness", "overview"),
    # Digests: the reader's own, or everyone's in scope for a network administrator (subscriptions.digest_summary).
    _f("digests_active", "Active digests",
       "Digests by email that are subscribed to and not cancelled: yours, or everyone's in scope for a network "
       "administrator.",
       "count", NOW, "digests.subscriptions:digest_summary", "digests"),
    _f("digests_sent_7_days", "Digests sent",
       "Digests delivered to the mail server whose time was due in the last 7 days.",
       "count", DIGEST_WEEK, "digests.subscriptions:digest_summary", "digests"),
    _f("digests_failed_7_days", "Digests not delivered",
       "Digests due in the last 7 days that failed after their last attempt or were withheld because the "
       "subscriber no longer sees that scope.",
       "count", DIGEST_WEEK, "digests.subscriptions:digest_summary", "digests"),
    _f("digests_waiting", "Digests waiting to send",
       "Digests due and not yet delivered, including those waiting for a retry after a failed attempt.",
       "count", NOW, "digests.subscriptions:digest_summary", "digests"),
)  # fmt: skip

FIGURES: dict[str, FigureSpec] = {f.key: f for f in CATALOGUE}

# The order and titles of the catalogue page's sections.
AREA_TITLES: dict[str, str] = {
    "resources": "Beds and resources",
    "admissions": "Admissions",
    "bed_board": "Bed board",
    "waitlist": "Waitlist",
    "appointments": "Appointments",
    "emergencies": "Emergencies",
    "financials": "Money",
    "wallets": "Patients' wallets",
    "claims": "Claims",
    "budgets": "Budget against actual",
    "compliance": "Compliance",
    "peers": "Peers",
    "verification": "Verification",
    "licences": "Licences",
    "overview": "Overview and reporting",
    "digests": "Digests by email",
}


def figure(key: str) -> FigureSpec:
    try:
        return FIGURES[key]
    except KeyError:
        raise KeyError(f"{key!r} is not in the figure catalogue (dashboard/platform/figures.py)") from None


def visible_to(role) -> list[FigureSpec]:
    """The figures whose area the role may read, in catalogue order."""
    return [f for f in CATALOGUE if role in permissions.readers(f.area)]
