"""Search queries over the text index: newest matches first, counts per department exact up to a cap.

Cost stays flat at any volume because no query touches every match of a common word:
- rows walk the index newest first (FTS5 rowid order; PostgreSQL's mention id, which grows with
  `received_at`) and stop at `limit`; any-term retrieval (`ask`) ranks by relevance only the newest
  RANK_WINDOW matches, since a question's common words match most of the table;
- each department's count stops at `COUNT_CAP` matches ("1,000+" above it): an exact count of a
  word in a third of all mentions would read a third of the table; the counts share one pass;
- on SQLite the FTS5 table also indexes `department` (revision 0010_search_fast), so the index
  itself skips other departments' matches; the join to `mention` then checks the exact name.
Only departments that hold mentions are counted (found by a loose index scan); `none` and
unclassified ('') mentions are never counted nor returned.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import TextClause

from bot.store.mention_rows import LATEST_CLASSIFICATION, ROW_COLUMNS
from bot.store.search_index import PG_MATCH, pg_tsquery, sqlite_match_in, terms

COUNT_CAP = 1000
SAMPLE_ROUNDS = 4  # the shared pass reads at most 4 x cap matches per department before counting apart
RANK_WINDOW = 2000  # `ask` ranks the newest this many matches: a question's common words match most rows
NOT_COUNTED = ("", "none")
# Every department that holds a mention, one index probe each (ix_mention_dept_received), not a scan.
_DEPARTMENTS = (
    "WITH RECURSIVE d(name) AS (SELECT MIN(department) FROM mention UNION ALL "
    "SELECT (SELECT MIN(department) FROM mention WHERE department > d.name) FROM d WHERE d.name IS NOT NULL) "
    "SELECT name FROM d WHERE name IS NOT NULL"
)


@dataclass(frozen=True)
class SearchHits:
    rows: list[Any]  # records with ROW_COLUMNS, newest first (relevance first for any-term)
    counts: dict[str, int]  # matches per department, each at most the cap


def search(
    engine: Engine,
    words: str,
    *,
    visible: Collection[str],
    limit: int,
    any_term: bool = False,
    cap: int = COUNT_CAP,
    counted: bool = True,
) -> SearchHits:
    """Matches of every word (any word with `any_term`): visible rows, and counts per department
    (none when not `counted`: retrieval for `ask` only reads the rows)."""
    if not terms(words):
        return SearchHits([], {})
    with engine.connect() as conn:
        present = [d for d in conn.execute(text(_DEPARTMENTS)).scalars() if d not in NOT_COUNTED]
        shown = sorted(set(visible) & set(present))
        rows = list(_rows(conn, words, shown, limit, any_term)) if shown and limit > 0 else []
        counts = _counts(conn, words, present, any_term, cap) if counted else {}
    return SearchHits(rows, {d: n for d, n in counts.items() if n})


def _rows(
    conn: Connection, words: str, departments: Sequence[str], limit: int, any_term: bool
) -> Sequence[Any]:
    """Newest matches first; with `any_term`, the best-ranked among the newest RANK_WINDOW matches."""
    match = _match(conn, words, departments, any_term)
    score = match.score if any_term else "0"
    newest = (
        f"SELECT m.id, {score} AS score {match.source} AND m.department IN :names "
        f"ORDER BY {match.newest} DESC LIMIT :window"
    )
    order = "hit.score DESC, m.id DESC" if any_term else "m.id DESC"
    sql = (
        f"SELECT {ROW_COLUMNS} FROM ({newest}) AS hit JOIN mention m ON m.id = hit.id "
        f"{LATEST_CLASSIFICATION} "
        f"ORDER BY {order} LIMIT :limit"
    )
    window = RANK_WINDOW if any_term else limit
    params = {"q": match.q, "names": list(departments), "limit": limit, "window": window}
    return conn.execute(_expanding(sql, "names"), params).all()


def _counts(
    conn: Connection, words: str, departments: Sequence[str], any_term: bool, cap: int
) -> dict[str, int]:
    """Matches per department, each up to `cap`.

    One pass over the matches in any order, stopped once every department has `cap` (a common word
    in several departments is read once, not once per department); after SAMPLE_ROUNDS x cap matches
    per department, a department still short (one that rarely uses the word) gets its own capped count.
    """
    if not departments:
        return {}
    counts = dict.fromkeys(departments, 0)
    budget = SAMPLE_ROUNDS * cap * len(departments)
    match = _match(conn, words, departments, any_term)
    sql = f"SELECT m.department {match.source} AND m.department IN :names LIMIT :budget"
    params = {"q": match.q, "names": list(departments), "budget": budget}
    seen, short = 0, len(departments)
    result = conn.execution_options(stream_results=True, yield_per=500).execute(
        _expanding(sql, "names"), params
    )
    with result:
        for (department,) in result:
            seen += 1
            counts[department] += 1
            short -= counts[department] == cap  # this department just reached the cap
            if not short:
                break
    if short and seen == budget:  # stopped by the budget: who is still short may have more
        counts |= {d: _count(conn, words, d, any_term, cap) for d, n in counts.items() if n < cap}
    return {d: min(n, cap) for d, n in counts.items()}


def _count(conn: Connection, words: str, department: str, any_term: bool, cap: int) -> int:
    """Matches in one department, stopping at `cap` (any `cap` of them: no order needed)."""
    match = _match(conn, words, [department], any_term)
    sql = f"SELECT COUNT(*) FROM (SELECT 1 {match.source} AND m.department = :d LIMIT :cap) AS capped"
    return int(conn.execute(text(sql), {"q": match.q, "d": department, "cap": cap}).scalar_one())


@dataclass(frozen=True)
class _Match:
    """The full-text match in this dialect: the SQL, the query it binds as `:q`, how to rank."""

    source: str  # "FROM … WHERE <match>", for the caller to go on with "AND …"
    q: str
    score: str  # relevance, higher is better
    newest: str  # the column that walks the index newest first


def _match(conn: Connection, words: str, departments: Sequence[str], any_term: bool) -> _Match:
    if conn.dialect.name == "postgresql":
        return _Match(
            source=f"FROM mention m WHERE {PG_MATCH}",
            q=pg_tsquery(words, any_term=any_term),
            score="ts_rank(m.search_vector, to_tsquery(m.search_config, :q))",
            newest="m.id",
        )
    # bm25 is lower for better matches (negated: both rank by score DESC); only for `ask`, since its
    # first call counts every row holding each term (the IDF), a full pass over a common word's list
    return _Match(
        source="FROM mention_fts f JOIN mention m ON m.id = f.rowid WHERE mention_fts MATCH :q",
        q=sqlite_match_in(words, departments, any_term=any_term),
        score="-bm25(mention_fts)",
        newest="f.rowid",
    )


def _expanding(sql: str, *names: str) -> TextClause:
    """A text() statement whose named parameters expand to IN lists."""
    return text(sql).bindparams(*(bindparam(name, expanding=True, type_=String()) for name in names))
