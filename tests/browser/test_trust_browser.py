"""Issue 19 from a real browser against `healthdash run`: points 1 (fragments), 2 (downloads) and 4 (addresses).

One server for the module, on a throwaway database holding the two-hospital network of
tests/fixtures/two_hospitals.py, run as the least-privilege app role. Sessions are ended behind the
browser's back in the database (signed out elsewhere, deactivated, past the idle limit), and then
the open page's own refresh or its Call next button must show the sign-in form and write nothing.
Downloads are fetched with a plain HTTP client, with and without the cookie. The throttle test runs
last: it holds up 127.0.0.1, the address of every browser here.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from dashboard.domains.people import throttle
from db.base import UserRole
from db.engine import make_engine
from db.models import AuditLog, AuthSession, LoginThrottle, PatientWaitlist, Profile, User
from tests.browser.support import (
    PASSWORD_INPUT,
    chromium,
    new_context,
    open_from_menu,
    running_server,
    screenshot,
    session_cookie,
    sign_in,
    wait_until_idle,
    what_the_browser_saw,
)
from tests.fixtures.two_hospitals import Network, _add_user, _build_network

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIGN_IN = "Sign in"
# The live parts' refresh on this test's server (the live_refresh_seconds setting, 20 s by default): a
# test that waits for the timer alone waits seconds, not the default.
LIVE_REFRESH = 4
WAITLIST_REFRESH = EMERGENCIES_REFRESH = LIVE_REFRESH


@dataclass
class Trust:
    network: Network
    emails: dict[str, str]  # our own hospital administrators of A, one per test that ends a session


@dataclass
class Server:
    base: str
    url: URL
    engine: Engine
    trust: Trust
    log: Path


def _fill(engine: Engine) -> Trust:
    network = _build_network(engine)
    emails = {}
    with Session(engine) as session, session.begin():
        for label in ("logout", "deactivated", "idle", "emergencies", "click"):
            email = f"trust.{label}@test.healthdash.ng"
            _add_user(session, email, network.password_hash, UserRole.HOSPITAL_ADMIN, network.hospital_a)
            emails[label] = email
        for i, priority in enumerate(("urgent", "low")):
            session.add(
                PatientWaitlist(hospital_id=network.hospital_a, patient_id=network.users["patient"],
                                department="Radiology", reason=f"trust {i}", priority=priority)
            )  # fmt: skip
    return Trust(network, emails)


@pytest.fixture(scope="module")
def server(admin_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("trust") / "server.log"
    live = {"HEALTHDASH_LIVE_REFRESH_SECONDS": str(LIVE_REFRESH)}
    with running_server(admin_url, log, _fill, settings=live) as (base, url, trust):
        engine = make_engine(url)
        try:
            yield Server(base, url, engine, trust, log)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _user_id(server: Server, email: str) -> str:
    with Session(server.engine) as session:
        return session.scalar(select(User.id).where(User.email == email))


def _open_sessions(server: Server, email: str):
    return (
        update(AuthSession)
        .where(AuthSession.user_id == _user_id(server, email), AuthSession.revoked_at.is_(None))
        .execution_options(synchronize_session=False)
    )


def _end(server: Server, email: str, how: str) -> None:
    """End the account's session(s) behind the browser's back, as another tab or an administrator would."""
    with Session(server.engine) as session, session.begin():
        if how == "logout":
            session.execute(_open_sessions(server, email).values(revoked_at=func.now(), revoked_reason="logout"))
        elif how == "deactivated":
            session.execute(update(Profile).where(Profile.user_id == _user_id(server, email)).values(is_active=False))
        elif how == "idle":
            ago = datetime.now(UTC) - timedelta(minutes=17)
            session.execute(_open_sessions(server, email).values(last_seen_at=ago))


def _queue_state(server: Server) -> tuple[int, int]:
    """(entries of hospital A no longer waiting, calls in the audit trail)."""
    with Session(server.engine) as session:
        moved = session.scalar(
            select(func.count())
            .select_from(PatientWaitlist)
            .where(PatientWaitlist.hospital_id == server.trust.network.hospital_a, PatientWaitlist.status != "waiting")
        )
        calls = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action_type == "waitlist_patient_called")
        )
    return moved, calls


def _on_waitlist(browser, server: Server, email: str):
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, server.base, email)
    open_from_menu(page, "Waitlist")
    page.get_by_role("button", name="Call next patient").wait_for()
    return ctx, page


@pytest.mark.parametrize(
    ("how", "told"),
    [
        ("logout", "This browser signed out"),
        ("idle", "without activity"),
    ],
)
def test_the_waitlists_own_refresh_ends_a_session_that_ended_elsewhere(browser, server, how, told):
    """The live queue's timed refresh re-checks the session: the open tab turns into the sign-in form."""
    ctx, page = _on_waitlist(browser, server, server.trust.emails[how])
    try:
        before = _queue_state(server)
        _end(server, server.trust.emails[how], how)
        # No click: only the fragment's own timer runs now.
        page.get_by_role("heading", name=SIGN_IN).wait_for(timeout=(WAITLIST_REFRESH + 15) * 1000)
        page.get_by_text(told).first.wait_for()
        assert page.get_by_role("button", name="Call next patient").count() == 0
        assert _queue_state(server) == before
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(ctx, server.log)) from exc
    finally:
        ctx.close()
    if how == "idle":
        with Session(server.engine) as session:
            reasons = session.scalars(
                select(AuthSession.revoked_reason).where(
                    AuthSession.user_id == _user_id(server, server.trust.emails[how])
                )
            ).all()
        assert "idle_timeout" in reasons


def test_call_next_from_a_deactivated_accounts_open_page_calls_nobody(browser, server):
    """The button inside the live queue: its run re-checks first, so the call is never made."""
    email = server.trust.emails["deactivated"]
    ctx, page = _on_waitlist(browser, server, email)
    try:
        before = _queue_state(server)
        _end(server, email, "deactivated")
        page.get_by_role("button", name="Call next patient").click()
        page.get_by_role("heading", name=SIGN_IN).wait_for()
        page.get_by_text("Your account has been deactivated").first.wait_for()
        assert _queue_state(server) == before
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(ctx, server.log)) from exc
    finally:
        ctx.close()


def test_call_next_after_a_sign_out_in_another_tab_calls_nobody(browser, server):
    email = server.trust.emails["click"]
    ctx, page = _on_waitlist(browser, server, email)
    try:
        before = _queue_state(server)
        _end(server, email, "logout")
        page.get_by_role("button", name="Call next patient").click()
        page.get_by_role("heading", name=SIGN_IN).wait_for()
        assert _queue_state(server) == before
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(ctx, server.log)) from exc
    finally:
        ctx.close()


def test_the_emergencies_watcher_ends_a_session_that_ended_elsewhere(browser, server):
    email = server.trust.emails["emergencies"]
    ctx = new_context(browser)
    page = ctx.new_page()
    try:
        sign_in(page, server.base, email)
        open_from_menu(page, "Emergencies")
        _end(server, email, "logout")
        page.get_by_role("heading", name=SIGN_IN).wait_for(timeout=(EMERGENCIES_REFRESH + 15) * 1000)
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(ctx, server.log)) from exc
    finally:
        ctx.close()


def _fetch(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Cookie": f"healthdash_session={cookie}"} if cookie else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http on our own test server)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own test server)
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_an_export_is_served_only_to_the_session_that_made_it_and_never_cached(browser, server, tmp_path):
    network = server.trust.network
    ctx = new_context(browser)
    other = new_context(browser)
    try:
        page = ctx.new_page()
        sign_in(page, server.base, network.emails["admin"])
        open_from_menu(page, "Audit trail")
        page.get_by_text("Export (CSV or Excel)").click()
        page.get_by_role("button", name="Prepare export").click()
        wait_until_idle(page)
        with page.expect_download() as download:
            page.get_by_role("button", name="(CSV)").click()
        address = download.value.url
        assert "/media/" in address, address
        token = session_cookie(ctx)

        status, headers, body = _fetch(address, token)
        assert status == 200 and body, status
        assert headers.get("cache-control") == "no-store"
        assert "attachment" in headers.get("content-disposition", "")

        for cookie in (None, "forged-token"):
            status, headers, body = _fetch(address, cookie)
            assert (status, body) == (403, b"") and headers.get("cache-control") == "no-store", cookie
        # Another signed-in session (another browser, another user) may not have it either.
        other_page = other.new_page()
        sign_in(other_page, server.base, network.emails["ha_a"])
        assert _fetch(address, session_cookie(other))[0] == 403
        # An address that names no file says nothing more.
        status, _, body = _fetch(f"{server.base}/media/{'0' * 56}.csv", token)
        assert (status, body) == (404, b"")

        # Signed out: the same cookie value no longer fetches it (refused, or already forgotten by Streamlit).
        page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").click()
        page.get_by_role("heading", name=SIGN_IN).wait_for()
        status, _, body = _fetch(address, token)
        assert status in (403, 404) and body == b""
        # The sign-in form's favicon is shown to signed-out visitors, so it is public, but never cached.
        icon = page.locator('link[rel="shortcut icon"], link[rel="icon"]').first.get_attribute("href")
        if icon and "/media/" in icon:
            status, headers, _ = _fetch(server.base + icon if icon.startswith("/") else icon)
            assert status == 200 and headers.get("cache-control") == "no-store"
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(ctx, server.log)) from exc
    finally:
        ctx.close()
        other.close()


def test_the_pages_with_live_fragments_at_1400_pixels(browser, server, tmp_path):
    """A look at the pages whose fragments changed (saved for a person to view), and no error on them."""
    ctx, page = _on_waitlist(browser, server, server.trust.network.emails["ha_a"])
    try:
        screenshot(page, tmp_path / "waitlist.png")
        assert page.locator('[data-testid="stException"]').count() == 0
        open_from_menu(page, "Emergencies")
        screenshot(page, tmp_path / "emergencies.png")
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        ctx.close()


def test_one_browser_failing_on_many_accounts_is_slowed_and_audited_with_its_address(browser, server):
    """Point 4: the peer address reaches the throttle and the audit trail (127.0.0.1 here, no proxy)."""
    ctx = new_context(browser)
    page = ctx.new_page()
    messages = []
    try:
        page.goto(server.base)
        page.get_by_role("heading", name=SIGN_IN).wait_for()
        for i in range(12):
            page.get_by_label("Email", exact=True).fill(f"guess{i}@test.healthdash.ng")
            page.locator(PASSWORD_INPUT).fill("wrong-password")
            page.get_by_role("button", name=SIGN_IN).click()
            alert = page.locator('[data-testid="stAlertContentError"]')
            alert.filter(has_text="").first.wait_for()
            wait_until_idle(page)
            messages.append(alert.first.inner_text())
            if "Too many failed attempts from here" in messages[-1]:
                break
        assert any("Too many failed attempts from here" in m for m in messages), messages
        assert len(messages) <= 7, messages  # five free failures, then the address waits
        with Session(server.engine) as session:
            addresses = session.scalars(
                select(AuditLog.ip_address).where(
                    AuditLog.action_type.in_(("login_failed", "login_throttled")),
                    AuditLog.new_values["email"].astext.like("guess%@test.healthdash.ng"),
                )
            ).all()
            signed_in_from = session.scalars(
                select(AuditLog.ip_address).where(AuditLog.action_type == "login_succeeded")
            ).all()
        assert addresses and set(addresses) == {"127.0.0.1"}, addresses
        assert signed_in_from and set(signed_in_from) == {"127.0.0.1"}
    except Exception as exc:
        raise AssertionError(what_the_browser_saw(ctx, server.log) + f"\nmessages: {messages}") from exc
    finally:
        ctx.close()
        with Session(server.engine) as session, session.begin():  # the address is everyone's here
            session.execute(delete(LoginThrottle).where(LoginThrottle.email.like(f"{throttle.ADDRESS_PREFIX}%")))
