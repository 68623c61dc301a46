"""`/insights top`: a department's most urgent and most negative mentions of a period, newest first."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.reports.insights.common import (
    LATEST_CLASSIFICATION,
    ROW_COLUMNS,
    SENTIMENT_ORDER,
    URGENCY_ORDER,
    MentionRow,
    expanding,
    fetch_rows,
)


def top_mentions(
    engine: Engine, department: str, *, window: timedelta, now: datetime, limit: int = 10
) -> tuple[list[MentionRow], int]:
    """The `limit` most pressing mentions (urgency, then negativity, then recency) and the period's total.

    Mentions marked not relevant and grouped duplicates are left out: they are not work to do.
    """
    params = {"department": department, "start": now - window, "end": now, "limit": limit}
    where = (
        "m.department = :department AND m.received_at >= :start AND m.received_at < :end "
        "AND m.state != 'not_relevant' AND m.duplicate_of IS NULL"
    )
    with engine.connect() as conn:
        rows = fetch_rows(
            conn,
            text(
                f"SELECT {ROW_COLUMNS} FROM mention m {LATEST_CLASSIFICATION} WHERE {where} "
                f"ORDER BY {URGENCY_ORDER}, {SENTIMENT_ORDER}, m.received_at DESC, m.id DESC LIMIT :limit"
            ),
            params,
        )
        total = conn.execute(text(f"SELECT COUNT(*) FROM mention m WHERE {where}"), params).scalar_one()
    return rows, int(total)


def recent_urgent(
    engine: Engine, departments: set[str], *, since: datetime, limit: int = 5
) -> list[MentionRow]:
    """The newest high-urgency mentions of the given departments (for App Home)."""
    with engine.connect() as conn:
        return fetch_rows(
            conn,
            expanding(
                f"SELECT {ROW_COLUMNS} FROM mention m {LATEST_CLASSIFICATION} "
                "WHERE m.received_at >= :since AND m.department IN :names AND c.urgency = 'high' "
                "AND m.duplicate_of IS NULL ORDER BY m.received_at DESC, m.id DESC LIMIT :limit",
                "names",
            ),
            {"since": since, "names": sorted(departments), "limit": limit},
        )
