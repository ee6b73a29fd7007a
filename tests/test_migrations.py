"""Migrations: one head, upgrade from empty to head, down and up again step by step, and the
models match what the migrations build — on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pytest_alembic.config import Config
from pytest_alembic.tests import (  # noqa: F401  (collected as tests here)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

from api.platform.settings import ROOT
from tests.backends import BACKENDS, create_scratch_database, drop_scratch_database


@pytest.fixture
def alembic_config() -> Config:
    return Config(config_options={"file": str(ROOT / "alembic.ini"),
                                  "script_location": str(ROOT / "migrations")})


@pytest.fixture(params=BACKENDS)
def alembic_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
    else:
        url = create_scratch_database("migrations")
        request.addfinalizer(lambda: drop_scratch_database(url))
        engine = sa.create_engine(url)
    yield engine
    engine.dispose()
