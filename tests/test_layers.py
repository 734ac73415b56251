"""The layering rule of ARCHITECTURE.md, checked on the source: imports only point down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("folder", ["db", "dashboard/services"])
def test_data_and_service_layers_do_not_import_streamlit(folder):
    files = python_files(folder)
    assert files
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if any(top(m) == "streamlit" for m in imported_modules(f))
    ]
    assert offenders == []


def test_pages_never_import_sqlalchemy_or_the_database_layer_directly():
    files = python_files("pages")
    assert files
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if any(top(m) in {"sqlalchemy", "psycopg"} or m in {"db.engine", "db.models"} for m in imported_modules(f))
    ]
    assert offenders == []


def test_every_page_starts_with_its_access_check():
    from dashboard.navigation import PAGES

    for spec in PAGES:
        tree = ast.parse(spec.path.read_text(encoding="utf-8"))
        body = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))]
        first = body[0]
        assert isinstance(first, ast.Assign), spec.file
        call = first.value
        assert isinstance(call, ast.Call) and getattr(call.func, "id", None) == "require_page_access", spec.file
        assert call.args[0].value == spec.key


def test_every_page_file_is_in_the_navigation_table():
    from dashboard.navigation import PAGES

    assert sorted(p.name for p in (ROOT / "pages").glob("*.py")) == sorted(spec.file for spec in PAGES)


def test_app_entry_is_not_beside_pages():
    # A pages/ folder next to the entry script would become a legacy multipage app (see ARCHITECTURE.md).
    assert not (ROOT / "dashboard" / "pages").exists()
    assert (ROOT / "dashboard" / "app.py").is_file()
