"""`healthdash bench browser`: every page timed in a real browser, cold and warm, end to end.

On the kept demo database of the scale (dashboard/bench_common.py; shared with `healthdash bench pages`)
a real `healthdash run` serves the dashboard as the least-privilege app role (the owner role migrates,
as in production), and Debian's Chromium, driven by Playwright, opens each page of `navigation.PAGES`
that the actor may open, for a network ADMIN and the HOSPITAL_ADMIN of the busiest hospital.

Cold and warm. Every repeat starts a fresh server for each actor, so "cold" is the first open of a page
after the server started (the app's caches empty, its page modules not yet run; the database's own
buffers stay warm, as they would on a live server) and "warm" is opening the same page again at once.
Each open is a full load of the page's address (a new Streamlit session, signed in from the session
cookie, which the bench writes from a token it gets from the sign-in service, so no page is warmed by
the sign-in's landing on the Overview).

Settled: from the navigation's start (the document's `performance.timeOrigin`) until Streamlit's
script has finished (no running indicator, nothing stale, no skeleton), the page's heading is there,
every table (st.dataframe) on screen has its canvas (the grid draws only what can be seen), every shown
Plotly chart has its SVG with words in it, and the map (pydeck) has its canvas; what sits in a closed
expander or another tab is not waited for. Bytes are counted from Chromium's DevTools protocol: every HTTP response's
encoded length plus every WebSocket frame, both ways.

SQL per open, for the app role on the bench database: dashboard/bench_sql.py.

The floor, in the same run: the sign-in page opened a second time by a new visitor on a warm server
(the smallest thing the app draws, its static files in the browser's cache). Page figures are also
given net of it. The sign-in form's time to appear is measured cold (the first request after the
server started) and warm (a new visitor later).

With --network slow4g or 3g, Chromium throttles the connection to Chrome DevTools' presets and the
run measures what a user on such a line waits for: the sign-in form, signing in until the Overview has
settled, and one page change from the menu.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from dashboard.bench_common import (
    BENCH_ROLES,
    BenchActor,
    bench_actors,
    bench_database,
    database_name,
    describe_data,
    machine,
    may_open,
    median_and_p95,
    sign_in_token,
    write_files,
)
from dashboard.bench_sql import SqlMeter, sql_meter
from dashboard.shell import navigation
from db import roles
from db.demo.logins import DEMO_PASSWORD
from db.engine import make_owner_engine
from db.errors import CommandError
from db.scratch import drop_database, server_admin_url

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
VIEWPORT = {"width": 1400, "height": 900}
COOKIE = "healthdash_session"
SIGN_IN = "Sign in"

# The targets of issue 21, at scale 50, p95 of 5.
COLD_NET_P95_S = 1.0
WARM_NET_P95_S = 0.5
STATEMENTS_PER_RENDER = 40
SIGN_IN_FORM_S = 1.0


@dataclass(frozen=True)
class Throttle:
    """A Chrome DevTools network preset (front_end/core/sdk/NetworkManager.ts in Chromium's devtools-frontend,
    the same figures as Puppeteer's PredefinedNetworkConditions): bytes a second and milliseconds."""

    name: str
    latency_ms: float
    down_bytes_s: float
    up_bytes_s: float


NETWORKS: dict[str, Throttle | None] = {
    "none": None,
    # "Slow 4G" (DevTools' "Fast 3G" before 2024): 1.6 Mbps down, 750 kbps up, 10 % loss, 150 ms RTT x 3.75.
    "slow4g": Throttle("Slow 4G", 150 * 3.75, 1.6e6 / 8 * 0.9, 750e3 / 8 * 0.9),
    # "3G" (DevTools' "Slow 3G" before 2024): 500 kbps both ways, 20 % loss, 400 ms RTT x 5.
    "3g": Throttle("3G", 400 * 5, 500e3 / 8 * 0.8, 500e3 / 8 * 0.8),
}

# True once the page has settled; then the settling instant and the document's navigation start (epoch ms).
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  if (!document.querySelector('h1')) return false;
  const sized = e => e.offsetWidth > 0 && e.offsetHeight > 0;  // not in a closed expander or another tab
  const onScreen = e => {
    const r = e.getBoundingClientRect();
    return sized(e) && r.top < innerHeight && r.bottom > 0;
  };
  const all = (id, shown) => [...document.querySelectorAll(`[data-testid="${id}"]`)].filter(shown);
  if (!all('stDataFrame', onScreen).every(t => t.querySelector('canvas'))) return false;
  if (!all('stPlotlyChart', sized).every(c => {
        const svg = c.querySelector('svg.main-svg');
        return svg && svg.textContent.trim().length > 0;
      })) return false;
  const drawn = m => [...m.querySelectorAll('canvas')].some(c => c.width > 0);
  if (!all('stDeckGlJsonChart', sized).every(drawn)) return false;
  return {origin: performance.timeOrigin, at: performance.timeOrigin + performance.now()};
}"""
NOW_JS = "() => performance.timeOrigin + performance.now()"


@dataclass
class Open:
    """One page open: seconds until settled (None when it failed), bytes both ways, SQL when measurable."""

    seconds: float | None
    received: int
    sent: int
    statements: int | None = None
    sql_seconds: float | None = None
    error: str | None = None


@dataclass
class Series:
    name: str
    actor: str
    cold: list[Open] = field(default_factory=list)
    warm: list[Open] = field(default_factory=list)

    def summary(self, floor: float) -> dict:
        out: dict = {"page": self.name, "actor": self.actor}
        for kind, opens in (("cold", self.cold), ("warm", self.warm)):
            if not opens:  # not measured this way (a throttled sign-in has no warm twin): no keys
                continue
            seconds = [o.seconds for o in opens if o.seconds is not None]
            median, p95 = (None, None) if not seconds else median_and_p95(seconds)
            statements = [o.statements for o in opens if o.statements is not None]
            sql_s = [o.sql_seconds for o in opens if o.sql_seconds is not None]
            out |= {
                f"{kind}_median_s": median,
                f"{kind}_p95_s": p95,
                f"{kind}_net_p95_s": None if p95 is None else p95 - floor,
                f"{kind}_kb_received": round(median_and_p95([o.received / 1024 for o in opens])[0], 1),
                f"{kind}_kb_sent": round(median_and_p95([o.sent / 1024 for o in opens])[0], 1),
                f"{kind}_statements": max(statements) if statements else None,
                f"{kind}_sql_median_s": median_and_p95(sql_s)[0] if sql_s else None,
            }
        out["errors"] = sorted({o.error for o in self.cold + self.warm if o.error})
        return out


# --- the server and the browser -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(url: URL, names: roles.RoleNames, log: Path, seconds: float = 120) -> Iterator[str]:
    """`healthdash run` on the bench database as the app role (the owner role for migrations), as deployed."""
    port = _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=roles.as_role(url, names.app).render_as_string(hide_password=False),
        HEALTHDASH_OWNER_URL=roles.as_role(url, names.owner).render_as_string(hide_password=False),
    )
    command = [sys.executable, "-m", "dashboard.cli", "run", "--port", str(port), "--headless"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise CommandError(f"healthdash run did not start:\n{log.read_text()[-2000:]}")
            if _healthy(base):
                break
            time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310 - our server
            return response.status == 200
    except OSError:
        return False


class Tab:
    """A browser tab that counts the bytes it moves (DevTools protocol) and may be throttled."""

    def __init__(self, browser, throttle: Throttle | None, timeout_s: float) -> None:
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(timeout_s * 1000)
        self.page = self.context.new_page()
        self.received = self.sent = 0
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        if throttle is not None:
            cdp.send(
                "Network.emulateNetworkConditions",
                {"offline": False, "latency": throttle.latency_ms, "downloadThroughput": throttle.down_bytes_s,
                 "uploadThroughput": throttle.up_bytes_s},
            )  # fmt: skip
        cdp.on("Network.loadingFinished", lambda e: self._count(e["encodedDataLength"], 0))
        cdp.on("Network.webSocketFrameReceived", lambda e: self._count(_frame_bytes(e), 0))
        cdp.on("Network.webSocketFrameSent", lambda e: self._count(0, _frame_bytes(e)))

    def _count(self, received: float, sent: int) -> None:
        self.received += int(received)
        self.sent += sent

    def sign_in_cookie(self, base: str, token: str) -> None:
        cookie = {"name": COOKIE, "value": token, "url": base, "httpOnly": True, "sameSite": "Strict"}
        self.context.add_cookies([cookie])

    def close(self) -> None:
        self.context.close()


def _frame_bytes(event: dict) -> int:
    frame = event["response"]
    payload = frame.get("payloadData", "")
    return len(base64.b64decode(payload)) if frame.get("opcode") == 2 else len(payload.encode())


def measure(tab: Tab, meter: SqlMeter, title: str, act: Callable[[], None], *, by_address: bool) -> Open:
    """Do `act` (load an address, or click) and time it until the page titled `title` has settled."""
    tab.received = tab.sent = 0
    meter.mark()
    try:
        started = None if by_address else tab.page.evaluate(NOW_JS)
        act()
        tab.page.get_by_role("heading", name=title, exact=True).wait_for()
        settled = tab.page.wait_for_function(SETTLED_JS, polling="raf").json_value()
        seconds = (settled["at"] - (settled["origin"] if started is None else started)) / 1000
        error = None
    except Exception as exc:  # a page that fails or never settles is reported, and the run goes on
        seconds, error = None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    statements, sql_seconds = meter.taken()
    return Open(seconds, tab.received, tab.sent, statements, sql_seconds, error)


def open_address(tab: Tab, meter: SqlMeter, base: str, spec) -> Open:
    path = "" if spec is None else spec.url_path
    title = SIGN_IN if spec is None else spec.title
    return measure(tab, meter, title, lambda: tab.page.goto(f"{base}/{path}", wait_until="commit"), by_address=True)


def sign_in_through_form(tab: Tab, meter: SqlMeter, email: str) -> Open:
    page = tab.page
    page.get_by_label("Email", exact=True).fill(email)
    page.locator('input[type="password"]').fill(DEMO_PASSWORD)
    button = page.get_by_role("button", name=SIGN_IN)
    return measure(tab, meter, "Overview", button.click, by_address=False)


def change_page(tab: Tab, meter: SqlMeter, spec) -> Open:
    link = tab.page.locator('[data-testid="stSidebar"]').get_by_role("link", name=spec.title, exact=True)
    return measure(tab, meter, spec.title, link.click, by_address=False)


# --- the runs ------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """Everything one bench run measured, by name of the series."""

    series: dict[tuple[str, str], Series] = field(default_factory=dict)

    def of(self, name: str, actor: str) -> Series:
        return self.series.setdefault((name, actor), Series(name, actor))


def _pages_pass(browser, base, actor: BenchActor, token: str, chosen, meter, run: Run, timeout_s: float, say) -> None:
    """One fresh server: the sign-in form cold, each page cold then warm, then a new visitor's sign-in and floor."""
    tab = Tab(browser, None, timeout_s)
    try:
        run.of("sign-in form", actor.label).cold.append(open_address(tab, meter, base, None))
        tab.sign_in_cookie(base, token)
        for spec in chosen:
            cold = open_address(tab, meter, base, spec)
            warm = open_address(tab, meter, base, spec)
            run.of(spec.key, actor.label).cold.append(cold)
            run.of(spec.key, actor.label).warm.append(warm)
            say(f"  {spec.key:<14} {actor.label:<16} cold {_s(cold.seconds)}  warm {_s(warm.seconds)}"
                + (f"  ({cold.error or warm.error})" if cold.error or warm.error else ""))  # fmt: skip
    finally:
        tab.close()
    _new_visitor(browser, base, actor, meter, run, None, timeout_s)


def _new_visitor(browser, base, actor: BenchActor, meter, run: Run, throttle, timeout_s: float) -> None:
    """A new visitor on the warm server: the sign-in form (warm), then the same page again (the floor)."""
    visitor = Tab(browser, throttle, timeout_s)
    try:
        run.of("sign-in form", actor.label).warm.append(open_address(visitor, meter, base, None))
        run.of("floor", actor.label).warm.append(open_address(visitor, meter, base, None))
    finally:
        visitor.close()


def _throttled_pass(browser, base, actor: BenchActor, change_to, meter, run: Run, throttle, timeout_s: float) -> None:
    """One fresh server, a throttled new visitor: the sign-in form, signing in to the Overview, one page change."""
    tab = Tab(browser, throttle, timeout_s)
    try:
        run.of("sign-in form", actor.label).cold.append(open_address(tab, meter, base, None))
        run.of("sign in to Overview", actor.label).cold.append(sign_in_through_form(tab, meter, actor.email))
        if change_to is not None:
            changes = run.of(f"page change to {change_to.key}", actor.label)
            changes.cold.append(change_page(tab, meter, change_to))
            change_page(tab, meter, navigation.PAGE_BY_KEY["overview"])
            changes.warm.append(change_page(tab, meter, change_to))
    finally:
        tab.close()
    _new_visitor(browser, base, actor, meter, run, throttle, timeout_s)


def _s(seconds: float | None) -> str:
    return "failed" if seconds is None else f"{seconds:.2f} s"


def run_browser_bench(
    scale: float,
    *,
    repeats: int = 5,
    pages: list[str] | None = None,
    network: str = "none",
    as_of: date | None = None,
    reuse: bool = True,
    say: Callable[[str], None] = print,
    database: str | None = None,
    names: roles.RoleNames = BENCH_ROLES,
    keep: bool = True,
    timeout_s: float = 120,
) -> dict:
    """Measure the pages in Chromium for both actors; return the results (also the source of the Markdown)."""
    if not os.path.exists(CHROMIUM):
        raise CommandError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    throttle = NETWORKS[network]
    as_of = as_of or date.today()
    chosen = [p for p in navigation.PAGES if pages is None or p.key in pages]
    if not chosen:
        raise CommandError("No page matches --pages; names are: " + ", ".join(p.key for p in navigation.PAGES))
    run = Run()
    with server_admin_url() as (admin, where), tempfile.TemporaryDirectory(prefix="healthdash-bench-") as folder:
        database = database or database_name(scale)
        url = bench_database(admin, database, names, scale, as_of, reuse=reuse, say=say)
        owner = make_owner_engine(roles.as_role(url, names.owner))
        meter = sql_meter(url.set(drivername="postgresql").render_as_string(hide_password=False), names.app)
        try:
            version, counts = describe_data(owner)
            actors = bench_actors(owner, scale)
            say(f"SQL per open from: {meter.source}.")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                chromium = browser.version
                try:
                    for repeat in range(repeats):
                        for actor in actors:
                            mine = [spec for spec in chosen if may_open(actor, spec)]
                            say(f"Repeat {repeat + 1} of {repeats}, {actor.label}: a fresh server.")
                            with dashboard_server(url, names, Path(folder) / "server.log") as base:
                                if throttle is None:
                                    token = sign_in_token(owner, actor.email)
                                    _pages_pass(browser, base, actor, token, mine, meter, run, timeout_s, say)
                                else:
                                    change_to = next((s for s in mine if s.key != "overview"), None)
                                    _throttled_pass(browser, base, actor, change_to, meter, run, throttle, timeout_s)
                finally:
                    browser.close()
        finally:
            meter.close()
            owner.dispose()
            if not keep:
                drop_database(admin, database)
    floors = [o.seconds for s in run.series.values() if s.name == "floor" for o in s.warm if o.seconds is not None]
    floor = median_and_p95(floors)[0] if floors else 0.0
    series = [s.summary(floor) for s in run.series.values() if s.name != "floor"]
    return {
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "as_of": as_of.isoformat(),
        "repeats": repeats,
        "network": network,
        "throttle": asdict(throttle) if throttle else None,
        "machine": machine(version, where) | {"chromium": chromium},
        "rows": counts,
        "sql_source": meter.source,
        "floor_s": floor,
        "sign_in": [s for s in series if not _is_page(s["page"])],
        "pages": [s for s in series if _is_page(s["page"])],
        "targets": {"cold_net_p95_s": COLD_NET_P95_S, "warm_net_p95_s": WARM_NET_P95_S,
                    "statements_per_render": STATEMENTS_PER_RENDER, "sign_in_form_s": SIGN_IN_FORM_S},
    }  # fmt: skip


def _is_page(name: str) -> bool:
    return name in navigation.PAGE_BY_KEY


# --- the table -------------------------------------------------------------------------------------------------


def _cell(seconds: float | None, limit: float | None = None) -> str:
    if seconds is None:  # every open of the kind failed
        return "failed"
    text = f"{seconds:.2f} s"
    return text if limit is None else f"{text} {'✗' if _over(seconds, limit) else '✓'}"


def _over(value: float | None, limit: float) -> bool:
    return value is None or value > limit


def _cells(figures: dict, kind: str, limit: float | None = None, net_limit: float | None = None) -> list[str]:
    """Median, p95 (and p95 net of the floor) of one kind, or dashes when the run did not measure it."""
    if f"{kind}_median_s" not in figures:
        return ["—"] * (2 if net_limit is None else 3)
    cells = [_cell(figures[f"{kind}_median_s"]), _cell(figures[f"{kind}_p95_s"], limit)]
    return cells if net_limit is None else [*cells, _cell(figures[f"{kind}_net_p95_s"], net_limit)]


def _kb(figures: dict, what: str) -> str:
    values = [figures.get(f"{kind}_kb_{what}") for kind in ("cold", "warm")]
    return " / ".join("—" if v is None else f"{v:,.0f}" if what == "received" else f"{v:,.1f}" for v in values) + " KB"


def _count(statements: int | None, limit: int | None = None) -> str:
    if statements is None:
        return "n/a"
    return str(statements) if limit is None else f"{statements} {'✓' if statements <= limit else '✗'}"


def targets(result: dict) -> list[str]:
    """Each target of issue 21 that this run misses, as a sentence (empty: all met)."""
    missed = []
    for p in result["pages"]:
        name = f"{p['page']} as {p['actor']}"
        if p["errors"]:
            missed.append(f"{name} failed: {p['errors'][0]}")
        if _over(p["cold_net_p95_s"], COLD_NET_P95_S):
            missed.append(f"{name}: cold p95 net of the floor {_cell(p['cold_net_p95_s'])} > {COLD_NET_P95_S:g} s")
        if _over(p["warm_net_p95_s"], WARM_NET_P95_S):
            missed.append(f"{name}: warm p95 net of the floor {_cell(p['warm_net_p95_s'])} > {WARM_NET_P95_S:g} s")
        most = max((n for n in (p["cold_statements"], p["warm_statements"]) if n is not None), default=0)
        if most > STATEMENTS_PER_RENDER:
            missed.append(f"{name}: {most} statements > {STATEMENTS_PER_RENDER}")
    for s in result["sign_in"]:
        if s["page"] == "sign-in form":
            for kind in ("cold", "warm"):
                if _over(s[f"{kind}_p95_s"], SIGN_IN_FORM_S):
                    missed.append(f"sign-in form ({kind}) for {s['actor']}: p95 {_cell(s[f'{kind}_p95_s'])} "
                                  f"> {SIGN_IN_FORM_S:g} s")  # fmt: skip
    return missed


def render_markdown(result: dict) -> str:
    m = result["machine"]
    rows = ", ".join(f"{count:,} {table}" for table, count in result["rows"].items())
    throttle = result["throttle"]
    line = "no throttling" if throttle is None else (
        f"Chromium throttled to Chrome DevTools' \"{throttle['name']}\" preset ({throttle['latency_ms']:g} ms latency, "
        f"{throttle['down_bytes_s'] * 8 / 1000:,.0f} kbit/s down, {throttle['up_bytes_s'] * 8 / 1000:,.0f} kbit/s up)"
    )  # fmt: skip
    lines = [
        f"# Browser benchmark: scale {result['scale']:g}" + ("" if throttle is None else f", {throttle['name']}"),
        "",
        f"Made {result['made_at']} by `healthdash bench browser --scale {result['scale']:g} --network "
        f"{result['network']}` on {m['cpus']} CPUs, {m['memory_gib']} GiB, PostgreSQL {m['postgresql']} "
        f"({m['server']}), Python {m['python']}, Chromium {m['chromium']} (headless, software drawing), {line}; "
        f"demo as of {result['as_of']} with {rows}. `healthdash run` as the least-privilege app role; "
        f"{result['repeats']} repeats, each on a fresh server per actor: cold is a page's first open after the "
        "server started, warm the same page opened again at once; each open loads the page's address. Settled = "
        "navigation start until Streamlit's script has finished and every table, chart and map is drawn. "
        f"SQL per open from {result['sql_source']}; statements leave out BEGIN/COMMIT and the pool's liveness pings. "
        f"Floor (the sign-in page reopened by a new visitor on a warm server, median): {_cell(result['floor_s'])}; "
        "\"net\" figures subtract it. Targets (issue 21, scale 50): settled ≤ "
        f"{COLD_NET_P95_S:g} s cold and ≤ {WARM_NET_P95_S:g} s warm net of the floor (p95), ≤ {STATEMENTS_PER_RENDER}"
        f" statements per render, sign-in form ≤ {SIGN_IN_FORM_S:g} s; ✓ met, ✗ missed.",
        "",
        "| what | actor | cold median | cold p95 | warm median | warm p95 | received cold / warm | sent cold / warm "
        "| errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in result["sign_in"]:
        limit = SIGN_IN_FORM_S if s["page"] == "sign-in form" else None
        cells = _cells(s, "cold", limit) + _cells(s, "warm", limit) + [_kb(s, "received"), _kb(s, "sent")]
        lines.append(f"| {s['page']} | {s['actor']} | {' | '.join(cells)} | {'; '.join(s['errors'])} |")
    if result["pages"]:
        lines += [
            "",
            "| page | actor | cold median | cold p95 | cold p95 net | warm median | warm p95 | warm p95 net "
            "| received cold / warm | SQL cold | statements cold / warm | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
    for p in result["pages"]:
        sql_ms = "n/a" if p["cold_sql_median_s"] is None else f"{p['cold_sql_median_s'] * 1000:,.0f} ms"
        cells = _cells(p, "cold", net_limit=COLD_NET_P95_S) + _cells(p, "warm", net_limit=WARM_NET_P95_S)
        lines.append(
            f"| {p['page']} | {p['actor']} | {' | '.join(cells)} | {_kb(p, 'received')} | {sql_ms} | "
            f"{_count(p['cold_statements'], STATEMENTS_PER_RENDER)} / {_count(p['warm_statements'])} | "
            f"{'; '.join(p['errors'])} |"
        )
    missed = targets(result)
    lines += ["", "Targets: " + ("all met." if not missed else "missed: " + "; ".join(missed) + ".")]
    return "\n".join(lines) + "\n"


def write_results(result: dict, out_dir: Path) -> tuple[Path, Path]:
    stem = f"browser-bench-scale-{result['scale']:g}".replace(".", "_")
    if result["network"] != "none":
        stem += f"-{result['network']}"
    return write_files(result, render_markdown(result), out_dir, stem)


def cmd_bench_browser(args) -> int:
    if args.scale <= 0:
        raise CommandError("--scale must be a positive number, e.g. 1 or 0.2.")
    if args.repeats < 1:
        raise CommandError("--repeats must be at least 1.")
    pages = [p.strip() for p in args.pages.split(",")] if args.pages else None
    result = run_browser_bench(
        args.scale,
        repeats=args.repeats,
        pages=pages,
        network=args.network,
        as_of=args.as_of,
        reuse=not args.rebuild,
        timeout_s=120 if args.network == "none" else 600,
    )
    print(render_markdown(result))
    if args.out:
        for path in write_results(result, Path(args.out)):
            print(f"Written: {path}")
    return 0


__all__ = ["NETWORKS", "cmd_bench_browser", "render_markdown", "run_browser_bench", "targets", "write_results"]
