"""The auth gate: who is signed in on this run, the login form, log-out, and each page's access check.

Session-state keys here belong to this module. The token lives in st.session_state for this
Streamlit session and in a cookie for the next one (a refresh or a new tab): the cookie is read from
st.context.cookies and written by dashboard/shell/session_cookie.py. Every run validates
the token against the database (services.auth.resume), so the database, not the browser, decides.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from dashboard.domains.people import auth_policy, screen_sign_in, sessions, sign_in
from dashboard.kit import say
from dashboard.platform import scope
from dashboard.platform.actors import ROLE_NAMES, Actor, ClientInfo
from dashboard.platform.errors import ServiceError
from dashboard.shell import data, navigation, session_cookie, web_security, working_scope
from db import settings

_log = logging.getLogger(__name__)

COOKIE_NAME = session_cookie.COOKIE_NAME
TOKEN_KEY = "_auth_token"  # noqa: S105 (a session-state key, not a secret)
FLASH_KEY = "_auth_flash"
COOKIE_OP_KEY = "_auth_cookie_op"
DEAD_COOKIE_KEY = "_auth_dead_cookie"
BROWSER_SESSION_KEY = "_auth_browser_session"
# This browser's device token (domains/people/sign_in.py: a browser that signed in before is not held up by
# other people's failed attempts). Kept in session state across sign-outs; read from a cookie of its
# own when the browser holds one. Writing that cookie (HttpOnly, like the session's) is the cookie
# route's job (dashboard/shell/web_security.py); until it does, the trust lasts for the Streamlit session,
# and an address the account signed in from lately is exempt across reloads anyway.
DEVICE_KEY = "_auth_device"
DEVICE_COOKIE_NAME = session_cookie.DEVICE_COOKIE_NAME
RUN_VIEWER_KEY = "_run_viewer"  # the viewer app.py resolved on this run, for the page it runs
# (session id, role, hospital id) of the signed-in user as the last whole run saw them: what a
# fragment's own run checks against (live_fragment).
LIVE_KEY = "_auth_live"
ROLE_SEEN_KEY = "_role_seen"  # (role, hospital id) on the previous run, to notice an administrator's change
# (screen id, hash of its secret) when this browser session is a paired ward screen (shell/screen_gate.py).
SCREEN_KEY = "_ward_screen"


@dataclass(frozen=True)
class Viewer:
    """What a page needs: the signed-in user, the actor for services, and words for the scope."""

    user: sessions.SignedIn
    actor: Actor
    scope_label: str

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.user.role, self.user.role.value)


def client_info(session_id: str | None = None) -> ClientInfo:
    """Audit context from the browser's request: the peer address the web server saw, and the user agent.

    The address comes from a header our ASGI middleware writes on the WebSocket from the connection's
    peer (dashboard/shell/web_security.py; a browser cannot set it): Streamlit's own `st.context.ip_address`
    is None for 127.0.0.1, the address of every browser behind the default binding or a proxy on the
    same host, which left the per-address sign-in throttle and the audit trail blind.
    """
    if session_id is None:
        # Before sign-in there is no server session yet; tie a browser session's attempts together.
        session_id = st.session_state.setdefault(BROWSER_SESSION_KEY, "browser-" + secrets.token_hex(8))
    try:
        ip = st.context.headers.get(web_security.PEER_HEADER) or st.context.ip_address
        agent = st.context.headers.get("User-Agent")
    except Exception:  # AppTest and bare runs have no request behind them
        ip = agent = None
    ip = ip if isinstance(ip, str) else None
    agent = agent if isinstance(agent, str) else None
    return ClientInfo(session_id=session_id, ip_address=ip, user_agent=agent)


def policy() -> auth_policy.AuthPolicy:
    return auth_policy.AuthPolicy.from_settings()


def _clear_state() -> None:
    # Everything goes, except the note that this session's handshake cookie is dead: that cookie stays
    # in st.context.cookies for the session's lifetime and must not be re-checked on every run.
    # The device token stays too: it says which browser this is, not who is signed in.
    kept = {key: st.session_state.get(key) for key in (DEAD_COOKIE_KEY, DEVICE_KEY)}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    for key, value in kept.items():
        if value:
            st.session_state[key] = value


def _streamlit_session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        return get_script_run_ctx().session_id
    except Exception:  # no script run behind this call
        return None


def _end_session(message: str, token: str | None) -> None:
    """Clear all session state, keep only what the login form must show, and drop the cookie."""
    handshake_cookie = _raw_cookie()
    web_security.media_owners.unbind(_streamlit_session_id())
    _clear_state()
    if message:
        st.session_state[FLASH_KEY] = message
    if token and token == handshake_cookie:
        # st.context.cookies keeps showing the old cookie until the next page load; remember it is dead.
        st.session_state[DEAD_COOKIE_KEY] = sessions.hash_token(token)
    st.session_state[COOKIE_OP_KEY] = session_cookie.CookieOp.delete(token)


def _raw_cookie(name: str = COOKIE_NAME) -> str | None:
    try:
        token = st.context.cookies.get(name)
    except Exception:  # no request behind this run (AppTest, bare mode)
        return None
    return token if isinstance(token, str) and token else None


def device_token() -> str | None:
    """The device token this browser holds from an earlier sign-in, if any."""
    return st.session_state.get(DEVICE_KEY) or _raw_cookie(DEVICE_COOKIE_NAME)


def _keep_device_token(token: str | None) -> None:
    if token:
        st.session_state[DEVICE_KEY] = token


def _cookie_token() -> str | None:
    token = _raw_cookie()
    if token is None or st.session_state.get(DEAD_COOKIE_KEY) == sessions.hash_token(token):
        return None
    return token


def current_user() -> sessions.SignedIn | None:
    """The signed-in user on this run, re-read from the database; None when signed out."""
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if not token:
        return None
    result = data.call(sessions.resume, token, client_info(), policy=policy())
    if isinstance(result, sessions.SessionEnded):
        _end_session(result.message, token)
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[LIVE_KEY] = (result.session_id, result.role, result.hospital_id)
    # The files this Streamlit session offers for download are this signed-in session's (web_security.MediaGate).
    web_security.media_owners.bind(_streamlit_session_id(), result.session_id)
    return result


def track_media_owners() -> None:
    """Note the signed-in session behind every file Streamlit serves at /media/ (web_security.MediaGate).

    Streamlit's media file manager has no hook for it, so its `add` is wrapped once per process:
    each file a run adds (a download, an image) is noted under the session this Streamlit session
    is bound to, or as a signed-out page's. Without the wrapper (an upgrade renamed `add`) no
    download is noted, so every download is refused, never served to the wrong session.
    """
    try:
        from streamlit import runtime

        manager = runtime.get_instance().media_file_mgr
    except Exception:  # no runtime behind this run (AppTest, bare mode): nothing is served anyway
        return
    if getattr(manager.add, "healthdash_tracked", False):
        return
    original = manager.add

    @functools.wraps(original)
    def add(*args, **kwargs):
        url = original(*args, **kwargs)
        file_id = str(url).rsplit("/", 1)[-1].split(".", 1)[0]
        web_security.media_owners.note_file(file_id, _streamlit_session_id())
        return url

    add.healthdash_tracked = True
    manager.add = add


def _fragment_only_run() -> bool:
    """True on a fragment's own run (its timer or a click inside it), when app.py's checks did not run."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        return bool(get_script_run_ctx().fragment_ids_this_run)
    except Exception:  # no script run context: not a fragment's run
        return False


def _timer_run() -> bool:
    """True when this run is a fragment's timed refresh (`run_every`), not a person's click.

    Streamlit does not expose it publicly; the pending request it is running holds the flag.
    Unreadable (a Streamlit upgrade moved it), a run counts as a click: the session is still
    checked on every run, only the idle limit would count a page left open as activity
    (tests/people/test_trust_sessions.py notices the move).
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        return bool(get_script_run_ctx().script_requests._rerun_data.is_auto_rerun)
    except Exception:
        return False


def recheck_session() -> None:
    """On a fragment's own run, check the session as app.py does on every whole run; rerun the app if it ended.

    One read by the session's primary key (people/sessions.check_session), no cache: a sign-out in
    another tab, a deactivation or the idle limit stops the very next run, a timed refresh included.
    The whole-app rerun then finds the session ended and shows the sign-in form with the reason. A
    role or hospital changed by an administrator reruns the app too, so the page is drawn for the new one.
    A paired ward screen is checked the same way (its screen revoked: the app shows it disconnected).
    """
    if not _fragment_only_run():
        return  # app.py resolved the session a moment ago on this run
    screen = st.session_state.get(SCREEN_KEY)
    if screen is not None:  # a ward screen: its screen must still be paired (revoked ends it here)
        checked = data.call(screen_sign_in.check_screen, *screen, client_info(screen[0]))
        if isinstance(checked, screen_sign_in.Refused):
            st.rerun(scope="app")
        return
    seen = st.session_state.get(LIVE_KEY)
    if seen is None or not st.session_state.get(TOKEN_KEY):
        st.rerun(scope="app")
    session_id, role, hospital_id = seen
    result = data.call(
        sessions.check_session, session_id, client_info(session_id), touch=not _timer_run(), policy=policy()
    )
    if isinstance(result, sessions.SessionEnded) or (result.role, result.hospital_id) != (role, hospital_id):
        st.rerun(scope="app")


def live_refresh_seconds() -> float:
    """How often a live part of a page re-reads itself (the `live_refresh_seconds` setting, 20 by default)."""
    return settings.current().live_refresh_seconds


def within_a_refresh() -> str:
    """How soon a change shows on a live part of a page, in words ("within 20 seconds")."""
    return f"within {live_refresh_seconds():g} seconds"


def live_fragment(*, run_every: float | None = None, live: bool = False) -> Callable:
    """`st.fragment` whose every run, its timed refreshes included, first re-checks the session.

    Pages use this, never `st.fragment` (tests/people/test_trust_sessions.py checks): a fragment's own run
    skips app.py, where every other run's session check happens. `live=True` refreshes it every
    `live_refresh_seconds()`.
    """
    if live:
        run_every = live_refresh_seconds()

    def decorate(body: Callable) -> Callable:
        @functools.wraps(body)
        def checked(*args, **kwargs):
            recheck_session()
            return body(*args, **kwargs)

        return st.fragment(checked, run_every=run_every)

    return decorate


def command_refused_for_the_session() -> None:
    """A command found the session ended (or the account changed): rerun the app, which says why."""
    st.rerun(scope="app")


def _schedule_cookie(token: str, expires_at: datetime, device: str | None = None) -> None:
    """Have the browser store the session cookie (and, after a sign-in, its device token), both HttpOnly."""
    st.session_state[COOKIE_OP_KEY] = session_cookie.CookieOp.set(token, expires_at.isoformat(), device)


def render_cookie_ops() -> None:
    """Carry this session's latest cookie write or delete to the browser (it runs there once)."""
    op = st.session_state.get(COOKIE_OP_KEY)
    if isinstance(op, session_cookie.CookieOp):
        session_cookie.apply(op)


def login_form() -> None:
    """The sign-in page: the only thing a signed-out visitor sees, in a narrow column of its own."""
    _, column, _ = st.columns([1, 2, 1])
    column.title("Sign in")
    column.caption("HealthDash for hospital administrators, executives and compliance officers.")
    flash = st.session_state.get(FLASH_KEY)
    if flash:
        say.info(flash, where=column)
    with column.form("login", clear_on_submit=False, enter_to_submit=True):
        email = st.text_input("Email", key="login_email", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    try:
        with column, st.spinner("Checking your details…"):
            result = data.call(
                sign_in.authenticate, email, password, client_info(), device_token=device_token(), policy=policy()
            )
    except data.DatabaseTrouble as exc:  # the database failed; the sentence says so, the log says why
        say.error(str(exc), where=column)
        return
    if result.outcome is not sign_in.LoginOutcome.SUCCESS:
        say.error(result.message, where=column)
        return
    _clear_state()
    st.session_state[TOKEN_KEY] = result.token
    _schedule_cookie(result.token, result.signed_in.expires_at, result.device_token)
    _keep_device_token(result.device_token)
    st.rerun()


def log_out(viewer: Viewer) -> None:
    token = st.session_state.get(TOKEN_KEY)
    if token:
        data.call(sessions.sign_out, viewer.actor, token)
    _end_session("You are signed out.", token)
    st.rerun()


def adopt_new_token(token: str, expires_at: datetime) -> None:
    """After a password change the session is re-issued: keep this browser signed in with the new token."""
    st.session_state[TOKEN_KEY] = token
    _schedule_cookie(token, expires_at)


def _note_a_changed_role(user: sessions.SignedIn) -> None:
    """Say so when an administrator changed this user's role or hospital since their last click.

    A demoted network admin's session still holds the hospital they were working in, and their
    address bar still names it; both go quietly, since the user did not ask for anything.
    """
    seen = (user.role, user.hospital_id)
    previous = st.session_state.get(ROLE_SEEN_KEY)
    st.session_state[ROLE_SEEN_KEY] = seen
    if previous is None or previous == seen:
        return
    if user.role is not navigation.ADMIN:
        working_scope.forget()
    where = user.hospital_name or working_scope.ALL_HOSPITALS.lower()
    role = ROLE_NAMES.get(user.role, user.role.value)
    say.info(f"An administrator changed your account: you are now {role} for {where}. The menu shows what it opens.")


def working_viewer(user: sessions.SignedIn) -> Viewer:
    """The user's actor in their working scope: chosen by an ADMIN, fixed for everyone else."""
    _note_a_changed_role(user)
    actor = user.actor(client_info(user.session_id))
    if user.role is not navigation.ADMIN:
        return Viewer(user, actor, working_scope.fixed(actor, user.hospital_name))
    scoped, label = working_scope.chosen(actor)
    return Viewer(user, scoped, label)


def hand_to_page(viewer: Viewer) -> None:
    """app.py resolved the user on this run (re-read from the database); the page it runs uses that."""
    st.session_state[RUN_VIEWER_KEY] = viewer


def require_page_access(page_key: str) -> Viewer:
    """Each page's first line: signed in, and the role may open this page; otherwise stop here.

    Under app.py the user was resolved a moment ago on this same run, and is taken (once) from
    there rather than read from the database twice per click; run any other way (a test of the
    page alone), the page resolves the user itself. The role check below happens either way.
    """
    viewer = st.session_state.pop(RUN_VIEWER_KEY, None)
    if viewer is None:
        user = current_user()
        if user is None:
            login_form()
            render_cookie_ops()
            st.stop()
        viewer = working_viewer(user)
    user = viewer.user
    spec = navigation.PAGE_BY_KEY[page_key]
    if user.role not in spec.roles:
        try:  # the service refuses and audits the attempt
            data.call(scope.require_role, viewer.actor, spec.roles, f"open the {spec.title} page")
        except ServiceError as exc:
            say.error(str(exc))
            st.caption("The menu on the left lists the pages your role opens.")
        st.stop()
    return viewer
