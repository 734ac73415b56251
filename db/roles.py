"""Least privilege in the database: an owner role that migrates, and a login role the dashboard uses.

- The owner (`healthdash_owner` by default) owns the schema's objects and runs migrations, the
  seed and the demo builder. It has BYPASSRLS, since loading data is not any one user's act.
- The app role (`healthdash_app`) owns nothing, is no superuser, cannot bypass row-level security,
  cannot create roles or databases, and may read and write the tables but only read and append to
  `audit_logs` (no UPDATE, DELETE or TRUNCATE: history cannot be rewritten from the dashboard, and
  as a non-owner it cannot switch off the append-only trigger either). Its statements, locks and
  idle transactions are time-limited, so a slow query becomes a message, not a hang.

`healthdash db roles` applies this on a server (or prints the SQL for a database administrator);
the embedded default applies it itself on every start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

_log = logging.getLogger(__name__)

OWNER_ROLE = "healthdash_owner"
APP_ROLE = "healthdash_app"
APPEND_ONLY_TABLES = ("audit_logs",)
# Monthly partitions of analytics_data and audit_logs (migration 0010): the owner's, never the app's.
PARTITIONS_SCHEMA = "healthdash_partitions"
ENSURE_MONTH_PARTITIONS = "healthdash_ensure_month_partitions(regclass, date, date)"  # the owner's tool
APP_LIMITS = {"statement_timeout": "30s", "lock_timeout": "5s", "idle_in_transaction_session_timeout": "60s"}


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[:1].isalpha():
        raise ValueError(f"{name!r} is not a plain role name (letters, digits and underscores, starting with a letter)")
    return name


@dataclass(frozen=True)
class RoleNames:
    owner: str = OWNER_ROLE
    app: str = APP_ROLE

    def __post_init__(self) -> None:
        _ident(self.owner)
        _ident(self.app)


def create_roles_sql(
    names: RoleNames, *, owner_password: str | None = None, app_password: str | None = None
) -> list[str]:
    """CREATE ROLE (if missing) and the attributes both roles must have; run as a superuser."""

    def ensure(role: str, attributes: str, password: str | None) -> list[str]:
        with_password = f" PASSWORD '{password.replace(chr(39), chr(39) * 2)}'" if password else ""
        return [
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
            f"CREATE ROLE {role}; END IF; END $$",
            f"ALTER ROLE {role} {attributes}{with_password}",
        ]

    statements = ensure(names.owner, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB BYPASSRLS", owner_password)
    statements += ensure(
        names.app, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOREPLICATION INHERIT", app_password
    )
    statements += [f"ALTER ROLE {names.app} SET {name} = '{value}'" for name, value in APP_LIMITS.items()]
    return statements


def hand_over_sql(names: RoleNames, database: str) -> list[str]:
    """Make the owner role own the database, its public schema and every object in it."""
    owner = names.owner
    return [
        f'ALTER DATABASE "{database}" OWNER TO {owner}',
        f"ALTER SCHEMA public OWNER TO {owner}",
        # Objects in public (and the partitions' schema) not yet owned by the owner role: tables, views,
        # sequences, functions, types.
        f"""DO $$ DECLARE item record; BEGIN
            IF to_regnamespace('{PARTITIONS_SCHEMA}') IS NOT NULL THEN
                ALTER SCHEMA {PARTITIONS_SCHEMA} OWNER TO {owner};
            END IF;
            FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ('public', '{PARTITIONS_SCHEMA}') AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                  AND pg_get_userbyid(c.relowner) <> '{owner}'
                  AND (c.relispartition  -- a partition depends on its parent (auto) but is owned on its own
                       OR NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
            LOOP
                EXECUTE format('ALTER %s %s OWNER TO {owner}',
                    CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                        WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, item.name);
            END LOOP;
            FOR item IN SELECT t.oid::regtype AS name FROM pg_type t
                JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> '{owner}'
            LOOP
                EXECUTE format('ALTER TYPE %s OWNER TO {owner}', item.name);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{owner}'
            LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', item.name);
            END LOOP;
        END $$""",
    ]


def grants_sql(names: RoleNames, database: str) -> list[str]:
    """What the app role may do: connect, read and write the tables, append to the audit trail."""
    app, owner = names.app, names.owner
    statements = [
        f'GRANT CONNECT ON DATABASE "{database}" TO {app}',
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"REVOKE CREATE ON SCHEMA public FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {app}",
        # Tables a later migration adds are the app's to use too, as the owner creates them.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table in APPEND_ONLY_TABLES:  # before the first migration the table is not there yet
        statements.append(
            f"DO $$ BEGIN IF to_regclass('public.{table}') IS NOT NULL THEN "
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {app}; END IF; END $$"
        )
    statements.append(f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {app}")
    # The app reaches partitioned rows through the parents only, where row-level security and the
    # append-only rules hold: nothing on the partitions' schema or its tables (migration 0010).
    statements.append(
        f"DO $$ BEGIN IF to_regnamespace('{PARTITIONS_SCHEMA}') IS NOT NULL THEN "
        f"REVOKE ALL ON SCHEMA {PARTITIONS_SCHEMA} FROM {app}; "
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {PARTITIONS_SCHEMA} FROM {app}; END IF; "
        f"IF to_regprocedure('{ENSURE_MONTH_PARTITIONS}') IS NOT NULL THEN "
        f"REVOKE EXECUTE ON FUNCTION {ENSURE_MONTH_PARTITIONS} FROM {app}; END IF; END $$"
    )
    return statements


def all_sql(names: RoleNames, database: str, **passwords: str | None) -> list[str]:
    return [*create_roles_sql(names, **passwords), *hand_over_sql(names, database), *grants_sql(names, database)]


def run(conn: Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.execute(text(statement))


def apply_as_superuser(engine: Engine, names: RoleNames = RoleNames(), **passwords: str | None) -> None:
    """Create both roles, hand the database over to the owner, grant the app its rights (idempotent)."""
    with engine.begin() as conn:
        run(conn, create_roles_sql(names, **passwords))
        run(conn, hand_over_sql(names, engine.url.database))
        run(conn, grants_sql(names, engine.url.database))


def refresh_grants(engine: Engine, names: RoleNames = RoleNames()) -> bool:
    """After migrations: the app's rights on every table, the audit trail append-only again.

    Run as the owner (or a superuser). Default privileges give a new table to the app with UPDATE
    and DELETE; this takes them back where history must not change. Nothing happens when the app
    role does not exist (a single-role deployment); returns whether it ran.
    """
    with engine.begin() as conn:
        if not conn.scalar(text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :name)"), {"name": names.app}):
            return False
        run(conn, grants_sql(names, engine.url.database)[1:])  # CONNECT on the database is its owner's to give
    return True


def as_role(url: URL, role: str, password: str | None = None) -> URL:
    return url.set(username=role, password=password)


def privilege_warnings(conn: Connection) -> list[str]:
    """Why the connected role is too powerful for the dashboard, in sentences (empty when it is not)."""
    row = conn.execute(
        text(
            "SELECT r.rolname, r.rolsuper, r.rolbypassrls, "
            "EXISTS (SELECT FROM pg_tables t WHERE t.schemaname = 'public' AND t.tableowner = current_user), "
            "has_table_privilege(current_user, 'audit_logs', 'UPDATE') "
            "FROM pg_roles r WHERE r.rolname = current_user"
        )
    ).one()
    name, superuser, bypass, owner, rewrites_audit = row
    found = []
    if superuser:
        found.append(f"the dashboard connects as {name}, a superuser: row-level security does not apply to it")
    elif bypass:
        found.append(f"the dashboard connects as {name}, which bypasses row-level security")
    if owner:
        found.append(f"the dashboard connects as {name}, which owns the tables it reads")
    if rewrites_audit and not superuser:
        found.append(f"{name} may update audit_logs")
    return found
