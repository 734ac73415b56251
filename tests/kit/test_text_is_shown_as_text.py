"""No text from users or the database reaches Streamlit as Markdown or HTML unescaped.

A static check of every page and dashboard module: messages (error, warning, info, success, toast)
carry only constant words unless they go through kit/say.py, which escapes; nothing uses
unsafe_allow_html, or st.html or a component's html with non-constant text; nothing shows a
traceback (st.exception); st.write is not handed built text (it renders Markdown); Markdown built by
hand (st.markdown, st.caption, titles) puts no record's name, reason, email or description into it
except through md_escape or md_code (the pages' own tests also show names that look like links).

Charts: Plotly draws every string in a figure from its own HTML subset (<a href> is a live link), so
every figure reaches the screen through the kit, charts.show or drill.chart, which pass it through
charts.safe; nothing else calls plotly_chart (or hands st.write a figure).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

# A check of the source alone: CI runs it on one of its two servers (marker `once`, tests/conftest.py).
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.joinpath("dashboard").rglob("*.py"))
MESSAGES = {"error", "warning", "info", "success", "toast"}
ESCAPING_MODULE = ROOT / "dashboard" / "kit" / "say.py"
LOGGERS = {"_log", "log", "logger", "logging", "_logger"}
# Markdown calls, and the words that name a record's typed text (patient_name, hospital_name, reason, ...).
MARKDOWN_CALLS = {"markdown", "caption", "title", "header", "subheader"}
# (A role's name comes from the code's own list of roles.)
TYPED_TEXT = re.compile(r"(^|(?<!role)_)(name|reason|email|description|owner|department|comment)$")
ESCAPES = {"md_escape", "md_code"}
# The only modules that draw a Plotly figure, each through charts.safe.
CHART_DRAWERS = {ROOT / "dashboard" / "kit" / "charts.py", ROOT / "dashboard" / "kit" / "drill.py"}


def _constant_text(node: ast.AST) -> bool:
    """A literal, a module's CONSTANT, or a choice or sum of them: words written in the code."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.IfExp):
        return _constant_text(node.body) and _constant_text(node.orelse)
    return isinstance(node, ast.BinOp) and _constant_text(node.left) and _constant_text(node.right)


def _streamlit_owned(func: ast.AST) -> bool:
    """st.write, st.sidebar.write: a call on `st` or on one of its attributes."""
    value = func.value if isinstance(func, ast.Attribute) else None
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name) and value.id == "st"


def _unescaped_typed_text(node: ast.Call) -> list[str]:
    """Interpolations in a Markdown call's f-string that name typed text and are not escaped."""
    named = []
    for arg in node.args[:1]:
        for part in ast.walk(arg):
            if not isinstance(part, ast.FormattedValue):
                continue
            value = part.value
            if isinstance(value, ast.Call):  # md_escape(x), count(n), ...: the function decides
                continue
            word = value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", "")
            if TYPED_TEXT.search(word):
                named.append(ast.unparse(value))
    return named


def _findings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        for keyword in node.keywords:
            if keyword.arg == "unsafe_allow_html" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append(f"{where} passes unsafe_allow_html")
        # st.html, st.components.v1.html, components.html: raw HTML, whoever owns the call.
        if name == "html" and not (node.args and _constant_text(node.args[0])):
            found.append(f"{where} calls {owner or 'a component'}.html")
        if name == "exception" and owner not in LOGGERS:
            found.append(f"{where} shows a traceback with .exception(); log it and say a sentence")
        if (
            name == "write"
            and _streamlit_owned(func)
            and node.args
            and isinstance(node.args[0], ast.JoinedStr | ast.BinOp)
            and not _constant_text(node.args[0])
        ):
            found.append(f"{where} writes built text as Markdown with .write(); use dashboard.kit.say")
        if (
            name in MESSAGES
            and owner not in {"say", "_log", "log", "logging", "warnings"}
            and path != ESCAPING_MODULE
            and node.args
            and not _constant_text(node.args[0])
        ):
            found.append(f"{where} shows non-constant text with .{name}(); use dashboard.kit.say")
        if name in MARKDOWN_CALLS:
            found += [f"{where} puts {t} into Markdown unescaped; use md_escape" for t in _unescaped_typed_text(node)]
        drawn = node.args[0] if node.args else None
        made_safe = isinstance(drawn, ast.Call) and ast.unparse(drawn.func).endswith("safe")
        if name == "plotly_chart" and (path not in CHART_DRAWERS or not made_safe):
            found.append(f"{where} draws a Plotly figure itself; use charts.show or drill.chart (they escape its text)")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_messages_carry_user_text_only_through_the_escaping_helper(path):
    assert _findings(path) == []


def test_the_check_catches_what_it_is_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import streamlit as st\n"
        "st.error(str(exc))\n"
        "st.warning(f'{name} was saved')\n"
        "st.markdown(text, unsafe_allow_html=True)\n"
        "st.html(text)\n"
        "st.components.v1.html(page)\n"
        "st.exception(exc)\n"
        "st.sidebar.write(f'Hello {name}')\n"
        "st.info('A constant sentence is fine.')\n"
        "_log.exception('logged, not shown')\n"
        "data.write(service, actor)\n"
        "st.write(frame)\n"
        "st.caption(f'{entry.patient_name} has not been called yet')\n"
        "where.markdown(f'**{state.reason}**')\n"
        "st.caption(f'{md_escape(entry.patient_name)} and {count(n)} more')\n"
        "st.plotly_chart(fig)\n"
        "column.plotly_chart(figure, theme=None)\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_findings(bad)) == 11
    finally:
        ROOT = saved


def _html_constants() -> set[str]:
    """The CONSTANT names any raw-HTML call (st.html, a component's html) is handed, across the dashboard."""
    names: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = getattr(node, "func", None)
            if isinstance(node, ast.Call) and getattr(func, "attr", getattr(func, "id", "")) == "html" and node.args:
                names |= {n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name)}
    return names


def _bindings(name: str) -> list[tuple[str, ast.AST]]:
    """Every module-level assignment of `name` in the dashboard, with where it is."""
    found = []
    for path in SOURCES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            else:
                continue
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


def test_every_constant_handed_to_raw_html_is_written_text():
    """An upper-case name passes the check above; here each one is a string written in the code, wherever it is
    bound: no f-string, call or other name (so no user or database text) can hide behind it."""
    names = _html_constants()
    assert names >= {"HIDE_CSS", "VIEW_STYLE", "TV_STYLE"}  # the session cookie's and the ward screen's style sheets
    for name in sorted(names):
        bindings = _bindings(name)
        assert bindings, f"{name} is handed to raw HTML but bound nowhere in the dashboard"
        for where, value in bindings:
            written = isinstance(value, ast.Constant) and isinstance(value.value, str)
            assert written, f"{where}: {name}, handed to raw HTML, is not a string written in the code"
