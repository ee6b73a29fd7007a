"""Every database test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

The schema is built by `alembic upgrade head` (so the migrations are exercised on every run).
Each test's rows are deleted afterwards: the app commits real transactions (BEGIN IMMEDIATE on
SQLite, concurrent submitters in some tests), which a wrapping rolled-back transaction would hide.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from api.cli import alembic_config
from api.main import create_app
from api.platform.db import session_scope
from api.platform.questionnaires import Catalog, load_catalog
from api.platform.settings import ROOT, Settings
from tests.backends import BACKENDS, PG_URL, create_scratch_database, drop_scratch_database


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="TEST_DATABASE_URL is not set")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    """A migrated, empty database per backend, built once per test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kennisster.db'}"
    else:
        url = create_scratch_database("suite")
        request.addfinalizer(lambda: drop_scratch_database(url))
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "questionnaires")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path,
                    secret_key="test-secret-key-not-for-production", anonymity_k=5,
                    base_url="http://testserver", smtp_host="",  # mail tests set their own
                    webhook_worker=False)  # webhook tests run it themselves


@pytest.fixture
def app(settings: Settings):
    application = create_app(settings, warm_charts=False)
    yield application
    _empty_tables(application.state.engine)
    application.state.engine.dispose()


def _empty_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session on the app's own database, for arranging data and checking what was stored."""
    with session_scope(app.state.engine, write=True) as db_session:
        yield db_session


@pytest.fixture
def engine(app) -> sa.Engine:
    return app.state.engine


@pytest.fixture(autouse=True)
def _fresh_authenticator_apps() -> Iterator[None]:
    """Each test's people enrol their own authenticator apps (tests/two_factor_steps.py)."""
    from tests import two_factor_steps

    two_factor_steps.forget_all()
    yield
