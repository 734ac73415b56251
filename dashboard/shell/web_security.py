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
- `PeerAddress`: the connection's peer address (uvicorn has already taken it from X-Forwarded-For
  when, and only when, the peer is a proxy named in HEALTHDASH_TRUSTED_PROXIES) travels to the
  Streamlit session in a header of ours, replacing any the browser sent. Streamlit reports no
  address for 127.0.0.1, so without it the sign-in throttle and the audit trail saw none.
- `MediaGate`: files Streamlit serves at /media/ (downloads: exports, the board PDF) go only to a
  request carrying a valid session cookie of the signed-in session that made them, never cached.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from dashboard.shell import session_cookie
from db.settings import environment

COOKIE_ROUTE = session_cookie.COOKIE_ROUTE

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


def allowed_origins(environ=None) -> frozenset[str]:
    """Extra origins (scheme://host[:port], comma-separated) trusted besides the page's own."""
    return environment(environ).allowed_origins


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
    elif pending.kind == "screen_set":
        response.set_cookie(
            session_cookie.SCREEN_COOKIE_NAME,
            pending.token,
            max_age=session_cookie.SCREEN_DAYS * 86_400,
            path="/",
            secure=secure,
            httponly=True,
            samesite="strict",
        )
    elif pending.kind == "screen_delete":
        response.delete_cookie(
            session_cookie.SCREEN_COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="strict"
        )
    elif pending.token is None or request.cookies.get(session_cookie.COOKIE_NAME) == pending.token:
        # Delete only the cookie this session ended: another tab may have signed in since.
        response.delete_cookie(session_cookie.COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="strict")
    return response


# --- the peer address ------------------------------------------------------------------------------

PEER_HEADER = "X-Healthdash-Peer"
_PEER_HEADER = PEER_HEADER.lower().encode("latin-1")


def with_peer_header(scope) -> dict:
    """The scope with our peer-address header set from the connection (a browser's own copy dropped)."""
    headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() != _PEER_HEADER]
    client = scope.get("client")
    if client and client[0]:
        headers.append((_PEER_HEADER, str(client[0])[:100].encode("latin-1", "replace")))
    return dict(scope, headers=headers)


class PeerAddress:
    """Hand the connection's peer address to the Streamlit session (st.context.headers) on every request."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = with_peer_header(scope)
        await self.app(scope, receive, send)


# --- downloads: /media/ ----------------------------------------------------------------------------


class MediaOwners:
    """Which signed-in session (auth_sessions.id) each Streamlit session serves, and who made each file.

    dashboard/shell/gate.py binds a Streamlit session on every run that resolves a user, unbinds it at
    sign-out, and notes the owner of every file the session adds (None: a signed-out page). The
    note is what MediaGate trusts: Streamlit's own map of files to sessions is empty for a moment
    at the start of every run, when a download started by the click that caused the run arrives.
    In memory, like the files themselves; both maps bounded.
    """

    LIMIT = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._files: OrderedDict[str, frozenset[str | None]] = OrderedDict()

    def bind(self, streamlit_session: str | None, auth_session: str) -> None:
        if not streamlit_session:
            return
        with self._lock:
            self._owners[streamlit_session] = auth_session
            self._owners.move_to_end(streamlit_session)
            while len(self._owners) > self.LIMIT:
                self._owners.popitem(last=False)

    def unbind(self, streamlit_session: str | None) -> None:
        with self._lock:
            self._owners.pop(streamlit_session or "", None)

    def owner(self, streamlit_session: str | None) -> str | None:
        with self._lock:
            return self._owners.get(streamlit_session or "")

    def note_file(self, file_id: str, streamlit_session: str | None) -> None:
        """Streamlit session `streamlit_session` added file `file_id`: remember whose it is."""
        with self._lock:
            owner = self._owners.get(streamlit_session or "")
            self._files[file_id] = self._files.get(file_id, frozenset()) | {owner}
            self._files.move_to_end(file_id)
            while len(self._files) > self.LIMIT:
                self._files.popitem(last=False)

    def file_owners(self, file_id: str) -> frozenset[str | None]:
        with self._lock:
            return self._files.get(file_id, frozenset())


media_owners = MediaOwners()

# (downloadable, the Streamlit sessions showing it) for a media file id, or None when unknown.
FileOwners = Callable[[str], "tuple[bool, list[str]] | None"]
# The auth session id a session cookie belongs to while it is valid, else None (a database read).
SessionOfToken = Callable[[str], "str | None"]
NO_STORE = (b"cache-control", b"no-store")


async def _refuse(send, status: int) -> None:
    # No body: nothing to tell a visitor about what exists.
    await send({"type": "http.response.start", "status": status, "headers": [NO_STORE, (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


class MediaGate:
    """Serve /media/ files only to the signed-in session that made them, with Cache-Control: no-store.

    Decided: the same signed-in session (the cookie's token), not merely the same user. The browser
    that made a file holds that session's cookie, so every tab of it can download; another browser
    of the same person, a shared computer after sign-out, or a copied address cannot. An image is
    public only when a signed-out page shows it (the favicon on the sign-in form); any other
    image, and every download, needs the session. A file no signed-in session holds is refused.
    """

    def __init__(self, app, *, owners_of: FileOwners, session_of_token: SessionOfToken, prefix: str = "/media/"):
        self.app = app
        self.owners_of = owners_of
        self.session_of_token = session_of_token
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        name = scope["path"][len(self.prefix) :]
        file_id = name.split(".", 1)[0]
        found = self.owners_of(file_id) if file_id and "/" not in name else None
        if found is None:
            await _refuse(send, 404)
            return
        if not await self._allowed(scope, file_id, *found):
            await _refuse(send, 403)
            return

        async def send_no_store(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
                message = dict(message, headers=[*headers, NO_STORE])
            await send(message)

        await self.app(scope, receive, send_no_store)

    async def _allowed(self, scope, file_id: str, downloadable: bool, streamlit_sessions: list[str]) -> bool:
        owners = media_owners.file_owners(file_id) | {media_owners.owner(s) for s in streamlit_sessions}
        if not downloadable and None in owners:
            return True  # shown on a signed-out page: the sign-in form's own images
        token = Request(scope).cookies.get(session_cookie.COOKIE_NAME)
        if not token or not owners - {None}:
            return False
        session = await run_in_threadpool(self.session_of_token, token)
        return session is not None and session in owners
