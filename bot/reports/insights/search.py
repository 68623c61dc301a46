"""`/insights search`: full-text search with the database's own index (FTS5 / tsvector), newest first.

Matches in departments whose texts the asker may not see are counted, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from bot.reports.insights.common import LATEST_CLASSIFICATION, ROW_COLUMNS, MentionRow, expanding, fetch_rows
from bot.store.search_index import PG_TSVECTOR, pg_tsquery, sqlite_match, terms


@dataclass(frozen=True)
class SearchResult:
    query: str
    rows: list[MentionRow]  # visible matches, newest first
    counts: dict[str, int]  # matches per department (all departments, visible or not)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def search_mentions(
    engine: Engine, words: str, *, visible: set[str], limit: int = 10, any_term: bool = False
) -> SearchResult:
    """Mentions whose text contains every word (or any word with `any_term`)."""
    if not terms(words):
        return SearchResult(words, [], {})
    match_from, params = _match(engine, words, any_term)
    with engine.connect() as conn:
        rows = _visible_rows(conn, match_from, dict(params, names=sorted(visible), limit=limit))
        counts = conn.execute(
            expanding(f"SELECT m.department AS d, COUNT(*) AS n {match_from} GROUP BY m.department"),
            params,
        ).all()
    return SearchResult(words, rows, {row.d or "unclassified": int(row.n) for row in counts})


def _match(engine: Engine, words: str, any_term: bool) -> tuple[str, dict[str, object]]:
    """FROM … WHERE … selecting the matching mentions `m`, and its parameters, for this dialect."""
    if engine.dialect.name == "postgresql":
        where = f"{PG_TSVECTOR.replace('mention.', 'm.')} @@ to_tsquery('simple', :q)"
        return f"FROM mention m WHERE {where}", {"q": pg_tsquery(words, any_term=any_term)}
    return (
        "FROM mention_fts f JOIN mention m ON m.id = f.rowid WHERE mention_fts MATCH :q",
        {"q": sqlite_match(words, any_term=any_term)},
    )


def _visible_rows(conn: Connection, match_from: str, params: dict[str, object]) -> list[MentionRow]:
    # LATEST_CLASSIFICATION must follow the FROM list, so it is spliced in before the WHERE.
    from_part, where_part = match_from.split(" WHERE ", 1)
    return fetch_rows(
        conn,
        expanding(
            f"SELECT {ROW_COLUMNS} {from_part} {LATEST_CLASSIFICATION} WHERE {where_part} "
            "AND m.department IN :names ORDER BY m.received_at DESC, m.id DESC LIMIT :limit",
            "names",
        ),
        params,
    )
