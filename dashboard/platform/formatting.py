"""Words and numbers as ../shared/design/UX.md wants them: naira, thousands separators, dates in Africa/Lagos.

Plain functions, no streamlit, so they are unit-tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from dashboard.platform.dates import LAGOS

NAIRA = "\u20a6"


def naira(amount: Decimal | float | int | None) -> str:
    """₦1,234,567.89; negative as -₦1,234.00."""
    if amount is None:
        return "—"
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    sign = "-" if value < 0 else ""
    return f"{sign}{NAIRA}{abs(value):,.2f}"


def naira_short(amount: Decimal | float | int | None) -> str:
    """₦1.2M, ₦350K, ₦2.4B for cards; small amounts in full naira."""
    if amount is None:
        return "—"
    value = float(amount)
    sign = "-" if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            return f"{sign}{NAIRA}{value / limit:,.1f}{suffix}"
    return f"{sign}{NAIRA}{value:,.0f}"


def naira_change(change: Decimal | float | int | None) -> str | None:
    """A change in money for a card's delta: '+₦1.2M', '-₦350.0K'; None when there is nothing to compare."""
    if change is None:
        return None
    return ("+" if change >= 0 else "") + naira_short(change)


def count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def percent(fraction: float | None) -> str:
    """0.123 -> 12.3%."""
    return "—" if fraction is None else f"{fraction * 100:.1f}%"


def lagos_date(moment: datetime | date | None) -> str:
    """25 Nov 2026 (a datetime is first converted to Lagos time)."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        moment = moment.astimezone(LAGOS) if moment.tzinfo else moment
    return f"{moment.day} {moment:%b %Y}"


def lagos_datetime(moment: datetime | None) -> str:
    """25 Nov 2026, 14:05 in Africa/Lagos time."""
    if moment is None:
        return "—"
    local = moment.astimezone(LAGOS) if moment.tzinfo else moment
    return f"{local.day} {local:%b %Y, %H:%M}"


def lagos_time(moment: datetime) -> str:
    return f"{moment.astimezone(LAGOS):%H:%M}"


@dataclass(frozen=True)
class Noun:
    """A counted thing, so that "1 hospital" and "2 hospitals" both read right."""

    singular: str
    plural: str

    def of(self, n: int) -> str:
        return self.singular if n == 1 else self.plural

    def count(self, n: int) -> str:
        """'1 hospital', '12,480 hospitals'."""
        return f"{n:,} {self.of(n)}"


def range_caption(first: int, last: int, total: int, noun: Noun) -> str:
    """'1–50 of 12,480 hospitals'; '3 hospitals' when they all fit; 'No hospitals' when empty."""
    if total == 0:
        return f"No {noun.plural}"
    if first == 1 and last == total:
        return noun.count(total)
    return f"{first:,}\u2013{last:,} of {total:,} {noun.of(total)}"


def minutes_words(minutes: float | None) -> str:
    """'42 min', '2 h 5 min', '3 d 4 h' for waits and ages."""
    if minutes is None:
        return "—"
    minutes = max(0, round(minutes))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")
# Streamlit's Markdown (remark-gfm) turns bare addresses into links after the escapes are read, by
# matching the text itself: /(https?:\/\/|www(?=\.))…/ and /([-.\w+]+)@([-\w]+(\.[-\w]+)+)/. A word
# joiner (U+2060: invisible, no line break) inside "://", after "www" and before "@" breaks each match.
WORD_JOINER = "\u2060"
_AUTOLINK_STARTS = re.compile(r"(?<=:)(?=//)|(?i:(?<=www))(?=\.)|(?=@)")


def md_escape(text: str | None) -> str:
    """Escape user text for st.markdown/caption so it shows literally: no formatting, no links, no
    images, and no bare web or email address made into a link (a word joiner sits inside each)."""
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK_STARTS.sub(WORD_JOINER, text or ""))


# Plotly draws chart text (ticks, legend, hover, titles, annotations) from its own HTML subset: <a href>
# becomes a live link, <b>, <i>, <span style> format, &...; entities are read, and $...$ is TeX where
# MathJax is loaded. Its parser splits off tags first and only then reads entities in the words
# between them, so an entity is always shown as the character it names, never read as a tag.
_PLOT_BARE_AMPERSAND = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[a-zA-Z]+;)")


def plot_escape(text: str | None) -> str:
    """Data text for a Plotly figure, shown as written: <, > and a bare & as entities, $ as &#36;.

    Idempotent (an entity is left as it is), so the kit's builders and charts.show may both apply it.
    """
    escaped = _PLOT_BARE_AMPERSAND.sub("&amp;", text or "")
    return escaped.replace("<", "&lt;").replace(">", "&gt;").replace("$", "&#36;")


def md_code(text: str | None) -> str:
    """User text as a Markdown code span: shown literally, an email address included (no mailto link).

    Backticks are dropped, so the text cannot close the span early.
    """
    return f"`` {(text or '').replace('`', '')} ``"


# Acronyms that stay upper case in labels made from codes: 'nhia_capitation' -> 'NHIA capitation'.
# The one list: every snake_case-to-words helper goes through humanise.
ACRONYMS = frozenset({
    "NHIA", "NHIS", "HMO", "ICU", "NICU", "ENT", "HIV", "TB", "IT", "ID", "PDF", "CSV", "NGN", "ECG", "MRI", "CT",
    "OPD", "GP", "SMS", "OTP", "API", "KPI", "VAT", "CEO", "ICT", "ANC",
})  # fmt: skip


def humanise(code: str | None) -> str:
    """'login_failed' -> 'Login failed'; known acronyms stay upper case ('free_icu_beds' -> 'Free ICU beds')."""
    if not code:
        return "—"
    words = [word.upper() if word.upper() in ACRONYMS else word for word in code.replace("_", " ").strip().split(" ")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula (=, +, -, @) is prefixed with an apostrophe.

    Audit rows carry text that users typed (searches, names); opened in Excel, "=HYPERLINK(...)"
    must stay text.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
