"""Fast search: SQLite's FTS5 table also indexes the mention's department.

`/insights search` shows the newest matches in the asker's departments and counts each department's
matches up to a cap. With the department in the index, FTS5 skips other departments' matches itself
instead of the query joining every match to `mention` to read its department. The table is rebuilt
from the mentions already stored, and the update trigger now also fires when a correction or a
reassignment moves a mention to another department.

On PostgreSQL the department is already a column of the row the index points to; what costs is
`to_tsvector(search_config, text)` recomputed for every candidate row (the per-row language check
cannot be read from an expression index). A stored generated column `search_vector` holds it, computed
once per write (after the trigger that sets `search_config`), with a GIN index replacing the
expression index. Adding the column rewrites the table: about a minute per million mentions.

Revision ID: 0010_search_fast
Revises: 0009_source_name
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0010_search_fast"
down_revision = "0009_source_name"
branch_labels = None
depends_on = None

# Frozen copies: a revision keeps meaning what it meant when it was written. Dropping and recreating
# makes it idempotent (an FTS5 table's columns cannot be altered in place).
_SQLITE = (
    "DROP TRIGGER IF EXISTS mention_fts_ai",
    "DROP TRIGGER IF EXISTS mention_fts_ad",
    "DROP TRIGGER IF EXISTS mention_fts_au",
    "DROP TABLE IF EXISTS mention_fts",
    "CREATE VIRTUAL TABLE mention_fts USING fts5(text, department, content='mention', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER mention_fts_ai AFTER INSERT ON mention BEGIN INSERT INTO mention_fts(rowid, text, department) VALUES (new.id, new.text, new.department); END",
    "CREATE TRIGGER mention_fts_ad AFTER DELETE ON mention BEGIN INSERT INTO mention_fts(mention_fts, rowid, text, department) VALUES ('delete', old.id, old.text, old.department); END",
    "CREATE TRIGGER mention_fts_au AFTER UPDATE OF text, department ON mention BEGIN INSERT INTO mention_fts(mention_fts, rowid, text, department) VALUES ('delete', old.id, old.text, old.department); INSERT INTO mention_fts(rowid, text, department) VALUES (new.id, new.text, new.department); END",
    "INSERT INTO mention_fts(mention_fts) VALUES ('rebuild')",
)


_POSTGRES = (
    "ALTER TABLE mention ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (to_tsvector(search_config, text)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_mention_search_vector ON mention USING GIN (search_vector)",
    "DROP INDEX IF EXISTS ix_mention_text_search",
    "ANALYZE mention",  # statistics of the new column: the planner then knows a common word from a rare one
)


def upgrade() -> None:
    for statement in _SQLITE if op.get_context().dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("fast search is not downgraded; restore a backup to go back")
