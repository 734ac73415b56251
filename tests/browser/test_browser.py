"""Real browser against a real `healthdash run`: Debian's Chromium driven by Playwright.

One server per module, started on a fresh throwaway database with DATABASE_URL and --migrate, and
the two-hospital network of tests/fixtures/two_hospitals.py. The deep-link test runs first, while no
session has ever run st.navigation on that server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from db import migrate
from db.engine import make_engine
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, ROOT, TIMEOUT_MS, wait_until_idle
from tests.fixtures.servers import free_port, wait_for_health
from tests.fixtures.throwaway import create_database, drop_database
from tests.fixtures.two_hospitals import ALPHA, BETA, PASSWORD, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD_INPUT = 'input[type="password"]'
SERVER_LOGS: list[Path] = []  # the running server's log, shown when a test fails


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    url = create_database(admin_url, prefix="healthdash_browser")
    engine = make_engine(url)
    migrate.upgrade(engine)
    network = _build_network(engine)
    engine.dispose()
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "healthdash-run.log"
    env = dict(os.environ, DATABASE_URL=url.render_as_string(hide_password=False))
    command = [sys.executable, "-m", "dashboard.cli", "run", "--port", str(port), "--headless", "--migrate"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process, log.read_text)
        SERVER_LOGS.append(log)
        yield base, network
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drop_database(admin_url, url.database)
    assert process.returncode == 0, log.read_text()[-3000:]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium chromium-driver).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _print_what_the_browser_saw(ctx)
    ctx.close()


def _print_what_the_browser_saw(ctx) -> None:
    """A failed wait says only what it waited for; show each tab's address and text, and the server's log."""
    for page in ctx.pages:
        try:
            print(f"--- tab at {page.url}:\n{page.locator('body').inner_text(timeout=5_000)[:3000]}")
        except Exception as exc:  # a diagnostic must not hide the real failure
            print(f"--- tab at {page.url}: text unavailable ({exc})")
    for log in SERVER_LOGS[-1:]:
        print(f"--- server log (last 3000 characters):\n{log.read_text()[-3000:]}")


def sign_in(page, base: str, email: str) -> None:
    page.goto(base)
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email", exact=True).fill(email)
    page.locator(PASSWORD_INPUT).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    settle_after_sign_in(page)


def settle_after_sign_in(page) -> None:
    """The cookie is written by script in the page, with no rerun after it: wait for it, then for idle."""
    wait_for_cookie(page.context, page)
    wait_until_idle(page)


def open_from_menu(page, title: str) -> None:
    """Click a page in the sidebar menu and wait for its heading."""
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()


def session_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "healthdash_session"), None)


def wait_for_cookie(context, page, present: bool = True) -> None:
    for _ in range(60):
        if (session_cookie(context) is not None) == present:
            return
        page.wait_for_timeout(250)
    pytest.fail("the session cookie was " + ("never written" if present else "not removed"))


def test_deep_link_on_fresh_server_shows_only_the_login_form(server, context):
    base, _network = server
    page = context.new_page()
    for path in ("/hospitals", "/users", "/audit-trail"):
        page.goto(base + path)
        page.get_by_role("heading", name="Sign in").wait_for()
        page.locator(PASSWORD_INPUT).wait_for(state="visible")
        wait_until_idle(page)
        text = page.locator("body").inner_text()
        assert "Hospitals" not in text and "Users & roles" not in text and "Audit trail" not in text
        assert ALPHA not in text and BETA not in text
        assert "Page not found" not in text  # no dialog over the form: the address is a known one
        page.get_by_label("Email", exact=True).fill("someone@example.org")  # the form is usable, not inert


def test_signing_in_from_a_shared_link_opens_the_page_it_named(server, context):
    base, network = server
    page = context.new_page()
    page.goto(base + "/audit-trail")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email", exact=True).fill(network.emails["ha_a"])
    page.locator(PASSWORD_INPUT).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Audit trail").wait_for()
    settle_after_sign_in(page)
    assert page.url.rstrip("/").endswith("/audit-trail")
    assert page.get_by_role("heading", name="Overview").count() == 0


def test_hospital_admin_sees_own_hospital_and_no_other(server, context):
    base, network = server
    page = context.new_page()
    sign_in(page, base, network.emails["ha_a"])
    page.locator('[data-testid="stSidebar"]').get_by_text(ALPHA).first.wait_for()
    wait_until_idle(page)
    assert BETA not in page.locator("body").inner_text()
    open_from_menu(page, "Hospitals")
    page.get_by_text("1 hospital", exact=True).wait_for()
    assert BETA not in page.locator("body").inner_text()
    assert page.get_by_role("link", name="Verification").count() == 0  # not in a hospital admin's menu


def test_a_page_outside_the_role_is_refused_in_words_at_its_address(server, context):
    base, network = server
    page = context.new_page()
    sign_in(page, base, network.emails["ha_a"])
    page.goto(base + "/verification")  # network administrators' only (a hospital admin opens Users & roles for
    page.get_by_text("cannot open the Verification page").wait_for()  # its Ward screens part alone)
    wait_until_idle(page)
    text = page.locator("body").inner_text()
    assert "Page not found" not in text
    assert BETA not in text  # the page stopped before listing any hospital
    assert page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Verification").count() == 0


def test_refresh_and_new_tab_stay_signed_in_until_log_out(server, context):
    base, network = server
    page = context.new_page()
    sign_in(page, base, network.emails["comp_a"])
    page.reload()
    page.get_by_role("heading", name="Overview").wait_for()
    other_tab = context.new_page()
    other_tab.goto(base)
    other_tab.get_by_role("heading", name="Overview").wait_for()
    other_tab.close()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_text("You are signed out.").wait_for()
    wait_for_cookie(context, page, present=False)
    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    wait_until_idle(page)
    assert page.get_by_role("heading", name="Overview").count() == 0


def test_wrong_password_shows_one_plain_sentence(server, context):
    base, network = server
    page = context.new_page()
    page.goto(base)
    page.get_by_label("Email", exact=True).fill(network.emails["exec_a"])
    page.locator(PASSWORD_INPUT).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That email and password do not match an account").wait_for()
    assert "Traceback" not in page.locator("body").inner_text()


def test_admin_scope_is_kept_in_the_url_across_pages(server, context):
    base, network = server
    page = context.new_page()
    sign_in(page, base, network.emails["admin"])
    wait_until_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    # The picker sits at the foot of the sidebar: scrolled to first, as a person does (a list opened by a
    # click that itself scrolls the sidebar closes with the scroll).
    picker = sidebar.get_by_role("combobox")
    picker.scroll_into_view_if_needed()
    picker.click()
    page.get_by_role("option", name=BETA).click()
    page.wait_for_url(f"**hospital={network.hospital_b}**")
    open_from_menu(page, "Hospitals")
    page.get_by_text("1 hospital", exact=True).wait_for()
    wait_until_idle(page)
    assert f"hospital={network.hospital_b}" in page.url
    assert ALPHA not in page.locator('[data-testid="stMain"]').inner_text()

    shared = context.new_page()  # the copied link opens the same scope
    shared.goto(page.url)
    shared.get_by_role("heading", name="Hospitals").wait_for()
    shared.get_by_text("1 hospital", exact=True).wait_for()


def test_sign_out_and_in_again_in_one_tab_replaces_the_cookie(server, context):
    base, network = server
    page = context.new_page()
    sign_in(page, base, network.emails["ha_a"])
    first = session_cookie(context)
    assert page.locator(".st-key-healthdash-session-cookie").first.is_hidden()  # takes no room on the page
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    wait_for_cookie(context, page, present=False)
    sign_in(page, base, network.emails["ha_a"])
    assert session_cookie(context) not in (None, first)


def test_a_menu_click_right_after_sign_in_is_not_lost(server, context):
    """Writing the cookie triggers no rerun, so nothing can overtake an early click."""
    base, network = server
    page = context.new_page()
    page.goto(base)
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email", exact=True).fill(network.emails["ha_a"])
    page.locator(PASSWORD_INPUT).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    open_from_menu(page, "Hospitals")
    page.get_by_text("1 hospital", exact=True).wait_for()
    wait_until_idle(page)
    assert page.get_by_role("heading", name="Hospitals").is_visible()


def test_the_session_cookie_is_http_only_and_scripts_cannot_read_it(server, context):
    base, network = server
    page = context.new_page()
    sign_in(page, base, network.emails["exec_a"])
    cookie = next(c for c in context.cookies() if c["name"] == "healthdash_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["value"] not in page.evaluate("document.cookie")
    assert "healthdash_session" not in page.evaluate("document.cookie")
    # The browser's device token (a browser that signed in before is not held up by others' failures)
    # is stored the same way, and outlives the session.
    device = next(c for c in context.cookies() if c["name"] == "healthdash_device")
    assert device["httpOnly"] is True and device["expires"] > cookie["expires"]
    assert "healthdash_device" not in page.evaluate("document.cookie")
    page.reload()  # the HttpOnly cookie still signs the browser in on a new page load
    page.get_by_role("heading", name="Overview").wait_for()


def test_pages_carry_the_security_headers(server, context):
    base, _network = server
    page = context.new_page()
    response = page.goto(base)
    headers = response.all_headers()
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # plain HTTP: HSTS is for the TLS proxy to send


def test_a_foreign_page_can_neither_open_the_websocket_nor_use_the_cookie_route(server, context):
    base, _network = server
    page = context.new_page()
    page.goto(base)
    page.get_by_role("heading", name="Sign in").wait_for()
    foreign = context.request.post(
        f"{base}/_healthdash/cookie", data={"ticket": "x"}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status == 403
    unknown = context.request.post(f"{base}/_healthdash/cookie", data={"ticket": "not-a-ticket"})
    assert unknown.status == 410
    assert "set-cookie" not in unknown.headers

    # A page on another port of this machine (or another site) opening the app's WebSocket is refused.
    opened = page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => { ws.close(); resolve("open"); };
            ws.onerror = () => resolve("refused");
        })""",
        base.replace("http://", "ws://") + "/_stcore/stream",
    )
    assert opened == "open"  # from the app's own page it opens
    # Another port of this machine, or another site: Streamlit's own check lets any localhost origin in;
    # ours lets in only the page's own origin.
    stream = base.replace("http://", "ws://") + "/_stcore/stream"
    assert _websocket_opens(stream, origin=base)
    assert not _websocket_opens(stream, origin="http://localhost:9")
    assert not _websocket_opens(stream, origin="http://evil.example")


def _websocket_opens(url: str, origin: str) -> bool:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(url, origin=origin, open_timeout=10):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False
