"""The web layer's own protections, driven as ASGI without a browser (the browser tests cover them live).

dashboard/shell/web_security.py: the one-time cookie ticket, the HttpOnly Set-Cookie, deleting only the
cookie a session ended, the security headers (HSTS only on HTTPS) and the WebSocket Origin check.
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from dashboard.shell import session_cookie
from dashboard.shell.web_security import (
    COOKIE_ROUTE,
    PEER_HEADER,
    MediaGate,
    PeerAddress,
    SameOriginWebSocket,
    SecurityHeaders,
    cookie_exchange,
    media_owners,
    same_origin,
)

APP = Starlette(
    routes=[Route(COOKIE_ROUTE, cookie_exchange, methods=["POST"])],
    middleware=[Middleware(SecurityHeaders), Middleware(SameOriginWebSocket)],
)
HOST = "dash.example:8501"


def _post(body: dict, *, origin: str | None = f"http://{HOST}", scheme="http", cookie: str | None = None):
    headers = [(b"host", HOST.encode()), (b"content-type", b"application/json")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"{session_cookie.COOKIE_NAME}={cookie}".encode()))
    scope = {
        "type": "http", "method": "POST", "path": COOKIE_ROUTE, "raw_path": COOKIE_ROUTE.encode(),
        "query_string": b"", "headers": headers, "scheme": scheme, "http_version": "1.1",
        "server": ("dash.example", 8501), "client": ("10.0.0.9", 5000), "root_path": "",
    }  # fmt: skip
    messages = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(APP(scope, receive, send))
    start = sent[0]
    return start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]]


def _header(headers, name):
    return [v for k, v in headers if k == name]


def test_a_ticket_sets_an_http_only_strict_cookie_once():
    op = session_cookie.CookieOp.set("secret-token", "2030-01-01T00:00:00+00:00")
    status, headers = _post({"ticket": op.ticket})
    assert status == 204
    (cookie,) = _header(headers, "set-cookie")
    assert cookie.startswith(f"{session_cookie.COOKIE_NAME}=secret-token;")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP; behind TLS it is Secure (next test)
    replay, headers = _post({"ticket": op.ticket})
    assert replay == 410 and not _header(headers, "set-cookie")


def test_over_https_the_cookie_is_secure_and_hsts_is_sent():
    op = session_cookie.CookieOp.set("tok", "2030-01-01T00:00:00+00:00")
    status, headers = _post({"ticket": op.ticket}, origin=f"https://{HOST}", scheme="https")
    assert status == 204
    assert "Secure" in _header(headers, "set-cookie")[0]
    assert _header(headers, "strict-transport-security") == ["max-age=31536000"]


def test_every_response_carries_the_framing_and_sniffing_headers():
    status, headers = _post({"ticket": "unknown"})
    assert status == 410
    assert _header(headers, "content-security-policy") == ["frame-ancestors 'none'"]
    assert _header(headers, "x-frame-options") == ["DENY"]
    assert _header(headers, "x-content-type-options") == ["nosniff"]
    assert _header(headers, "referrer-policy") == ["same-origin"]
    assert not _header(headers, "strict-transport-security")


def test_a_foreign_origin_cannot_redeem_a_ticket_and_the_ticket_survives():
    op = session_cookie.CookieOp.set("tok", "2030-01-01T00:00:00+00:00")
    status, headers = _post({"ticket": op.ticket}, origin="http://localhost:9")
    assert status == 403 and not _header(headers, "set-cookie")
    assert _post({"ticket": op.ticket})[0] == 204


def test_an_expired_ticket_does_nothing(monkeypatch):
    op = session_cookie.CookieOp.set("tok", "2030-01-01T00:00:00+00:00")
    later = time.monotonic() + session_cookie.TICKET_SECONDS + 1
    monkeypatch.setattr(session_cookie.time, "monotonic", lambda: later)
    assert _post({"ticket": op.ticket})[0] == 410


def test_sign_out_deletes_only_the_cookie_it_ended():
    ended = session_cookie.CookieOp.delete("old-token")
    status, headers = _post({"ticket": ended.ticket}, cookie="new-token-from-another-tab")
    assert status == 204 and not _header(headers, "set-cookie")
    ended = session_cookie.CookieOp.delete("old-token")
    status, headers = _post({"ticket": ended.ticket}, cookie="old-token")
    (cookie,) = _header(headers, "set-cookie")
    assert cookie.startswith(f'{session_cookie.COOKIE_NAME}="";') and "Max-Age=0" in cookie


def test_bad_bodies_are_refused_without_a_cookie():
    assert _post({"ticket": 5})[0] == 410
    assert _post({"nothing": "here"})[0] == 410


def test_the_page_never_receives_the_token():
    op = session_cookie.CookieOp.set("secret-token", "2030-01-01T00:00:00+00:00")
    assert "secret-token" not in repr(op)
    assert set(session_cookie.page_data(op)) == {"nonce", "ticket"}


def _ws_scope(origin: str | None):
    headers = [(b"host", HOST.encode())] + ([(b"origin", origin.encode())] if origin else [])
    return {"type": "websocket", "headers": headers}


def test_only_the_pages_own_origin_opens_a_websocket():
    assert same_origin(_ws_scope(f"http://{HOST}"))
    assert same_origin(_ws_scope(None))  # not a browser: the session itself must still be valid
    assert not same_origin(_ws_scope("http://localhost:9"))
    assert not same_origin(_ws_scope(f"http://{HOST}.evil.example"))
    assert same_origin(_ws_scope("https://proxy.example"), frozenset({"https://proxy.example"}))


def test_a_sign_in_also_stores_the_browsers_device_token_http_only_for_months():
    op = session_cookie.CookieOp.set("session-token", "2030-01-01T00:00:00+00:00", device="device-token")
    assert "device-token" not in repr(op)
    status, headers = _post({"ticket": op.ticket})
    assert status == 204
    device, session = sorted(_header(headers, "set-cookie"), key=lambda c: c.startswith(session_cookie.COOKIE_NAME))
    assert device.startswith(f"{session_cookie.DEVICE_COOKIE_NAME}=device-token;")
    assert "HttpOnly" in device and "SameSite=strict" in device
    assert f"Max-Age={session_cookie.DEVICE_DAYS * 86_400}" in device
    assert session.startswith(f"{session_cookie.COOKIE_NAME}=session-token;")


# --- issue 19: the peer address and downloads ---------------------------------------------------


def _through(middleware, scope: dict) -> tuple[dict | None, list[dict]]:
    """Run `scope` through `middleware` around an app that records the scope it got and answers 200."""
    seen: dict = {}
    sent: list[dict] = []

    async def app(inner, receive, send):
        seen.update(inner)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"cache-control", b"max-age=3600")]})
        await send({"type": "http.response.body", "body": b"file"})

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(app)(scope, receive, send))
    return (seen or None), sent


def _get(path: str, *, cookie: str | None = None, forged_peer: str | None = None, kind: str = "http") -> dict:
    headers = [(b"host", HOST.encode())]
    if cookie:
        headers.append((b"cookie", f"{session_cookie.COOKIE_NAME}={cookie}".encode()))
    if forged_peer:
        headers.append((PEER_HEADER.lower().encode(), forged_peer.encode()))
    return {"type": kind, "path": path, "headers": headers, "client": ("127.0.0.1", 5000), "method": "GET"}


def test_the_peer_address_is_the_connections_and_a_browser_cannot_forge_it():
    seen, _ = _through(PeerAddress, _get("/_stcore/stream", forged_peer="203.0.113.66", kind="websocket"))
    peers = [v for k, v in seen["headers"] if k == PEER_HEADER.lower().encode()]
    assert peers == [b"127.0.0.1"]


def _media_gate(owners: dict[str, tuple[bool, list[str]]], sessions: dict[str, str]):
    return lambda app: MediaGate(app, owners_of=owners.get, session_of_token=sessions.get)


def test_a_download_goes_only_to_the_session_that_made_it_never_cached():
    media_owners.bind("streamlit-1", "auth-1")
    media_owners.note_file("f1", "streamlit-1")
    gate = _media_gate({"f1": (True, ["streamlit-1"])}, {"token-1": "auth-1", "token-2": "auth-2"})
    seen, sent = _through(gate, _get("/media/f1.csv", cookie="token-1"))
    assert seen is not None and sent[0]["status"] == 200
    assert dict(sent[0]["headers"])[b"cache-control"] == b"no-store"
    for cookie in (None, "token-2", "unknown"):  # no cookie, another session, a signed-out or made-up one
        seen, sent = _through(gate, _get("/media/f1.csv", cookie=cookie))
        assert seen is None and sent[0]["status"] == 403 and sent[1]["body"] == b"", cookie
        assert dict(sent[0]["headers"])[b"cache-control"] == b"no-store"
    seen, sent = _through(gate, _get("/media/nothing.csv", cookie="token-1"))
    assert seen is None and sent[0]["status"] == 404 and sent[1]["body"] == b""


def test_a_download_stays_its_sessions_while_streamlit_redraws_the_page():
    """At the start of every run Streamlit forgets which session shows a file; the note made when it was added stays."""
    media_owners.bind("streamlit-2", "auth-2")
    media_owners.note_file("f2", "streamlit-2")
    gate = _media_gate({"f2": (True, [])}, {"token-2": "auth-2"})
    assert _through(gate, _get("/media/f2.csv", cookie="token-2"))[1][0]["status"] == 200
    assert _through(gate, _get("/media/f2.csv"))[1][0]["status"] == 403


def test_only_an_image_a_signed_out_page_shows_is_public():
    media_owners.note_file("icon", "signed-out-streamlit")  # no binding: the sign-in form's favicon
    media_owners.bind("streamlit-3", "auth-3")
    media_owners.note_file("chart", "streamlit-3")
    media_owners.note_file("export", "signed-out-streamlit")  # a download is never public, whoever made it
    gate = _media_gate({"icon": (False, []), "chart": (False, []), "export": (True, [])}, {})
    assert _through(gate, _get("/media/icon.png"))[1][0]["status"] == 200
    assert _through(gate, _get("/media/chart.png"))[1][0]["status"] == 403
    assert _through(gate, _get("/media/export.csv"))[1][0]["status"] == 403
    # Everything else passes untouched.
    seen, sent = _through(gate, _get("/waitlist"))
    assert seen is not None and dict(sent[0]["headers"])[b"cache-control"] == b"max-age=3600"
