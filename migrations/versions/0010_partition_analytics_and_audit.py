"""Monthly partitions for the two tables that grow without bound: analytics_data and audit_logs.

Reviewed by hand. Issue 14 (part 4). Every hospital adds six daily metrics a day, and every sign-in,
change and sensitive read adds an audit row: at scale 50 the two hold millions of rows after one year,
and nothing ever removes them. Both become declaratively partitioned tables, RANGE by month:
analytics_data on metric_date, audit_logs on created_at. A month's query then reads one partition and
its indexes, and retention (when the platform decides it) is detaching and dropping a month rather
than deleting millions of rows. Columns, defaults, CHECKs, index and constraint names stay as they were,
so every query, the models and the Prisma mirror keep working.

What changes, and why:

- The primary keys become (id, metric_date) and (id, created_at): PostgreSQL requires a partitioned
  table's unique constraints to include the partition key. The id stays the row's identifier and the
  application still generates it (collision resistant, like cuid); the database now guarantees it unique
  within a month rather than across months. Nothing references either table by its key (the upgrade
  checks that no foreign key points at them, and refuses if one does), so no other table changes.
- Months are Lagos months: partition bounds are 00:00 Africa/Lagos on the 1st (WAT, no daylight
  saving). The dashboard asks for Lagos days and months (dashboard/platform/dates.py lagos_midnight),
  so a month's question touches one partition, not two.
- The partitions live in their own schema, `healthdash_partitions`, not in public:
  - the dashboard's app role has no USAGE on that schema and no privilege on any partition, so it can
    only reach the rows through the parents, where row-level security and the append-only rules hold
    (a query naming a partition directly would be held by the partition's own policies only);
  - `GRANT ... ON ALL TABLES IN SCHEMA public` and the owner's default privileges (db/roles.py) never
    give the app a partition, whoever created it and whenever;
  - Alembic, the Prisma mirror (and `prisma db pull`) and the schema checks see the two parent tables
    only, which are what the models describe.
- `healthdash_ensure_month_partitions(parent regclass, from_month date, to_month date)` (plpgsql,
  returns how many partitions it created) keeps the scheme, as pg_partman would (it is not installed):
  - creates the month partitions from from_month to to_month that are missing (named
    `<table>_pYYYY_MM`), and the DEFAULT partition `<table>_default` if missing, so no insert ever
    fails for want of a month: a row no month holds lands in DEFAULT;
  - when DEFAULT already holds rows of a month it is asked to create (a late yearly job), it detaches
    DEFAULT, creates the months and a new DEFAULT, files the rows again through the parent (copied,
    not changed: an audit row keeps every value) and drops the detached table. Under a role that a
    row-level-security policy would hold, it stops with an error rather than move part of the rows;
  - repeats on every partition (new and old) what PostgreSQL does not carry from the parent: the
    owner, row-level security enabled and forced with the parent's policies (hospital_scope on
    analytics_data, migration 0005), and the parent's statement-level TRUNCATE triggers (row triggers
    are cloned by PostgreSQL itself);
  - refuses a span of more than ten years (a typo would otherwise create hundreds of tables), and takes
    a transaction advisory lock per table, so two callers do not race;
  - is the owner's tool: EXECUTE is revoked from PUBLIC here and from the app role by db/roles.py (it
    could create nothing anyway: that takes owning the table).
  The upgrade calls it for every month its rows fall in (within ten years before this month; older or
  far-future rows stay in DEFAULT), and for this month plus the 24 ahead. The demo build calls it for
  its own year (db/demo/build.py). Nothing calls it on a schedule: a yearly job (cron, or the
  platform's scheduler) must add the months ahead, as the owner:
      SELECT healthdash_ensure_month_partitions(t, current_date, (current_date + interval '24 months')::date)
        FROM unnest(ARRAY['analytics_data', 'audit_logs']::regclass[]) AS t;
  If it is forgotten, nothing fails: rows land in DEFAULT (slower to prune), and the next call moves
  them into their months.
- analytics_data keeps row-level security (0005): ENABLE + FORCE and policy hospital_scope on the
  parent, which holds every query through it, and on each partition (the function above).
- audit_logs stays append-only (0002), through the parent and on each partition:
  - trg_audit_logs_append_only (BEFORE UPDATE OR DELETE, per row) on the parent is cloned by
    PostgreSQL onto every partition, present and future: an UPDATE or DELETE naming a partition is
    refused too;
  - trg_audit_logs_no_truncate (BEFORE TRUNCATE) on the parent and on every partition (the function).
    TRUNCATE of the parent fires every partition's guard too, so refuse_audit_log_change() now lets a
    partition's TRUNCATE through when its root's guard of the same name is switched off: that is how
    the owner wipes the trail on purpose (`healthdash db demo --replace`, inside one transaction), and
    one switch, the root's, governs the whole trail. Anything else is refused as before;
  - the app role has no UPDATE, DELETE or TRUNCATE on the parent (db/roles.py) and nothing on the
    partitions.
- Privileges: each new parent gets exactly the grants its old table had (the owner's default
  privileges are taken back first), so `healthdash db upgrade` or a bare `alembic upgrade` leave the
  app with no more than before.
- Autovacuum never ANALYZEs a partitioned parent (only its partitions): the upgrade and the demo build
  ANALYZE the parents themselves; after a large load, so should whoever loaded it.
- The demo loader drops the secondary indexes and builds them again from their catalogue definitions;
  a partitioned table's reads "CREATE INDEX ... ON ONLY", which would leave the parent's index invalid
  and every partition without one, so db/demo/bulk_load.py builds it without ONLY (on every partition).
- Costs: a query with no range on the partition column reads every partition (the 24 empty months
  ahead cost next to nothing, but planning grows by a millisecond or two), and a loose index scan with
  no date range probes every month's index at each step. The analytics explorer's network-wide metric
  list was one (a step per hospital and metric: 6,000 at scale 50, 56 ms before, 0.8 to 1.2 s after), so
  it now skips through metric names alone, one step per name, on a new index:
  - `ix_analytics_data_metric_name` on (metric_name) (an addition beyond the document, ERRATA: the
    metric list's skip scan; six distinct values, so B-tree deduplication keeps it small). The
    downgrade does not restore it: 0009 had no use for it.
  docs/scaling.md has the figures before and after.

The rebuild, per table, in the migration's one transaction (ACCESS EXCLUSIVE on the table throughout:
the dashboard's queries wait, up to its lock_timeout, then see the partitioned table; at scale 50, 2.19
million metrics and 250,000 audit rows, it took 16 to 34 s on two busy cores): rename the old table (its key renamed, its
secondary indexes dropped to free their names), create the partitioned table LIKE it (columns, defaults,
CHECKs, storage, comments), its policies or triggers, the partitions, copy the rows (under the network
scope, counted on both sides: a role held by the policy would otherwise copy part of them), then add the
primary key, the indexes and the foreign key (built once over the loaded rows), ANALYZE, drop the old
table.

Downgrade restores plain tables with the 0009 definitions (primary key id again) and moves the rows
back the same way; it refuses, with the query that lists them, when an id now occurs in two months (a
plain table's primary key could not hold both). It then restores refuse_audit_log_change(), drops the
function and the (then empty) schema healthdash_partitions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

from db.errors import CommandError

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "healthdash_partitions"
MONTHS_AHEAD = 24
YEARS_BACK = 10
SCOPE = "healthdash.scope"
SCOPED = "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"


@dataclass(frozen=True)
class Table:
    name: str
    key: str  # the partition column
    indexes: tuple[tuple[str, str], ...]  # (name, columns)
    foreign_keys: tuple[tuple[str, str], ...]  # (name, definition)
    scoped: bool  # row-level security, policy hospital_scope (0005)
    append_only: bool  # the triggers of 0002
    added_indexes: tuple[tuple[str, str], ...] = ()  # (name, columns): new with the partitions, gone without


TABLES = (
    Table(
        "analytics_data",
        "metric_date",
        indexes=(("ix_analytics_data_hospital_id_metric_name_metric_date", "hospital_id, metric_name, metric_date"),),
        foreign_keys=(
            ("fk_analytics_data_hospital_id_hospitals", "FOREIGN KEY (hospital_id) REFERENCES hospitals (id)"),
        ),
        scoped=True,
        append_only=False,
        added_indexes=(("ix_analytics_data_metric_name", "metric_name"),),
    ),
    Table(
        "audit_logs",
        "created_at",
        indexes=(
            ("ix_audit_logs_created_at", "created_at"),
            ("ix_audit_logs_hospital_id_created_at", "hospital_id, created_at"),
            ("ix_audit_logs_user_id_created_at", "user_id, created_at"),
        ),
        foreign_keys=(),
        scoped=False,
        append_only=True,
    ),
)

ENSURE_MONTH_PARTITIONS = f"""
CREATE FUNCTION healthdash_ensure_month_partitions(parent regclass, from_month date, to_month date)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    zone CONSTANT text := 'Africa/Lagos';  -- months are Lagos months, as the dashboard's days are
    home CONSTANT text := '{SCHEMA}';
    parent_name text;
    parent_owner oid;
    parent_rls boolean;
    parent_force boolean;
    key_column text;
    key_type regtype;
    default_oid oid;
    first_month date := date_trunc('month', from_month)::date;
    last_month date := date_trunc('month', to_month)::date;
    month date;
    part regclass;
    missing date[] := '{{}}';
    refile boolean := false;
    moving text;
    columns text;
    row_security_was text;
    child record;
    item record;
    created integer := 0;
BEGIN
    IF from_month IS NULL OR to_month IS NULL OR from_month > to_month THEN
        RAISE EXCEPTION 'healthdash_ensure_month_partitions: from_month (%) must be on or before to_month (%)',
            from_month, to_month;
    END IF;
    IF last_month > first_month + interval '{YEARS_BACK} years' THEN
        RAISE EXCEPTION 'healthdash_ensure_month_partitions: % to % is more than {YEARS_BACK} years of months',
            from_month, to_month;
    END IF;
    SELECT c.relname, c.relowner, c.relrowsecurity, c.relforcerowsecurity, a.attname, a.atttypid::regtype,
           p.partdefid
      INTO parent_name, parent_owner, parent_rls, parent_force, key_column, key_type, default_oid
      FROM pg_partitioned_table p
      JOIN pg_class c ON c.oid = p.partrelid
      JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
     WHERE p.partrelid = parent AND p.partstrat = 'r' AND p.partnatts = 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'healthdash_ensure_month_partitions: % is not partitioned by range on one column', parent;
    END IF;
    IF key_type NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
        RAISE EXCEPTION 'healthdash_ensure_month_partitions: %.% is %, not a date or timestamp',
            parent, key_column, key_type;
    END IF;
    -- One caller at a time per table: two would race to create the same month.
    PERFORM pg_advisory_xact_lock(hashtext('healthdash_ensure_month_partitions'), hashtext(parent::text));

    FOR month IN SELECT generate_series(first_month::timestamp, last_month::timestamp, interval '1 month')::date LOOP
        part := to_regclass(format('%I.%I', home, parent_name || to_char(month, '"_p"YYYY_MM')));
        IF part IS NULL THEN
            missing := missing || month;
        ELSIF NOT EXISTS (SELECT FROM pg_inherits WHERE inhrelid = part AND inhparent = parent) THEN
            RAISE EXCEPTION 'healthdash_ensure_month_partitions: % exists but is not a partition of %', part, parent;
        END IF;
    END LOOP;

    -- Rows of a missing month already in DEFAULT (the months ahead ran out): file them again afterwards.
    IF default_oid <> 0 AND cardinality(missing) > 0 THEN
        EXECUTE format(
            'SELECT EXISTS (SELECT FROM %s WHERE date_trunc(''month'', %s)::date = ANY($1))',
            default_oid::regclass,
            CASE WHEN key_type = 'timestamptz'::regtype
                 THEN format('(%I AT TIME ZONE %L)', key_column, zone) ELSE quote_ident(key_column) END
        ) INTO refile USING missing;
    END IF;
    IF refile THEN
        moving := parent_name || '_default_refiled';
        EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, default_oid::regclass);
        EXECUTE format('ALTER TABLE %s RENAME TO %I', default_oid::regclass, moving);
        default_oid := 0;
    END IF;
    IF default_oid = 0 THEN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s DEFAULT', home, parent_name || '_default', parent);
    END IF;
    FOREACH month IN ARRAY missing LOOP
        EXECUTE format(
            'CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
            home, parent_name || to_char(month, '"_p"YYYY_MM'), parent,
            to_char(month, 'YYYY-MM-DD') || CASE WHEN key_type = 'timestamptz'::regtype THEN ' 00:00 ' || zone ELSE '' END,
            to_char(month + interval '1 month', 'YYYY-MM-DD')
                || CASE WHEN key_type = 'timestamptz'::regtype THEN ' 00:00 ' || zone ELSE '' END
        );
        created := created + 1;
    END LOOP;
    IF refile THEN
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
          FROM pg_attribute WHERE attrelid = parent AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        -- A role a policy holds would see, and move, only part of the rows: fail instead.
        row_security_was := current_setting('row_security');
        PERFORM set_config('row_security', 'off', true);
        EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %I.%I', parent, columns, columns, home, moving);
        PERFORM set_config('row_security', row_security_was, true);
        EXECUTE format('DROP TABLE %I.%I', home, moving);
    END IF;

    -- What a partition does not inherit from its parent, repeated on every partition, old and new.
    FOR child IN
        SELECT c.oid::regclass AS rel, c.relowner, c.relrowsecurity, c.relforcerowsecurity
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = parent
    LOOP
        IF child.relowner <> parent_owner THEN
            EXECUTE format('ALTER TABLE %s OWNER TO %I', child.rel, pg_get_userbyid(parent_owner));
        END IF;
        IF parent_rls AND NOT child.relrowsecurity THEN
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', child.rel);
        END IF;
        IF parent_force AND NOT child.relforcerowsecurity THEN
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', child.rel);
        END IF;
        FOR item IN  -- the child's policies that the parent does not have, as it has them
            SELECT q.polname FROM pg_policy q WHERE q.polrelid = child.rel AND NOT EXISTS (
                SELECT FROM pg_policy p WHERE p.polrelid = parent AND p.polname = q.polname AND p.polcmd = q.polcmd
                   AND p.polpermissive = q.polpermissive AND p.polroles = q.polroles
                   AND pg_get_expr(p.polqual, p.polrelid) IS NOT DISTINCT FROM pg_get_expr(q.polqual, q.polrelid)
                   AND pg_get_expr(p.polwithcheck, p.polrelid) IS NOT DISTINCT FROM pg_get_expr(q.polwithcheck, q.polrelid))
        LOOP
            EXECUTE format('DROP POLICY %I ON %s', item.polname, child.rel);
        END LOOP;
        FOR item IN
            SELECT p.polname,
                   CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END AS kind,
                   CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                 WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
                   coalesce((SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ')
                               FROM unnest(p.polroles) AS r), 'PUBLIC') AS grantees,
                   pg_get_expr(p.polqual, p.polrelid) AS qual,
                   pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
              FROM pg_policy p
             WHERE p.polrelid = parent AND NOT EXISTS (SELECT FROM pg_policy q WHERE q.polrelid = child.rel AND q.polname = p.polname)
        LOOP
            EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s', item.polname, child.rel, item.kind, item.command,
                           item.grantees)
                || coalesce(' USING (' || item.qual || ')', '') || coalesce(' WITH CHECK (' || item.with_check || ')', '');
        END LOOP;
        FOR item IN  -- statement-level TRUNCATE triggers (PostgreSQL clones row triggers itself)
            SELECT t.tgname, t.tgfoid::regproc AS function,
                   CASE WHEN t.tgtype::integer & 2 <> 0 THEN 'BEFORE' ELSE 'AFTER' END AS timing
              FROM pg_trigger t
             WHERE t.tgrelid = parent AND NOT t.tgisinternal AND t.tgtype::integer & 1 = 0
               AND t.tgtype::integer & 32 <> 0 AND t.tgnargs = 0
               AND NOT EXISTS (SELECT FROM pg_trigger u WHERE u.tgrelid = child.rel AND u.tgname = t.tgname)
        LOOP
            EXECUTE format('CREATE TRIGGER %I %s TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                           item.tgname, item.timing, child.rel, item.function);
        END LOOP;
    END LOOP;
    RETURN created;
END;
$$
"""

# 0002's function, and the same with one exception: a partition's TRUNCATE goes through when its root's
# guard of the same name is switched off (the owner wiping the trail on purpose, as a whole).
REFUSE_AUDIT_CHANGE_0002 = """
CREATE OR REPLACE FUNCTION refuse_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
REFUSE_AUDIT_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_audit_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND EXISTS (
        SELECT FROM pg_trigger t
         WHERE t.tgrelid = pg_partition_root(TG_RELID) AND t.tgrelid <> TG_RELID
           AND t.tgname = TG_NAME AND t.tgenabled = 'D'
    ) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def _scalar(sql: str, **params):
    return op.get_bind().execute(sa.text(sql), params).scalar()


def _refuse_foreign_keys_to(table: str) -> None:
    referencing = _scalar(
        "SELECT string_agg(conrelid::regclass::text || '.' || conname, ', ') FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid = CAST(:t AS regclass)",
        t=table,
    )
    if referencing:
        raise CommandError(
            f"Cannot partition {table}: foreign keys point at it ({referencing}), and its primary key becomes "
            f"(id, partition column). Drop or change them first, then run the upgrade again."
        )


def _copy_privileges(source: str, target: str) -> None:
    """`target` gets exactly the grants of `source` (defaults the owner's default privileges added are taken back)."""
    conn = op.get_bind()
    acl = "SELECT a.grantee, a.privilege_type, a.is_grantable FROM pg_class c, aclexplode(c.relacl) a " \
          "WHERE c.oid = CAST(:t AS regclass) AND a.grantee <> c.relowner"  # fmt: skip
    for grantee, *_ in conn.execute(sa.text(acl), {"t": target}).all():
        op.execute(f"REVOKE ALL ON {target} FROM {_grantee(grantee)}")
    for grantee, privilege, grantable in conn.execute(sa.text(acl), {"t": source}).all():
        option = " WITH GRANT OPTION" if grantable else ""
        op.execute(f"GRANT {privilege} ON {target} TO {_grantee(grantee)}{option}")


def _grantee(oid: int) -> str:
    return "PUBLIC" if oid == 0 else _scalar("SELECT CAST(CAST(:o AS oid) AS regrole)::text", o=oid)


def _columns(table: str) -> str:
    return _scalar(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped",
        t=table,
    )


def _move_rows(source: str, target: str) -> None:
    """INSERT every row of `source` into `target`, under the network scope; refuse unless all arrived."""
    columns = _columns(source)
    op.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}")
    moved, kept = _scalar(f"SELECT count(*) FROM {target}"), _scalar(f"SELECT count(*) FROM {source}")
    if moved != kept:
        raise CommandError(f"Moving the rows of {source} into {target} copied {moved} of {kept}; nothing was changed.")


def _with_network_scope(step) -> None:
    # analytics_data is forced under RLS (0005): a migrating role without BYPASSRLS must see every row.
    conn = op.get_bind()
    previous = conn.scalar(sa.text(f"SELECT current_setting('{SCOPE}', true)"))
    conn.execute(sa.text(f"SELECT set_config('{SCOPE}', '*', true)"))
    step()
    conn.execute(sa.text(f"SELECT set_config('{SCOPE}', :scope, true)"), {"scope": previous or ""})


def _protect(table: Table) -> None:
    """Row-level security and the append-only triggers on a (plain or partitioned) table, as 0002/0005 made them."""
    if table.scoped:
        op.execute(f"ALTER TABLE {table.name} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table.name} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY hospital_scope ON {table.name} {SCOPED}")
    if table.append_only:
        op.execute(
            f"CREATE TRIGGER trg_audit_logs_append_only BEFORE UPDATE OR DELETE ON {table.name} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit_log_change()"
        )
        op.execute(
            f"CREATE TRIGGER trg_audit_logs_no_truncate BEFORE TRUNCATE ON {table.name} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_log_change()"
        )


def _keys_and_indexes(table: Table, primary_key: str) -> None:
    op.execute(f"ALTER TABLE {table.name} ADD CONSTRAINT pk_{table.name} PRIMARY KEY ({primary_key})")
    for name, columns in table.indexes:
        op.execute(f"CREATE INDEX {name} ON {table.name} ({columns})")
    for name, definition in table.foreign_keys:
        op.execute(f"ALTER TABLE {table.name} ADD CONSTRAINT {name} {definition}")


def _set_aside(table: Table, suffix: str) -> str:
    """Rename the table out of the way, freeing the names of its key and indexes; returns its new name."""
    old = f"{table.name}_{suffix}"
    op.execute(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE")
    op.execute(f"ALTER TABLE {table.name} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table.name} TO pk_{old}")
    for name, _ in table.indexes:
        op.execute(f"DROP INDEX {name}")
    return old


def _like(old: str) -> str:
    # Columns in the same order, NOT NULLs, defaults, CHECKs (same names), storage, comments; no indexes.
    return f"(LIKE {old} INCLUDING ALL EXCLUDING INDEXES)"


def _partition(table: Table) -> None:
    _refuse_foreign_keys_to(table.name)
    old = _set_aside(table, "unpartitioned")
    op.execute(f"CREATE TABLE {table.name} {_like(old)} PARTITION BY RANGE ({table.key})")
    _copy_privileges(old, table.name)
    _protect(table)
    # The months the rows fall in (within YEARS_BACK years; the rest go to DEFAULT), then this month and MONTHS_AHEAD.
    op.execute(
        f"""
        SELECT healthdash_ensure_month_partitions('{table.name}', month, month)
          FROM (SELECT DISTINCT date_trunc('month', {table.key} AT TIME ZONE 'Africa/Lagos')::date AS month
                  FROM {old}) AS present
         WHERE month >= date_trunc('month', now() AT TIME ZONE 'Africa/Lagos') - interval '{YEARS_BACK} years'
           AND month <= date_trunc('month', now() AT TIME ZONE 'Africa/Lagos') + interval '{MONTHS_AHEAD} months'
        """
    )
    op.execute(
        f"SELECT healthdash_ensure_month_partitions('{table.name}', "
        "(now() AT TIME ZONE 'Africa/Lagos')::date, "
        f"((now() AT TIME ZONE 'Africa/Lagos') + interval '{MONTHS_AHEAD} months')::date)"
    )
    _with_network_scope(lambda: _move_rows(old, table.name))
    _keys_and_indexes(table, f"id, {table.key}")
    for name, columns in table.added_indexes:
        op.execute(f"CREATE INDEX {name} ON {table.name} ({columns})")
    op.execute(f"ANALYZE {table.name}")
    op.execute(f"DROP TABLE {old}")


def _unpartition(table: Table) -> None:
    partitioned = _set_aside(table, "partitioned")
    duplicates = f"SELECT id, count(*) FROM {table.name} GROUP BY id HAVING count(*) > 1 ORDER BY id"
    clashes = _scalar(f"SELECT count(*) FROM (SELECT id FROM {partitioned} GROUP BY id HAVING count(*) > 1) AS c")
    if clashes:
        raise CommandError(
            f"Cannot downgrade {table.name} to a plain table: {clashes} id(s) occur in more than one month, and its "
            f'primary key would be id alone; list them with "{duplicates}", give those rows new ids (or keep '
            "revision 0010), and run the downgrade again."
        )
    op.execute(f"CREATE TABLE {table.name} {_like(partitioned)}")
    _copy_privileges(partitioned, table.name)
    _protect(table)
    _with_network_scope(lambda: _move_rows(partitioned, table.name))
    _keys_and_indexes(table, "id")
    op.execute(f"ANALYZE {table.name}")
    op.execute(f"DROP TABLE {partitioned}")  # its partitions go with it


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC")
    op.execute(
        f"COMMENT ON SCHEMA {SCHEMA} IS 'The monthly partitions of analytics_data and audit_logs (migration 0010); "
        "reach their rows through the parent tables in public.'"
    )
    op.execute(ENSURE_MONTH_PARTITIONS)
    op.execute(
        "COMMENT ON FUNCTION healthdash_ensure_month_partitions(regclass, date, date) IS "
        f"'Creates the missing Lagos-month partitions of a RANGE-partitioned table from from_month to to_month in "
        f"schema {SCHEMA}, and its DEFAULT partition, refiling DEFAULT rows of new months; repeats the parent''s "
        "owner, row-level security, policies and TRUNCATE triggers on every partition. Returns how many it created. "
        "Run it yearly for the months ahead (migration 0010).'"
    )
    # The owner's maintenance tool: nobody else could create a partition anyway.
    op.execute("REVOKE EXECUTE ON FUNCTION healthdash_ensure_month_partitions(regclass, date, date) FROM PUBLIC")
    op.execute(REFUSE_AUDIT_CHANGE)
    for table in TABLES:
        _partition(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        _unpartition(table)
    op.execute(REFUSE_AUDIT_CHANGE_0002)
    op.execute("DROP FUNCTION healthdash_ensure_month_partitions(regclass, date, date)")
    op.execute(f"DROP SCHEMA {SCHEMA}")  # RESTRICT: empty now, unless something else was put there
