"""Monthly partitions of analytics_data and audit_logs (migration 0010), on a database of their own.

As in test_row_level_security, the owner role migrates and loads rows and the dashboard's app role
reads them, each transaction under one scope. Checked: both tables are RANGE-partitioned by Lagos
month, with a DEFAULT partition and the months ahead; rows land in their month (or DEFAULT); the
function adds months and refiles DEFAULT rows; the app can neither rewrite the audit trail nor reach
any partition; a hospital's scope holds through the parent and on every partition; one month of one
hospital's metric reads one partition; the downgrade gives plain tables back with every row.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db import migrate, roles
from db.engine import make_engine, make_owner_engine
from db.errors import CommandError
from db.models import Hospital
from tests.fixtures.throwaway import create_database, drop_database

LAGOS = ZoneInfo("Africa/Lagos")
SCHEMA = "healthdash_partitions"
KEYS = {"analytics_data": "metric_date", "audit_logs": "created_at"}
TABLE_INDEXES = {
    "analytics_data": ["ix_analytics_data_hospital_id_metric_name_metric_date", "ix_analytics_data_metric_name"],
    "audit_logs": [
        "ix_audit_logs_created_at",
        "ix_audit_logs_hospital_id_created_at",
        "ix_audit_logs_user_id_created_at",
        "ix_audit_logs_chain_seq",
    ],
}
MONTHS_AHEAD = 24


def _month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _lagos(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LAGOS)


THIS_MONTH = datetime.now(LAGOS).date().replace(day=1)
NEXT_MONTH = _month(THIS_MONTH, 1)


def _partition(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


@pytest.fixture(scope="module")
def partitioned(admin_url):
    url = create_database(admin_url, prefix="healthdash_partitions")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    roles.apply_as_superuser(superuser, names)
    owner = make_owner_engine(roles.as_role(url, names.owner))
    migrate.upgrade(owner)
    assert roles.refresh_grants(owner, names)
    with Session(owner) as session, session.begin():
        a, b = Hospital(name="Alpha partitions"), Hospital(name="Beta partitions")
        session.add_all([a, b])
        session.flush()
        ids = (a.id, b.id)
    with owner.begin() as conn:  # a metric a day next month for both hospitals, and an audit row
        conn.execute(
            text(
                "INSERT INTO analytics_data (id, hospital_id, metric_name, metric_value, metric_date) "
                "SELECT h || '-' || d, h, 'bed_occupancy_rate', 50 + d, "
                "CAST(:first AS timestamptz) + d * interval '1 day' "
                "FROM unnest(CAST(:hospitals AS text[])) AS h, generate_series(0, 27) AS d"
            ),
            {"first": _lagos(NEXT_MONTH, 1), "hospitals": list(ids)},
        )
        conn.execute(text("INSERT INTO audit_logs (id, user_id, action_type) VALUES ('fixture-1', 'u', 'fixture')"))
        conn.execute(text("ANALYZE analytics_data, audit_logs"))
    app = make_engine(roles.as_role(url, names.app))
    yield {"app": app, "owner": owner, "superuser": superuser, "a": ids[0], "b": ids[1], "names": names, "url": url}
    for engine in (app, owner, superuser):
        engine.dispose()
    drop_database(admin_url, url.database)
    with make_engine(admin_url).connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
        conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
        conn.commit()


def _partitions(conn: Connection, table: str) -> dict[str, str]:
    """name -> bound expression of every partition of `table`."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), n.nspname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).all()
    assert {schema for _, _, schema in rows} == {SCHEMA}  # never in public, where the app's grants reach
    return {name: bound for name, bound, _ in rows}


def _lands_in(conn: Connection, table: str, row_id: str) -> str:
    return conn.execute(
        text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar_one()  # noqa: S608 - table names are constants


def _refused(engine, statement: str, match: str) -> None:
    with pytest.raises(DBAPIError, match=match), engine.begin() as conn:
        conn.execute(text(statement))


# --- the scheme -------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(KEYS))
def test_the_table_is_range_partitioned_by_lagos_month_with_default_and_months_ahead(partitioned, table):
    with partitioned["owner"].connect() as conn:
        strategy, key, has_default = conn.execute(
            text(
                "SELECT p.partstrat, a.attname, p.partdefid <> 0 FROM pg_partitioned_table p "
                "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                "WHERE p.partrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).one()
        assert (strategy, key, has_default) == ("r", KEYS[table], True)
        partitions = _partitions(conn, table)
        assert partitions[f"{table}_default"] == "DEFAULT"
        months = [_month(THIS_MONTH, n) for n in range(MONTHS_AHEAD + 1)]
        assert {_partition(table, m) for m in months} <= set(partitions)
        # Bounds are midnights in Lagos (UTC+1 all year), so a Lagos month is one partition.
        expected = conn.execute(
            text("SELECT format('FOR VALUES FROM (%L) TO (%L)', CAST(:lo AS timestamptz), CAST(:hi AS timestamptz))"),
            {"lo": _lagos(THIS_MONTH), "hi": _lagos(NEXT_MONTH)},
        ).scalar_one()
        assert partitions[_partition(table, THIS_MONTH)] == expected
        primary_key = conn.execute(
            text(
                "SELECT array_agg(a.attname ORDER BY k.o) "
                "FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(n, o) "
                "JOIN pg_attribute a ON a.attnum = k.n WHERE c.conrelid = CAST(:t AS regclass) AND c.contype = 'p' "
                "AND a.attrelid = c.conrelid"
            ),
            {"t": table},
        ).scalar_one()
        assert primary_key == ["id", KEYS[table]]


def test_rows_land_in_their_lagos_month_and_the_rest_in_default(partitioned):
    last_day = NEXT_MONTH - timedelta(days=1)
    with partitioned["owner"].connect() as conn, conn.begin() as transaction:
        rows = {
            "in-month": _lagos(THIS_MONTH, 12),
            # 23:30 UTC on the last day of this month is already next month in Lagos.
            "lagos-next-month": datetime.combine(last_day, time(23, 30), tzinfo=UTC),
            "far-future": datetime(2099, 6, 1, tzinfo=UTC),
            "far-past": datetime(1990, 1, 1, tzinfo=UTC),
        }
        for row_id, moment in rows.items():
            conn.execute(
                text(
                    "INSERT INTO analytics_data (id, hospital_id, metric_name, metric_date) VALUES (:id, :h, 'm', :d)"
                ),
                {"id": row_id, "h": partitioned["a"], "d": moment},
            )
            conn.execute(
                text("INSERT INTO audit_logs (id, user_id, created_at) VALUES (:id, 'u', :d)"),
                {"id": row_id, "d": moment},
            )
        for table in KEYS:
            assert _lands_in(conn, table, "in-month") == f"{SCHEMA}.{_partition(table, THIS_MONTH)}"
            assert _lands_in(conn, table, "lagos-next-month") == f"{SCHEMA}.{_partition(table, NEXT_MONTH)}"
            assert _lands_in(conn, table, "far-future") == f"{SCHEMA}.{table}_default"
            assert _lands_in(conn, table, "far-past") == f"{SCHEMA}.{table}_default"
        # A row written without the partition column gets now(), and this month.
        conn.execute(text("INSERT INTO audit_logs (id, user_id) VALUES ('defaulted', 'u')"))
        assert _lands_in(conn, "audit_logs", "defaulted") == f"{SCHEMA}.{_partition('audit_logs', THIS_MONTH)}"
        transaction.rollback()


@pytest.mark.parametrize("table", sorted(KEYS))
def test_the_function_adds_a_month_and_refiles_its_rows_from_default(partitioned, table):
    month = date(2099, 1, 1)
    with partitioned["owner"].connect() as conn, conn.begin() as transaction:
        conn.execute(
            text(f"INSERT INTO {table} (id, user_id, {KEYS[table]}) VALUES ('late', 'u', :d)")
            if table == "audit_logs"
            else text(
                f"INSERT INTO {table} (id, hospital_id, metric_name, {KEYS[table]}) VALUES ('late', :h, 'm', :d)"
            ),
            {"d": _lagos(month, 9), "h": partitioned["a"]},
        )
        assert _lands_in(conn, table, "late") == f"{SCHEMA}.{table}_default"
        # An audit row is linked into the trail's hash chain at its transaction's commit (migration 0012);
        # one moved between partitions before that would leave its pending link behind: link it now.
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        before = conn.execute(text(f"SELECT to_jsonb(t) FROM {table} t WHERE id = 'late'")).scalar_one()
        ensure = text("SELECT healthdash_ensure_month_partitions(CAST(:t AS regclass), :first, :last)")
        assert conn.execute(ensure, {"t": table, "first": month, "last": month}).scalar_one() == 1
        assert _lands_in(conn, table, "late") == f"{SCHEMA}.{_partition(table, month)}"
        after = conn.execute(text(f"SELECT to_jsonb(t) FROM {table} t WHERE id = 'late'")).scalar_one()
        assert after == before  # moved, not changed
        assert conn.execute(text(f"SELECT count(*) FROM {SCHEMA}.{table}_default")).scalar_one() == 0
        assert conn.execute(ensure, {"t": table, "first": month, "last": month}).scalar_one() == 0  # idempotent
        # What the parent has and PostgreSQL does not carry over, the new partition has too.
        new = f"{SCHEMA}.{_partition(table, month)}"
        owner, rls, forced = conn.execute(
            text(
                "SELECT pg_get_userbyid(relowner), relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE oid = CAST(:p AS regclass)"
            ),
            {"p": new},
        ).one()
        assert owner == partitioned["names"].owner
        policies = set(conn.execute(text("SELECT polname FROM pg_policy WHERE polrelid = CAST(:p AS regclass)"),
                                    {"p": new}).scalars())  # fmt: skip
        triggers = set(
            conn.execute(
                text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:p AS regclass) AND NOT tgisinternal"),
                {"p": new},
            ).scalars()
        )
        if table == "analytics_data":
            assert (rls, forced, policies) == (True, True, {"hospital_scope"})
        else:
            guards = {"trg_audit_logs_append_only", "trg_audit_logs_no_truncate"}
            assert triggers == guards | {"trg_audit_logs_stamp", "trg_audit_logs_link"}
            assert (rls, forced, policies) == (True, True, {"hospital_scope_read", "append"})  # migration 0013
        transaction.rollback()


def test_the_function_refuses_what_it_cannot_partition(partitioned):
    ensure = "SELECT healthdash_ensure_month_partitions('{t}', DATE '{a}', DATE '{b}')"
    _refused(partitioned["owner"], ensure.format(t="hospitals", a="2027-01-01", b="2027-01-01"), "not partitioned")
    _refused(partitioned["owner"], ensure.format(t="audit_logs", a="2027-02-01", b="2027-01-01"), "on or before")
    _refused(partitioned["owner"], ensure.format(t="audit_logs", a="2027-01-01", b="2047-01-01"), "10 years")


# --- the append-only audit trail --------------------------------------------------------------------


def test_the_app_cannot_update_delete_or_truncate_the_audit_trail_or_any_of_its_partitions(partitioned):
    app = partitioned["app"]
    with app.begin() as conn:
        conn.execute(
            text("SELECT set_config('healthdash.scope', '*', true), set_config('healthdash.user_id', 'app', true)")
        )
        conn.execute(text("INSERT INTO audit_logs (id, user_id, action_type) VALUES ('by-app', 'app', 'appended')"))
        assert conn.execute(text("SELECT count(*) FROM audit_logs")).scalar_one() >= 2  # reads and appends
        partitions = _partitions(conn, "audit_logs")
    assert len(partitions) >= MONTHS_AHEAD + 2
    for statement in ("UPDATE audit_logs SET action_type = 'x'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"):
        _refused(app, statement, "permission denied")
    for name in sorted(partitions):
        for statement in (
            f"UPDATE {SCHEMA}.{name} SET action_type = 'x'",
            f"DELETE FROM {SCHEMA}.{name}",
            f"TRUNCATE {SCHEMA}.{name}",
            f"SELECT count(*) FROM {SCHEMA}.{name}",
        ):
            _refused(app, statement, "permission denied")
    with app.connect() as conn:
        granted = conn.execute(
            text(
                "SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = CAST(:s AS regnamespace) "
                "AND (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))"
            ),
            {"s": SCHEMA},
        ).all()
        assert granted == []
        assert conn.execute(text("SELECT has_schema_privilege(:s, 'USAGE')"), {"s": SCHEMA}).scalar_one() is False
        ensure = "healthdash_ensure_month_partitions(regclass, date, date)"  # the owner's tool
        assert conn.execute(text("SELECT has_function_privilege(:f, 'EXECUTE')"), {"f": ensure}).scalar_one() is False


def test_even_the_owner_cannot_rewrite_a_partition_of_the_audit_trail(partitioned):
    month = f"{SCHEMA}.{_partition('audit_logs', THIS_MONTH)}"
    for engine in (partitioned["owner"], partitioned["superuser"]):
        for statement in (f"UPDATE {month} SET action_type = 'x'", f"DELETE FROM {month}", f"TRUNCATE {month}"):
            _refused(engine, statement, "append-only")
        for statement in ("UPDATE audit_logs SET action_type = 'x'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"):
            _refused(engine, statement, "append-only")


def test_the_roots_switch_alone_lets_the_owner_wipe_the_trail(partitioned):
    """`healthdash db demo --replace` switches the parent's TRUNCATE guard off for one statement."""
    with partitioned["owner"].connect() as conn, conn.begin() as transaction:
        conn.execute(text("ALTER TABLE audit_logs DISABLE TRIGGER trg_audit_logs_no_truncate"))
        conn.execute(text("TRUNCATE audit_logs"))  # every partition's guard follows the root's
        assert conn.execute(text("SELECT count(*) FROM audit_logs")).scalar_one() == 0
        transaction.rollback()
    with partitioned["owner"].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_logs")).scalar_one() >= 1
        switched_off = conn.execute(
            text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'trg_audit_logs%' AND tgenabled = 'D'")
        ).scalar_one()
        assert switched_off == 0


# --- row-level security -----------------------------------------------------------------------------


def _hospitals_seen(engine, scope: str, relation: str) -> set[str]:
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('healthdash.scope', :s, true)"), {"s": scope})
        return set(conn.execute(text(f"SELECT DISTINCT hospital_id FROM {relation}")).scalars())


def test_a_hospitals_scope_sees_only_its_metrics_through_the_parent_and_cannot_name_a_partition(partitioned):
    app, a, b = partitioned["app"], partitioned["a"], partitioned["b"]
    assert _hospitals_seen(partitioned["owner"], "*", "analytics_data") == {a, b}
    assert _hospitals_seen(app, a, "analytics_data") == {a}
    assert _hospitals_seen(app, "*", "analytics_data") == {a, b}
    for name in ("analytics_data_default", _partition("analytics_data", NEXT_MONTH)):
        _refused(app, f"SELECT * FROM {SCHEMA}.{name}", "permission denied")
    # Rows go in through the parent (routed to their month without any right on it), under the scope. The dashboard
    # only reads metrics (db/roles.py APP_TABLES); the platform's writer of metrics is played here by the app role.
    _refused(
        app, "INSERT INTO analytics_data (id, hospital_id, metric_name) VALUES ('x', 'y', 'm')", "permission denied"
    )
    grant = f"GRANT INSERT ON analytics_data TO {partitioned['names'].app}"
    with partitioned["superuser"].begin() as conn:
        conn.execute(text(grant))
    with app.begin() as conn:
        conn.execute(text("SELECT set_config('healthdash.scope', :s, true)"), {"s": a})
        conn.execute(
            text(
                "INSERT INTO analytics_data (id, hospital_id, metric_name, metric_date) VALUES ('app-1', :h, 'm', :d)"
            ),
            {"h": a, "d": _lagos(NEXT_MONTH, 10)},
        )
        assert _lands_in(conn, "analytics_data", "app-1") == f"{SCHEMA}.{_partition('analytics_data', NEXT_MONTH)}"
        conn.rollback()
    with pytest.raises(DBAPIError, match="row-level security"), app.begin() as conn:
        conn.execute(text("SELECT set_config('healthdash.scope', :s, true)"), {"s": a})
        conn.execute(
            text(
                "INSERT INTO analytics_data (id, hospital_id, metric_name, metric_date) VALUES ('app-2', :h, 'm', :d)"
            ),
            {"h": b, "d": _lagos(NEXT_MONTH, 10)},
        )
    with partitioned["superuser"].begin() as conn:
        conn.execute(text(grant.replace("GRANT", "REVOKE").replace(" TO ", " FROM ")))


def test_every_partition_holds_the_hospital_policy_even_for_a_role_allowed_to_name_it(partitioned):
    """Belt and braces: were a role ever granted a partition, its policy would still hold it."""
    reader = f"hd_reader_{secrets.token_hex(3)}"
    superuser, url = partitioned["superuser"], partitioned["url"]
    month = date(2098, 1, 1)  # created by the function after the migration, like next year's months
    with superuser.begin() as conn:
        conn.execute(text(f"CREATE ROLE {reader} LOGIN NOBYPASSRLS"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {reader}"))
        conn.execute(
            text("SELECT healthdash_ensure_month_partitions('analytics_data', :m, :m)"), {"m": month}
        )  # as the owner would; the function hands the new month to the parent's owner
        conn.execute(
            text("INSERT INTO analytics_data (id, hospital_id, metric_name, metric_date) VALUES (:i, :h, 'm', :d)"),
            [{"i": f"late-{h}", "h": h, "d": _lagos(month, 9)} for h in (partitioned["a"], partitioned["b"])],
        )
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {reader}"))
    engine = make_engine(roles.as_role(url, reader))
    try:
        with superuser.connect() as conn:
            partitions = _partitions(conn, "analytics_data")
        assert _partition("analytics_data", month) in partitions
        for name in partitions:
            relation = f"{SCHEMA}.{name}"
            assert _hospitals_seen(engine, partitioned["a"], relation) <= {partitioned["a"]}, name
            assert _hospitals_seen(engine, "", relation) == set(), name
        assert _hospitals_seen(engine, partitioned["a"], f"{SCHEMA}.{_partition('analytics_data', month)}") == {
            partitioned["a"]
        }
    finally:
        engine.dispose()
        with superuser.begin() as conn:
            conn.execute(text(f"DROP TABLE {SCHEMA}.{_partition('analytics_data', month)}"))
            conn.execute(text(f"DROP OWNED BY {reader}"))
            conn.execute(text(f"DROP ROLE {reader}"))


# --- pruning ----------------------------------------------------------------------------------------


def _scanned(plan: dict) -> list[str]:
    found = [plan["Relation Name"]] if "Relation Name" in plan else []
    for child in plan.get("Plans", ()):
        found += _scanned(child)
    return found


def _explain(partitioned, months: int) -> list[str]:
    """The relations a scoped query for one hospital's metric over `months` Lagos months (from next month) reads."""
    with partitioned["app"].begin() as conn:
        conn.execute(text("SELECT set_config('healthdash.scope', :s, true)"), {"s": partitioned["a"]})
        raw = conn.execute(
            text(
                "EXPLAIN (FORMAT JSON) SELECT date_trunc('day', metric_date AT TIME ZONE 'Africa/Lagos') AS day, "
                "avg(metric_value) FROM analytics_data WHERE hospital_id = :h AND metric_name = :m "
                "AND metric_date >= :start AND metric_date < :end GROUP BY 1 ORDER BY 1"
            ),
            {
                "h": partitioned["a"],
                "m": "bed_occupancy_rate",
                "start": _lagos(NEXT_MONTH),
                "end": _lagos(_month(NEXT_MONTH, months)),
            },
        ).scalar_one()
    return _scanned((raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"])


def test_one_month_of_one_hospitals_metric_reads_one_partition(partitioned):
    assert _explain(partitioned, 1) == [_partition("analytics_data", NEXT_MONTH)]
    assert sorted(_explain(partitioned, 2)) == [
        _partition("analytics_data", NEXT_MONTH),
        _partition("analytics_data", _month(NEXT_MONTH, 1)),
    ]  # the check can fail: two months, two partitions


# --- upgrade with rows, and back --------------------------------------------------------------------


def test_upgrade_moves_every_row_and_downgrade_gives_plain_tables_back(fresh_database):
    engine = make_engine(fresh_database)
    try:
        migrate.upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO hospitals (id, name) VALUES ('h1', 'One')"))
            conn.execute(
                text(
                    "INSERT INTO analytics_data (id, hospital_id, metric_name, metric_value, metric_date) "
                    "SELECT 'a' || g, 'h1', 'm', g, now() - g * interval '1 day' FROM generate_series(1, 400) g "
                    "UNION ALL SELECT 'old', 'h1', 'm', 0, TIMESTAMPTZ '1990-01-01 00:00+00'"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO audit_logs (id, user_id, created_at) "
                    "SELECT 'l' || g, 'u', now() - g * interval '3 hours' FROM generate_series(1, 3000) g"
                )
            )
        digest = "SELECT md5(string_agg(to_jsonb(t)::text, '|' ORDER BY t.id)) FROM (SELECT * FROM {table}) AS t"
        before = {t: _digest(engine, digest.format(table=t)) for t in KEYS}

        migrate.upgrade(engine, "0010")  # this migration alone (later ones are theirs to test)
        with engine.connect() as conn:
            assert {t: _digest(engine, digest.format(table=t)) for t in KEYS} == before
            months = _partitions(conn, "analytics_data")
            # The 400 days before now (14 months or so), and this month with the 24 ahead.
            assert _partition("analytics_data", _month(THIS_MONTH, -12)) in months
            assert _lands_in(conn, "analytics_data", "old") == f"{SCHEMA}.analytics_data_default"

        migrate.downgrade(engine, "0009")
        with engine.connect() as conn:
            assert {t: _digest(engine, digest.format(table=t)) for t in KEYS} == before
            kinds = conn.execute(
                text("SELECT relname, relkind FROM pg_class WHERE relname IN ('analytics_data', 'audit_logs')")
            ).all()
            assert sorted(kinds) == [("analytics_data", "r"), ("audit_logs", "r")]
            assert conn.execute(text("SELECT to_regnamespace(:s)"), {"s": SCHEMA}).scalar() is None
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text("DELETE FROM audit_logs"))
            conn.rollback()
            assert conn.execute(
                text("SELECT relforcerowsecurity FROM pg_class WHERE oid = 'analytics_data'::regclass")
            ).scalar_one()

        migrate.upgrade(engine, "0010")  # an id in two months cannot go back to a key of id alone
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO audit_logs (id, user_id, created_at) VALUES ('l1', 'u', now() + interval '40 days')")
            )
        with pytest.raises(CommandError, match="1 id"):
            migrate.downgrade(engine, "0009")
        assert migrate.current_revision(engine) == "0010"  # rolled back: nothing was changed
    finally:
        engine.dispose()


def _digest(engine, sql: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def test_the_demo_build_fills_the_months_and_rebuilds_every_partitions_indexes(fresh_database):
    """The loader drops the indexes and builds them again after COPY: on every partition, attached."""
    from db import demo

    engine = make_engine(fresh_database)
    try:
        migrate.upgrade(engine)
        demo.build_demo(engine, scale=0.01, as_of=date(2026, 3, 15), progress=False)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).scalar_one() == 0
            for table in KEYS:
                partitions = _partitions(conn, table)
                assert _partition(table, date(2025, 3, 1)) in partitions  # the demo's year, before this month
                assert conn.execute(text(f"SELECT count(*) FROM {SCHEMA}.{table}_default")).scalar_one() == 0
                children = conn.execute(
                    text(
                        "SELECT i.indexrelid::regclass::text, count(h.inhrelid) FROM pg_index i "
                        "LEFT JOIN pg_inherits h ON h.inhparent = i.indexrelid "
                        "WHERE i.indrelid = CAST(:t AS regclass) GROUP BY 1"
                    ),
                    {"t": table},
                ).all()
                assert len(children) == 1 + len(TABLE_INDEXES[table])
                assert {count for _, count in children} == {len(partitions)}, children
    finally:
        engine.dispose()


def test_handing_a_database_over_gives_the_owner_every_partition(admin_url):
    """Migrated by a superuser (as the rest of the suite is), then handed over as `healthdash db roles` does."""
    url = create_database(admin_url, prefix="healthdash_handover")
    suffix = secrets.token_hex(3)
    names = roles.RoleNames(owner=f"hd_owner_{suffix}", app=f"hd_app_{suffix}")
    superuser = make_engine(url)
    try:
        migrate.upgrade(superuser)
        roles.apply_as_superuser(superuser, names)
        with superuser.connect() as conn:
            owners = conn.execute(
                text(
                    "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c "
                    "WHERE c.relnamespace = CAST(:s AS regnamespace) AND c.relkind IN ('r', 'p')"
                ),
                {"s": SCHEMA},
            ).scalars()
            assert set(owners) == {names.owner}
            schema_owner = conn.execute(
                text("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = :s"), {"s": SCHEMA}
            ).scalar_one()
            assert schema_owner == names.owner
    finally:
        superuser.dispose()
        drop_database(admin_url, url.database)
        with make_engine(admin_url).connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
            conn.commit()
