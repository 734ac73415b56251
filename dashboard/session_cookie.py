"""Writes and deletes the session cookie in the browser, without a rerun.

A Streamlit v2 component runs the few lines of JavaScript below in the app page. Unlike an iframe
component that reports back (extra-streamlit-components' cookie manager did), it sends nothing to
the server, so it never triggers the extra rerun that could overtake a menu click made just after
sign-in. Each operation carries a nonce and runs once per page: the gate keeps rendering the
latest operation for the rest of the Streamlit session (so it survives page switches), and a later
run in one tab must not undo what another tab wrote since.

Only our own random token reaches this code, as JSON data, never user text or HTML.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import streamlit as st

COOKIE_NAME = "healthdash_session"
HIDE_CSS = "<style>.st-key-healthdash-session-cookie { display: none; }</style>"

_JS = """
export default function ({ data }) {
  if (!data || !data.nonce) return;
  const applied = (window.__healthdashCookieOps = window.__healthdashCookieOps || new Set());
  if (applied.has(data.nonce)) return;
  applied.add(data.nonce);
  const parts = ["path=/", "SameSite=Strict"];
  if (window.location.protocol === "https:") parts.push("Secure");
  if (data.kind === "set") {
    parts.unshift(`${data.name}=${data.token}`);
    parts.push(`expires=${new Date(data.expires).toUTCString()}`);
  } else {
    const current = document.cookie.split("; ").find((c) => c.startsWith(`${data.name}=`));
    // Delete only the cookie this session ended: another tab may have signed in since.
    if (data.token && current !== `${data.name}=${data.token}`) return;
    parts.unshift(`${data.name}=`);
    parts.push("expires=Thu, 01 Jan 1970 00:00:00 GMT");
  }
  document.cookie = parts.join("; ");
}
"""

_component = st.components.v2.component("healthdash_session_cookie", js=_JS)


@dataclass(frozen=True)
class CookieOp:
    """One write ("set") or removal ("delete") of the session cookie; expires is ISO 8601."""

    kind: str
    token: str | None
    expires: str | None
    nonce: str

    @classmethod
    def set(cls, token: str, expires: str) -> CookieOp:
        return cls("set", token, expires, secrets.token_hex(8))

    @classmethod
    def delete(cls, token: str | None) -> CookieOp:
        return cls("delete", token, None, secrets.token_hex(8))


def apply(op: CookieOp) -> None:
    """Render the operation; the browser carries it out once, whatever the number of reruns."""
    st.html(HIDE_CSS)  # the component is an empty element; keep it from adding a gap to the page
    _component(
        key="healthdash-session-cookie",
        data={"kind": op.kind, "name": COOKIE_NAME, "token": op.token, "expires": op.expires, "nonce": op.nonce},
    )
