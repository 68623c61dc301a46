"""Shared pieces of the /insights queries: the mention row they return and the SQL to fetch it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from bot.domain.clock import to_naive_utc

# The newest classification of each mention (the pipeline keeps its id on the mention).
LATEST_CLASSIFICATION = "LEFT JOIN classification c ON c.id = m.classification_id"
ROW_COLUMNS = (
    "m.id, m.text, m.department, m.author, m.source, m.url, m.slack_channel, m.slack_ts, "
    "m.received_at, m.state, c.sentiment, c.urgency, c.summary, c.topics, c.confidence, m.source_name"
)
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
