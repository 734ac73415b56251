"""Compliance checklists (migration 0024): every current assessment's checklist answered, its score made from the
answers, and evidence files (tiny PDFs and PNGs made here) on the met required items of every other hospital.

The items are the migration's standard, read once from the database (the build keeps the table). Each current
assessment is answered to land near the score db/demo/compliance.py drew for it: items are marked not met, in a
seeded order, while the weighted share stays above that score; a compliant hospital meets every required item, a
non-compliant one fails one at least (its note says what is missing). The score written is the checklist's
(dashboard/domains/governance/compliance_checklists.py holds the rule; tests/db/test_demo.py holds them equal).
The story (docs/demo-data.md): the largest hospital's Fire safety checklist carries a photo of its fire exits
(a PNG) and its Fire Service certificate (a PDF).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.demo.identifiers import IdMaker
from db.demo.licences import tiny_pdf

ANSWER_COLUMNS = ("id", "assessment_id", "hospital_id", "item_id", "answer", "note", "answered_by", "answered_at")
EVIDENCE_COLUMNS = (
    "id", "assessment_id", "hospital_id", "item_id", "file_name", "content_type", "size_bytes", "content",
    "uploaded_by", "uploaded_at",
)  # fmt: skip
EVIDENCE_EVERY = 2  # hospitals whose index is a multiple of this attach evidence to their met required items
NOT_APPLICABLE_SHARE = 0.06  # of the items that are not required
COMPLIANT, PARTIAL = 85, 60  # db/settings' default bands, which the demo's statuses follow


@dataclass(frozen=True)
class Item:
    id: str
    code: str
    text: str
    required: bool
    weight: int


@dataclass
class Checklists:
    """The standard by type, and the answers and evidence rows gathered while the assessments are written."""

    items: dict[str, list[Item]]
    rng: object
    answers: list[tuple] = field(default_factory=list)
    evidence: list[tuple] = field(default_factory=list)
    answer_ids: IdMaker = field(default_factory=lambda: IdMaker("compliance_checklist_answers"))
    evidence_ids: IdMaker = field(default_factory=lambda: IdMaker("compliance_evidence"))


def read_standard(writer) -> dict[str, list[Item]]:
    rows = writer.query("SELECT compliance_type, id, code, text, required, weight FROM compliance_checklist_items "
                        "ORDER BY compliance_type, position")  # fmt: skip
    standard: dict[str, list[Item]] = {}
    for kind, *rest in rows:
        standard.setdefault(kind, []).append(Item(*rest))
    return standard


def score(weights: list[tuple[int, bool, str]]) -> int | None:
    """The checklist's score: the weighted share of applicable items met, a required item not met capping it."""
    applicable = sum(w for w, _, a in weights if a != "not_applicable")
    if not applicable:
        return None
    met = sum(w for w, _, a in weights if a == "met")
    share = (200 * met + applicable) // (2 * applicable)
    return min(share, COMPLIANT - 1) if any(r and a == "not_met" for _, r, a in weights) else share


def status_of(value: int | None, drawn: str) -> str:
    if drawn == "under_review" or value is None:
        return drawn
    return "compliant" if value >= COMPLIANT else "partially_compliant" if value >= PARTIAL else "non_compliant"


def answer(book: Checklists, *, assessment_id: str, hospital, kind: str, status: str, target: int,
           assessor: str, assessed: datetime, story: bool) -> tuple[int | None, int, int] | None:  # fmt: skip
    """Answer the assessment's checklist near `target`; the rows go into `book`. Returns (the checklist's score,
    items, items met), or None for a type with no standard checklist."""
    items = book.items.get(kind)
    if not items:
        return None
    rng = book.rng
    answers = {i.id: "not_applicable" if not i.required and rng.random() < NOT_APPLICABLE_SHARE else "met"
               for i in items}  # fmt: skip
    order = list(items)
    rng.shuffle(order)
    shown = items[0] if story else None  # the story's photographed item is met
    if status == "non_compliant":  # a required point failed, whatever else was met
        failing = next(i for i in order if i.required and i is not shown)
        answers[failing.id] = "not_met"
    for item in order:
        if answers[item.id] != "met" or (item.required and status == "compliant") or item is shown:
            continue
        trial = {**answers, item.id: "not_met"}
        if score([(i.weight, i.required, trial[i.id]) for i in items]) >= target:
            answers[item.id] = "not_met"
    for position, item in enumerate(items):
        given = answers[item.id]
        note = None
        if given == "not_met":
            note = f"Not met at the visit: {item.text[0].lower()}{item.text[1:]} was not shown."
        elif given == "not_applicable":
            note = "Not offered at this hospital."
        when = assessed + timedelta(minutes=5 * (position + 1))
        book.answers.append((book.answer_ids(len(book.answers)), assessment_id, hospital.id, item.id, given, note,
                             assessor, when))  # fmt: skip
        if given == "met" and item.required and (story or hospital.index % EVIDENCE_EVERY == 0):
            _evidence(book, assessment_id, hospital, item, assessor, when, "pdf")
            if story and position == 0:
                _evidence(book, assessment_id, hospital, item, assessor, when, "png")
    met = sum(given == "met" for given in answers.values())
    return score([(i.weight, i.required, answers[i.id]) for i in items]), len(items), met


def _evidence(book: Checklists, assessment_id: str, hospital, item: Item, who: str, when: datetime, kind: str) -> None:
    if kind == "png":
        content, name, mime = tiny_png(), f"{item.code.lower()}-photo-{hospital.site.slug}.png", "image/png"
    else:
        content = tiny_pdf(f"{item.code}: evidence", hospital.name, item.text, f"Seen on {when:%d %B %Y}")
        name, mime = f"{item.code.lower()}-{hospital.site.slug}.pdf", "application/pdf"
    book.evidence.append((book.evidence_ids(len(book.evidence)), assessment_id, hospital.id, item.id, name, mime,
                          len(content), content, who, when + timedelta(minutes=2)))  # fmt: skip


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """A small PNG (a green band over grey: a photo stands in for the fire exit), made by hand: deterministic."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + (b"\x1b\x9e\x77" if y < height // 2 else b"\x99\x99\x99") * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
