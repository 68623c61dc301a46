"""Full-text search over mention texts with the database's own engine: SQLite FTS5, PostgreSQL tsvector.

SQLite: an external-content FTS5 table `mention_fts` (rowid = mention.id) kept in sync by triggers, so
the text is stored once. PostgreSQL: an expression GIN index on `to_tsvector('simple', text)`; the
'simple' configuration does no stemming, which suits mentions in many languages. Both are created
idempotently by `ensure_search_index`, called from `bot.store.engine.init_db`.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

PG_TSVECTOR = "to_tsvector('simple', mention.text)"  # must match the index expression exactly
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12  # a pasted paragraph should not become a 200-term query

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5("
    "text, content='mention', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ai AFTER INSERT ON mention BEGIN "
    "INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ad AFTER DELETE ON mention BEGIN "
    "INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_au AFTER UPDATE OF text ON mention BEGIN "
    "INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
)
_PG_DDL = (f"CREATE INDEX IF NOT EXISTS ix_mention_text_fts ON mention USING GIN (({PG_TSVECTOR}))",)
# Helpful for every dialect: the latest classification of a mention, and the triage queue.
_COMMON_DDL = (
    # covering: stats read sentiment/urgency/topics of the latest classification from the index alone
    "CREATE INDEX IF NOT EXISTS ix_classification_latest ON classification "
    "(mention_id, id, sentiment, urgency, topics)",
    "CREATE INDEX IF NOT EXISTS ix_mention_received_dept ON mention (received_at, department)",
    "CREATE INDEX IF NOT EXISTS ix_delivery_channel_kind ON delivery (channel, kind)",
    "CREATE INDEX IF NOT EXISTS ix_correction_mention ON correction (mention_id, created_at)",
)


def ensure_search_index(engine: Engine) -> None:
    """Create the database's own text-search structures if missing (idempotent)."""
    with engine.begin() as conn:
        for statement in _COMMON_DDL:
            conn.execute(text(statement))
        if engine.dialect.name == "sqlite":
            _ensure_sqlite(conn)
        elif engine.dialect.name == "postgresql":
            for statement in _PG_DDL:
                conn.execute(text(statement))


def _ensure_sqlite(conn: Connection) -> None:
    existed = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mention_fts'")
    ).first()
    for statement in _SQLITE_DDL:
        conn.execute(text(statement))
    if not existed:
        # A database that already held mentions before search existed: index them once.
        conn.execute(text("INSERT INTO mention_fts(mention_fts) VALUES ('rebuild')"))


def terms(words: str) -> list[str]:
    """The search terms of a user's query: word characters only, so no query syntax gets through."""
    return _WORD.findall(words.casefold())[:MAX_TERMS]


def sqlite_match(words: str, *, any_term: bool = False) -> str:
    """An FTS5 MATCH expression: every term quoted (inert), all required unless `any_term`."""
    quoted = [f'"{term}"' for term in terms(words)]
    return (" OR " if any_term else " ").join(quoted)


def pg_tsquery(words: str, *, any_term: bool = False) -> str:
    """A to_tsquery('simple', …) argument built from plain terms only (no user operators)."""
    return (" | " if any_term else " & ").join(terms(words))
