"""Which databases the suite runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

import os

import pytest

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def create_scratch_database(suffix: str) -> str:
    """A new, empty PostgreSQL database next to TEST_DATABASE_URL's, named for this process,
    so test runs side by side never drop each other's tables."""
    import sqlalchemy as sa

    base = sa.make_url(PG_URL)
    name = f"{base.database}_{suffix}_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str) -> None:
    import sqlalchemy as sa

    target = sa.make_url(url)
    admin = sa.create_engine(sa.make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()
