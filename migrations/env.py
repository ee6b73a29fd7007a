"""Alembic environment: the only way Kennisster's schema is created or changed."""

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import api.platform.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from api.platform.db import make_engine
from api.platform.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def _options(connection) -> dict:
    return {
        "connection": connection,
        "target_metadata": target_metadata,
        "compare_type": True,
        "render_as_batch": connection.dialect.name == "sqlite",
    }


def run_migrations_offline() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      compare_type=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")  # a Connection or an Engine (pytest-alembic)
    if isinstance(given, sa.Engine):
        with given.connect() as connection:
            _run(connection)
            connection.commit()
        return
    if given is not None:
        _run(given)
        return
    settings = get_settings()
    url = config.attributes.get("database_url")
    if url:
        settings = settings.model_copy(update={"database_url": url})
    engine = make_engine(settings)
    with engine.connect() as connection:
        _run(connection)
        connection.commit()
    engine.dispose()


def _run(connection) -> None:
    context.configure(**_options(connection))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
