"""Alembic environment: the URL comes from the project's settings, never from alembic.ini.

A caller may hand over an open connection (config.attributes["connection"]) so that tests and the
CLI migrate inside their own connection; otherwise DATABASE_URL or the embedded server is used.
Run by `alembic upgrade`, each revision commits in its own transaction (transaction_per_migration);
run through db.migrate, the whole command is one transaction of the caller's. Either way PostgreSQL's
transactional DDL means a failing revision leaves the database at a revision it was at before.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base
from db.engine import make_engine, resolve_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transaction_per_migration=True,
        compare_type=True,
        # A changed database default (now(), '[]', 'pending') is drift too, not only a changed type.
        compare_server_default=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=resolve_url().render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(resolve_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
