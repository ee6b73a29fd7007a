"""The database engine and the one session dependency.

SQLite runs in WAL mode with foreign keys on and a busy timeout. WAL and a timeout alone still let
a transaction that reads and then writes fail with "database is locked", so every request that may
write starts its transaction with BEGIN IMMEDIATE; reads keep the cheap deferred BEGIN.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

import anyio
import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.platform.settings import Settings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CLOSE_LIMITER = anyio.CapacityLimiter(4)


def make_engine(settings: Settings) -> Engine:
    if not settings.is_sqlite:
        return sa.create_engine(settings.database_url, pool_pre_ping=True, pool_size=10,
                                max_overflow=20)
    path = settings.database_url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        settings.database_url,
        connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_ms / 1000},
    )
    busy_ms = settings.sqlite_busy_timeout_ms

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    _queue_writers(engine, busy_ms / 1000)
    return engine


def _queue_writers(engine: Engine, timeout_s: float) -> None:
    """Write transactions of this process wait their turn on a lock of the process before
    BEGIN IMMEDIATE, and hand it on the moment they commit or roll back.

    Why: SQLite's own wait for its write lock is a busy handler that sleeps in growing steps (1,
    2, 5 … 100 ms) and retries. Under many concurrent writers the lock is often free while every
    waiter sleeps: throughput drops and some requests wait for seconds. Queued on a lock of the
    process, the next writer starts as soon as the previous one is done; SQLite's busy timeout
    still guards against writers in other processes (the CLI, a second worker), and a writer that
    waited `timeout_s` here goes on to SQLite's wait rather than waiting for ever."""
    write_lock = threading.Lock()
    holders: set[int] = set()  # id() of the DBAPI connections whose transaction holds it
    dialect = engine.dialect

    def release(connection) -> None:
        # the dialect is handed the pool's proxy of the DBAPI connection, the events the DBAPI
        # connection itself
        key = id(getattr(connection, "dbapi_connection", connection))
        if key in holders:
            holders.discard(key)
            write_lock.release()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        dbapi_connection = connection.connection.dbapi_connection
        if immediate and write_lock.acquire(timeout=timeout_s):
            holders.add(id(dbapi_connection))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            release(dbapi_connection)
            raise

    def after(method):
        def run(dbapi_connection) -> None:
            try:
                method(dbapi_connection)
            finally:  # after the COMMIT or ROLLBACK is done, never before
                release(dbapi_connection)
        return run

    # the dialect of this engine only (create_engine makes one per engine); the pool's reset of
    # a returned connection also rolls back through do_rollback
    dialect.do_commit = after(dialect.do_commit)
    dialect.do_rollback = after(dialect.do_rollback)

    @sa.event.listens_for(engine, "close")
    def _on_close(dbapi_connection, _record) -> None:
        release(dbapi_connection)

    @sa.event.listens_for(engine, "invalidate")
    def _on_invalidate(dbapi_connection, _record, _exception) -> None:
        release(dbapi_connection)


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session for one use case; `write=True` takes SQLite's write lock up front."""
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        yield session


def begin_read(session: Session) -> None:
    """Begin the session's next transaction as a read, even on a write request's session: a
    lookup that writes nothing (the API token of a POST) then takes no SQLite write lock and
    waits behind no writer; the use case that follows begins its own write transaction."""
    session.connection(execution_options={"sqlite_immediate": False})


def dialect_insert(session: Session):
    """The INSERT construct of the session's database, for its ON CONFLICT clauses (upserts)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert
    return sqlite_insert


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Made on the event loop (making one does no I/O) rather than in a
    worker thread; closed there too when no transaction is left open (the use case committed)
    or only a read on SQLite is, else closed in a worker thread, since closing then rolls back
    on the database. Saves a request two trips through the thread pool."""
    engine = request.app.state.engine
    writes = request.method in WRITE_METHODS
    bind = engine.execution_options(sqlite_immediate=True) if writes else engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
    finally:
        # A read request's transaction on SQLite (a page's deferred BEGIN and its SELECTs) ends
        # with a ROLLBACK of the local file that waits on no lock and no network: done here.
        if session.in_transaction() and (writes or engine.dialect.name != "sqlite"):
            # Its own limiter, as FastAPI's own dependency exits have: when every thread of the
            # default pool waits for SQLite's write lock, the close that ends the transaction
            # holding it must not queue behind them.
            await anyio.to_thread.run_sync(session.close, limiter=_CLOSE_LIMITER)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
