"""Schema migrations: Alembic upgrades under a lock, and the schema's state for start-up and `/readyz`.

The schema changes only through revisions in `migrations/versions/`. A database made by release 0.1.0
(tables from `create_all`, no `alembic_version`) is recognised and stamped at the baseline it matches,
then upgraded like any other. Processes that start together serialise on a lock — a PostgreSQL advisory
lock, or a lock file beside a SQLite database — so they never race to create the same type or table.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001_baseline"  # the schema of release 0.1.0
_PG_LOCK_KEY = 0x5EC1A1  # any constant shared by every process of this app
_PRE_ALEMBIC_MARKER = "mention"  # a table every 0.1.0 database has


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None, "no migrations found"
    return head


def schema_state(engine: Engine) -> SchemaState:
    """Where the database is, and where this code needs it to be."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None and inspect(conn).has_table(_PRE_ALEMBIC_MARKER):
            current = "0.1.0 (before migrations)"
    return SchemaState(current, head_revision())


def upgrade(engine: Engine) -> SchemaState:
    """Bring the schema to head (idempotent; safe when several processes start at once)."""
    with _migration_lock(engine), engine.begin() as conn:
        config = _config(conn)
        if _made_before_migrations(conn):
            log.info("database made before migrations: adopting it at %s", BASELINE)
            _script().get_revision(BASELINE).module.adopt(conn)
            command.stamp(config, BASELINE)
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(config, "head")
        after = MigrationContext.configure(conn).get_current_revision()
    if before is None:  # a new database: nothing an operator needs to hear about
        log.debug("database schema created at %s", after)
    elif before != after:
        log.info("database schema upgraded: %s → %s", before, after)
    return SchemaState(after, head_revision())


def _made_before_migrations(conn: Connection) -> bool:
    tables = inspect(conn)
    return tables.has_table(_PRE_ALEMBIC_MARKER) and not tables.has_table("alembic_version")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, even if we crash
        yield
