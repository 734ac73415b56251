"""docs/architecture.md stays true: its example page is the real one, and the size rules it states hold."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
EXAMPLE = ROOT / "dashboard" / "domains" / "governance" / "hospitals_page.py"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_example_page_in_the_doc_is_the_real_page_and_under_sixty_lines():
    found = re.search(r"<!-- example-page -->\n```python\n(.*?)```\n<!-- /example-page -->", DOC.read_text(), re.S)
    assert found, "docs/architecture.md lost its example page"
    assert found.group(1) == EXAMPLE.read_text(encoding="utf-8")
    assert _lines(EXAMPLE) < 60


def test_pages_are_short_and_no_file_of_the_app_is_long():
    pages = sorted((ROOT / "dashboard" / "domains").rglob("*_page.py"))
    sizes = {str(p.relative_to(ROOT)): _lines(p) for p in pages}
    assert {p: n for p, n in sizes.items() if n > 200} == {}
    assert statistics.median(sizes.values()) <= 120, sizes
    long_files = {
        str(p.relative_to(ROOT)): _lines(p) for p in (ROOT / "dashboard").rglob("*.py") if _lines(p) > 700
    }
    assert long_files == {}


def test_every_module_the_layout_names_exists():
    named = set(re.findall(r"`((?:kit|platform|shell)/[a-z_]+\.py)`", DOC.read_text()))
    missing = sorted(n for n in named if not (ROOT / "dashboard" / n).is_file())
    assert missing == []
