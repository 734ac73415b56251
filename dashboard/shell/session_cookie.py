"""Writes and deletes the session cookie in the browser, without a rerun, and without the page seeing it.

The cookie is HttpOnly: only an HTTP response can write it, and no script on the page can read it.
So an operation (write or delete) is registered here under a one-time ticket; the page receives the
ticket, never the token, and posts it to the server's cookie route (dashboard/shell/web_security.py), whose
response sets or deletes the cookie. A ticket works once and for TICKET_SECONDS; it lives in this
process's memory, so with several processes the proxy must keep a browser on one (sticky sessions,
as the WebSocket needs anyway).

A Streamlit v2 component runs the few lines of JavaScript below in the app page. Unlike an iframe
component that reports back (extra-streamlit-components' cookie manager did), it sends nothing to
the server, so it never triggers the extra rerun that could overtake a menu click made just after
sign-in. Each operation carries a nonce and runs once per page: the gate keeps rendering the
latest operation for the rest of the Streamlit session (so it survives page switches), and a later
run in one tab must not undo what another tab wrote since.

Only our own random ticket reaches the page, as JSON data, never user text, HTML or the token.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import streamlit as st

COOKIE_NAME = "healthdash_session"
# The browser's device token (domains/people/sign_in.py): a browser that signed in before is not held up by
# other people's failed attempts. Written with the session cookie, HttpOnly too, and kept after sign-out.
DEVICE_COOKIE_NAME = "healthdash_device"
DEVICE_DAYS = 180
# A paired ward screen's credential (its id and secret: dashboard/shell/screen_gate.py), so a wall screen that
# lost power comes back to its view by itself; HttpOnly too, and the server still checks it on every load.
SCREEN_COOKIE_NAME = "healthdash_screen"
SCREEN_DAYS = 365
COOKIE_ROUTE = "/_healthdash/cookie"
TICKET_SECONDS = 120
MAX_PENDING = 10_000
HIDE_CSS = "<style>.st-key-healthdash-session-cookie { display: none; }</style>"

_JS = """
export default function ({ data }) {
  if (!data || !data.nonce) return;
  const applied = (window.__healthdashCookieOps = window.__healthdashCookieOps || new Set());
  if (applied.has(data.nonce)) return;
  applied.add(data.nonce);
  fetch("/_healthdash/cookie", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ticket: data.ticket }),
  });
}
"""

_component = st.components.v2.component("healthdash_session_cookie", js=_JS)


@dataclass(frozen=True)
class CookieOp:
    """One write ("set") or removal ("delete") of the session cookie, or of a ward screen's ("screen_set",
    "screen_delete"); expires is ISO 8601.

    Creating one registers it under its ticket, for the cookie route to carry out once.
    """

    kind: str
    token: str | None = field(repr=False)
    expires: str | None
    nonce: str
    ticket: str = field(repr=False)
    device: str | None = field(default=None, repr=False)

    @classmethod
    def set(cls, token: str, expires: str, device: str | None = None) -> CookieOp:
        return _register(cls("set", token, expires, secrets.token_hex(8), secrets.token_urlsafe(32), device))

    @classmethod
    def delete(cls, token: str | None) -> CookieOp:
        return _register(cls("delete", token, None, secrets.token_hex(8), secrets.token_urlsafe(32)))

    @classmethod
    def pair_screen(cls, credential: str) -> CookieOp:
        """Store a ward screen's credential in the browser that was just paired."""
        return _register(cls("screen_set", credential, None, secrets.token_hex(8), secrets.token_urlsafe(32)))

    @classmethod
    def forget_screen(cls) -> CookieOp:
        """Remove a disconnected screen's credential from the browser."""
        return _register(cls("screen_delete", None, None, secrets.token_hex(8), secrets.token_urlsafe(32)))


@dataclass(frozen=True)
class Pending:
    """What the cookie route must do for a ticket: kind "set" (token, expires) or "delete" (token or None)."""

    kind: str
    token: str | None = field(repr=False)
    expires: datetime | None
    registered: float
    device: str | None = field(default=None, repr=False)


_pending: dict[str, Pending] = {}
_lock = threading.Lock()


def _register(op: CookieOp) -> CookieOp:
    now = time.monotonic()
    expires = datetime.fromisoformat(op.expires) if op.expires else None
    with _lock:
        for ticket in [t for t, p in _pending.items() if now - p.registered > TICKET_SECONDS]:
            del _pending[ticket]
        if len(_pending) >= MAX_PENDING:  # bounded: sign-ins are throttled, but memory must be too
            del _pending[next(iter(_pending))]
        _pending[op.ticket] = Pending(op.kind, op.token, expires, now, op.device)
    return op


def redeem(ticket: str) -> Pending | None:
    """The operation registered under `ticket`, once; None when unknown, used or older than TICKET_SECONDS."""
    with _lock:
        pending = _pending.pop(ticket, None)
    if pending is None or time.monotonic() - pending.registered > TICKET_SECONDS:
        return None
    return pending


def page_data(op: CookieOp) -> dict[str, str]:
    """All the page is told: the nonce (run once) and the ticket (redeemed once by the cookie route)."""
    return {"nonce": op.nonce, "ticket": op.ticket}


def apply(op: CookieOp) -> None:
    """Render the operation; the browser carries it out once, whatever the number of reruns."""
    # HIDE_CSS is a constant of this module: no user or database text ever reaches this HTML.
    st.html(HIDE_CSS)  # the component is an empty element; keep it from adding a gap to the page
    _component(
        key="healthdash-session-cookie",
        data=page_data(op),
    )
