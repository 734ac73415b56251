"""`healthdash bench load`: many people at once against one dashboard process, then two behind nginx.

Each simulated person signs in and loops through a working mix for the run's length: Overview,
Resources & beds, Waitlist, Appointments (and its next list page), Emergencies, Financials (the
pages their role may open), and, for a hospital admin, one write: "Confirm count unchanged" on a
resource. Two kinds of client do it:

- Chromium (Playwright on Debian's chromium, one browser and one context a person): the whole
  thing, sign-in form included, timed from the click to the page settled (no script running).
  Fifty of them do not fit a 2-core machine beside the server, so only `--browsers` of the people
  (default 2) are browsers;
- Streamlit WebSocket clients for the rest: the browser's own protocol (/_stcore/stream, protobuf
  BackMsg/ForwardMsg) without drawing. The person signs in through the sign-in service (the same
  session row, audit line and throttle as the form) and connects with that session cookie, as a
  browser does on every page load; a page is timed from the request to Streamlit's
  script_finished, a click is a widget trigger found by its label in the page sent.

Measured, per setup (one process; two processes behind deploy/nginx.conf): page times p50/p95
per page and overall, errors (exceptions drawn, scripts not finished in 60 s, dropped
connections: the target is 0), the database connections the app role holds (pg_stat_activity,
sampled every second: most and at the end), memory (RSS) and CPU of each dashboard process and of
PostgreSQL, and which of them ran out first. Markdown and JSON under docs/ (load-<sessions>x<seconds>s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
from sqlalchemy import text
from sqlalchemy.engine import URL

from db.errors import CommandError

REPO = Path(__file__).resolve().parent.parent
NGINX_CONFIG = REPO / "deploy" / "nginx.conf"
PAGE_TIMEOUT_S = 60.0
MIX = ("overview", "resources", "waitlist", "appointments", "emergencies", "financials")
NEXT = "Next"
WRITE = "Confirm count unchanged"
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    role: str  # a UserRole name


@dataclass
class Tally:
    """What the clients measured; appended to from the WebSocket loop and the browser threads."""

    times: dict[str, list[float]] = field(default_factory=dict)  # "overview", "appointments: next page", ...
    errors: list[str] = field(default_factory=list)
    writes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def took(self, what: str, seconds: float) -> None:
        with self.lock:
            self.times.setdefault(what, []).append(seconds)

    def failed(self, what: str) -> None:
        with self.lock:
            self.errors.append(what[:300])


def pages_of(role: str) -> list[str]:
    from dashboard.shell.navigation import PAGE_BY_KEY

    return [key for key in MIX if role in {r.name for r in PAGE_BY_KEY[key].roles}]


def sign_in_token(owner_url: URL, person: Person) -> str:
    """A session token from the sign-in service, as the form would get it (session row, audit line)."""
    from sqlalchemy.orm import Session

    from dashboard.domains.people import sign_in
    from dashboard.platform.actors import ClientInfo
    from db.engine import make_owner_engine

    engine = make_owner_engine(owner_url)
    try:
        with Session(engine) as session, session.begin():
            result = sign_in.authenticate(session, person.email, person.password, ClientInfo(session_id="bench-load"))
    finally:
        engine.dispose()
    if result.outcome is not sign_in.LoginOutcome.SUCCESS:
        raise CommandError(f"{person.email} could not sign in: {result.message}")
    return result.token


# --- the WebSocket client ---------------------------------------------------------------------------


class StreamlitClient:
    """One browser tab's conversation with Streamlit, without the drawing."""

    def __init__(self, base: str, cookies: dict[str, str]) -> None:
        self.base = base
        self.cookies = cookies
        self.pages: dict[str, str] = {}  # url path -> page_script_hash
        self.page_hash = ""
        self.buttons: dict[str, str] = {}  # label -> widget id, of the page last drawn
        self.ws = None

    async def connect(self) -> None:
        import websockets

        host = self.base.split("://", 1)[1]
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(
            f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], max_size=None, open_timeout=PAGE_TIMEOUT_S,
            additional_headers={"Origin": self.base, "Cookie": cookie}, compression=None,
        )  # fmt: skip

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, *, page: str | None = None, click: str | None = None) -> list[str]:
        """Ask for a page (or click a button on this one); wait for the script to finish. Problems seen, if any."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        if page is not None:  # the default page (Overview) has no path of its own
            self.page_hash = self.pages.get(page) or self.pages.get("", "")
            state.page_name = page if page in self.pages else ""
        state.page_script_hash = self.page_hash
        if click is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.buttons[click]
            widget.trigger_value = True
        else:
            self.buttons = {}
        await self.ws.send(message.SerializeToString())
        problems: list[str] = []
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), PAGE_TIMEOUT_S)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                if what == "button":
                    self.buttons[element.button.label] = element.button.id
                elif what == "exception":
                    problems.append(f"{element.exception.type}: {element.exception.message}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_SUCCESSFULLY":
                    return problems
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    return [*problems, status]
                # FINISHED_EARLY_FOR_RERUN (a sign-in's rerun) or a live fragment's own run: not the end
            elif kind == "page_not_found":
                return [*problems, f"page not found: {page}"]


async def _websocket_person(base: str, person: Person, token: str, until: float, tally: Tally, index: int) -> None:
    from dashboard.shell.session_cookie import COOKIE_NAME

    client = StreamlitClient(base, {COOKIE_NAME: token})
    mix = pages_of(person.role)
    step = index  # people start at different pages, as they would
    try:
        await client.connect()
        await _timed(tally, "first load (signed in from the cookie)", client.run())
        while time.monotonic() < until:
            page = mix[step % len(mix)]
            step += 1
            await _timed(tally, page, client.run(page=page.replace("_", "-")))
            if page == "appointments" and NEXT in client.buttons:
                await _timed(tally, "appointments: next list page", client.run(click=NEXT))
            if page == "resources" and WRITE in client.buttons:
                await _timed(tally, "resources: confirm a count (write)", client.run(click=WRITE))
                with tally.lock:
                    tally.writes += 1
    except Exception as exc:  # a dropped connection or a page that never finished: counted, not raised
        tally.failed(f"{person.email} (WebSocket): {type(exc).__name__}: {exc}")
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def _timed(tally: Tally, what: str, run) -> None:
    started = time.perf_counter()
    problems = await run
    tally.took(what, time.perf_counter() - started)
    for problem in problems:
        tally.failed(f"{what}: {problem}")


def _websocket_people(people: list[tuple[str, Person, str]], until: float, tally: Tally) -> None:
    async def everyone():
        await asyncio.gather(*(_websocket_person(b, p, t, until, tally, i) for i, (b, p, t) in enumerate(people)))

    asyncio.run(everyone())


# --- the Chromium client ----------------------------------------------------------------------------


def _browser_person(base: str, person: Person, until: float, tally: Tally) -> None:
    """A whole browser: the sign-in form, then the mix by the sidebar menu, timed to the page settled."""
    from playwright.sync_api import sync_playwright

    from dashboard.shell.navigation import PAGE_BY_KEY

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True, args=args)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.set_default_timeout(PAGE_TIMEOUT_S * 1000)
            started = time.perf_counter()
            page.goto(base)
            page.get_by_role("heading", name="Sign in").wait_for()
            tally.took("browser: sign-in form shown", time.perf_counter() - started)
            page.get_by_label("Email", exact=True).fill(person.email)
            page.locator('input[type="password"]').fill(person.password)
            started = time.perf_counter()
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Overview").wait_for()
            page.wait_for_selector(SETTLED, state="attached")
            tally.took("browser: signed in to Overview settled", time.perf_counter() - started)
            mix, step = pages_of(person.role), 1
            while time.monotonic() < until:
                title = PAGE_BY_KEY[mix[step % len(mix)]].title
                step += 1
                started = time.perf_counter()
                page.locator('[data-testid="stSidebar"]').get_by_role("link", name=title, exact=True).click()
                page.get_by_role("heading", name=title, exact=True).wait_for()
                page.wait_for_selector(SETTLED, state="attached")
                tally.took(f"browser: {title}", time.perf_counter() - started)
                if page.locator('[data-testid="stException"]').count():
                    tally.failed(f"browser: {title} drew an exception")
        except Exception as exc:
            tally.failed(f"{person.email} (browser): {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            browser.close()


def _chromium() -> str:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(found):
        raise CommandError("Debian's chromium is missing (apt-get install chromium) for --browsers.")
    return found


# --- the servers and what they hold ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base: str, process: subprocess.Popen | None, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise CommandError(f"a server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"{base} did not become healthy in {seconds:g} s:\n{log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def dashboards(count: int, app_url: URL, owner_url: URL, logs: Path) -> Iterator[list[tuple[str, psutil.Process]]]:
    """`count` `healthdash run` processes on the database, as the app role: (address, process) each."""
    env = dict(
        os.environ,
        DATABASE_URL=app_url.render_as_string(hide_password=False),
        HEALTHDASH_OWNER_URL=owner_url.render_as_string(hide_password=False),
        HEALTHDASH_TRUSTED_PROXIES="127.0.0.1",
    )
    started: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        for n in range(count):
            port, log = free_port(), logs / f"dashboard-{n + 1}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "dashboard.cli", "run", "--port", str(port), "--headless"],
                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            started.append((f"http://127.0.0.1:{port}", process, log))
        for base, process, log in started:
            _wait_healthy(base, process, log)
        yield [(base, psutil.Process(process.pid)) for base, process, _ in started]
    finally:
        for _, process, _ in started:
            _stop(process)


def nginx_config(template: str, port: int, upstreams: list[int], prefix: Path) -> str:
    """deploy/nginx.conf as shipped, with only its port, upstreams, logs and temp folders changed."""
    config = template.replace("listen 80;", f"listen 127.0.0.1:{port};", 1)
    servers = re.findall(r"server 127\.0\.0\.1:\d+ ", config)
    if len(servers) != len(upstreams):
        raise CommandError(f"deploy/nginx.conf names {len(servers)} upstream processes, not {len(upstreams)}")
    for old, new in zip(servers, upstreams, strict=True):
        config = config.replace(old, f"server 127.0.0.1:{new} ", 1)
    config = config.replace("/var/log/nginx/", f"{prefix}/")
    temps = "".join(f"    {k}_temp_path {prefix / k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return config.replace("http {\n", "http {\n" + temps, 1)


@contextlib.contextmanager
def nginx(upstreams: list[str], logs: Path) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        raise CommandError("nginx is missing: apt-get install nginx, or run with --setups one")
    prefix = Path(tempfile.mkdtemp(prefix="healthdash-load-nginx-"))
    prefix.chmod(0o755)  # nginx's workers drop root and must reach their temp folders
    port = free_port()
    ports = [int(u.rsplit(":", 1)[1]) for u in upstreams]
    (prefix / "nginx.conf").write_text(nginx_config(NGINX_CONFIG.read_text(), port, ports, prefix))
    base = [binary, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-g", f"daemon off; pid {prefix}/nginx.pid;"]
    log = logs / "nginx.log"
    with log.open("w") as out:
        process = subprocess.Popen(base, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process, log, seconds=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        for name in ("healthdash-error.log", "healthdash-access.log"):
            if (prefix / name).exists():
                shutil.copy(prefix / name, logs / name)
        shutil.rmtree(prefix, ignore_errors=True)


class Watcher:
    """Every second: each dashboard process's RSS and CPU (with its children), PostgreSQL's, the app's connections."""

    def __init__(self, processes: list[psutil.Process], superuser_url: URL, app_role: str) -> None:
        self.processes = processes
        self.superuser_url = superuser_url
        self.app_role = app_role
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def connections(self, engine) -> int:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = :r"),
                {"r": self.app_role},
            ).scalar_one()

    def _run(self) -> None:
        from db.engine import make_engine

        engine = make_engine(self.superuser_url)
        postgres = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")]
        trees = [[p, *p.children(recursive=True)] for p in self.processes]
        for tree in [*trees, postgres]:
            for p in tree:
                with contextlib.suppress(psutil.Error):
                    p.cpu_percent(None)
        try:
            while not self._stop.wait(1.0):
                sample = {"connections": self.connections(engine), "processes": []}
                for tree in trees:
                    sample["processes"].append({"rss_mb": _sum(tree, "rss"), "cpu_percent": _sum(tree, "cpu")})
                sample["postgres"] = {"rss_mb": _sum(postgres, "rss"), "cpu_percent": _sum(postgres, "cpu")}
                self.samples.append(sample)
        finally:
            engine.dispose()


def _sum(processes: list[psutil.Process], what: str) -> float:
    total = 0.0
    for p in processes:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss / 2**20 if what == "rss" else p.cpu_percent(None)
    return round(total, 1)


# --- one run ------------------------------------------------------------------------------------------


def drive(bases: list[str], people: list[Person], tokens: list[str | None], seconds: float, browsers: int) -> Tally:
    """Everyone at once for `seconds`: the first `browsers` people in Chromium, the rest over the WebSocket."""
    tally = Tally()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_browser_person, args=(bases[i % len(bases)], people[i], until, tally))
        for i in range(browsers)
    ]
    sockets = [(bases[i % len(bases)], people[i], tokens[i]) for i in range(browsers, len(people))]
    threads.append(threading.Thread(target=_websocket_people, args=(sockets, until, tally)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def one_setup(
    name: str, processes: int, people: list[Person], urls: dict[str, URL], app_role: str,
    seconds: float, browsers: int, logs: Path,
) -> dict:  # fmt: skip
    """Start `processes` dashboards (behind nginx when more than one), drive everyone, return the figures."""
    from db.engine import make_engine

    browsers = min(browsers, len(people))
    tokens: list[str | None] = [None] * browsers + [sign_in_token(urls["owner"], p) for p in people[browsers:]]
    with dashboards(processes, urls["app"], urls["owner"], logs) as running, contextlib.ExitStack() as stack:
        bases = [b for b, _ in running]
        if processes > 1:
            bases = [stack.enter_context(nginx(bases, logs))]
        with Watcher([p for _, p in running], urls["superuser"], app_role) as watcher:
            started = time.perf_counter()
            tally = drive(bases, people, tokens, seconds, browsers)
            wall = time.perf_counter() - started
            engine = make_engine(urls["superuser"])
            try:
                held_at_end = watcher.connections(engine)
            finally:
                engine.dispose()
    return summarise(name, processes, len(people), browsers, seconds, wall, tally, watcher.samples, held_at_end)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))] if ordered else float("nan")


def summarise(
    name: str, processes: int, sessions: int, browsers: int, seconds: float, wall: float, tally: Tally,
    samples: list[dict], held_at_end: int,
) -> dict:  # fmt: skip
    every = [t for times in tally.times.values() for t in times]
    per_page = {
        what: {"count": len(ts), "p50_s": round(_pct(ts, 0.5), 3), "p95_s": round(_pct(ts, 0.95), 3)}
        for what, ts in sorted(tally.times.items())
    }
    per_process = [
        {
            "rss_mb_max": max((s["processes"][i]["rss_mb"] for s in samples), default=0.0),
            "cpu_percent_mean": round(sum(s["processes"][i]["cpu_percent"] for s in samples) / max(1, len(samples)), 1),
        }
        for i in range(processes)
    ]
    postgres_cpu = round(sum(s["postgres"]["cpu_percent"] for s in samples) / max(1, len(samples)), 1)
    result = {
        "setup": name,
        "processes": processes,
        "sessions": sessions,
        "browser_sessions": browsers,
        "websocket_sessions": sessions - browsers,
        "seconds": seconds,
        "wall_s": round(wall, 1),
        "pages": len(every),
        "pages_per_s": round(len(every) / wall, 2) if wall else 0.0,
        "p50_s": round(_pct(every, 0.5), 3),
        "p95_s": round(_pct(every, 0.95), 3),
        "per_page": per_page,
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "writes": tally.writes,
        "db_connections_max": max((s["connections"] for s in samples), default=0),
        "db_connections_at_end": held_at_end,
        "per_process": per_process,
        "postgres": {
            "rss_mb_max": max((s["postgres"]["rss_mb"] for s in samples), default=0.0),
            "cpu_percent_mean": postgres_cpu,
        },
    }
    result["saturates_first"] = saturation(result)
    return result


def saturation(result: dict) -> str:
    """Which of the machine's parts ran out first, read from the mean CPU of each (100 % is one core)."""
    cores = psutil.cpu_count() or 1
    busiest = max((p["cpu_percent_mean"] for p in result["per_process"]), default=0.0)
    postgres = result["postgres"]["cpu_percent_mean"]
    if busiest >= 85:
        return (f"the dashboard process: {busiest:.0f} % of one core (a Python process runs its pages on one core "
                f"at a time), PostgreSQL {postgres:.0f} %")  # fmt: skip
    if postgres >= 85 * cores:
        return f"PostgreSQL: {postgres:.0f} % of {cores} cores"
    return (f"nothing yet: the busiest dashboard process at {busiest:.0f} % of a core, PostgreSQL at "
            f"{postgres:.0f} % (of {cores * 100} %); the load clients share the machine")  # fmt: skip


# --- the command ----------------------------------------------------------------------------------------


def render_markdown(result: dict) -> str:
    lines = [
        f"# {result['sessions']} people at once for {result['seconds']:g} s",
        "",
        f"Run {result['when']} by `{result['command']}` on {result['machine']}.",
        f"Data: {result['data']}. Each person signs in and loops through {', '.join(MIX)} (the pages their",
        "role may open), pages the Appointments list, and a hospital admin confirms a resource count (a write).",
        f"Of the {result['sessions']} people, {result['setups'][0]['browser_sessions']} drive Chromium (the sign-in "
        "form, timed to the page settled); the others are Streamlit WebSocket clients (the browser's protocol "
        "without drawing, timed to the script finished).",
        "",
        "| setup | pages | pages/s | p50 | p95 | errors | writes | DB connections (most / at end) "
        "| memory per process (MB) | CPU per process | PostgreSQL CPU | saturates first |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|",
    ]
    for s in result["setups"]:
        memory = " / ".join(f"{p['rss_mb_max']:.0f}" for p in s["per_process"])
        cpu = " / ".join(f"{p['cpu_percent_mean']:.0f} %" for p in s["per_process"])
        lines.append(
            f"| {s['setup']} | {s['pages']} | {s['pages_per_s']} | {s['p50_s']:.2f} s | {s['p95_s']:.2f} s "
            f"| {s['errors']} | {s['writes']} | {s['db_connections_max']} / {s['db_connections_at_end']} | {memory} "
            f"| {cpu} | {s['postgres']['cpu_percent_mean']:.0f} % | {s['saturates_first']} |"
        )
    for s in result["setups"]:
        lines += ["", f"## {s['setup']}: per page", "", "| page | count | p50 | p95 |", "|---|---:|---:|---:|"]
        lines += [f"| {k} | {v['count']} | {v['p50_s']:.2f} s | {v['p95_s']:.2f} s |" for k, v in s["per_page"].items()]
        if s["error_samples"]:
            lines += ["", "Errors (first ten):", "", *[f"- {e}" for e in s["error_samples"]]]
    return "\n".join(lines) + "\n"


def write_results(result: dict, out_dir: Path) -> tuple[Path, Path]:
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"load-{result['sessions']}x{result['seconds']:g}s"
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md.write_text(render_markdown(result))
    js.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return md, js


def run_load(
    people: list[Person], urls: dict[str, URL], app_role: str, *, seconds: float, browsers: int,
    setups: tuple[str, ...], logs: Path, data: str, command: str,
) -> dict:  # fmt: skip
    """`urls`: superuser, owner and app (the least-privilege role the dashboards connect as)."""
    known = {"one": 1, "two-behind-nginx": 2}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": f"{psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GiB",
        "data": data,
        "sessions": len(people),
        "seconds": seconds,
        "setups": [
            one_setup(name, known[name], people, urls, app_role, seconds, browsers, logs / name)
            for name in setups
            if (logs / name).mkdir(parents=True, exist_ok=True) is None
        ],
    }
    return result


def demo_people(sessions: int, scale: float) -> list[Person]:
    """Network admins and hospital admins of the demo network, alternating, one login reused when they run out."""
    from db.demo.logins import DEMO_PASSWORD, demo_logins

    logins = [x for x in demo_logins(scale) if x.role.name in ("ADMIN", "HOSPITAL_ADMIN")]
    admins = [x for x in logins if x.role.name == "ADMIN"] or logins
    hospitals = [x for x in logins if x.role.name == "HOSPITAL_ADMIN"] or logins
    pick = [admins[i // 2 % len(admins)] if i % 2 == 0 else hospitals[i // 2 % len(hospitals)] for i in range(sessions)]
    return [Person(x.email, DEMO_PASSWORD, x.role.name) for x in pick]


def cmd_bench_load(args) -> int:
    from dashboard.bench_common import BENCH_ROLES, bench_database, database_name
    from db import roles
    from db.scratch import server_admin_url

    if args.sessions < 1 or args.seconds <= 0:
        raise CommandError("--sessions must be at least 1 and --seconds positive, e.g. --sessions 50 --seconds 300.")
    setups = ("one", "two-behind-nginx") if args.setups == "both" else (args.setups,)
    with server_admin_url() as (admin, where):
        url = bench_database(
            admin, database_name(args.scale), BENCH_ROLES, args.scale, datetime.now(UTC).date(),
            reuse=True, say=lambda s: print(s, flush=True),
        )  # fmt: skip
        urls = {"superuser": url, "owner": roles.as_role(url, BENCH_ROLES.owner),
                "app": roles.as_role(url, BENCH_ROLES.app)}  # fmt: skip
        logs = Path(tempfile.mkdtemp(prefix="healthdash-load-"))
        print(f"{args.sessions} people for {args.seconds:g} s ({', '.join(setups)}); server logs in {logs}", flush=True)
        result = run_load(
            demo_people(args.sessions, args.scale), urls, BENCH_ROLES.app, seconds=args.seconds,
            browsers=args.browsers, setups=setups, logs=logs,
            data=f"the demo network at scale {args.scale:g} ({where})",
            command=" ".join(["healthdash", "bench", "load", *sys.argv[3:]]),
        )  # fmt: skip
    md, js = write_results(result, Path(args.out))
    print(render_markdown(result), flush=True)
    print(f"Written: {md} and {js}", flush=True)
    return 1 if any(s["errors"] for s in result["setups"]) else 0


def add_arguments(bench) -> None:
    """The `bench load` options (the `target` choice itself is added in dashboard/cli.py)."""
    bench.add_argument("--sessions", type=int, default=50, help="load: people at once (default 50)")
    bench.add_argument("--seconds", type=float, default=300, help="load: how long (default 300)")
    bench.add_argument("--browsers", type=int, default=2, help="load: how many of them drive Chromium (default 2)")
    bench.add_argument("--setups", choices=("one", "two-behind-nginx", "both"), default="both",
                       help="load: one process, two behind nginx, or both (default)")  # fmt: skip
