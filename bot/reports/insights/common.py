"""The mention row the /insights answers show: now defined in bot.store.mention_rows (the SQL lives there).

Re-exported only for bot.reports.insights.search until it imports bot.store.mention_rows itself.
"""

from __future__ import annotations

from bot.store.mention_rows import (
    LATEST_CLASSIFICATION,
    ROW_COLUMNS,
    SENTIMENT_ORDER,
    URGENCY_ORDER,
    MentionRow,
    expanding,
    fetch_rows,
    split_topics,
    to_row,
)

__all__ = [
    "LATEST_CLASSIFICATION",
    "ROW_COLUMNS",
    "SENTIMENT_ORDER",
    "URGENCY_ORDER",
    "MentionRow",
    "expanding",
    "fetch_rows",
    "split_topics",
    "to_row",
]
