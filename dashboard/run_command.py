"""`healthdash run`: prepare the database, then serve the dashboard with Streamlit.

Streamlit serves dashboard/asgi.py, an `st.App` (ASGI, uvicorn) that runs dashboard/app.py for each
browser session and adds the HttpOnly session cookie route, security headers and the WebSocket
Origin check (dashboard/shell/web_security.py).

Without DATABASE_URL it is a zero-set-up start: the embedded PostgreSQL is started, migrated, and
a new database gets the seed and the demo network. With DATABASE_URL nothing is changed unless
asked (--migrate, --demo): that database may be someone's real data.

Streamlit runs as a child process with DATABASE_URL pointing at the chosen database. Ctrl-C reaches
both processes; SIGTERM (e.g. from a service manager) reaches only this one, so it is turned into a
clean stop: Streamlit is terminated first, then the embedded server stops through its exit hooks.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from db import demo, migrate, roles
from db.engine import check_connection, describe_host, make_engine, make_owner_engine
from db.errors import CommandError
from db.settings import environment

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "dashboard" / "asgi.py"
DEMO_LOGINS_HINT = "Demo logins are listed in README.md (section Demo logins)."


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so every `finally` and exit hook runs."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def _load_seed(engine: Engine) -> None:
    from db.engine import unit_of_work
    from db.seed import seed

    with unit_of_work(engine) as session:
        report = seed(session)
    if report.created:
        print("Seed created: " + ", ".join(report.created), flush=True)


def _load_demo(engine: Engine, scale: float) -> None:
    if demo.has_demo_data(engine):
        return
    print(f"Building the demo network (scale {scale:g}); this takes a moment the first time…", flush=True)
    report = demo.build_demo(engine, scale=scale, progress=sys.stderr.isatty())
    print(report.summary(), flush=True)


def prepare_database(args: argparse.Namespace) -> str:
    """Return the URL Streamlit should use, after migrating and loading data as the options say.

    Migrations and data loading run as the owner role; the dashboard connects as the app role
    (db/roles.py). On the embedded server both roles are made here; with DATABASE_URL, the owner is
    HEALTHDASH_OWNER_URL when set, else the same login (and the app is warned that it is too powerful).
    """
    raw = environment().database_url
    embedded = raw is None
    if embedded:
        from db import embedded as embedded_server

        print("DATABASE_URL is not set: starting the embedded PostgreSQL…", flush=True)
        owner_raw, app_raw = embedded_server.role_urls()
    else:
        owner_raw, app_raw = environment().owner_url or raw, raw
    engine = make_owner_engine(owner_raw)
    app = make_engine(app_raw)
    try:
        check_connection(engine)
        where = f"{engine.url.database} on {describe_host(engine.url)}"
        if embedded or args.migrate:
            migrate.upgrade(engine)
            roles.refresh_grants(engine)
        elif not migrate.is_up_to_date(engine):
            raise CommandError(
                f"Database {where} is at revision {migrate.current_revision(engine) or 'base'}, not "
                f"{migrate.head_revision(engine)}. Run `healthdash db upgrade` or pass --migrate."
            )
        if embedded or args.demo:
            _load_seed(engine)
            _load_demo(engine, args.demo_scale)
        print(f"Database: {where} (revision {migrate.current_revision(engine)}).", flush=True)
        check_connection(app)
        with app.connect() as conn:
            for warning in roles.privilege_warnings(conn):
                print(f"WARNING: {warning}. Connect as a least-privilege role: see `healthdash db roles`.", flush=True)
        return app.url.render_as_string(hide_password=False)
    finally:
        engine.dispose()
        app.dispose()


def streamlit_command(args: argparse.Namespace) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        "--browser.gatherUsageStats",
        "false",
    ]
    if args.headless:
        command += ["--server.headless", "true"]
    return command


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # Streamlit shuts down cleanly on SIGTERM
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cmd_run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise CommandError("--port must be between 1 and 65535, e.g. 8501.")
    if args.demo_scale <= 0:
        raise CommandError("--demo-scale must be a positive number, e.g. 1 or 0.1.")
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    process = None
    try:
        url = prepare_database(args)
        env = dict(os.environ, DATABASE_URL=url)
        # Streamlit's server (uvicorn) believes X-Forwarded-For from any local client by default, so
        # anyone on the machine could write any address into the audit trail. Trust only the proxies
        # named in HEALTHDASH_TRUSTED_PROXIES (addresses or networks, comma-separated); none by default.
        env["FORWARDED_ALLOW_IPS"] = environment().trusted_proxies
        # cwd = the repository, so Streamlit reads .streamlit/config.toml (theme, error details, XSRF).
        process = subprocess.Popen(streamlit_command(args), cwd=REPO_ROOT, env=env)
        host = "localhost" if args.address in ("0.0.0.0", "127.0.0.1", "localhost") else args.address  # noqa: S104
        print(f"HealthDash is starting at http://{host}:{args.port}  (Ctrl-C stops it)", flush=True)
        print(DEMO_LOGINS_HINT, flush=True)
        code = process.wait()
        if code != 0:
            raise CommandError(f"Streamlit stopped with exit code {code}; its messages are above.")
        return 0
    except _Terminated:
        print("healthdash: stopping", file=sys.stderr, flush=True)
        return 0
    finally:
        if process is not None:
            _stop(process)
        signal.signal(signal.SIGTERM, previous)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("run", help="start the dashboard (Streamlit) on the embedded or given database")
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument(
        "--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all interfaces)"
    )
    p.add_argument("--migrate", action="store_true", help="with DATABASE_URL: apply migrations first")
    p.add_argument("--demo", action="store_true", help="with DATABASE_URL: load the seed and demo data if missing")
    p.add_argument("--demo-scale", type=float, default=1.0, help="size of the demo network (default 1)")
    p.add_argument("--headless", action="store_true", help="do not open a browser")
    p.set_defaults(handler=cmd_run)
