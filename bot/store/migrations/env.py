"""Alembic environment: runs on the connection `bot.store.migrate` hands it (no alembic.ini, no URL here)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)


def render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write SQLModel's AutoString as plain sa.String, so revisions need only SQLAlchemy."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
