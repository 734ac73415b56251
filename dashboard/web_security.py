"""What the web server adds around Streamlit: security headers, a same-origin WebSocket, an HttpOnly cookie.

Streamlit sends none of the headers a browser needs to refuse framing or sniffing, and its WebSocket
accepts any origin on localhost. This module is pure ASGI and Starlette (no Streamlit), mounted by
dashboard/asgi.py through `st.App`:

- `SecurityHeaders`: every HTTP response carries Content-Security-Policy `frame-ancestors 'none'`,
  X-Frame-Options DENY, Referrer-Policy, X-Content-Type-Options and, on HTTPS, HSTS.
- `SameOriginWebSocket`: a WebSocket whose Origin is not the page's own (or one named in
  HEALTHDASH_ALLOWED_ORIGINS) is refused before Streamlit sees it: a page on another site, or on
  another port of this machine, cannot drive a signed-in user's session.
- `cookie_exchange`: the only way the session cookie is written. The page holds a one-time ticket,
  never the token; it posts the ticket here and the response sets the cookie HttpOnly, SameSite=Strict
  and (behind HTTPS) Secure, so no script on the page can read the session token.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from dashboard import session_cookie

COOKIE_ROUTE = session_cookie.COOKIE_ROUTE
ALLOWED_ORIGINS_VARIABLE = "HEALTHDASH_ALLOWED_ORIGINS"

HEADERS = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
_MAX_BODY = 4096


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def allowed_origins(environ=os.environ) -> frozenset[str]:
    """Extra origins (scheme://host[:port], comma-separated) trusted besides the page's own."""
    raw = environ.get(ALLOWED_ORIGINS_VARIABLE, "")
    return frozenset(o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip())


def same_origin(scope, extra: frozenset[str] = frozenset()) -> bool:
    """True when the request's Origin names this server (its Host) or a configured origin.

    A request without Origin is not a browser's cross-site request (browsers always send it on a
    WebSocket and on a cross-origin POST), so it is let through; the ticket or the session still
    has to be valid.
    """
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if origin in extra:
        return True
    host = (_header(scope, b"host") or "").strip().lower()
    return bool(host) and urlsplit(origin).netloc == host


class SecurityHeaders:
    """Add the browser-side protections Streamlit does not send to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", ())}
                added = [h for h in HEADERS if h[0] not in present]
                if https and HSTS[0] not in present:
                    added.append(HSTS)
                message = dict(message, headers=list(message.get("headers", ())) + added)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOriginWebSocket:
    """Refuse a WebSocket opened from a foreign page (403 before the handshake completes)."""

    def __init__(self, app) -> None:
        self.app = app
        self.extra = allowed_origins()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope, self.extra):
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


async def cookie_exchange(request: Request) -> Response:
    """Trade a one-time ticket from the page for the Set-Cookie that writes or ends the session cookie."""
    if not same_origin(request.scope, allowed_origins()):
        return Response(status_code=403)
    body = await request.body()
    if len(body) > _MAX_BODY:
        return Response(status_code=413)
    try:
        ticket = json.loads(body or b"{}").get("ticket")
    except (ValueError, AttributeError):
        return Response(status_code=400)
    pending = session_cookie.redeem(ticket) if isinstance(ticket, str) else None
    if pending is None:
        return Response(status_code=410)  # unknown, used or expired: nothing to do
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    secure = request.url.scheme == "https"
    if pending.kind == "set":
        response.set_cookie(
            session_cookie.COOKIE_NAME,
            pending.token,
            expires=pending.expires,
            path="/",
            secure=secure,
            httponly=True,
            samesite="strict",
        )
        if pending.device:
            response.set_cookie(
                session_cookie.DEVICE_COOKIE_NAME,
                pending.device,
                max_age=session_cookie.DEVICE_DAYS * 86_400,
                path="/",
                secure=secure,
                httponly=True,
                samesite="strict",
            )
    elif pending.token is None or request.cookies.get(session_cookie.COOKIE_NAME) == pending.token:
        # Delete only the cookie this session ended: another tab may have signed in since.
        response.delete_cookie(session_cookie.COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="strict")
    return response
