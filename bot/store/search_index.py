"""Full-text search over mention texts with the database's own engine: SQLite FTS5, PostgreSQL tsvector.

Both stem, so `search crash` finds "crashes":
- SQLite: an external-content FTS5 table `mention_fts` (rowid = mention.id) kept in sync by triggers,
  tokenized by `porter` over `unicode61 remove_diacritics 2`. Porter is an ENGLISH stemmer: other
  languages still match word for word (accents folded), but get no stemming.
- PostgreSQL: each mention carries `search_config`, the text search configuration of its language
  (english, french, german, spanish, russian, norwegian, else simple), set by a trigger from its
  latest classification's language (or the /ingest `lang` hint before it is classified); a GIN index
  on `to_tsvector(search_config, text)` serves queries.
Both are created idempotently by `ensure_search_index`, called from `bot.store.engine.init_db`, until
the DDL moves into a migration (PG_DDL below is exactly what it must run).
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12  # a pasted paragraph should not become a 200-term query
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# language code or name (as classifiers write it) → PostgreSQL text search configuration
PG_CONFIGS = {
    "english": ("en", "english"),
    "french": ("fr", "french", "français"),
    "german": ("de", "german", "deutsch"),
    "spanish": ("es", "spanish", "español"),
    "russian": ("ru", "russian"),
    "norwegian": ("no", "nb", "nn", "norwegian", "norsk"),
}

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5("
    f"text, content='mention', content_rowid='id', tokenize='{FTS_TOKENIZER}')",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ai AFTER INSERT ON mention BEGIN "
    "INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ad AFTER DELETE ON mention BEGIN "
    "INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_au AFTER UPDATE OF text ON mention BEGIN "
    "INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
)
_PG_CASES = " ".join(
    f"WHEN {', '.join(repr(code) for code in codes).join(('l IN (', ')'))} THEN '{config}'"
    for config, codes in PG_CONFIGS.items()
)
PG_DDL = (
    # language → configuration; STABLE because a text → regconfig cast reads the catalog
    "CREATE OR REPLACE FUNCTION social_router_search_config(lang text) RETURNS regconfig "
    "LANGUAGE sql STABLE PARALLEL SAFE AS $$ "
    f"SELECT (CASE {_PG_CASES} ELSE 'simple' END)::regconfig "
    "FROM (SELECT lower(split_part(replace(coalesce(lang, ''), '_', '-'), '-', 1)) AS l) AS code $$",
    "ALTER TABLE mention ADD COLUMN IF NOT EXISTS search_config regconfig NOT NULL DEFAULT 'simple'",
    "CREATE OR REPLACE FUNCTION social_router_mention_search_config() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.search_config := social_router_search_config(COALESCE("
    "(SELECT c.language FROM classification c WHERE c.id = NEW.classification_id), NEW.lang_hint)); "
    "RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS mention_search_config ON mention",
    "CREATE TRIGGER mention_search_config BEFORE INSERT OR UPDATE OF classification_id, lang_hint "
    "ON mention FOR EACH ROW EXECUTE FUNCTION social_router_mention_search_config()",
    # rows stored before this existed: their configuration from their language, once
    "UPDATE mention m SET search_config = social_router_search_config(COALESCE("
    "(SELECT c.language FROM classification c WHERE c.id = m.classification_id), m.lang_hint))",
    "DROP INDEX IF EXISTS ix_mention_text_fts",  # the earlier unstemmed to_tsvector('simple', text)
    "CREATE INDEX IF NOT EXISTS ix_mention_text_search ON mention USING GIN "
    "(to_tsvector(search_config, text))",
)
_PG_QUERY_CONFIGS = (*PG_CONFIGS, "simple")
# WHERE clause over mention `m`: the OR of every configuration's query lets the GIN index find the
# candidates; the second test keeps only rows whose own language's stemming matches.
PG_MATCH = (
    "to_tsvector(m.search_config, m.text) @@ ("
    + " || ".join(f"to_tsquery('{config}', :q)" for config in _PG_QUERY_CONFIGS)
    + ") AND to_tsvector(m.search_config, m.text) @@ to_tsquery(m.search_config, :q)"
)
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
        elif engine.dialect.name == "postgresql" and not _pg_ready(conn):
            for statement in PG_DDL:
                conn.execute(text(statement))


def _pg_ready(conn: Connection) -> bool:
    """The stemming index exists (then the column, functions and trigger before it do too)."""
    found = conn.execute(text("SELECT to_regclass('ix_mention_text_search') IS NOT NULL")).scalar()
    return bool(found)


def _ensure_sqlite(conn: Connection) -> None:
    existing = conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'mention_fts'")
    ).scalar()
    if existing is not None and "porter" not in existing:
        # Built by an earlier version without stemming: the tokenizer cannot be changed in place.
        conn.execute(text("DROP TABLE mention_fts"))
        existing = None
    for statement in _SQLITE_DDL:
        conn.execute(text(statement))
    if existing is None:
        # A database that already held mentions before (stemmed) search existed: index them once.
        conn.execute(text("INSERT INTO mention_fts(mention_fts) VALUES ('rebuild')"))


def terms(words: str) -> list[str]:
    """The search terms of a user's query: word characters only, so no query syntax gets through."""
    return _WORD.findall(words.casefold())[:MAX_TERMS]


def sqlite_match(words: str, *, any_term: bool = False) -> str:
    """An FTS5 MATCH expression: every term quoted (inert), all required unless `any_term`."""
    quoted = [f'"{term}"' for term in terms(words)]
    return (" OR " if any_term else " ").join(quoted)


def pg_tsquery(words: str, *, any_term: bool = False) -> str:
    """A to_tsquery(config, …) argument built from plain terms only (no user operators)."""
    return (" | " if any_term else " & ").join(terms(words))
