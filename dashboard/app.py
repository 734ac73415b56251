"""Entry script: page config, the login gate, and the role-filtered navigation. It only routes.

It lives in dashboard/, not beside pages/, so Streamlit never treats pages/ as a legacy multipage
app whose files a deep link could run without this gate (see docs/architecture.md); the router checks
access before each page runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ first on sys.path; the packages live one level up.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from sqlalchemy.exc import OperationalError  # noqa: E402

from dashboard.kit import say  # noqa: E402
from dashboard.platform import audit  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.shell import data, gate, navigation, router, screen_gate, sidebar  # noqa: E402
from db.engine import DatabaseUnavailable  # noqa: E402
from db.settings import SettingsError  # noqa: E402

_log = logging.getLogger("dashboard.app")
audit.bound_log_records()  # a link of 100,000 characters must not become a log line of that size

# A file the app ships: a Material or emoji icon here makes the browser fetch it from an outside font
# service, which fails offline.
FAVICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")
gate.track_media_owners()  # before the first file of the run (the favicon): downloads go to their session only
st.set_page_config(page_title="HealthDash", page_icon=FAVICON, layout="wide")


def _unknown_address() -> str | None:
    """The address the browser asked for when it names no page (/finance, /no-such-page).

    Streamlit quietly runs the default page for an unknown address and rewrites the URL; the
    reader must be told instead. Streamlit keeps the asked-for name only on the run that loads the
    page, from its pages manager (no public API exposes it).
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        asked = get_script_run_ctx().pages_manager.intended_page_name
    except Exception:  # an internal that moved: lose the message, never the page
        return None
    known = {"login", *(spec.url_path for spec in navigation.PAGES)}
    return asked if isinstance(asked, str) and asked and asked not in known else None


def _say_unknown_address(asked: str | None) -> None:
    if asked:
        shown = asked.replace("\x00", "")[:80]
        say.error(f"There is no page at /{shown}. Pick a page from the menu on the left.", icon=":material/link_off:")


UNREACHABLE = (
    "The database cannot be reached right now. Try again in a minute; if it persists, tell your system administrator."
)


def _login_page() -> None:
    gate.login_form()


def _screen_app(screen) -> None:
    """A browser session paired as a ward screen: its view alone, no menu and no sidebar.

    Every other page stays at its address, hidden, so a link to one reaches the router, which refuses it in
    a sentence and audits the attempt (screen_gate.require_view), as it refuses a staff member's.
    """
    view = navigation.PAGE_BY_KEY[screen_gate.VIEW_KEY]
    # The view is the screen's home ("/") and stays at its own address too (the pairing link's /ward-screen).
    home = st.Page(router.page_runner(view), title=view.title, url_path="ward-screen-home", default=True)
    pages = [home, *(router.st_page(spec, hidden=True) for spec in navigation.PAGES)]
    page = st.navigation(pages, position="hidden")
    screen_gate.hand_to_page(screen)
    page.run()


def _screen_message_app() -> None:
    """A browser session whose pairing failed or whose screen was disconnected, with no staff sign-in: why, alone."""
    st.navigation([st.Page(screen_gate.show_message, title="Ward screen", default=True)], position="hidden").run()


def main() -> None:
    try:
        screen = screen_gate.current_screen()
        user = gate.current_user() if screen is None else None
    except (DatabaseUnavailable, SettingsError, data.SchemaOutdated) as exc:
        # Where the database lives (host, name, user) is for the server log, not for a visitor.
        _log.error("database not usable: %s", exc)
        st.error(
            UNREACHABLE
            if isinstance(exc, DatabaseUnavailable)
            else "The dashboard is not set up to use its database yet. Tell your system administrator; the "
            "server log says what to change."
        )
        st.stop()
    gate.render_cookie_ops()
    if screen is not None:
        _screen_app(screen)
        return
    unknown = _unknown_address()
    if user is None and screen_gate.pending_message():
        _screen_message_app()
        return
    if user is None:
        _say_unknown_address(unknown)
        # Every page's address leads to the sign-in form, so a shared link such as /hospitals shows the
        # form (not a "page not found" box over it) and, once signed in, opens the page it named.
        sign_in = [st.Page(_login_page, title="Sign in", url_path="login", default=True)]
        # The first page is the signed-in home at "/", so it needs no address of its own here.
        sign_in += [st.Page(_login_page, title="Sign in", url_path=spec.url_path) for spec in navigation.PAGES[1:]]
        st.navigation(sign_in, position="hidden").run()
        return
    viewer = gate.working_viewer(user)
    menu: dict[str, list] = {
        section: [router.st_page(spec) for spec in specs] for section, specs in navigation.pages_for(user.role).items()
    }
    # Pages outside the role stay at their addresses, hidden from the menu: a link to one runs the router,
    # whose access check refuses in plain words and audits the attempt (not "Page not found").
    refused = [router.st_page(spec, hidden=True) for spec in navigation.PAGES if user.role not in spec.roles]
    if refused:
        menu.setdefault(navigation.SECTIONS[-1], []).extend(refused)
    page = st.navigation(menu, expanded=True)  # every page in view, none behind "View more"
    _say_unknown_address(unknown)
    screen_gate.say_pending_message()  # a pairing link that failed in a staff member's tab
    sidebar.render(viewer)
    gate.hand_to_page(viewer)
    page.run()


try:
    main()
except (DatabaseUnavailable, OperationalError):
    _log.exception("database unavailable")
    st.error(UNREACHABLE)
except ServiceError as exc:  # a page let a plain-words refusal through: show it as it is
    say.error(str(exc))
except Exception:
    # The traceback is for the server log; the user gets a sentence (client.showErrorDetails = "none").
    _log.exception("page failed")
    st.error(
        "Something went wrong while showing this page. It has been logged. Try again, and if it keeps "
        "happening, tell your system administrator."
    )
