"""Stemmed search: FTS5 with the porter tokenizer (SQLite); per-row language configurations (PostgreSQL).

`/insights search crash` finds "crashes". SQLite's FTS5 tokenizer cannot change in place, so the table is
rebuilt with `porter unicode61 remove_diacritics 2` (porter stems English only; other languages still
match word for word, accents folded). On PostgreSQL each mention carries `search_config`, the text search
configuration of its language, kept by a trigger from its latest classification (or the /ingest `lang`
hint), and a GIN index on `to_tsvector(search_config, text)` replaces the unstemmed 'simple' index.

Revision ID: 0005_search_stemming
Revises: 0004_delivery
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0005_search_stemming"
down_revision = "0004_delivery"
branch_labels = None
depends_on = None

# Frozen copies: a revision keeps meaning what it meant when it was written.
_SQLITE = (
    "DROP TRIGGER IF EXISTS mention_fts_ai",
    "DROP TRIGGER IF EXISTS mention_fts_ad",
    "DROP TRIGGER IF EXISTS mention_fts_au",
    "DROP TABLE IF EXISTS mention_fts",
    "CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5(text, content='mention', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ai AFTER INSERT ON mention BEGIN INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ad AFTER DELETE ON mention BEGIN INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_au AFTER UPDATE OF text ON mention BEGIN INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO mention_fts(mention_fts) VALUES ('rebuild')",
)
_POSTGRES = (
    "CREATE OR REPLACE FUNCTION social_router_search_config(lang text) RETURNS regconfig LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT (CASE WHEN l IN ('en', 'english') THEN 'english' WHEN l IN ('fr', 'french', 'français') THEN 'french' WHEN l IN ('de', 'german', 'deutsch') THEN 'german' WHEN l IN ('es', 'spanish', 'español') THEN 'spanish' WHEN l IN ('ru', 'russian') THEN 'russian' WHEN l IN ('no', 'nb', 'nn', 'norwegian', 'norsk') THEN 'norwegian' ELSE 'simple' END)::regconfig FROM (SELECT lower(split_part(replace(coalesce(lang, ''), '_', '-'), '-', 1)) AS l) AS code $$",
    "ALTER TABLE mention ADD COLUMN IF NOT EXISTS search_config regconfig NOT NULL DEFAULT 'simple'",
    "CREATE OR REPLACE FUNCTION social_router_mention_search_config() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.search_config := social_router_search_config(COALESCE((SELECT c.language FROM classification c WHERE c.id = NEW.classification_id), NEW.lang_hint)); RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS mention_search_config ON mention",
    "CREATE TRIGGER mention_search_config BEFORE INSERT OR UPDATE OF classification_id, lang_hint ON mention FOR EACH ROW EXECUTE FUNCTION social_router_mention_search_config()",
    "UPDATE mention m SET search_config = social_router_search_config(COALESCE((SELECT c.language FROM classification c WHERE c.id = m.classification_id), m.lang_hint))",
    "DROP INDEX IF EXISTS ix_mention_text_fts",
    "CREATE INDEX IF NOT EXISTS ix_mention_text_search ON mention USING GIN (to_tsvector(search_config, text))",
)


def upgrade() -> None:
    for statement in _SQLITE if op.get_context().dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("stemmed search is not downgraded; restore a backup to go back")
