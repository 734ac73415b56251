"""The dashboard as an ASGI application: Streamlit's `st.App` with our route and middleware.

`healthdash run` serves this file (`streamlit run dashboard/asgi.py` finds `app` and runs it with
uvicorn); each browser session still runs dashboard/app.py. What this adds is in
dashboard/shell/web_security.py: the HttpOnly session cookie route, security headers, the WebSocket
Origin check, the peer address for the sign-in throttle and the audit trail, and downloads only
for the session that made them; and in dashboard/web_compression.py: gzip for the bundles and the
page that Streamlit sends uncompressed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from dashboard.platform import audit
from dashboard.shell.web_security import (
    COOKIE_ROUTE,
    MediaGate,
    PeerAddress,
    SameOriginWebSocket,
    SecurityHeaders,
    cookie_exchange,
)
from dashboard.web_compression import CompressedAssets

ENTRY = Path(__file__).resolve().parent / "app.py"
_log = logging.getLogger("dashboard.asgi")
audit.bound_log_records()  # uvicorn's and Streamlit's log lines too: a request line can be 100 KB long


def media_owners_of(file_id: str) -> tuple[bool, list[str]] | None:
    """(downloadable, the Streamlit sessions showing it) for a file Streamlit holds, or None.

    Streamlit has no public way to ask which session a media file belongs to; its media file
    manager keeps it. Should that move in an upgrade, every file is refused (a missing download, not
    a leak) and tests/browser/test_trust_browser.py fails.
    """
    try:
        from streamlit import runtime
        from streamlit.runtime.media_file_storage import MediaFileKind

        manager = runtime.get_instance().media_file_mgr
        with manager._lock:
            metadata = manager._file_metadata.get(file_id)
            if metadata is None:
                return None
            sessions = [s for s, files in manager._files_by_session_and_coord.items() if file_id in files.values()]
        return metadata.kind == MediaFileKind.DOWNLOADABLE, sessions
    except Exception:
        _log.exception("cannot tell whose media file %s is; refusing it", file_id[:80])
        return None


def session_of_token(token: str) -> str | None:
    """The valid session a cookie's token belongs to (a database read), or None."""
    from dashboard.domains.people import sessions
    from dashboard.shell import data, gate

    try:
        return data.call(sessions.valid_session_id, token, policy=gate.policy())
    except Exception:  # the database is down: no download, and the reason in the log
        _log.exception("cannot check a download's session")
        return None


def _media_prefix() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/media/" if base else "/media/"


app = st.App(
    ENTRY,
    routes=[Route(COOKIE_ROUTE, cookie_exchange, methods=["POST"])],
    middleware=[
        Middleware(SecurityHeaders),
        Middleware(SameOriginWebSocket),
        Middleware(PeerAddress),
        Middleware(MediaGate, owners_of=media_owners_of, session_of_token=session_of_token, prefix=_media_prefix()),
        # Innermost of ours, so the headers above are added to every answer, cached or not.
        Middleware(CompressedAssets, base_url=st.get_option("server.baseUrlPath") or ""),
    ],
)
