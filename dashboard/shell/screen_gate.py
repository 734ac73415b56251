"""The ward screen's gate: a device paired as a screen sees its ward view and nothing else.

A pairing link (`/ward-screen?screen=<id>&key=<secret>`, made once in Users & roles) signs this browser
session in as the screen (people/screen_sign_in.pair, throttled and audited); the key leaves the address
bar at once and is kept in an HttpOnly cookie (session_cookie.SCREEN_COOKIE_NAME) so a screen that lost
power comes back by itself. Session state then holds only the screen's id and the hash of its secret
(gate.SCREEN_KEY), re-checked on every run and every timed refresh (gate.recheck_session): a revoked
screen shows DISCONNECTED at its next refresh. A session that is a screen is nothing else: app.py draws the
view alone, and the router refuses every other page (audited), before any staff page code runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st

from dashboard.domains.people import screen_sign_in, sessions
from dashboard.kit import say
from dashboard.platform.errors import ServiceError
from dashboard.shell import data, gate, session_cookie
from dashboard.shell.gate import SCREEN_KEY, Viewer

MESSAGE_KEY = "_ward_screen_message"  # why this browser session is not (or no longer) a screen
RUN_SCREEN_KEY = "_run_ward_screen"  # the screen app.py checked on this run, for the page it runs
VIEW_KEY = "ward_screen"
_NEVER = datetime.max.replace(tzinfo=UTC)  # a screen has no sign-in expiry: revoking it is what ends it


@dataclass(frozen=True)
class ScreenViewer(Viewer):
    """A paired screen as the page kit sees a reader, with the screen itself (what it shows)."""

    screen: screen_sign_in.Paired | None = None


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no request behind this run (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def _pairing_link() -> tuple[str, str] | None:
    try:
        screen_id, key = st.query_params.get("screen"), st.query_params.get("key")
    except Exception:  # no request behind this run
        return None
    return (screen_id, key) if screen_id and key else None


def _adopt(screen: screen_sign_in.Paired, credential: str | None) -> screen_sign_in.Paired:
    # A tab that was a staff member's is now the screen's: nothing of that sign-in stays in it (the staff
    # cookie stays in the browser, for its other tabs).
    for key in (gate.TOKEN_KEY, gate.LIVE_KEY, gate.RUN_VIEWER_KEY, MESSAGE_KEY):
        st.session_state.pop(key, None)
    st.session_state[SCREEN_KEY] = (screen.screen_id, screen.key_hash)
    if credential is not None:
        st.session_state[gate.COOKIE_OP_KEY] = session_cookie.CookieOp.pair_screen(credential)
    return screen


def _refused(message: str, *, forget_cookie: bool) -> None:
    st.session_state.pop(SCREEN_KEY, None)
    st.session_state[MESSAGE_KEY] = message
    if forget_cookie:
        st.session_state[gate.COOKIE_OP_KEY] = session_cookie.CookieOp.forget_screen()


def current_screen() -> screen_sign_in.Paired | None:
    """The screen this browser session is on this run, checked in the database; None when it is not one.

    A pairing link in the address wins (it is why the link was opened); then a screen already paired in
    this session; then, for a browser with no staff sign-in, the cookie of an earlier pairing.
    """
    link = _pairing_link()
    if link is not None:
        st.query_params.clear()  # the secret must not stay in the address bar or the browser's history
        result = data.call(screen_sign_in.pair, *link, gate.client_info(), policy=gate.policy())
        if isinstance(result, screen_sign_in.Refused):
            _refused(result.message, forget_cookie=False)
            return None
        return _adopt(result, f"{link[0]}.{link[1]}")
    held = st.session_state.get(SCREEN_KEY)
    if held is not None:
        result = data.call(screen_sign_in.check_screen, *held, gate.client_info(held[0]))
        if isinstance(result, screen_sign_in.Refused):
            _refused(result.message, forget_cookie=True)
            return None
        return result
    if st.session_state.get(gate.TOKEN_KEY) or _cookie(session_cookie.COOKIE_NAME):
        return None  # a staff browser: its own sign-in decides
    credential = _cookie(session_cookie.SCREEN_COOKIE_NAME)
    if credential is None or MESSAGE_KEY in st.session_state:
        return None  # no screen, or one this session already found disconnected
    screen_id, _, key = credential.rpartition(".")
    result = data.call(screen_sign_in.pair, screen_id, key, gate.client_info(), resumed=True, policy=gate.policy())
    if isinstance(result, screen_sign_in.Refused):
        _refused(result.message, forget_cookie=True)
        return None
    return _adopt(result, None)


def pending_message() -> str | None:
    """Why the last pairing or check failed, for a browser session with no staff sign-in to show instead."""
    return st.session_state.get(MESSAGE_KEY)


def say_pending_message() -> None:
    """In a staff member's tab, a pairing link that failed says why once, above their page."""
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        say.error(message, icon=":material/tv_off:")


def show_message() -> None:
    """A screen that may not show its view says why, in large type, and nothing else."""
    st.html(VIEW_STYLE)  # a constant of this module: no user or database text
    say.warning(st.session_state.get(MESSAGE_KEY) or screen_sign_in.DISCONNECTED, icon=":material/tv_off:")


def viewer(screen: screen_sign_in.Paired) -> ScreenViewer:
    """The screen as a reader: its hospital's scope, a session id no staff session has, nothing it may write."""
    client = gate.client_info(screen_sign_in.USER_PREFIX + screen.screen_id)
    actor = screen.actor(client)
    user = sessions.SignedIn(
        session_id=actor.client.session_id or "",
        user_id=actor.user_id,
        email="",
        name=screen.name,
        role=actor.role,
        hospital_id=screen.hospital_id,
        hospital_name=screen.hospital_name,
        expires_at=_NEVER,
    )
    return ScreenViewer(user, actor, screen.hospital_name, screen)


def screen_of(viewer: Viewer) -> screen_sign_in.Paired | None:
    return viewer.screen if isinstance(viewer, ScreenViewer) else None


def hand_to_page(screen: screen_sign_in.Paired) -> None:
    """app.py checked the screen on this run; the page it runs takes it from here rather than reading it twice."""
    st.session_state[RUN_SCREEN_KEY] = screen


def require_view(page_key: str, title: str) -> Viewer:
    """A screen's page run: its view, or (any other page) a refusal in a sentence, audited, and a stop."""
    screen = st.session_state.pop(RUN_SCREEN_KEY, None)
    held = st.session_state.get(SCREEN_KEY)
    if screen is None:  # the page run on its own (a test): check the screen here
        screen = data.call(screen_sign_in.check_screen, *held, gate.client_info(held[0]))
        if isinstance(screen, screen_sign_in.Refused):
            _refused(screen.message, forget_cookie=True)
            show_message()
            st.stop()
    if page_key == VIEW_KEY:
        return viewer(screen)
    try:
        data.call(screen_sign_in.refuse_page, viewer(screen).actor, title)
    except ServiceError as exc:
        say.error(str(exc))
    st.stop()


def is_a_screen() -> bool:
    return st.session_state.get(SCREEN_KEY) is not None


# Large, high-contrast type for a screen read from across a room; Streamlit's header and toolbar hidden.
VIEW_STYLE = """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { padding: 1.2rem 2rem 0.5rem 2rem; max-width: 100%; }
[data-testid="stAlert"] p { font-size: 2.4rem; line-height: 1.3; }
</style>"""
