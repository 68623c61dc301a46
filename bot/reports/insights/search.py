"""`/insights search`: full-text search with the database's own index (FTS5 / tsvector), newest first.

Words are stemmed (see bot.store.search_index), so "crash" finds "crashes". Matches in departments
whose texts the asker may not see are counted, never shown; `none` and unclassified mentions are
neither shown nor counted, so every number printed is a number of rows a reader could open. Each
department's count is exact up to bot.store.search.COUNT_CAP and reads "1,000+" above it, so a
common word costs what a rare one does. The queries live in bot.store.search.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.engine import Engine
from bot.store.mention_rows import MentionRow, to_row
from bot.store.search import COUNT_CAP, search


@dataclass(frozen=True)
class SearchResult:
    query: str
    rows: list[MentionRow]  # visible matches, newest first (at most `limit`)
    counts: dict[str, int]  # matches per department, visible or not (never `none`/unclassified)
    visible: frozenset[str] = frozenset()
    cap: int = COUNT_CAP  # a department's count stops here: "1,000+"

    @property
    def total(self) -> int:
        """Matches the asker may read: what the answer's headline counts (a lower bound if `capped`)."""
        return sum(n for department, n in self.counts.items() if department in self.visible)

    @property
    def capped(self) -> bool:
        """Whether some visible department has more matches than were counted."""
        return any(self.is_capped(d) for d in self.visible)

    def is_capped(self, department: str) -> bool:
        return self.counts.get(department, 0) >= self.cap

    def hidden(self, department: str) -> int:
        return 0 if department in self.visible else self.counts.get(department, 0)


def search_mentions(
    engine: Engine,
    words: str,
    *,
    visible: set[str],
    limit: int = 10,
    any_term: bool = False,
    cap: int = COUNT_CAP,
    counted: bool = True,
) -> SearchResult:
    """Mentions whose text contains every word (or any word with `any_term`, best matches first).

    Without `counted` the counts stay empty (for callers that only read the rows)."""
    hits = search(engine, words, visible=visible, limit=limit, any_term=any_term, cap=cap, counted=counted)
    return SearchResult(words, [to_row(r) for r in hits.rows], hits.counts, frozenset(visible), cap)
