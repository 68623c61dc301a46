"""The rows a digest shows: the period's newest texts (summary input) and notable-mention candidates.

Counts come from the rollups (bot.store.rollups); these queries read `mention` only within the hours
the caller names (from `rollups.hours_holding`), so their cost does not grow with the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.store import rollups
from bot.store.rollups import C, M, moment, with_latest_classification


@dataclass(frozen=True)
class Candidate:
    """A mention that may be listed as notable, with its latest classification (defaults filled in)."""

    id: int
    department: str
    text: str
    url: str
    slack_channel: str
    slack_ts: str
    sentiment: str
    urgency: str
    text_hash: str


def summary_texts(
    conn: Connection, depts: Sequence[str], start: datetime, end: datetime, hours: Sequence[int], limit: int
) -> tuple[str, ...]:
    """The newest `limit` texts posted in [start, end) within `hours` (classifier summaries when present)."""
    text = func.coalesce(func.nullif(C.c.summary, ""), M.c.text)
    stmt = (
        select(text)
        .select_from(with_latest_classification())
        .where(rollups.posted_within(start, end, list(hours), list(depts)))
        .order_by(M.c.created_at.desc(), M.c.id.desc())
        .limit(limit)
    )
    return tuple(str(t) for (t,) in conn.execute(stmt))


def _columns() -> list[Any]:
    return [
        M.c.id,
        M.c.department,
        M.c.text,
        M.c.url,
        M.c.slack_channel,
        M.c.slack_ts,
        func.coalesce(C.c.sentiment, "neutral"),
        func.coalesce(C.c.urgency, "normal"),
        M.c.text_hash,
    ]


def _candidate(row: Any) -> Candidate:
    return Candidate(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8])


def newest_originals(
    conn: Connection,
    depts: list[str],
    start: datetime,
    end: datetime,
    hours: Sequence[int],
    *,
    urgency: str | None,
    sentiment: str | None,
    limit: int,
) -> list[Candidate]:
    """The newest originals (not copies) posted in [start, end) within `hours`, optionally of one urgency
    and one sentiment."""
    stmt = select(*_columns()).select_from(with_latest_classification())
    stmt = stmt.where(rollups.posted_within(start, end, list(hours), depts), M.c.duplicate_of.is_(None))
    if urgency is not None:
        stmt = stmt.where(C.c.urgency == urgency)
    if sentiment is not None:
        stmt = stmt.where(C.c.sentiment == sentiment)
    rows = conn.execute(stmt.order_by(M.c.created_at.desc(), M.c.id.desc()).limit(limit))
    return [_candidate(row) for row in rows]


def most_copied(
    conn: Connection, depts: list[str], start: datetime, end: datetime, limit: int
) -> dict[int, int]:
    """Original id → copies posted in the period, most copied first (through ix_mention_copies_created)."""
    copies = func.count().label("n")
    stmt = (
        select(M.c.duplicate_of, copies)
        .where(M.c.duplicate_of.isnot(None), M.c.created_at >= moment(start), M.c.created_at < moment(end))
        .where(M.c.department.in_(depts))
        .group_by(M.c.duplicate_of)
        .order_by(copies.desc(), M.c.duplicate_of)
        .limit(limit)
    )
    return {int(original): int(n) for original, n in conn.execute(stmt)}


def candidates_by_id(conn: Connection, ids: Sequence[int]) -> list[Candidate]:
    """The given mentions as candidates, in no particular order (none for an empty list)."""
    if not ids:
        return []
    stmt = select(*_columns()).select_from(with_latest_classification()).where(M.c.id.in_(list(ids)))
    return [_candidate(row) for row in conn.execute(stmt)]
