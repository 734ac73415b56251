"""Peers: each hospital's figures beside the median of hospitals of its type and size, and the gap between them.

A hospital's peer group is the hospitals of its facility type (hospitals.facility_type, migration 0026) and size
band (its beds as Resources & beds counts them: under 50, 50-149, 150-399, 400 and more). A group of fewer than
MIN_PEERS hospitals is widened to the whole type, and the row says so; a type with fewer than MIN_PEERS
hospitals has no comparison at all. Active hospitals with a type and at least one bed take part.

Each figure compared is the catalogue's own (dashboard/platform/figures.py), built from its source's query
parts, grouped by hospital: occupancy from floor.bed_figures (the wards' latest counts), average length of stay
from floor.admission_queries, the no-show rate from appointments.records, the compliance score from
governance.compliance (each hospital's current assessments) and revenue per bed from money.hospital_ledger's
revenue over the same beds. tests/overview/test_peers.py holds each hospital's value equal to what its own
pages show. The medians are one statement (percentile_cont within each group, NULLs left out).

A network actor sees every hospital. A hospital's actor sees its own row only: its own figures beside its
group's medians and the group's size, never another hospital's name or figure. The medians need the other
hospitals' rows, which row-level security hides from a hospital's transaction, so that one statement runs
inside a savepoint with the transaction's scope opened to the network, and returns only the actor's own
hospital's row (its WHERE names it); rolling the savepoint back restores the hospital's scope (set_config is
transaction-local and undone with its savepoint), and it is set again after, whatever happened. The
definitions then stay written once, in the sources, instead of again in a SECURITY DEFINER function.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import Float, Integer, case, cast, func, literal, null, select
from sqlalchemy.orm import Session

from dashboard.domains.appointments.records import dated_within
from dashboard.domains.floor.admission_queries import stay_days
from dashboard.domains.floor.bed_figures import active_beds
from dashboard.domains.governance.compliance import HCT, current
from dashboard.domains.money.hospital_ledger import Entry, fiscal_months, sum_of
from dashboard.platform import figures, permissions
from dashboard.platform.actors import Actor
from dashboard.platform.dates import checked_range, lagos_midnight
from db.models import Appointment, Hospital, HospitalPatient
from db.row_scope import apply_scope
from db.vocab import FACILITY_TYPES

MIN_PEERS = 3  # a group of fewer is widened to its type; a type of fewer has no comparison
IN_LINE_SHARE = 0.05  # within 5% of the median (either way) is "in line"
LAGGING_AT = 3  # behind on this many of the figures or more: "Behind their peers" (figures.py says 3 of the 5)
# (lowest beds, label) of each size band, smallest first.
SIZE_BANDS = ((0, "under 50 beds"), (50, "50–149 beds"), (150, "150–399 beds"), (400, "400 beds or more"))
SHORT_BANDS = ("<50 beds", "50–149 beds", "150–399 beds", "400+ beds")
TYPE_WORDS = {
    "teaching": "Teaching hospital",
    "federal_medical_centre": "Federal medical centre",
    "general": "General hospital",
    "specialist": "Specialist hospital",
    "private_clinic": "Private clinic",
}
SHORT_TYPE_WORDS = {"teaching": "Teaching", "federal_medical_centre": "Federal medical centre", "general": "General",
                    "specialist": "Specialist", "private_clinic": "Private clinic"}  # fmt: skip
assert set(TYPE_WORDS) == set(FACILITY_TYPES) == set(SHORT_TYPE_WORDS)

BEHIND, IN_LINE, AHEAD, NO_FIGURE = "behind", "in_line", "ahead", "none"
STANDING_WORDS = {BEHIND: "Behind", IN_LINE: "In line", AHEAD: "Ahead", NO_FIGURE: "No figure"}
STANDING_MARKS = {BEHIND: "▼", IN_LINE: "●", AHEAD: "▲", NO_FIGURE: "–"}


@dataclass(frozen=True)
class PeerFigure:
    """One figure compared: its catalogue key and which way is better."""

    spec: figures.FigureSpec  # the catalogue's figure: its definition, unit and source
    label: str  # its name here (the catalogue's definition is its help)
    column: str  # its name atop a column of the gaps' table
    higher_is_better: bool

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def better(self) -> str:
        return "Higher is better" if self.higher_is_better else "Lower is better"


PEER_FIGURES: tuple[PeerFigure, ...] = (
    PeerFigure(figures.figure("bed_occupancy"), "Occupancy", "Occupancy", higher_is_better=True),
    PeerFigure(figures.figure("average_stay"), "Length of stay", "Stay", higher_is_better=False),
    PeerFigure(figures.figure("revenue_per_bed"), "Revenue per bed", "Revenue/bed", higher_is_better=True),
    PeerFigure(figures.figure("no_show_rate"), "No-show rate", "No-shows", higher_is_better=False),
    PeerFigure(figures.figure("compliance_score"), "Compliance score", "Compliance", higher_is_better=True),
)
FIGURE_BY_KEY = {f.key: f for f in PEER_FIGURES}


@dataclass(frozen=True)
class Comparison:
    figure: str  # its key in the catalogue
    value: float | None  # the hospital's own (percentages as 0–100)
    median: float | None  # its peer group's
    peers_with_figure: int  # hospitals of the group that have this figure (the median is theirs)

    @property
    def gap(self) -> float | None:
        """The hospital's value less its peers' median, in the figure's units."""
        return None if self.value is None or self.median is None else self.value - self.median

    @property
    def standing(self) -> str:
        """Behind, in line or ahead of the peers' median, by which way the figure is better."""
        gap = self.gap
        if gap is None:
            return NO_FIGURE
        if abs(gap) <= IN_LINE_SHARE * abs(self.median or 0.0):
            return IN_LINE
        return AHEAD if (gap > 0) == FIGURE_BY_KEY[self.figure].higher_is_better else BEHIND

    @property
    def shortfall(self) -> float:
        """How far behind, as a share of the median (0 unless behind): the laggards' order."""
        if self.standing != BEHIND:
            return 0.0
        return abs(self.gap or 0.0) / abs(self.median) if self.median else 1.0


@dataclass(frozen=True)
class HospitalPeers:
    hospital_id: str
    hospital_name: str
    facility_type: str
    beds: int
    size_band: int  # index into SIZE_BANDS
    members: int  # hospitals in the peer group, this one included
    widened: bool  # its type and size band held fewer than MIN_PEERS: the group is the whole type
    comparisons: tuple[Comparison, ...]  # in PEER_FIGURES order; medians None when there are too few peers

    @property
    def compared(self) -> bool:
        return self.members >= MIN_PEERS

    @property
    def group_label(self) -> str:
        kind = TYPE_WORDS[self.facility_type]
        return f"{kind}s, all sizes" if self.widened else f"{kind}s, {SIZE_BANDS[self.size_band][1]}"

    @property
    def short_group(self) -> str:
        """The group in a table cell: "Teaching, <50 beds (3)", "Specialist, all sizes (1: too few)"."""
        kind = SHORT_TYPE_WORDS[self.facility_type]
        size = "all sizes" if self.widened else SHORT_BANDS[self.size_band]
        return f"{kind}, {size} ({self.members}{'' if self.compared else ': too few'})"

    @property
    def behind(self) -> int:
        return sum(c.standing == BEHIND for c in self.comparisons)

    @property
    def with_figures(self) -> int:
        return sum(c.standing != NO_FIGURE for c in self.comparisons)

    def comparison(self, key: str) -> Comparison:
        return next(c for c in self.comparisons if c.figure == key)

    @property
    def lag_order(self) -> tuple:
        """The worst laggards first: most figures behind, then the deepest shortfall, then by name."""
        return (-self.behind, -sum(c.shortfall for c in self.comparisons), self.hospital_name, self.hospital_id)


@dataclass(frozen=True)
class PeerView:
    start: date
    end: date
    hospitals: list[HospitalPeers]  # the worst laggards first; a hospital's actor: its own row alone
    untyped: int  # active hospitals in scope left out: no facility type recorded, or no beds counted

    @property
    def compared(self) -> list[HospitalPeers]:
        return [h for h in self.hospitals if h.compared]

    @property
    def groups(self) -> int:
        return len({h.group_label for h in self.compared})


def size_band(beds: int) -> int:
    """The index of the size band `beds` falls in."""
    return max(i for i, (lowest, _) in enumerate(SIZE_BANDS) if beds >= lowest)


def _band_sql(beds):
    return case(*((beds >= lowest, i) for i, (lowest, _) in reversed(list(enumerate(SIZE_BANDS))) if lowest), else_=0)


def _per_hospital(network: Actor, start: date, end: date):
    """Every active hospital with a type: its beds and each figure's value, from the figures' own sources."""
    beds = active_beds(None).subquery("beds")
    usable = func.sum(beds.c.total) - func.sum(beds.c.maintenance)
    bed_rows = (
        select(
            beds.c.hospital_id,
            func.sum(beds.c.total).label("beds"),
            (100.0 * func.sum(beds.c.in_use) / func.nullif(usable, 0)).label("bed_occupancy"),
        )
        .group_by(beds.c.hospital_id)
        .subquery("bed_rows")
    )
    stays = (
        select(HospitalPatient.hospital_id, func.avg(stay_days).label("average_stay"))
        .where(
            HospitalPatient.discharge_date >= lagos_midnight(start),
            HospitalPatient.discharge_date < lagos_midnight(end + timedelta(days=1)),
        )
        .group_by(HospitalPatient.hospital_id)
        .subquery("stays")
    )
    first, last = fiscal_months(start, end)
    revenue = (
        select(Entry.hospital_id, sum_of("revenue").label("revenue"))
        .where(Entry.fiscal_month.between(first, last))
        .group_by(Entry.hospital_id)
        .subquery("revenue")
    )
    outcomes = func.count().filter(Appointment.status.in_(("completed", "no_show")))
    no_shows = (
        select(
            Appointment.hospital_id,
            (100.0 * func.count().filter(Appointment.status == "no_show") / func.nullif(outcomes, 0)).label(
                "no_show_rate"
            ),
        )
        .where(*dated_within(start, end))
        .group_by(Appointment.hospital_id)
        .subquery("no_shows")
    )
    latest = current(network, HCT.hospital_id, HCT.score).subquery("latest")
    scores = (
        select(latest.c.hospital_id, func.avg(latest.c.score).label("compliance_score"))
        .group_by(latest.c.hospital_id)
        .subquery("scores")
    )
    beds_count = cast(func.coalesce(bed_rows.c.beds, 0), Integer)
    return (
        select(
            Hospital.id.label("hospital_id"),
            Hospital.name.label("hospital_name"),
            Hospital.facility_type,
            beds_count.label("beds"),
            _band_sql(beds_count).label("band"),
            cast(bed_rows.c.bed_occupancy, Float).label("bed_occupancy"),
            cast(stays.c.average_stay, Float).label("average_stay"),
            cast(revenue.c.revenue / func.nullif(bed_rows.c.beds, 0), Float).label("revenue_per_bed"),
            cast(no_shows.c.no_show_rate, Float).label("no_show_rate"),
            cast(scores.c.compliance_score, Float).label("compliance_score"),
        )
        .outerjoin(bed_rows, bed_rows.c.hospital_id == Hospital.id)
        .outerjoin(stays, stays.c.hospital_id == Hospital.id)
        .outerjoin(revenue, revenue.c.hospital_id == Hospital.id)
        .outerjoin(no_shows, no_shows.c.hospital_id == Hospital.id)
        .outerjoin(scores, scores.c.hospital_id == Hospital.id)
        .where(Hospital.is_active, Hospital.facility_type.is_not(None), beds_count > 0)
    ).subquery("values")


def _comparison_statement(network: Actor, start: date, end: date, only: str | None):
    """Each hospital's values beside its peer group's medians, in one statement (only one hospital's row if asked)."""
    values = _per_hospital(network, start, end)
    in_band = func.count().over(partition_by=(values.c.facility_type, values.c.band))
    in_type = func.count().over(partition_by=values.c.facility_type)
    grouped = select(
        values,
        (in_band < MIN_PEERS).label("widened"),
        case((in_band < MIN_PEERS, in_type), else_=in_band).label("members"),
        # The group's key: its band, or -1 for the whole type.
        case((in_band < MIN_PEERS, -1), else_=values.c.band).label("group_band"),
    ).subquery("grouped")
    keys = [f.key for f in PEER_FIGURES]

    def medians(band):
        return select(
            values.c.facility_type.label("facility_type"),
            band.label("group_band"),
            *(func.percentile_cont(0.5).within_group(values.c[k]).label(f"median_{k}") for k in keys),
            *(func.count(values.c[k]).label(f"with_{k}") for k in keys),
        )

    by_band = medians(values.c.band).group_by(values.c.facility_type, values.c.band)
    by_type = medians(literal(-1)).group_by(values.c.facility_type)
    group_medians = by_band.union_all(by_type).subquery("group_medians")
    stmt = select(
        grouped.c.hospital_id, grouped.c.hospital_name, grouped.c.facility_type, grouped.c.beds, grouped.c.band,
        grouped.c.members, grouped.c.widened,
        *(grouped.c[k] for k in keys),
        *(case((grouped.c.members >= MIN_PEERS, group_medians.c[f"median_{k}"]), else_=null()) for k in keys),
        *(group_medians.c[f"with_{k}"] for k in keys),
    ).join(group_medians, (group_medians.c.facility_type == grouped.c.facility_type)
           & (group_medians.c.group_band == grouped.c.group_band))  # fmt: skip
    return stmt if only is None else stmt.where(grouped.c.hospital_id == only)


def _row(row) -> HospitalPeers:
    n = len(PEER_FIGURES)
    values, medians, counts = row[7 : 7 + n], row[7 + n : 7 + 2 * n], row[7 + 2 * n : 7 + 3 * n]
    comparisons = tuple(
        Comparison(f.key, value, None if median is None else float(median), int(with_))
        for f, value, median, with_ in zip(PEER_FIGURES, values, medians, counts, strict=True)
    )
    return HospitalPeers(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), bool(row[6]), comparisons)


def _left_out(db: Session, actor: Actor, compared: int) -> int:
    """Active hospitals in scope not compared: no type recorded, or no beds counted."""
    stmt = select(func.count()).select_from(Hospital).where(Hospital.is_active)
    if not actor.network_wide:
        stmt = stmt.where(Hospital.id == actor.hospital_id)
    return int(db.scalar(stmt) or 0) - compared


@permissions.reads("peers", "compare hospitals with their peers", replica=True)
def peer_comparison(db: Session, actor: Actor, *, start: date, end: date) -> PeerView:
    """Each hospital in scope beside its peers' medians over the range, the worst laggards first.

    Occupancy is now and the compliance score each hospital's latest assessments; the stay, the no-show rate
    and revenue per bed cover `start` to `end` (revenue: the fiscal months the range touches).
    """
    start, end = checked_range(start, end)
    if actor.network_wide:
        rows = [_row(r) for r in db.execute(_comparison_statement(actor, start, end, None))]
    else:
        rows = [_row(r) for r in _own_row_among_network(db, actor, start, end)]
    rows.sort(key=lambda h: h.lag_order)
    return PeerView(start, end, rows, _left_out(db, actor, len(rows)))


def _own_row_among_network(db: Session, actor: Actor, start: date, end: date) -> list:
    """The actor's hospital's row, its medians taken over the network (see the module's docstring)."""
    network = replace(actor, hospital_id=None)
    savepoint = db.begin_nested()
    try:
        apply_scope(db, None, actor.user_id)
        return db.execute(_comparison_statement(network, start, end, actor.hospital_id)).all()
    finally:
        savepoint.rollback()
        apply_scope(db, actor.hospital_id, actor.user_id)
