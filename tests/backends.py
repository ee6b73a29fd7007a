"""Which databases the suite runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

import os

import pytest

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
