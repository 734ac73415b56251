"""What `healthdash bench pages` and `healthdash bench browser` share.

The kept demo database per scale (one build serves both benches), the two actors (a network ADMIN and
the HOSPITAL_ADMIN of the busiest hospital), a description of the machine and the data, the 95th
percentile, and writing a result as Markdown and JSON side by side.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from dashboard.domains.people import sign_in
from dashboard.platform.actors import ClientInfo
from db import demo, migrate, roles
from db.demo.logins import DEMO_PASSWORD, demo_logins
from db.engine import make_engine, make_owner_engine
from db.errors import CommandError

BENCH_ROLES = roles.RoleNames(owner="healthdash_bench_owner", app="healthdash_bench_app")
NETWORK_ADMIN_EMAIL = "admin@demo.healthdash.ng"
COUNTED_TABLES = ("appointments", "analytics_data", "hospital_financial_data", "audit_logs")


@dataclass(frozen=True)
class BenchActor:
    label: str  # as the tables print it
    role: str  # a UserRole name
    email: str


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]


def median_and_p95(values: list[float]) -> tuple[float, float]:
    return (statistics.median(values), p95(values)) if values else (float("nan"), float("nan"))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def database_name(scale: float) -> str:
    """The kept demo database of a scale; both benches use it, so a scale-50 network is built once."""
    return f"healthdash_bench_pages_s{str(scale).replace('.', '_')}"


def bench_database(
    admin: URL, name: str, names: roles.RoleNames, scale: float, as_of: date, *, reuse: bool, say: Callable[[str], None]
) -> URL:
    """The bench's demo database: reused when it already holds the demo network, else built here."""
    import psycopg
    from psycopg import sql

    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not reuse:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = admin.set(drivername="postgresql+psycopg", database=name)
    superuser = make_engine(url)
    try:
        roles.apply_as_superuser(superuser, names)
    finally:
        superuser.dispose()
    owner = make_owner_engine(roles.as_role(url, names.owner))
    try:
        migrate.upgrade(owner)
        roles.refresh_grants(owner, names)
        if demo.has_demo_data(owner):
            say(f"Reusing the demo network in {name}.")
        else:
            say(f"Building the demo network at scale {scale:g} in {name} (kept for the next run)…")
            report = demo.build_demo(owner, scale=scale, as_of=as_of, progress=True)
            say(report.summary())
            with owner.begin() as conn:
                conn.execute(text("ANALYZE"))
    finally:
        owner.dispose()
    return url


def largest_hospital_admin(engine: Engine, scale: float) -> str:
    """The hospital admin login of the hospital with the most appointments (the heaviest one-hospital scope)."""
    admins = [login for login in demo_logins(scale) if login.role.name == "HOSPITAL_ADMIN"]
    with engine.connect() as conn:
        busiest = conn.execute(
            text(
                "SELECT h.name FROM hospitals h JOIN appointments a ON a.hospital_id = h.id "
                "GROUP BY h.name ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
    return next((login.email for login in admins if login.hospital_name == busiest), admins[0].email)


def sign_in_token(engine: Engine, email: str) -> str:
    """A session token for a demo login, signed in through the service (the cookie's value in a browser)."""
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        result = sign_in.authenticate(session, email, DEMO_PASSWORD, ClientInfo(session_id="bench"))
    if result.outcome is not sign_in.LoginOutcome.SUCCESS:
        raise CommandError(f"The demo login {email} could not sign in: {result.message}")
    return result.token


def bench_actors(engine: Engine, scale: float) -> list[BenchActor]:
    return [
        BenchActor("ADMIN (network)", "ADMIN", NETWORK_ADMIN_EMAIL),
        BenchActor("HOSPITAL_ADMIN", "HOSPITAL_ADMIN", largest_hospital_admin(engine, scale)),
    ]


def may_open(actor: BenchActor, spec) -> bool:
    return actor.role in {r.name for r in spec.roles}


def describe_data(engine: Engine) -> tuple[str, dict[str, int]]:
    """The server's version and the row counts of the big tables, for the heading of a result."""
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608 - constants
            for t in COUNTED_TABLES
        }
    return version, counts


def machine(version: str, where: str) -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "postgresql": version,
        "server": where,
    }


def write_files(result: dict, markdown: str, out_dir: Path, stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md.write_text(markdown)
    js.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return md, js
