"""Two dashboard processes behind a real nginx running the shipped deploy/nginx.conf.

One throwaway database with both roles (the processes connect as the least-privilege app role), two
`healthdash run` on loopback ports, and nginx (Debian's package, a non-daemon child with its own
prefix, temp folders and logs) running deploy/nginx.conf with only its ports, log folder and, for its
TLS server, the certificate replaced. Which process served a request is read from nginx's access
log (`upstream=`), so the tests know rather than guess where each browser went:

- the proxy passes the app's security headers once, adds HSTS on TLS only, and overwrites the
  forwarded headers a client forges (while the processes do believe them from the proxy);
- each browser gets a routing cookie and keeps to one process; another origin's WebSocket is
  refused by nginx itself;
- a browser signed in through the proxy goes on in the other process with the same session cookie,
  and a count changed through one process is read by the other.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from db import migrate, roles
from db.engine import make_engine, make_owner_engine
from db.models import AuditLog, HospitalResource
from db.rules import resource_status
from tests.browser.support import (
    PASSWORD_INPUT,
    chromium,
    fill_number,
    new_context,
    open_page,
    session_cookie,
    wait_for_cookie,
    wait_until_idle,
    what_the_browser_saw,
    widget,
)
from tests.fixtures.servers import free_port, wait_for_health
from tests.fixtures.throwaway import create_database, drop_database
from tests.fixtures.two_hospitals import PASSWORD, Network, _build_network
from tests.shell.test_compression import check_what_is_sent

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx.conf"
PROXY = "127.0.0.1"  # where nginx connects from: the address the processes trust (HEALTHDASH_TRUSTED_PROXIES)
FORGED = "203.0.113.66"  # an address a client makes up (TEST-NET-3: nobody's)
WARD = "General ward beds"
SUCCESS = '[data-testid="stAlertContentSuccess"]'
APP_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
ROUTE_COOKIE = re.compile(r"healthdash_route=([0-9a-f]{32}); Path=/; HttpOnly; SameSite=Lax(; Secure)?$")
LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d{3}) \d+ upstream=(?P<upstream>\S+) route=(?P<route>\S+) rt=')


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        pytest.fail(
            "nginx is missing: install Debian's nginx (apt-get install -y nginx) to run the reverse-proxy tests."
        )
    return found


def _once(config: str, old: str, new: str, count: int = 1) -> str:
    assert config.count(old) == count, f"deploy/nginx.conf no longer holds {old!r} {count} time(s): update render()"
    return config.replace(old, new)


def render(
    template: str, *, port: int, upstreams: list[int], logs: Path, temp: Path, tls: tuple[int, Path, Path]
) -> str:
    """deploy/nginx.conf for loopback: its ports, logs and temp folders, and its TLS server uncommented."""
    config = _once(template, "listen 80;", f"listen {PROXY}:{port};")
    config = _once(config, "server 127.0.0.1:8501 ", f"server 127.0.0.1:{upstreams[0]} ")
    config = _once(config, "server 127.0.0.1:8502 ", f"server 127.0.0.1:{upstreams[1]} ")
    config = _once(config, "/var/log/nginx/", f"{logs}/", count=2)
    temps = "".join(
        f"    {kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = _once(config, "http {\n", "http {\n" + temps)
    start, end = "## --- TLS server", "## --- end of the TLS server"
    head, rest = config.split(start, 1)
    block, tail = rest.split(end, 1)
    block = "\n".join(re.sub(r"^(\s*)#(?!#) ?", r"\1", line) for line in block.splitlines())
    tls_port, certificate, key = tls
    block = _once(block, "listen 443 ssl;", f"listen {PROXY}:{tls_port} ssl;")
    block = _once(block, "/etc/ssl/certs/healthdash.crt", str(certificate))
    block = _once(block, "/etc/ssl/private/healthdash.key", str(key))
    return head + start + block + end + tail


def self_signed(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail(
            "openssl is missing: install Debian's openssl (apt-get install -y openssl) for the TLS server test."
        )
    certificate, key = folder / "proxy.crt", folder / "proxy.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={PROXY}",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@dataclass
class Deployment:
    proxy: str  # http://127.0.0.1:port of nginx
    tls: str  # https://127.0.0.1:port of nginx's TLS server
    processes: dict[str, str]  # "127.0.0.1:port" (as nginx logs it) -> its own address
    access_log: Path
    logs: Path
    network: Network
    ward: str  # hospital_resources.id of hospital A's ward
    engine: Engine  # the superuser, for the tests' own reads

    def served(self) -> list[dict[str, str]]:
        """The access log: one dict (request, status, upstream, route) a request, in order."""
        return [m.groupdict() for m in map(LOG_LINE.search, self.access_log.read_text().splitlines()) if m]

    def diagnostics(self) -> str:
        return "\n".join(f"--- {p.name}:\n{p.read_text()[-2500:]}" for p in sorted(self.logs.iterdir()) if p.is_file())


@contextmanager
def dashboards(admin_url, folder: Path) -> Iterator[tuple[dict[int, subprocess.Popen], Network, str, Engine]]:
    """A migrated, filled throwaway database with both roles, and two `healthdash run` on it as the app role."""
    url = create_database(admin_url, prefix="healthdash_proxy")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    processes: dict[int, subprocess.Popen] = {}
    try:
        roles.apply_as_superuser(superuser, names)
        owner_url = roles.as_role(url, names.owner)
        owner = make_owner_engine(owner_url)
        try:
            migrate.upgrade(owner)
            roles.refresh_grants(owner, names)
            network = _build_network(owner)
            with Session(owner) as session, session.begin():
                ward = HospitalResource(
                    hospital_id=network.hospital_a, name=WARD, category="beds", total_quantity=10,
                    available_quantity=5, in_use_quantity=5, status=resource_status(10, 5, 0),
                )  # fmt: skip
                session.add(ward)
                session.flush()
                ward_id = ward.id
        finally:
            owner.dispose()
        env = dict(
            os.environ,
            DATABASE_URL=roles.as_role(url, names.app).render_as_string(hide_password=False),
            HEALTHDASH_OWNER_URL=owner_url.render_as_string(hide_password=False),
            HEALTHDASH_TRUSTED_PROXIES=PROXY,
        )
        env.pop("HEALTHDASH_ALLOWED_ORIGINS", None)
        for name in ("a", "b"):  # started together: they share the machine's two cores while starting
            port = free_port()
            with (folder / f"dashboard-{name}.log").open("w") as out:
                processes[port] = subprocess.Popen(
                    [sys.executable, "-m", "dashboard.cli", "run", "--port", str(port), "--headless"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
        for (port, process), name in zip(processes.items(), "ab", strict=True):
            log = folder / f"dashboard-{name}.log"
            wait_for_health(f"http://127.0.0.1:{port}", process, log.read_text)
            assert "WARNING" not in log.read_text(), log.read_text()  # least privilege: no loud warning
        yield processes, network, ward_id, superuser
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        superuser.dispose()
        drop_database(admin_url, url.database)
        with make_engine(admin_url).connect() as conn:
            for role in (names.app, names.owner):
                conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()


@contextmanager
def nginx(config: str, prefix: Path, logs: Path) -> Iterator[subprocess.Popen]:
    """nginx in the foreground with its own prefix: `nginx -t` first, so a broken config says why."""
    binary = nginx_binary()
    path = prefix / "nginx.conf"
    path.write_text(config)
    base = [binary, "-p", f"{prefix}/", "-c", str(path)]
    checked = subprocess.run([*base, "-t", "-g", f"pid {prefix}/nginx.pid;"], capture_output=True, text=True)
    assert checked.returncode == 0, f"nginx -t refused the rendered deploy/nginx.conf:\n{checked.stderr}"
    with (logs / "nginx-stderr.log").open("w") as out:
        process = subprocess.Popen([*base, "-g", f"daemon off; pid {prefix}/nginx.pid;"], stdout=out, stderr=out)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_the_proxy(proxy: str, process: subprocess.Popen, logs: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}:\n{(logs / 'nginx-stderr.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{proxy}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nginx did not pass /_stcore/health through in 15 s:\n{(logs / 'healthdash-error.log').read_text()}")


@pytest.fixture(scope="module")
def deployment(admin_url, tmp_path_factory) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("reverse-proxy")
    # nginx's workers run as an unprivileged user when started as root: their temp folders must be
    # reachable, and pytest's own folders are private to root.
    prefix = Path(tempfile.mkdtemp(prefix="healthdash-nginx-"))
    prefix.chmod(0o755)
    try:
        with dashboards(admin_url, logs) as (processes, network, ward, engine):
            port, tls_port = free_port(), free_port()
            config = render(
                CONFIG.read_text(), port=port, upstreams=list(processes), logs=logs, temp=prefix,
                tls=(tls_port, *self_signed(prefix)),
            )  # fmt: skip
            with nginx(config, prefix, logs) as process:
                proxy = f"http://{PROXY}:{port}"
                _wait_for_the_proxy(proxy, process, logs)
                yield Deployment(
                    proxy=proxy,
                    tls=f"https://{PROXY}:{tls_port}",
                    processes={f"127.0.0.1:{p}": f"http://127.0.0.1:{p}" for p in processes},
                    access_log=logs / "healthdash-access.log",
                    logs=logs,
                    network=network,
                    ward=ward,
                    engine=engine,
                )
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(autouse=True)
def _show_the_logs_on_failure(request, deployment):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(deployment.diagnostics())


# --- plain HTTP through the proxy -------------------------------------------------------------------


_UNVERIFIED = ssl.create_default_context()
_UNVERIFIED.check_hostname = False
_UNVERIFIED.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate


def fetch(url: str, **headers: str):
    """GET `url`; returns the response, whose headers can be read after it is closed."""
    request = urllib.request.Request(url, headers={k.replace("_", "-"): v for k, v in headers.items()})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10, context=_UNVERIFIED) as response:  # noqa: S310
        response.read()
        return response


def upstream_of(deployment: Deployment, route: str) -> str:
    """Which process nginx sends the routing cookie `route` to (a probe, found in the access log)."""
    probe = secrets.token_hex(6)
    fetch(f"{deployment.proxy}/_stcore/health?probe={probe}", Cookie=f"healthdash_route={route}")
    for _ in range(50):
        line = next((s for s in deployment.served() if f"probe={probe}" in s["request"]), None)
        if line is not None:
            assert line["route"] == route
            return line["upstream"]
        time.sleep(0.05)
    raise AssertionError(f"probe {probe} is not in nginx's access log")


def route_to(deployment: Deployment, upstream: str) -> str:
    """A routing cookie value that nginx sends to `upstream`."""
    for _ in range(60):
        route = secrets.token_hex(16)
        if upstream_of(deployment, route) == upstream:
            return route
    raise AssertionError(f"no routing cookie reached {upstream} in 60 tries")


def websocket_handshake(base: str, origin: str | None) -> int:
    """The status nginx answers a WebSocket upgrade on /_stcore/stream with (101 when it is let through)."""
    host = base.removeprefix("http://")
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(secrets.token_bytes(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    address, port = host.split(":")
    with socket.create_connection((address, int(port)), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status = conn.recv(1024).split(b"\r\n", 1)[0].decode()
    return int(status.split()[1])


def test_the_proxy_passes_the_apps_headers_once_and_overwrites_forged_forwarding(deployment):
    response = fetch(deployment.proxy + "/")
    for name, value in APP_HEADERS.items():
        assert response.headers.get_all(name) == [value], name
    assert response.headers.get("Strict-Transport-Security") is None  # not on plain HTTP
    assert response.headers.get("Server") == "nginx"  # no version, and not the process's own
    [cookie] = [c for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("healthdash_route=")]
    match = ROUTE_COOKIE.match(cookie)
    assert match and match.group(2) is None, cookie  # not Secure on plain HTTP, never readable by scripts

    # The processes believe X-Forwarded-Proto from the proxy's address (the control: straight to one,
    # from that address, a client claiming HTTPS gets HSTS) ...
    direct = next(iter(deployment.processes.values()))
    assert fetch(direct + "/", X_Forwarded_Proto="https").headers.get("Strict-Transport-Security")
    # ... so the proxy must overwrite what a client sends, as it does.
    assert fetch(deployment.proxy + "/", X_Forwarded_Proto="https").headers.get("Strict-Transport-Security") is None


def test_each_browser_keeps_to_one_process_by_its_routing_cookie(deployment):
    route = secrets.token_hex(16)
    first = upstream_of(deployment, route)
    assert all(upstream_of(deployment, route) == first for _ in range(5))
    assert {upstream_of(deployment, secrets.token_hex(16)) for _ in range(30)} == set(deployment.processes)
    # A cookie that is not one nginx made is replaced, not used as it is.
    response = fetch(deployment.proxy + "/", Cookie="healthdash_route=../../etc")
    assert any(ROUTE_COOKIE.match(c) for c in response.headers.get_all("Set-Cookie") or [])
    # A browser that has one is not given another.
    kept = fetch(deployment.proxy + "/", Cookie=f"healthdash_route={route}")
    assert not [c for c in kept.headers.get_all("Set-Cookie") or [] if c.startswith("healthdash_route=")]


def test_nginx_refuses_another_origins_websocket_itself(deployment):
    own = deployment.proxy
    before = len(deployment.served())
    assert websocket_handshake(own, "http://evil.example") == 403
    assert websocket_handshake(own, own.replace(own.rsplit(":", 1)[1], "1")) == 403  # another port of this host
    assert websocket_handshake(own, own) == 101
    time.sleep(0.2)
    refused = [s for s in deployment.served()[before:] if s["status"] == "403"]
    assert len(refused) == 2 and all(s["upstream"] == "-" for s in refused), refused  # no process saw them


def test_through_the_proxy_bundles_arrive_gzipped_and_cached_long_and_downloads_uncompressed(deployment):
    sizes = check_what_is_sent(deployment.proxy)
    print(f"through nginx, main bundle: {sizes['bundle_bytes']:,} B, gzipped {sizes['bundle_gzip_bytes']:,} B")
    # nginx compresses what a process leaves uncompressed itself; never the downloads.
    config = CONFIG.read_text()
    assert re.search(r"^\s*gzip on;", config, re.M) and re.search(r"location /media/ \{\s*gzip off;", config)


def test_the_tls_server_adds_hsts_once_and_a_secure_routing_cookie(deployment):
    response = fetch(deployment.tls + "/")
    # The app believes the proxy's X-Forwarded-Proto https and sends HSTS too; nginx hides that copy.
    assert response.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]
    for name, value in APP_HEADERS.items():
        assert response.headers.get_all(name) == [value], name
    [cookie] = [c for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("healthdash_route=")]
    assert ROUTE_COOKIE.match(cookie).group(2) == "; Secure", cookie


# --- a browser across the two processes -------------------------------------------------------------


def _served_until(deployment: Deployment, route: str, request: str) -> list[dict[str, str]]:
    """The requests of routing cookie `route`, once one starting with `request` is logged (nginx logs at the end)."""
    for _ in range(40):
        served = [s for s in deployment.served() if s["route"] == route]
        if any(s["request"].startswith(request) for s in served):
            return served
        time.sleep(0.05)
    raise AssertionError(f"{request} of route {route} is not in nginx's access log")


def _free_in_the_form(page) -> str:
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Save counts"))
    field = widget(form, "stNumberInput", "Free").locator("input")
    field.wait_for()
    return field.input_value()


def test_a_session_begun_on_one_process_goes_on_on_the_other_and_sees_its_writes(deployment):
    network = deployment.network
    with chromium() as browser:
        # The first browser, through the proxy, with a forged X-Forwarded-For of its own.
        first = browser.new_context(
            viewport={"width": 1400, "height": 900}, extra_http_headers={"X-Forwarded-For": FORGED}
        )
        first.set_default_timeout(30_000)
        second = new_context(browser)
        try:
            page = first.new_page()
            page.goto(deployment.proxy)  # nginx picks this browser's process and gives it a routing cookie
            route = next(c["value"] for c in first.cookies() if c["name"] == "healthdash_route")
            home = _served_until(deployment, route, "GET / ")[0]["upstream"]
            (other,) = set(deployment.processes) - {home}
            other_route = route_to(deployment, other)  # a routing cookie that nginx sends to the other process
            second.add_cookies([{"name": "healthdash_route", "value": other_route, "url": deployment.proxy}])
            there = second.new_page()
            there.goto(deployment.proxy, wait_until="commit")  # the other process starts its first session meanwhile

            page.get_by_role("heading", name="Sign in").wait_for()
            page.get_by_label("Email", exact=True).fill(network.emails["ha_a"])
            page.locator(PASSWORD_INPUT).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Overview").wait_for()
            wait_for_cookie(first, page)
            token = session_cookie(first)
            served = _served_until(deployment, route, "POST /_healthdash/cookie")
            assert {s["upstream"] for s in served} == {home}, served  # every request of this browser, one process
            # The cookie route redeemed the ticket in the process that issued it (204, not 410 "unknown").
            assert any(s["request"].startswith("POST /_healthdash/cookie") and s["status"] == "204" for s in served)

            # The same session in the other process: the second browser gets the session cookie. No
            # sign-in form: the session is in the database, not in the process that began it.
            second.add_cookies([{"name": "healthdash_session", "value": token, "url": deployment.proxy}])
            open_page(there, deployment.proxy, "resources", "Resources & beds")
            assert _free_in_the_form(there) == "5"
            assert {s["upstream"] for s in deployment.served() if s["route"] == other_route} == {other}

            # A count changed through the first process ...
            open_page(page, deployment.proxy, "resources", "Resources & beds")
            form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Save counts"))
            fill_number(form, "Free", 2)
            fill_number(form, "In use", 8)
            form.get_by_role("button", name="Save counts").click()
            page.locator(SUCCESS).filter(has_text=f"{WARD} updated: 2 free of 10.").first.wait_for()
            wait_until_idle(page)
            # ... is what the other process reads next (the list is read uncached, every time).
            open_page(there, deployment.proxy, "resources", "Resources & beds")
            assert _free_in_the_form(there) == "2"
        except Exception:
            print(what_the_browser_saw(first, None), what_the_browser_saw(second, None), sep="\n")
            raise
        finally:
            first.close()
            second.close()

    with Session(deployment.engine) as session:
        ward = session.get(HospitalResource, deployment.ward)
        assert (ward.available_quantity, ward.in_use_quantity) == (2, 8)
        addresses = session.scalars(
            select(AuditLog.ip_address).where(
                AuditLog.user_id == network.users["ha_a"], AuditLog.action_type == "login_succeeded"
            )
        ).all()
    # The proxy replaced the forged X-Forwarded-For with the browser's own address (loopback, which
    # Streamlit reports as none), and the process believed the proxy: the made-up address never lands.
    assert addresses and FORGED not in addresses
