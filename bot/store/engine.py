"""Database engine and units of work, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, create_engine

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.domain.dburl import normalize_database_url

# Outside bot.store, code names these types through this module and never imports SQLAlchemy itself
# (an import-linter contract in pyproject.toml keeps it so).
__all__ = [
    "Connection",
    "DBAPIError",
    "Engine",
    "Session",
    "init_db",
    "insert_ignoring_duplicates",
    "is_postgres",
    "link_latest_classifications",
    "make_engine",
    "ping",
    "session_scope",
]


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL and a busy timeout so web and worker threads can share it."""
    if url.startswith("sqlite"):
        # One connection, handed out in turn: threads queue on the pool instead of on SQLite's
        # sleeping busy handler, which turned write contention into 0.5-1 s acknowledgement tails.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(normalize_database_url(url), pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_db(engine: Engine) -> None:
    """Bring the schema to head through the migrations (idempotent; see `bot.store.migrate`)."""
    from bot.store.migrate import upgrade

    upgrade(engine)


def link_latest_classifications(connection: Connection) -> None:
    """Finish a bulk load done without the pipeline: point each mention at its newest classification,
    then recount the report rollups (bot.store.rollup_writes) that the pipeline would have kept."""
    from bot.store.rollup_writes import rebuild

    connection.execute(
        text(
            "UPDATE mention SET classification_id = "
            "(SELECT MAX(c.id) FROM classification c WHERE c.mention_id = mention.id) "
            "WHERE classification_id IS NULL"
        )
    )
    rebuild(connection)


def insert_ignoring_duplicates(dialect: str, table: Table, values: dict[str, Any], key: str) -> Insert:
    """INSERT … ON CONFLICT (key) DO NOTHING: race-safe dedupe on SQLite and PostgreSQL alike."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])


def ping(engine: Engine) -> None:
    """One round trip to the database (SELECT 1); raises whatever the driver raises when it cannot."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
