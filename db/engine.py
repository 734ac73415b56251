"""One engine per process, one Session per unit of work.

`DATABASE_URL` wins; without it the embedded server is started (db.embedded). Both
`postgresql://` and `postgresql+psycopg://` are accepted; the driver is always psycopg 3.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db import row_scope
from db.roles import APP_LIMITS
from db.settings import SettingsError, environment

APPLICATION_NAME = "healthdash"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message says which host and what to check."""


def normalise_url(raw: str) -> URL:
    """Parse a PostgreSQL URL and pin the psycopg 3 driver; refuse anything else in plain words."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise SettingsError(
            "DATABASE_URL is not a valid URL; expected postgresql://user:password@host:5432/dbname"
        ) from exc
    backend = url.get_backend_name()
    if backend not in {"postgresql", "postgres"}:
        raise SettingsError(
            f"DATABASE_URL names a {backend!r} database; this dashboard needs "
            "postgresql://user:password@host:5432/dbname"
        )
    if url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    if not url.database:
        raise SettingsError("DATABASE_URL names no database; add one after the host, e.g. .../healthdash")
    return url


def describe_host(url: URL) -> str:
    host = url.host or url.query.get("host") or "the local socket"
    if isinstance(host, tuple):
        host = host[0]
    return f"{host}:{url.port}" if url.port else str(host)


POOLER_VARIABLE = "HEALTHDASH_POOLER"


def pooler_connect_args() -> dict:
    """Driver options for a connection pooler between the dashboard and PostgreSQL (HEALTHDASH_POOLER).

    `transaction` (PgBouncer in transaction pooling): each transaction may run on another server
    connection, so psycopg's server-side prepared statements (made after a query's fifth run) would be
    missing there or clash with another client's of the same name; PgBouncer before 1.21 cannot track
    them at all. prepare_threshold=None sends every statement unprepared. Nothing else is needed: the
    dashboard's per-request settings are transaction-local (db/row_scope.py). See docs/scaling.md.
    """
    if environment().pooler == "transaction":
        return {"prepare_threshold": None}
    return {}


def make_engine(url: str | URL, **kwargs) -> Engine:
    url = normalise_url(url) if isinstance(url, str) else url
    connect_args = {"application_name": APPLICATION_NAME, "connect_timeout": 10, **pooler_connect_args()}
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def check_connection(engine: Engine) -> None:
    """Open one connection now so a wrong URL fails early with a sentence, not a traceback."""
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"Cannot reach PostgreSQL at {describe_host(engine.url)} (database "
            f"{engine.url.database!r}): check that the server is running, the host and port are right, "
            f"and the user, password and database in DATABASE_URL exist. Server said: {_cause(exc)}"
        ) from exc


def _cause(exc: DBAPIError) -> str:
    # psycopg says e.g. 'connection to server at "h", port 5432 failed: FATAL:  role "u" does not exist'
    for line in str(exc.orig).splitlines():
        if "failed:" in line:
            return line.rsplit("failed:", 1)[1].replace("FATAL:", "").strip()
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__


def resolve_url() -> URL:
    """The dashboard's own login: DATABASE_URL if set, else the embedded server's app role."""
    raw = environment().database_url
    if raw:
        return normalise_url(raw)
    from db import embedded  # imported lazily: starting a server is a side effect

    return normalise_url(embedded.role_urls()[1])


def resolve_owner_url() -> URL:
    """Who migrates and loads data: HEALTHDASH_OWNER_URL, else DATABASE_URL, else the embedded owner role.

    With DATABASE_URL alone, one role does both (a warning at start says it is too powerful).
    """
    raw = environment().owner_url or environment().database_url
    if raw:
        return normalise_url(raw)
    from db import embedded

    return normalise_url(embedded.role_urls()[0])


def make_owner_engine(url: str | URL, **kwargs) -> Engine:
    """An engine for migrations, the seed and the demo builder: the whole network's scope.

    Loading data is no one user's act, so these sessions may write every hospital's rows under
    row-level security (a role with BYPASSRLS is not held to it anyway).
    """
    engine = make_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _network_scope(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SELECT set_config('{row_scope.SETTING}', '{row_scope.NETWORK}', false)")
        dbapi_connection.commit()

    return engine


# The dashboard's own time limits, for a login that has none of its own (one role doing everything,
# see db/roles.py): a slow query, a lock held elsewhere or a forgotten transaction ends in a message.
# A limit the role or the server already sets (a stricter one, say) is left as it is.
DASHBOARD_LIMITS = APP_LIMITS


def _set_missing_limits(dbapi_connection, _record) -> None:
    # One statement for every setting, so a new connection costs one round trip, not four.
    missing = ", ".join(
        "CASE WHEN current_setting(%s) IN ('0', '0ms') THEN set_config(%s, %s, false) END" for _ in DASHBOARD_LIMITS
    )
    values = [v for name, value in DASHBOARD_LIMITS.items() for v in (name, name, value)]
    with dbapi_connection.cursor() as cursor:
        # A login that is not the app role (one role doing everything) gets the app role's no-JIT too (db/roles.py).
        cursor.execute(f"SELECT {missing}, set_config('jit', 'off', false)", values)  # noqa: S608 - placeholders only
    dbapi_connection.commit()


def pool_settings() -> dict[str, int]:
    """How many connections the dashboard keeps and may add, and how many seconds a request waits for one.

    Every request of every user needs one of these connections while it reads or writes; when all are
    in use for longer than the wait, the request ends in the sentence data.POOL_BUSY.
    """
    chosen = environment()
    return {"pool_size": chosen.pool_size, "max_overflow": chosen.pool_overflow, "pool_timeout": chosen.pool_timeout}


@functools.cache
def get_engine() -> Engine:
    """The dashboard's engine: pre-pinged pool (a restarted server is reconnected to), sized by
    pool_settings(), and time limits."""
    engine = make_engine(resolve_url(), **pool_settings())
    event.listen(engine, "connect", _set_missing_limits)
    return engine


@functools.cache
def get_read_engine() -> Engine | None:
    """The replica's engine when DATABASE_READ_URL is set (same login, same limits), else None."""
    raw = environment().database_read_url
    if raw is None:
        return None
    # A replica that stops answering must fail fast: the read then goes to the primary.
    engine = make_engine(normalise_url(raw), connect_args={"connect_timeout": 3})
    event.listen(engine, "connect", _set_missing_limits)
    return engine


@functools.cache
def get_owner_engine() -> Engine:
    return make_owner_engine(resolve_owner_url())


@functools.cache
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return _session_factory(engine or get_engine())


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """`with unit_of_work() as s:` commits once at the end, rolls back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session
