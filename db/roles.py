"""Least privilege in the database: an owner role that migrates, and a login role the dashboard uses.

- The owner (`healthdash_owner` by default) owns the schema's objects and runs migrations, the
  seed and the demo builder. It has BYPASSRLS, since loading data is not any one user's act.
- The app role (`healthdash_app`) owns nothing, is no superuser, cannot bypass row-level security,
  cannot create roles or databases, and may use only the tables and columns the dashboard's pages
  reach (APP_TABLES, an allow-list; tests/money/test_trust_db_ledger.py compares it with what the services
  reference): no health records, prescriptions, messages, conversations, emergency contacts, agent
  tables or consultation-room tokens. History is append-only for it: `audit_logs`, `wallet_transactions`
  and `wallet_postings` are read and INSERT only, wallets are never deleted, and the reconciliation's
  checkpoints move only through the owner's function (migration 0012); as a non-owner it cannot switch
  off a trigger either. Its statements, locks and idle transactions are time-limited, so a slow query
  becomes a message, not a hang.
- The names in use are remembered in the database (`ALTER DATABASE ... SET healthdash.owner_role` and
  `healthdash.app_role`, which only the database's owner or a superuser can change), so `healthdash db
  upgrade` refreshes the grants of the roles actually in use, not only the default names.
- Every schema the migrations create (the partitions', the summaries') is handed to the owner too,
  whichever order migrations and `db roles` ran in.

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
APPEND_ONLY_TABLES = ("audit_logs", "wallet_transactions", "wallet_postings")
# What the dashboard's pages reach, and nothing more: table -> privileges (column lists where only some columns).
# A table missing here is not the app's at all (health records, prescriptions, messages, conversations, emergency
# contacts, the agent tables). A new table is the app's only once it is added here (no default privileges).
APP_TABLES: dict[str, tuple[str, ...]] = {
    "users": ("SELECT", "UPDATE"),
    "profiles": ("SELECT", "UPDATE"),
    "hospitals": ("SELECT", "UPDATE"),
    # Nigeria's LGAs (migration 0021): the reference a hospital's LGA points at; written only by migrations.
    "nigerian_lgas": ("SELECT",),
    "appointments": ("SELECT", "INSERT", "UPDATE"),
    # Physicians' weekly hours and leave (migration 0017): a session is removed when it ends; leave is withdrawn.
    "physician_sessions": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "physician_leave": ("SELECT", "INSERT", "DELETE"),
    "consultation_sessions": ("SELECT", "INSERT", "UPDATE"),
    # A room is made with a virtual appointment; its token is for the patient's and physician's apps, never read here.
    "consultation_rooms": ("INSERT", "SELECT (id, session_id, room_status, created_at, updated_at)"),
    "emergency_requests": ("SELECT", "INSERT", "UPDATE"),
    "ambulance_requests": ("SELECT", "INSERT", "UPDATE"),
    "referrals": ("SELECT", "INSERT", "UPDATE"),
    "hospital_resources": ("SELECT", "INSERT", "UPDATE"),
    # A consumable's stock history (migration 0018): only ever added to, like a ledger.
    "resource_stock_movements": ("SELECT", "INSERT"),
    "beds": ("SELECT", "INSERT", "UPDATE"),  # the bed board (migration 0015); a bed is never deleted, only blocked
    "hospital_patients": ("SELECT", "INSERT", "UPDATE"),
    "patient_waitlist": ("SELECT", "INSERT", "UPDATE"),
    # Hospital numbers (migration 0016): given by the trigger on the three writes above, as the writer; never changed.
    "patient_hospital_numbers": ("SELECT", "INSERT"),
    "patient_number_series": ("SELECT", "INSERT", "UPDATE"),
    "hospital_financial_data": ("SELECT",),
    # Budgets (migration 0022): set, replaced by an import, and removed line by line by those who run a hospital.
    "hospital_budgets": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "hospital_compliance_tracking": ("SELECT", "INSERT", "UPDATE"),
    "analytics_data": ("SELECT",),
    "documents": ("SELECT", "UPDATE"),
    # Licences (migration 0020): renewed in place; their papers and renewals are only ever added to.
    "facility_licences": ("SELECT", "INSERT", "UPDATE"),
    "facility_licence_documents": ("SELECT", "INSERT"),
    "facility_licence_renewals": ("SELECT", "INSERT"),
    # Digests (migration 0025): a subscription is only ever cancelled; an outbox row only changes its delivery.
    "digest_subscriptions": ("SELECT", "INSERT", "UPDATE (active, cancelled_at, cancelled_by)"),
    "digest_outbox": (
        "SELECT",
        "INSERT",
        "UPDATE (status, attempts, next_attempt_at, last_error, sent_at, recipient, subject, size_bytes, updated_at)",
    ),
    # Checklists (migration 0024): the standard is the migration's; answers change in place; evidence is only added.
    "compliance_checklist_items": ("SELECT",),
    "compliance_checklist_answers": ("SELECT", "INSERT", "UPDATE"),
    "compliance_evidence": ("SELECT", "INSERT"),
    # Claims (migration 0023): submitted, paid or denied in place; never deleted (they are the receivables' record).
    "claims": ("SELECT", "INSERT", "UPDATE"),
    # Written for patients' and staff's own apps; the dashboard never reads one back (its title and message).
    "notifications": ("INSERT", "SELECT (id, user_id, type, read, created_at)"),
    "audit_logs": ("SELECT", "INSERT"),
    "auth_sessions": ("SELECT", "INSERT", "UPDATE"),
    "login_throttles": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    # A screen's secret is set once, at creation; afterwards it is only seen, or revoked (migration 0019).
    "ward_screens": ("SELECT", "INSERT", "UPDATE (last_seen_at, revoked_at, revoked_by)"),
    "wallets": ("SELECT", "UPDATE (balance, updated_at)"),
    "wallet_transactions": ("SELECT", "INSERT"),
    "wallet_postings": ("SELECT", "INSERT"),
    "wallet_chain_checks": ("SELECT",),
    "wallet_check_runs": ("SELECT", "INSERT"),  # migration 0014: each check's verdict, only ever added to
    "wallet_flows_by_day": ("SELECT",),
    "consultation_activity_by_month": ("SELECT",),
    "alembic_version": ("SELECT",),  # the dashboard refuses to start on a database not at the current revision
}
# Monthly partitions of analytics_data and audit_logs (migration 0010): the owner's, never the app's.
PARTITIONS_SCHEMA = "healthdash_partitions"
# The money summaries (migration 0011): the owner's; the app reads them through views in public.
SUMMARIES_SCHEMA = "healthdash_summaries"
MIGRATION_SCHEMAS = (PARTITIONS_SCHEMA, SUMMARIES_SCHEMA)
# Where the role names in use are remembered: database-level settings only its owner or a superuser can change.
NAME_SETTINGS = {"owner": "healthdash.owner_role", "app": "healthdash.app_role"}
ENSURE_MONTH_PARTITIONS = "healthdash_ensure_month_partitions(regclass, date, date)"  # the owner's tool
APP_LIMITS = {"statement_timeout": "30s", "lock_timeout": "5s", "idle_in_transaction_session_timeout": "60s"}
# No JIT compilation for the app: row-level security's policies and the pages' subqueries make the planner's cost
# estimates huge for queries that return a handful of rows, so PostgreSQL compiled them (0.3-0.6 s of LLVM per
# statement, measured at scale 50: the Emergencies page spent 3.3 of its 3.7 s of SQL compiling). The pages'
# queries are short; compiling never pays for itself there (docs/performance.md).
APP_SETTINGS = {**APP_LIMITS, "jit": "off"}


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
    statements += [f"ALTER ROLE {names.app} SET {name} = '{value}'" for name, value in APP_SETTINGS.items()]
    return statements


def hand_over_sql(names: RoleNames, database: str) -> list[str]:
    """Make the owner role own the database, its public schema, the migrations' schemas and every object in them."""
    owner = names.owner
    schemas = ", ".join(f"'{schema}'" for schema in ("public", *MIGRATION_SCHEMAS))
    return [
        f'ALTER DATABASE "{database}" OWNER TO {owner}',
        f"ALTER SCHEMA public OWNER TO {owner}",
        # Objects in public and the migrations' schemas not yet owned by the owner role: tables, views,
        # materialized views, sequences, functions, types (a superuser may have migrated before the roles existed).
        f"""DO $$ DECLARE item record; BEGIN
            FOR item IN SELECT n.nspname FROM pg_namespace n
                WHERE n.nspname IN ({schemas}) AND pg_get_userbyid(n.nspowner) <> '{owner}'
            LOOP
                EXECUTE format('ALTER SCHEMA %I OWNER TO {owner}', item.nspname);
            END LOOP;
            FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname IN ({schemas}) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                  AND pg_get_userbyid(c.relowner) <> '{owner}'
                  -- a sequence a column owns follows its table; everything else (a partition, a partitioned
                  -- table rebuilt by migration 0010, which keeps an internal dependency) is handed over itself
                  AND (c.relkind <> 'S'
                       OR NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
            LOOP
                EXECUTE format('ALTER %s %s OWNER TO {owner}',
                    CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                        WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, item.name);
            END LOOP;
            FOR item IN SELECT t.oid::regtype AS name FROM pg_type t
                JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname IN ({schemas}) AND t.typtype IN ('e', 'd')
                  AND pg_get_userbyid(t.typowner) <> '{owner}'
            LOOP
                EXECUTE format('ALTER TYPE %s OWNER TO {owner}', item.name);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ({schemas}) AND pg_get_userbyid(p.proowner) <> '{owner}'
            LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', item.name);
            END LOOP;
        END $$""",
    ]


def remember_names_sql(names: RoleNames, database: str) -> list[str]:
    """Record the names in use, so a later `healthdash db upgrade` refreshes these roles' grants (as a superuser)."""
    return [
        f"ALTER DATABASE \"{database}\" SET {NAME_SETTINGS['owner']} = '{names.owner}'",
        f"ALTER DATABASE \"{database}\" SET {NAME_SETTINGS['app']} = '{names.app}'",
    ]


def remembered_names(conn: Connection) -> RoleNames | None:
    """The names `healthdash db roles` recorded for this database, or None (roles never set up here).

    Read from the catalogue, not from the session's settings, which any login may change for itself.
    """
    settings = conn.scalar(
        text(
            "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = current_database() AND s.setrole = 0"
        )
    )
    found = dict(item.split("=", 1) for item in settings or [] if "=" in item)
    owner, app = found.get(NAME_SETTINGS["owner"]), found.get(NAME_SETTINGS["app"])
    if not owner or not app:
        return None
    return RoleNames(owner=owner, app=app)


def grants_sql(names: RoleNames, database: str) -> list[str]:
    """What the app role may do: connect, and use the tables and columns of APP_TABLES as listed there."""
    app, owner = names.app, names.owner
    statements = [
        f'GRANT CONNECT ON DATABASE "{database}" TO {app}',
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"REVOKE CREATE ON SCHEMA public FROM {app}",
        # Everything taken back first, column privileges included, then the allow-list given again: a table
        # dropped from the list, or a privilege an older version granted, does not linger.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}",
        f"""DO $$ DECLARE item record; BEGIN
            FOR item IN SELECT DISTINCT c.oid::regclass AS name FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) AS t
                WHERE n.nspname = 'public' AND t.grantee = '{app}'::regrole
            LOOP EXECUTE format('REVOKE ALL ON %s FROM {app}', item.name); END LOOP;
            FOR item IN SELECT DISTINCT c.oid::regclass AS name, a.attname FROM pg_attribute a
                JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace,
                aclexplode(a.attacl) AS t
                WHERE n.nspname = 'public' AND t.grantee = '{app}'::regrole
            LOOP EXECUTE format('REVOKE ALL (%I) ON %s FROM {app}', item.attname, item.name); END LOOP;
        END $$""",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {app}",
        # No table is the app's by default any more: a later migration's table waits for the allow-list.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table, privileges in APP_TABLES.items():  # before the migrations have made it, a table is skipped
        grants = "; ".join(f"GRANT {privilege} ON {table} TO {app}" for privilege in privileges)
        statements.append(f"DO $$ BEGIN IF to_regclass('public.{table}') IS NOT NULL THEN {grants}; END IF; END $$")
    # The app reaches partitioned rows through the parents only, where row-level security and the
    # append-only rules hold: nothing on the migrations' own schemas or their tables (migrations 0010, 0011).
    for schema in MIGRATION_SCHEMAS:
        statements.append(
            f"DO $$ BEGIN IF to_regnamespace('{schema}') IS NOT NULL THEN "
            f"REVOKE ALL ON SCHEMA {schema} FROM {app}; "
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {app}; END IF; END $$"
        )
    statements.append(
        f"DO $$ BEGIN IF to_regprocedure('{ENSURE_MONTH_PARTITIONS}') IS NOT NULL THEN "
        f"REVOKE EXECUTE ON FUNCTION {ENSURE_MONTH_PARTITIONS} FROM {app}; END IF; END $$"
    )
    return statements


def all_sql(names: RoleNames, database: str, **passwords: str | None) -> list[str]:
    return [
        *create_roles_sql(names, **passwords),
        *hand_over_sql(names, database),
        *remember_names_sql(names, database),
        *grants_sql(names, database),
    ]


def run(conn: Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.execute(text(statement))


def apply_as_superuser(engine: Engine, names: RoleNames = RoleNames(), **passwords: str | None) -> None:
    """Create both roles, hand the database over to the owner, grant the app its rights (idempotent)."""
    with engine.begin() as conn:
        run(conn, create_roles_sql(names, **passwords))
        run(conn, hand_over_sql(names, engine.url.database))
        run(conn, remember_names_sql(names, engine.url.database))
        run(conn, grants_sql(names, engine.url.database))


def refresh_grants(engine: Engine, names: RoleNames | None = None) -> bool:
    """After migrations: the app's allow-list on every table again, history append-only again.

    Run as the owner (or a superuser). The roles are `names`, else the ones `healthdash db roles` recorded
    in this database, else the default names. Nothing happens when that app role does not exist (a
    single-role deployment); returns whether it ran.
    """
    with engine.begin() as conn:
        names = names or remembered_names(conn) or RoleNames()
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
