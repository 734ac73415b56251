"""gzip for what Streamlit leaves uncompressed: its JavaScript and CSS bundles and the page itself.

Streamlit (1.5x+ on Starlette) gzips its own JSON and page routes but deliberately serves `/static/`
and `/` uncompressed: Starlette's GZipMiddleware compresses the same bytes again on every request.
On a slow connection those are most of the first visit (the main bundle is ~4 MB of JavaScript, a
fifth of that gzipped), so `CompressedAssets` compresses a hashed bundle once per process, keeps the
result (the name changes when the content does, so it never goes stale) and answers later requests
from memory; the small page at `/` (no-cache, it names the current bundles) is compressed per request.

Left alone: the WebSocket, `/media/` (downloads go through MediaGate with Cache-Control: no-store,
uncompressed), range requests, HEAD, anything already encoded, anything not text (images, fonts),
and every response that is not a plain 200. Behind nginx the same responses arrive compressed and
nginx passes them on (deploy/nginx.conf compresses only what comes to it uncompressed).
"""

from __future__ import annotations

import asyncio
import gzip
from collections import OrderedDict
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

COMPRESSIBLE = (
    b"text/html",
    b"text/css",
    b"text/plain",
    b"text/javascript",
    b"application/javascript",
    b"application/json",
    b"application/manifest+json",
    b"image/svg+xml",
)
LEVEL = 6  # level 9 saves ~1 % more of the main bundle for twice the CPU on the first request
MINIMUM = 1024  # below one packet, the gzip header and the extra work win nothing
CACHE_BYTES = 48 * 1024 * 1024  # every bundle Streamlit ships, gzipped, is about 7 MB
VARY = (b"vary", b"Accept-Encoding")


@dataclass(frozen=True)
class Compressed:
    headers: list[tuple[bytes, bytes]]
    body: bytes


def accepts_gzip(scope) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"accept-encoding":
            for part in value.decode("latin-1").lower().split(","):
                name, _, params = part.strip().partition(";")
                if name.strip() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00"):
                    return True
    return False


def _has(scope, name: bytes) -> bool:
    return any(key == name for key, _ in scope.get("headers", ()))


def compressible(headers) -> bool:
    values = {key.lower(): value for key, value in headers}
    if b"content-encoding" in values:
        return False
    kind = values.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return kind in COMPRESSIBLE


def gzipped_headers(headers, length: int) -> list[tuple[bytes, bytes]]:
    """The response's headers for its gzipped body: new length, the encoding, Vary, and a weak ETag."""
    out = []
    for key, value in headers:
        lower = key.lower()
        if lower in (b"content-length", b"content-encoding", b"vary"):
            continue
        if lower == b"etag" and not value.startswith(b"W/"):
            value = b"W/" + value  # another representation of the same file (as nginx marks its own)
        out.append((key, value))
    return [*out, (b"content-encoding", b"gzip"), (b"content-length", str(length).encode()), VARY]


class CompressedAssets:
    """gzip `/static/` bundles once per process (kept in memory) and the page at `/` per request."""

    def __init__(self, app, *, base_url: str = "", cache_bytes: int = CACHE_BYTES) -> None:
        self.app = app
        base = base_url.strip("/")
        self.root = f"/{base}/" if base else "/"
        self.static = f"{self.root}static/"
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, Compressed] = OrderedDict()
        self._size = 0
        self._pending: dict[str, asyncio.Future] = {}

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        static = path.startswith(self.static)
        if (
            not (static or path in (self.root, self.root.rstrip("/")))
            or scope.get("method") != "GET"
            or _has(scope, b"range")
            or not accepts_gzip(scope)
        ):
            await self.app(scope, receive, send)
            return
        if not static or _has(scope, b"if-none-match") or _has(scope, b"if-modified-since"):
            # The page changes with each release; a revalidation is answered 304 by Streamlit.
            await self._compress_one(scope, receive, send)
            return
        cached = self._cache.get(path)
        if cached is None and path in self._pending:
            cached = await asyncio.shield(self._pending[path])  # another request is compressing it now
        if cached is None:
            self._pending[path] = future = asyncio.get_running_loop().create_future()
            try:
                cached = await self._compress_one(scope, receive, send)
            finally:
                future.set_result(cached)
                del self._pending[path]
            if cached is not None:
                self._keep(path, cached)
            return
        self._cache.move_to_end(path)
        await _send(send, cached)

    def _keep(self, path: str, item: Compressed) -> None:
        if len(item.body) > self.cache_bytes:
            return
        self._cache[path] = item
        self._size += len(item.body)
        while self._size > self.cache_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._size -= len(dropped.body)

    async def _compress_one(self, scope, receive, send) -> Compressed | None:
        """Run the app; gzip its answer when it is a whole 200 of text. The compressed answer, or None."""
        start: dict = {}
        chunks: list[bytes] = []
        state = {"passing": False, "result": None}

        async def capture(message):
            if state["passing"]:
                await send(message)
            elif message["type"] == "http.response.start":
                start.update(message)
                if message["status"] != 200 or not compressible(message.get("headers", ())):
                    state["passing"] = True
                    await send(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    state["result"] = await self._answer(send, start, b"".join(chunks))
            else:
                await send(message)

        await self.app(scope, receive, capture)
        return None if state["passing"] else state["result"]

    async def _answer(self, send, start: dict, body: bytes) -> Compressed | None:
        headers = list(start.get("headers", ()))
        if len(body) < MINIMUM:
            await send(dict(start, headers=[*headers, VARY]))
            await send({"type": "http.response.body", "body": body})
            return None
        packed = await run_in_threadpool(gzip.compress, body, LEVEL, mtime=0)
        item = Compressed(gzipped_headers(headers, len(packed)), packed)
        await _send(send, item, start)
        return item


async def _send(send, item: Compressed, start: dict | None = None) -> None:
    message = {"type": "http.response.start", "status": 200, "headers": item.headers}
    if start is not None:
        message = dict(start, headers=item.headers)
    await send(message)
    await send({"type": "http.response.body", "body": item.body})
