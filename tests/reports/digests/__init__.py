"""Helpers for digest and alert tests: store mentions with their classification in a real database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from bot.store.engine import link_latest_classifications
from bot.store.models import Classification, Mention


@dataclass(frozen=True)
class Row:
    department: str
    at: datetime  # naive UTC received_at
    text: str = "a mention"
    sentiment: str = "neutral"
    urgency: str = "normal"
    topics: str = ""
    url: str = ""
    summary: str = ""


def seed(engine: Engine, rows: list[Row]) -> None:
    """Bulk-insert mentions and one classification each (ids assigned here so it stays fast)."""
    mention = Mention.__table__  # type: ignore[attr-defined]
    classification = Classification.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        start = int(conn.execute(select(func.coalesce(func.max(mention.c.id), 0))).scalar() or 0) + 1
        mentions, classes = [], []
        for i, row in enumerate(rows):
            mid = start + i
            mentions.append(
                {
                    "id": mid,
                    "source_id": f"test:{mid}",
                    "origin": "ingest",
                    "url": row.url,
                    "text": row.text,
                    "text_hash": hashlib.sha256(row.text.casefold().encode()).hexdigest(),
                    "created_at": row.at,
                    "received_at": row.at,
                    "status": "routed",
                    "department": row.department,
                    "state": "new",
                }
            )
            classes.append(
                {
                    "mention_id": mid,
                    "department": row.department,
                    "confidence": 0.9,
                    "sentiment": row.sentiment,
                    "urgency": row.urgency,
                    "language": "en",
                    "summary": row.summary,
                    "topics": row.topics,
                    "classifier": "local",
                    "created_at": row.at,
                }
            )
        for chunk in range(0, len(mentions), 5000):
            conn.execute(insert(mention), mentions[chunk : chunk + 5000])
            conn.execute(insert(classification), classes[chunk : chunk + 5000])
        link_latest_classifications(conn)


def link_copies(engine: Engine) -> None:
    """Mark later copies of a text as the pipeline does (duplicate_of = the first), then recount."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE mention SET duplicate_of = (SELECT MIN(o.id) FROM mention o "
                "WHERE o.text_hash = mention.text_hash) WHERE id != (SELECT MIN(o.id) FROM mention o "
                "WHERE o.text_hash = mention.text_hash)"
            )
        )
        link_latest_classifications(conn)
