"""Full-text search over mention texts with the database's own engine: SQLite FTS5, PostgreSQL tsvector.

Both stem, so `search crash` finds "crashes":
- SQLite: an external-content FTS5 table `mention_fts(text, department)` (rowid = mention.id) kept in
  sync by triggers, tokenized by `porter` over `unicode61 remove_diacritics 2`. Porter is an ENGLISH
  stemmer: other languages still match word for word (accents folded), but get no stemming. The
  department is indexed too (0010_search_fast) so a query skips other departments inside the index.
- PostgreSQL: each mention carries `search_config`, the text search configuration of its language
  (english, french, german, spanish, russian, norwegian, else simple), set by a trigger from its
  latest classification's language (or the /ingest `lang` hint before it is classified); the stored
  column `search_vector` = `to_tsvector(search_config, text)` and its GIN index serve queries.
Both are created by the migrations (`0005_search_stemming`, `0010_search_fast`); this module builds the
query expressions that use them (bot.store.search runs them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12  # a pasted paragraph should not become a 200-term query
# language code or name (as classifiers write it) → PostgreSQL text search configuration
PG_CONFIGS = {
    "english": ("en", "english"),
    "french": ("fr", "french", "français"),
    "german": ("de", "german", "deutsch"),
    "spanish": ("es", "spanish", "español"),
    "russian": ("ru", "russian"),
    "norwegian": ("no", "nb", "nn", "norwegian", "norsk"),
}

_PG_QUERY_CONFIGS = (*PG_CONFIGS, "simple")
# WHERE clause over mention `m`: each row matches the query stemmed in its own language. One arm per
# configuration (constants only), so PostgreSQL can both use the GIN index (a BitmapOr of one index
# scan per arm) and estimate how common a word is from the column's statistics: with the row's own
# configuration in a single non-constant to_tsquery, it guessed every word rare, and counted a common
# word's matches through a department's whole index instead of stopping after the first thousand.
# Every arm reads the stored vector (0010_search_fast), so no candidate's text is parsed again.
PG_MATCH = (
    "("
    + " OR ".join(
        f"(m.search_config = '{config}'::regconfig AND m.search_vector @@ to_tsquery('{config}', :q))"
        for config in _PG_QUERY_CONFIGS
    )
    + ")"
)


def terms(words: str) -> list[str]:
    """The search terms of a user's query: word characters only, so no query syntax gets through."""
    return _WORD.findall(words.casefold())[:MAX_TERMS]


def sqlite_match(words: str, *, any_term: bool = False) -> str:
    """An FTS5 MATCH expression: every term quoted (inert), all required unless `any_term`."""
    quoted = [f'"{term}"' for term in terms(words)]
    return (" OR " if any_term else " ").join(quoted)


def sqlite_match_in(words: str, departments: Sequence[str], *, any_term: bool = False) -> str:
    """An FTS5 MATCH expression: the terms in the text column, in one of `departments`.

    A department name becomes a phrase of its words, so the index may also return a department
    whose name merely contains that phrase: callers still compare `mention.department` exactly."""
    names = [" ".join(terms(d)) for d in departments]
    phrases = " OR ".join(f'"{name}"' for name in names if name)
    match = f"text : ({sqlite_match(words, any_term=any_term)})"
    return f"{match} AND department : ({phrases})" if phrases else match


def pg_tsquery(words: str, *, any_term: bool = False) -> str:
    """A to_tsquery(config, …) argument built from plain terms only (no user operators)."""
    return (" | " if any_term else " & ").join(terms(words))
