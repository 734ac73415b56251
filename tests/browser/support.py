"""Shared pieces of the real-browser tests: start `healthdash run` on a throwaway database, drive Chromium.

The same launch, sign-in and wait code as tests/browser/test_browser.py (which keeps its own copy), so a
new browser module can start its own server on a database it filled itself.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from db import migrate, roles
from db.engine import make_engine, make_owner_engine
from tests.fixtures.servers import free_port, wait_for_health
from tests.fixtures.throwaway import create_database, drop_database
from tests.fixtures.two_hospitals import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 900}
PASSWORD_INPUT = 'input[type="password"]'


@contextmanager
def running_server(
    admin_url: URL, log: Path, fill: Callable[[Engine], object], *, settings: dict[str, str] | None = None
) -> Iterator[tuple[str, URL, object]]:
    """A migrated throwaway database filled by `fill(engine)`, and `healthdash run` on it, as in production.

    Two roles of its own (db/roles.py): the owner migrates and fills; the dashboard connects as the
    least-privilege app role, so every page runs under row-level security. Yields (base address,
    the superuser's database URL, what `fill` returned); stops the server, drops the database and
    the roles afterwards, and fails if the server did not stop cleanly. `settings` are HEALTHDASH_*
    variables for the server (a shorter live refresh, so a test waits seconds, not half a minute).
    """
    url = create_database(admin_url, prefix="healthdash_browser")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    try:
        superuser = make_engine(url)
        roles.apply_as_superuser(superuser, names)
        superuser.dispose()
        owner_url = roles.as_role(url, names.owner)
        engine = make_owner_engine(owner_url)
        try:
            migrate.upgrade(engine)
            roles.refresh_grants(engine, names)
            filled = fill(engine)
        finally:
            engine.dispose()
        port = free_port()
        env = dict(
            os.environ,
            DATABASE_URL=roles.as_role(url, names.app).render_as_string(hide_password=False),
            HEALTHDASH_OWNER_URL=owner_url.render_as_string(hide_password=False),
            **(settings or {}),
        )
        command = [sys.executable, "-m", "dashboard.cli", "run", "--port", str(port), "--headless", "--migrate"]
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(base, process, log.read_text)
            assert "WARNING" not in log.read_text(), log.read_text()  # least privilege: no loud warning
            yield base, url, filled
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        assert process.returncode == 0, log.read_text()[-3000:]
    finally:
        drop_database(admin_url, url.database)
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()


@contextmanager
def chromium() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium chromium-driver).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def what_the_browser_saw(ctx, log: Path | None) -> str:
    """A failed wait says only what it waited for; show each tab's address and text, and the server's log."""
    parts = []
    for page in ctx.pages:
        try:
            parts.append(f"--- tab at {page.url}:\n{page.locator('body').inner_text(timeout=5_000)[:3000]}")
        except Exception as exc:  # a diagnostic must not hide the real failure
            parts.append(f"--- tab at {page.url}: text unavailable ({exc})")
    if log is not None and log.exists():
        parts.append(f"--- server log (last 3000 characters):\n{log.read_text()[-3000:]}")
    return "\n".join(parts)


def wait_until_idle(page) -> None:
    """Streamlit marks the app container while a script runs; wait for it to finish."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")


def sign_in(page, base: str, email: str) -> None:
    page.goto(base)
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email", exact=True).fill(email)
    page.locator(PASSWORD_INPUT).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    wait_for_cookie(page.context, page)
    wait_until_idle(page)


def session_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "healthdash_session"), None)


def wait_for_cookie(context, page, present: bool = True) -> None:
    for _ in range(60):
        if (session_cookie(context) is not None) == present:
            return
        page.wait_for_timeout(250)
    pytest.fail("the session cookie was " + ("never written" if present else "not removed"))


def open_page(page, base: str, url_path: str, title: str) -> None:
    """Load a page by its address (a fresh Streamlit session, signed in again from the cookie)."""
    page.goto(f"{base}/{url_path}")
    page.get_by_role("heading", name=title, exact=True).wait_for()
    wait_until_idle(page)


@contextmanager
def served(admin_url: URL, tmp_path_factory, name: str, fill: Callable[[Engine], object], **options):
    """`running_server` for a test module: yields (base, url, what fill returned, the log, an engine for
    the test's own reads), and disposes of the engine afterwards."""
    log = tmp_path_factory.mktemp(name) / "healthdash-run.log"
    with running_server(admin_url, log, fill, **options) as (base, url, filled):
        engine = make_engine(url)  # the tests' own reads: a fresh Session on it for every check
        try:
            yield base, url, filled, log, engine
        finally:
            engine.dispose()


def charts_drawn(page, *, at_least: int = 1) -> None:
    """Plotly draws after the script has finished: wait until the page has `at_least` charts and every chart
    in view has its SVG with its words in it (on a busy machine a page's charts can arrive after its first
    elements). A chart in a closed tab or panel is not drawn until it is shown, so it is not waited for."""
    page.wait_for_function(
        """(least) => {
             const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
             return charts.length >= least && charts.every(chart => {
               if (chart.offsetParent === null) return true;
               const svg = chart.querySelector('svg.main-svg');
               return svg && svg.textContent.trim().length > 0;
             });
           }""",
        arg=at_least,
    )


def open_from_menu(page, title: str) -> None:
    """Click a page in the sidebar menu and wait for its heading, then for the script to finish."""
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    wait_until_idle(page)


def _page_of(scope):
    """The page of a Locator, or the Page itself."""
    return getattr(scope, "page", scope)


def widget(scope, testid: str, label: str):
    """The Streamlit widget (stSelectbox, stNumberInput, stTextInput...) whose label is exactly `label`."""
    exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
    named = _page_of(scope).locator('[data-testid="stWidgetLabel"]').filter(has_text=exact)
    return scope.locator(f'[data-testid="{testid}"]').filter(has=named)


def settled(locator) -> None:
    """Wait until the element stops moving (an expander opening animates its height for a moment).

    A combobox's list closes when the page scrolls or shifts under it, so pick nothing while it moves.
    """
    locator.evaluate(
        """element => new Promise(resolve => {
            let last = "", same = 0;
            const tick = () => {
                const r = element.getBoundingClientRect();
                const now = [r.top, r.left, r.width, r.height].join();
                same = now === last ? same + 1 : 0;
                last = now;
                if (same >= 5) resolve(true); else requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
        })"""
    )


def choose(scope, label: str, option: str, *, typed: str | None = None) -> None:
    """Pick `option` (its whole shown text) in the selectbox labelled `label`: click, type, pick, and wait for it.

    The selectbox is a combobox whose input is named by the label and holds the chosen option's text.
    """
    from playwright.sync_api import expect

    page = _page_of(scope)
    box = widget(scope, "stSelectbox", label).get_by_role("combobox", name=label, exact=True)
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        settled(box)
        box.click()
        box.press("ControlOrMeta+a")
        box.press_sequentially(typed if typed is not None else option)
        try:
            wanted.click(timeout=5_000)
            break
        except Exception as exc:  # the list closed under the pointer (the page moved): try again
            offered = page.get_by_role("option").all_inner_texts()
            box.press("Escape")
            if attempt == 2:
                raise AssertionError(f"{label}: could not pick {option!r}; offered: {offered}") from exc
    expect(box).to_have_value(option, timeout=TIMEOUT_MS)


def choose_starting(scope, label: str, start: str, *, typed: str) -> str:
    """Pick the first option whose shown text starts with `start` and return that text.

    For options whose end a test does not pin: a patient's "Amaka Eze · GHL-000012 · 0803 555 0142 · age 41"
    is picked by "Amaka Eze · ".
    """
    page = _page_of(scope)
    box = widget(scope, "stSelectbox", label).get_by_role("combobox", name=label, exact=True)
    for attempt in range(3):
        settled(box)
        box.click()
        box.press("ControlOrMeta+a")
        box.press_sequentially(typed)
        try:
            page.get_by_role("option").first.wait_for(timeout=5_000)
            option = next(o for o in page.get_by_role("option").all_inner_texts() if o.startswith(start))
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except Exception as exc:  # the list closed under the pointer, or had not its options yet: try again
            offered = page.get_by_role("option").all_inner_texts()
            box.press("Escape")
            if attempt == 2:
                raise AssertionError(f"{label}: no option starts with {start!r}; offered: {offered}") from exc
    choose(scope, label, option, typed=typed)  # waits for the box to hold it, as a plain pick does
    return option


def fill_number(scope, label: str, value: int) -> None:
    field = widget(scope, "stNumberInput", label).locator("input")
    field.fill(str(value))
    field.press("Tab")


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window to its height for the shot."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height))})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)


def option_shown(page, prefix: str) -> None:
    """Wait until a combobox holds, or an open list offers, an option starting with `prefix` (the rerun is drawn)."""
    page.wait_for_function(
        """prefix => [...document.querySelectorAll('input[role="combobox"]')].some(i => i.value.startsWith(prefix))
             || [...document.querySelectorAll('[role="option"]')].some(o => o.textContent.startsWith(prefix))""",
        arg=prefix,
    )


def list_after_one_click(page, scope, label: str, *, then_shown: str) -> list[str]:
    """Click the selectbox `label` once, as a person would, and return what its list offers once the rerun
    started by leaving the search box has finished ([] when the list closed under the pointer)."""
    box = widget(scope, "stSelectbox", label).get_by_role("combobox", name=label, exact=True)
    # Scrolled into view first, as a person does: a scroll landing just after the click shuts the list.
    box.scroll_into_view_if_needed()
    settled(box)
    box.click()
    option_shown(page, then_shown)
    wait_until_idle(page)
    page.wait_for_timeout(500)  # the browser draws the rerun's last changes just after the script ends
    offered = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return offered
