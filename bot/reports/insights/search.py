"""`/insights search`: full-text search with the database's own index (FTS5 / tsvector), newest first.

Words are stemmed (see bot.store.search_index), so "crash" finds "crashes". Matches in departments
whose texts the asker may not see are counted, never shown; `none` and unclassified mentions are
neither shown nor counted, so every number printed is a number of rows a reader could open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.reports.insights.common import LATEST_CLASSIFICATION, ROW_COLUMNS, MentionRow, expanding, fetch_rows
from bot.store.search_index import PG_MATCH, pg_tsquery, sqlite_match, terms


@dataclass(frozen=True)
class SearchResult:
    query: str
    rows: list[MentionRow]  # visible matches, newest first (at most `limit`)
    counts: dict[str, int]  # matches per department, visible or not (never `none`/unclassified)
    visible: frozenset[str] = frozenset()

    @property
    def total(self) -> int:
        """Matches the asker may read: what the answer's headline counts."""
        return sum(n for department, n in self.counts.items() if department in self.visible)

    def hidden(self, department: str) -> int:
        return 0 if department in self.visible else self.counts.get(department, 0)


def search_mentions(
    engine: Engine, words: str, *, visible: set[str], limit: int = 10, any_term: bool = False
) -> SearchResult:
    """Mentions whose text contains every word (or any word with `any_term`)."""
    if not terms(words):
        return SearchResult(words, [], {}, frozenset(visible))
    match_from, params = _match(engine, words, any_term)
    with engine.connect() as conn:
        order = _relevance(engine) if any_term else ""
        rows = _visible_rows(conn, match_from, order, dict(params, names=sorted(visible), limit=limit))
        counts = conn.execute(
            text(
                f"SELECT m.department AS d, COUNT(*) AS n {match_from} "
                "AND m.department NOT IN ('', 'none') GROUP BY m.department"
            ),
            params,
        ).all()
    return SearchResult(words, rows, {row.d: int(row.n) for row in counts}, frozenset(visible))


def _match(engine: Engine, words: str, any_term: bool) -> tuple[str, dict[str, object]]:
    """FROM … WHERE … selecting the matching mentions `m`, and its parameters, for this dialect."""
    if engine.dialect.name == "postgresql":
        return f"FROM mention m WHERE {PG_MATCH}", {"q": pg_tsquery(words, any_term=any_term)}
    return (
        "FROM mention_fts f JOIN mention m ON m.id = f.rowid WHERE mention_fts MATCH :q",
        {"q": sqlite_match(words, any_term=any_term)},
    )


def _relevance(engine: Engine) -> str:
    """ORDER BY prefix for any-term retrieval (`ask`): mentions sharing more of the words come first."""
    if engine.dialect.name == "postgresql":
        return "ts_rank(to_tsvector(m.search_config, m.text), to_tsquery(m.search_config, :q)) DESC, "
    return "bm25(mention_fts), "  # FTS5's bm25 is lower for better matches


def _visible_rows(
    conn: Connection, match_from: str, order: str, params: dict[str, object]
) -> list[MentionRow]:
    # LATEST_CLASSIFICATION must follow the FROM list, so it is spliced in before the WHERE.
    from_part, where_part = match_from.split(" WHERE ", 1)
    return fetch_rows(
        conn,
        expanding(
            f"SELECT {ROW_COLUMNS} {from_part} {LATEST_CLASSIFICATION} WHERE {where_part} "
            f"AND m.department IN :names ORDER BY {order}m.received_at DESC, m.id DESC LIMIT :limit",
            "names",
        ),
        params,
    )
