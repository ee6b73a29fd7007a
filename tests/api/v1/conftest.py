"""Fixtures of the tests of the consultants' JSON API under /api/v1.

Data is stored through the same services the app uses (`tests.builders`, `record_response`);
tokens are made with `api.tokens.create_token`, as `kennisster token create` does. Every request
goes through the real HTTP app.

Two worlds of the same shape (see `support.build_world`):
- `world` (with the suite's function-scoped `app`, `client`, `session`) for tests that write;
- `shared_world` / `shared_client` / `shared_session`, built once per test module on an app of
  its own, for modules that only read. A module using them must not use `app`, `client` or
  `session`: their teardown empties every table.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from api.platform.db import session_scope
from api.platform.questionnaires import Questionnaire
from api.platform.settings import Settings
from tests.api.v1.support import Q_SLUG, Q_VERSION, World, build_world, empty_tables


@pytest.fixture(scope="session")
def questionnaire(catalog) -> Questionnaire:
    return catalog.require(Q_SLUG, Q_VERSION)


@pytest.fixture
def world(session, catalog, questionnaire) -> World:
    return build_world(session, catalog, questionnaire)


@pytest.fixture(scope="module")
def shared_app(database_url, tmp_path_factory):
    settings = Settings(environment="test", database_url=database_url,
                        data_dir=tmp_path_factory.mktemp("api-v1"),
                        secret_key="test-secret-key-not-for-production", anonymity_k=5,
                        base_url="http://testserver")
    application = create_app(settings, warm_charts=False)
    empty_tables(application.state.engine)
    yield application
    empty_tables(application.state.engine)
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def shared_world(shared_app, catalog, questionnaire) -> World:
    with session_scope(shared_app.state.engine, write=True) as db_session:
        return build_world(db_session, catalog, questionnaire)


@pytest.fixture(scope="module")
def shared_client(shared_app, shared_world) -> Iterator[TestClient]:
    with TestClient(shared_app) as test_client:
        yield test_client


@pytest.fixture
def shared_session(shared_app) -> Iterator[Session]:
    with session_scope(shared_app.state.engine, write=True) as db_session:
        yield db_session

