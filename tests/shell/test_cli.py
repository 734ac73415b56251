"""`healthdash db ...` against a real server; bad input ends in one plain line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from db import migrate
from db.engine import make_engine


def healthdash(*args, database_url=None, timeout=120):
    env = {**os.environ}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _plain_failure(result):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    return result.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://postgres@127.0.0.1:1/healthdash", "127.0.0.1:1"),
        ("postgresql://postgres@no-such-host.invalid:5432/healthdash", "no-such-host.invalid"),
        ("mysql://root@127.0.0.1/healthdash", "postgresql://"),
        ("not a url at all", "not a valid URL"),
        ("postgresql://postgres@127.0.0.1:5432", "names no database"),
    ],
)
def test_bad_database_url_is_one_plain_line(url, words):
    stderr = _plain_failure(healthdash("db", "check", database_url=url))
    assert words in stderr


def test_upgrade_check_seed_reset_on_a_fresh_database(fresh_database):
    url = fresh_database.render_as_string(hide_password=False)
    stderr = _plain_failure(healthdash("db", "seed", database_url=url))
    assert "healthdash db upgrade" in stderr

    result = healthdash("db", "upgrade", database_url=url)
    assert result.returncode == 0, result.stderr
    assert "revision 0" in result.stdout

    result = healthdash("db", "check", database_url=url)
    assert result.returncode == 0 and "models and migrations match" in result.stdout
    assert result.stdout.strip().count("\n") == 0  # one line of ours, no alembic chatter

    result = healthdash("db", "reconcile", database_url=url)  # nothing to check yet: a clean pass
    assert result.returncode == 0, result.stderr
    assert "0 transactions replayed" in result.stdout and "0 whose ledger or balance is wrong" in result.stdout

    result = healthdash("db", "seed", database_url=url)
    assert result.returncode == 0 and "admin@healthcare.com" in result.stdout
    result = healthdash("db", "seed", database_url=url)
    assert "Seed already present" in result.stdout and "Seed created" not in result.stdout

    # reset refuses without a terminal unless --yes
    stderr = _plain_failure(healthdash("db", "reset", database_url=url))
    assert "--yes" in stderr
    schema_acl = "SELECT nspowner::regrole::text, nspacl::text FROM pg_namespace WHERE nspname = 'public'"
    before = _query(fresh_database, schema_acl)
    result = healthdash("db", "reset", "--yes", database_url=url)
    assert result.returncode == 0 and "reset" in result.stdout
    assert _query(fresh_database, schema_acl) == before  # other roles keep their use of the schema

    known = migrate.revisions(make_engine(url))
    head = known[-2]  # the list is base, every revision oldest first, head
    assert known[:2] == ["base", "0001"] and known[-1] == "head"
    stderr = _plain_failure(healthdash("db", "downgrade", "--revision", "bogus", database_url=url))
    assert f"stays at revision {head}" in stderr
    stderr = _plain_failure(healthdash("db", "upgrade", "--revision", "bogus", database_url=url))
    assert "Cannot upgrade to 'bogus'" in stderr and f"known revisions: {', '.join(known)}" in stderr

    result = healthdash("db", "downgrade", "--revision", "base", database_url=url)
    assert result.returncode == 0 and "revision base" in result.stdout
    stderr = _plain_failure(healthdash("db", "downgrade", database_url=url))
    assert "nothing to downgrade" in stderr
    stderr = _plain_failure(healthdash("db", "check", database_url=url))
    assert "head is" in stderr


def _query(url, sql):
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).one()
    finally:
        engine.dispose()


def _run_sql(url, *statements):
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_reset_keeps_a_grant_to_a_role_whose_name_needs_quotes(fresh_database):
    url = fresh_database.render_as_string(hide_password=False)
    role = f'"Report Reader {os.urandom(3).hex()}"'  # a space and capitals: only valid quoted
    assert healthdash("db", "upgrade", database_url=url).returncode == 0
    _run_sql(url, f"CREATE ROLE {role} NOLOGIN", f"GRANT USAGE ON SCHEMA public TO {role}")
    try:
        schema_acl = "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'"
        before = _query(fresh_database, schema_acl)
        result = healthdash("db", "reset", "--yes", database_url=url)
        assert result.returncode == 0, result.stderr
        assert _query(fresh_database, schema_acl) == before and "Report Reader" in before[0]
    finally:
        _run_sql(url, f"REVOKE ALL ON SCHEMA public FROM {role}", f"DROP ROLE {role}")


def test_db_roles_prints_the_least_privilege_sql_for_an_administrator():
    result = healthdash("db", "roles", "--print", database_url="postgresql://postgres@127.0.0.1:5432/clinic")
    assert result.returncode == 0, result.stderr
    sql = result.stdout
    assert "CREATE ROLE healthdash_app" in sql and "NOBYPASSRLS" in sql and "NOSUPERUSER" in sql
    assert "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM healthdash_app" in sql  # then the allow-list
    assert "GRANT SELECT ON audit_logs TO healthdash_app; GRANT INSERT ON audit_logs TO healthdash_app;" in sql
    assert "health_records" not in sql and "ALTER DATABASE \"clinic\" SET healthdash.app_role = 'healthdash_app'" in sql
    assert 'ALTER DATABASE "clinic" OWNER TO healthdash_owner' in sql
    assert "statement_timeout" in sql


def test_db_roles_refuses_a_role_name_that_is_not_plain():
    result = healthdash("db", "roles", "--print", "--app-role", "x; DROP TABLE users", database_url="postgresql://h/d")
    assert result.returncode != 0 and "not a plain role name" in result.stderr
    assert "Traceback" not in result.stderr
