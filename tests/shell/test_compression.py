"""What is sent: gzip for the bundles and the page, long caching for hashed files, downloads untouched.

dashboard/web_compression.py driven as ASGI (what it compresses, what it leaves alone, that a bundle is
compressed once), then a real `healthdash run`: the main bundle arrives gzipped and several times
smaller when asked, hashed files carry the year-long immutable Cache-Control, the page does not, and
/media/ still answers with no-store.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import urllib.request
from pathlib import Path

import pytest

from dashboard.web_compression import CompressedAssets
from tests.browser.support import running_server

# What the web server sends does not depend on the database server: CI runs it on one of its two runs
# (marker `once`, tests/conftest.py).
pytestmark = pytest.mark.once

JS = b"export const x = 1;\n" * 500
IMMUTABLE = "public, immutable, max-age=31536000"


def _app(calls: list[str], *, kind=b"application/javascript", body=JS, status=200):
    async def app(scope, receive, send):
        calls.append(scope["path"])
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                   (b"cache-control", IMMUTABLE.encode()), (b"etag", b'"abc"')]  # fmt: skip
        await send({"type": "http.response.start", "status": status, "headers": headers})
        half = len(body) // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:]})

    return app


def _get(middleware, path: str, *, encoding: str | None = "gzip, deflate, br", method="GET", kind="http", **extra):
    headers = [(b"host", b"dash.example")]
    if encoding is not None:
        headers.append((b"accept-encoding", encoding.encode()))
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    scope = {"type": kind, "path": path, "method": method, "headers": headers}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_a_bundle_is_gzipped_once_and_served_from_memory_after():
    calls: list[str] = []
    middleware = CompressedAssets(_app(calls))
    for _ in range(3):
        status, headers, body = _get(middleware, "/static/js/index.abc123.js")
        assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
        assert gzip.decompress(body) == JS and int(headers["content-length"]) == len(body) < len(JS) / 10
        assert headers["cache-control"] == IMMUTABLE and headers["etag"] == 'W/"abc"'
    assert calls == ["/static/js/index.abc123.js"]  # compressed once, then from memory


def test_the_page_is_gzipped_on_every_request_and_never_cached():
    calls: list[str] = []
    html = b"<!doctype html>" + b"<p>page</p>" * 300
    middleware = CompressedAssets(_app(calls, kind=b"text/html; charset=utf-8", body=html))
    for _ in range(2):
        _, headers, body = _get(middleware, "/")
        assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == html
    assert calls == ["/", "/"]


@pytest.mark.parametrize(
    ("path", "options"),
    [
        ("/static/js/index.abc123.js", {"encoding": None}),  # the browser did not ask for it
        ("/static/js/index.abc123.js", {"encoding": "gzip;q=0, br"}),
        ("/static/js/index.abc123.js", {"method": "HEAD"}),
        ("/static/js/index.abc123.js", {"range": "bytes=0-99"}),
        ("/media/f1.csv", {}),  # downloads: MediaGate's, no-store and uncompressed
        ("/_stcore/host-config", {}),  # Streamlit gzips its own routes
    ],
)
def test_what_is_left_alone(path, options):
    calls: list[str] = []
    status, headers, body = _get(CompressedAssets(_app(calls)), path, **options)
    assert status == 200 and "content-encoding" not in headers and body == JS and calls == [path]


def test_images_fonts_small_files_and_errors_pass_uncompressed():
    for kind, body, status in [(b"font/woff2", JS, 200), (b"image/png", JS, 200),
                               (b"application/javascript", b"x=1", 200), (b"text/html", JS, 404)]:  # fmt: skip
        calls: list[str] = []
        got, headers, sent = _get(CompressedAssets(_app(calls, kind=kind, body=body, status=status)), "/static/a.js")
        assert got == status and "content-encoding" not in headers and sent == body


def test_the_websocket_is_not_touched():
    seen: list[dict] = []

    async def app(scope, receive, send):
        seen.append(scope)

    asyncio.run(CompressedAssets(app)({"type": "websocket", "path": "/_stcore/stream", "headers": []}, None, None))
    assert seen and seen[0]["type"] == "websocket"


def test_downloads_are_gated_before_anything_is_compressed():
    from dashboard import asgi
    from dashboard.shell.web_security import MediaGate

    order = [m.cls for m in asgi.app._user_middleware]
    assert order.index(MediaGate) < order.index(CompressedAssets)


# --- a real server ---------------------------------------------------------------------------------


def fetch(url: str, **headers: str):
    """(status, headers, raw body as sent) of a GET, errors included; urllib does not decode gzip."""
    request = urllib.request.Request(url, headers={k.replace("_", "-"): v for k, v in headers.items()})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def main_bundle(base: str) -> str:
    _, _, page = fetch(f"{base}/")
    (src,) = re.findall(r'<script type="module" crossorigin src="\./(static/js/index\.[\w-]+\.js)"', page.decode())
    return f"{base}/{src}"


def check_what_is_sent(base: str) -> dict[str, int]:
    """The assertions shared with the reverse-proxy test; returns the main bundle's sizes."""
    bundle = main_bundle(base)
    status, plain_headers, plain = fetch(bundle)
    assert status == 200 and plain_headers.get("Content-Encoding") is None
    status, headers, packed = fetch(bundle, Accept_Encoding="gzip, deflate, br")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) * 2.5 < len(plain), (len(plain), len(packed))  # 3.3 times smaller with Streamlit 1.67
    for cached in (plain_headers, headers):
        assert "immutable" in cached["Cache-Control"] and "max-age=31536000" in cached["Cache-Control"]
    css = re.search(r'href="\./(static/css/index\.[\w-]+\.css)"', fetch(f"{base}/")[2].decode())
    assert css, "the page names no CSS bundle"
    assert "immutable" in fetch(f"{base}/{css.group(1)}")[1]["Cache-Control"]

    status, page_headers, page = fetch(f"{base}/", Accept_Encoding="gzip")
    assert status == 200 and page_headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(page)
    assert "immutable" not in (page_headers.get("Cache-Control") or "")

    status, media_headers, _ = fetch(f"{base}/media/0123456789abcdef.csv", Accept_Encoding="gzip")
    assert status == 404 and media_headers["Cache-Control"] == "no-store"
    assert media_headers.get("Content-Encoding") is None
    return {"bundle_bytes": len(plain), "bundle_gzip_bytes": len(packed)}


def websocket_extensions(base: str) -> str:
    """The extensions the app's WebSocket agreed to, as a browser (which offers permessage-deflate) opens it."""
    from websockets.sync.client import connect

    with connect(
        base.replace("http", "ws", 1) + "/_stcore/stream", origin=base, subprotocols=["streamlit"], open_timeout=10
    ) as socket:
        return socket.response.headers.get("Sec-WebSocket-Extensions", "")


@pytest.mark.slow
def test_a_real_server_sends_the_bundle_gzipped_and_cached_long(admin_url, tmp_path: Path):
    with running_server(admin_url, tmp_path / "server.log", lambda engine: None) as (base, _url, _):
        sizes = check_what_is_sent(base)
        assert "permessage-deflate" in websocket_extensions(base)  # every page's messages travel deflated
    print(f"main bundle: {sizes['bundle_bytes']:,} B, gzipped {sizes['bundle_gzip_bytes']:,} B")
