"""Mention rows for the read side: a stored mention with its latest classification, and the queries
that fetch them for /insights answers and the App Home (search builds its own WHERE on the same row).

The callers decide what to ask (departments, hours, limits); this module only turns that into SQL
and the rows into `MentionRow`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, case, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from bot.domain.clock import to_naive_utc
from bot.store import rollups
from bot.store.rollups import C, M, with_latest_classification

# The newest classification of each mention (the pipeline keeps its id on the mention).
LATEST_CLASSIFICATION = "LEFT JOIN classification c ON c.id = m.classification_id"
# What a MentionRow is read from: the Core columns, and the same list as SQL text for the raw queries
# (search), written once so the two can never drift apart.
_ROW: tuple[Any, ...] = (
    M.c.id,
    M.c.text,
    M.c.department,
    M.c.author,
    M.c.source,
    M.c.url,
    M.c.slack_channel,
    M.c.slack_ts,
    M.c.received_at,
    M.c.state,
    C.c.sentiment,
    C.c.urgency,
    C.c.summary,
    C.c.topics,
    C.c.confidence,
    M.c.source_name,
)
ROW_COLUMNS = ", ".join(f"{'c' if column.table is C else 'm'}.{column.name}" for column in _ROW)
URGENCY_ORDER = "CASE c.urgency WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END"
SENTIMENT_ORDER = "CASE c.sentiment WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END"


@dataclass(frozen=True)
class MentionRow:
    """A stored mention with its latest classification, as the answers show it."""

    id: int
    text: str
    department: str
    author: str = ""
    source: str = ""
    url: str = ""
    slack_channel: str = ""
    slack_ts: str = ""
    received_at: datetime | None = None
    state: str = "new"
    sentiment: str = "neutral"
    urgency: str = "normal"
    summary: str = ""
    topics: tuple[str, ...] = ()
    confidence: float = 0.0
    source_name: str = ""  # the built-in listener's `sources:` name ('' for other intakes)


def to_row(record: Any) -> MentionRow:
    received = record.received_at
    if isinstance(received, str):  # raw SQLite text columns come back as ISO strings
        received = datetime.fromisoformat(received)
    if received is not None:
        received = to_naive_utc(received)
    return MentionRow(
        id=int(record.id),
        text=record.text,
        department=record.department or "",
        author=record.author or "",
        source=record.source or "",
        url=record.url or "",
        slack_channel=record.slack_channel or "",
        slack_ts=record.slack_ts or "",
        received_at=received,
        state=record.state or "new",
        sentiment=record.sentiment or "neutral",
        urgency=record.urgency or "normal",
        summary=record.summary or "",
        topics=split_topics(record.topics),
        confidence=float(record.confidence or 0.0),
        source_name=record.source_name or "",
    )


def split_topics(raw: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (raw or "").split(",") if t.strip())


def expanding(sql: str, *names: str) -> TextClause:
    """A text() statement whose named parameters expand to IN lists (an empty list matches nothing)."""
    return text(sql).bindparams(*(bindparam(name, expanding=True, type_=String()) for name in names))


def fetch_rows(conn: Connection, statement: TextClause, params: dict[str, Any]) -> list[MentionRow]:
    return [to_row(record) for record in conn.execute(statement, params)]


def _rank(column: Any, ranks: dict[str, int]) -> Any:
    return case(*((func.coalesce(column, "") == k, v) for k, v in ranks.items()), else_=len(ranks))


def ranked_rows(
    conn: Connection,
    department: str,
    start: datetime,
    end: datetime,
    hours: Sequence[int],
    *,
    ranks: tuple[dict[str, int], dict[str, int]],
    limit: int,
) -> list[MentionRow]:
    """Originals posted in [start, end) within `hours` (epoch hours), most pressing first: urgency rank,
    then sentiment rank (`ranks`; unlisted values rank last), then newest. Mentions marked not relevant
    and grouped duplicates are left out."""
    urgency_rank, sentiment_rank = ranks
    stmt = (
        select(*_ROW)
        .select_from(with_latest_classification())
        .where(rollups.posted_within(start, end, list(hours), [department]))
        .where(M.c.state != "not_relevant", M.c.duplicate_of.is_(None))
        .order_by(
            _rank(C.c.urgency, urgency_rank),
            _rank(C.c.sentiment, sentiment_rank),
            M.c.created_at.desc(),
            M.c.id.desc(),
        )
        .limit(limit)
    )
    return [to_row(r) for r in conn.execute(stmt)]


def urgent_rows(
    conn: Connection,
    departments: Sequence[str],
    start: datetime,
    end: datetime,
    hours: Sequence[int],
    *,
    limit: int,
) -> list[MentionRow]:
    """The newest high-urgency originals of `departments` posted in [start, end) within `hours`."""
    stmt = (
        select(*_ROW)
        .select_from(with_latest_classification())
        .where(rollups.posted_within(start, end, list(hours), list(departments)))
        .where(C.c.urgency == "high", M.c.duplicate_of.is_(None))
        .order_by(M.c.created_at.desc(), M.c.id.desc())
        .limit(limit)
    )
    return [to_row(r) for r in conn.execute(stmt)]
