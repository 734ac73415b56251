"""The layering rule of docs/architecture.md, checked on the source: imports only point down.

db → dashboard/platform → each domain's queries and commands → dashboard/shell and dashboard/kit →
each domain's `*_page.py` → dashboard/app.py. Streamlit stays above the services; pages never reach
past the services to the database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ROOT / "dashboard" / "domains"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
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
        if m.startswith(above) or m.endswith("_page")
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


def test_every_page_is_a_declaration_or_starts_with_its_access_check():
    """A declared page runs nothing at import: the router checks access, then calls its render(ctx)."""
    from dashboard.shell.navigation import PAGES

    for spec in PAGES:
        tree = ast.parse(spec.path.read_text(encoding="utf-8"))
        if spec.declared:
            calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
            assert calls == [], f"{spec.file} runs code at import; put it in render(ctx)"
            assert any(isinstance(n, ast.FunctionDef) and n.name == "render" for n in tree.body), spec.file
            continue
        body = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))]
        first = body[0]
        assert isinstance(first, ast.Assign), spec.file
        call = first.value
        assert isinstance(call, ast.Call) and getattr(call.func, "id", None) == "require_page_access", spec.file
        assert call.args[0].value == spec.key


def test_every_page_file_is_in_the_navigation_table():
    from dashboard.shell.navigation import PAGES

    assert sorted(p.relative_to(DOMAINS) for p in page_files()) == sorted(
        spec.path.relative_to(DOMAINS) for spec in PAGES
    )


def test_app_entry_has_no_pages_folder_beside_it():
    # A pages/ folder next to the entry script would become a legacy multipage app, whose files a deep
    # link could run without the router's access check.
    assert not (ROOT / "dashboard" / "pages").exists()
    assert not (ROOT / "pages").exists()
    assert (ROOT / "dashboard" / "app.py").is_file()
