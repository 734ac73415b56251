"""The layering rule of docs/architecture.md, checked on the source: imports only point down.

db → dashboard/platform → each domain's queries and commands → dashboard/shell and dashboard/kit →
each domain's `*_page.py` → dashboard/app.py. Streamlit stays above the services; pages never reach
past the services to the database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# A check of the source alone: CI runs it on one of its two servers (marker `once`, tests/conftest.py).
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ROOT / "dashboard" / "domains"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # a module imported by name
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def page_files() -> list[Path]:
    return sorted(DOMAINS.rglob("*_page.py"))


def service_files() -> list[Path]:
    return sorted(p for p in DOMAINS.rglob("*.py") if not p.name.endswith("_page.py"))


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("layer", ["db", "dashboard/platform", "domain services"])
def test_data_platform_and_service_layers_do_not_import_streamlit(layer):
    files = service_files() if layer == "domain services" else python_files(layer)
    assert files
    offenders = [str(f.relative_to(ROOT)) for f in files if any(top(m) == "streamlit" for m in imported_modules(f))]
    assert offenders == []


def test_services_never_import_the_kit_the_shell_or_a_page():
    above = ("dashboard.kit", "dashboard.shell", "dashboard.app")
    offenders = [
        f"{f.relative_to(ROOT)}: {m}"
        for f in [*service_files(), *python_files("dashboard/platform")]
        for m in imported_modules(f)
        if m.startswith(above) or (m.startswith("dashboard.domains.") and m.endswith("_page"))
    ]
    assert offenders == []


def test_pages_never_import_sqlalchemy_or_the_database_layer_directly():
    files = page_files()
    assert files
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if any(top(m) in {"sqlalchemy", "psycopg"} or m in {"db.engine", "db.models"} for m in imported_modules(f))
    ]
    assert offenders == []


def test_every_page_is_a_declaration():
    """A page runs nothing at import and has render(ctx): the router checks access, then calls it."""
    from dashboard.shell.navigation import PAGES

    for spec in PAGES:
        tree = ast.parse(spec.path.read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.FunctionDef) and n.name == "render" for n in tree.body), spec.file


def test_no_module_of_the_app_imports_below_code():
    """The access check no longer has to run first, so no page keeps imports below code (E402)."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in python_files("dashboard")
        if "noqa: E402" in p.read_text(encoding="utf-8") and p.name != "app.py"
    ]
    assert offenders == []


def test_every_page_in_the_table_has_its_file_and_every_other_page_file_is_a_part_of_one():
    """`<key>_page.py` is a page of the navigation table; any other `*_page.py` is a part a page of its
    domain imports (a panel, a form, its charts), never an orphan."""
    from dashboard.shell.navigation import PAGES

    listed = {spec.path for spec in PAGES}
    assert all(path.is_file() for path in listed)
    for part in set(page_files()) - listed:
        module = ".".join(part.relative_to(ROOT).with_suffix("").parts)
        importers = [p for p in page_files() if p != part and module in imported_modules(p)]
        assert importers, f"{part.relative_to(ROOT)} is neither in the navigation table nor imported by a page"


def test_page_parts_run_nothing_at_import_either():
    for path in page_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
        assert calls == [], f"{path.relative_to(ROOT)} runs code at import"


def test_app_entry_has_no_pages_folder_beside_it():
    # A pages/ folder next to the entry script would become a legacy multipage app, whose files a deep
    # link could run without the router's access check.
    assert not (ROOT / "dashboard" / "pages").exists()
    assert not (ROOT / "pages").exists()
    assert (ROOT / "dashboard" / "app.py").is_file()
