"""Shared helpers of the benchmarks: scratch databases, migrations, a seeded institution."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCRATCH_DB = "kennisster_bench"


def isolate_settings(data_dir: Path) -> None:
    """Point every Settings() this process (and its children) builds at a temp dir, so the
    benchmark never writes var/secret_key or var/kennisster.db of the working copy."""
    os.environ["KENNISSTER_DATA_DIR"] = str(data_dir)
    os.environ["KENNISSTER_SECRET_KEY"] = BENCH_SECRET
    os.environ.setdefault("KENNISSTER_ENVIRONMENT", "development")
    from api.platform.settings import get_settings

    get_settings.cache_clear()


def make_tempdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def migrate(url: str) -> None:
    from alembic import command

    from api.cli import alembic_config

    command.upgrade(alembic_config(url), "head")


def pg_admin_url() -> str:
    return os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)


def create_pg_database(name: str = SCRATCH_DB) -> str:
    """A fresh, empty PostgreSQL database next to the admin URL's; returns its SQLAlchemy URL."""
    import sqlalchemy as sa

    base = sa.make_url(pg_admin_url())
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(name: str = SCRATCH_DB) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(sa.make_url(pg_admin_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(pg_admin_url()))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Seeded:
    institution_id: int
    institution_slug: str
    round_id: int
    unit_ids: list[int]


def seed_institution(url: str, *, units: int = 40, name: str = "Hogeschool Benchmark") -> Seeded:
    """An institution, `units` practoraten and one open round, through the app's own services."""
    from api.platform.db import make_engine, session_scope
    from api.platform.models import utcnow
    from api.platform.questionnaires import load_catalog
    from api.platform.settings import Settings
    from api.setup import institutions, rounds

    settings = Settings(database_url=url, secret_key=BENCH_SECRET,
                        data_dir=Path(os.environ.get("KENNISSTER_DATA_DIR", tempfile.gettempdir())))
    catalog = load_catalog(settings.questionnaires_dir)
    engine = make_engine(settings)
    try:
        with session_scope(engine, write=True) as session:
            inst = institutions.create_institution(session=session, name=name)
            unit_rows = [institutions.create_unit(session=session, institution=inst,
                                                  name=f"Practoraat {i + 1:02d}")
                         for i in range(units)]
            now = utcnow()
            round_ = rounds.open_round(session=session, catalog=catalog, institution=inst,
                                       name="Meting benchmark", slug="galbraith-star", version="1.0",
                                       opens_at=now - timedelta(days=1),
                                       closes_at=now + timedelta(days=365))
            session.commit()  # the building blocks only flush: this use case commits once
            return Seeded(institution_id=inst.id, institution_slug=inst.slug, round_id=round_.id,
                          unit_ids=[u.id for u in unit_rows])
    finally:
        engine.dispose()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn: Callable[[], object]) -> float:
    import time

    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
