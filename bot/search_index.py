"""Full-text search index over mentions (SQLite FTS5 / PostgreSQL tsvector). Filled in by /insights search."""

from __future__ import annotations

from sqlalchemy.engine import Engine


def ensure_search_index(engine: Engine) -> None:
    """Create the database's own text-search structures if missing (idempotent)."""
    del engine
