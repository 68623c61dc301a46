"""Full-text search over mention texts with the database's own engine: SQLite FTS5, PostgreSQL tsvector.

SQLite: an external-content FTS5 table `mention_fts` (rowid = mention.id) kept in sync by triggers, so
the text is stored once. PostgreSQL: an expression GIN index on `to_tsvector('simple', text)`; the
'simple' configuration does no stemming, which suits mentions in many languages. Both are created by
the migrations (`bot/store/migrations/versions/`); this module builds the queries that use them.
"""

from __future__ import annotations

import re

PG_TSVECTOR = "to_tsvector('simple', mention.text)"  # must match the index expression exactly
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12  # a pasted paragraph should not become a 200-term query


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
