"""Spike alerts' own rows: the cooldown records (`alertrecord`) and the texts of a spike's window.

The hourly series the detection reads come from the rollups (bot.store.rollups).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.models import AlertRecord
from bot.store.rollups import C, M, moment, with_latest_classification

_ALERTS = AlertRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class WindowText:
    """A mention posted in a spike's window: what the alert quotes and links."""

    text: str
    url: str
    slack_channel: str
    slack_ts: str
    topics: str  # comma-separated, as the classifier stored them ("" when unclassified)


def alerts_since(engine: Engine, department: str, topic: str, since: datetime) -> int:
    """Alerts recorded for (department, topic) after `since`."""
    stmt = select(func.count()).where(
        _ALERTS.c.department == department,
        _ALERTS.c.topic == topic,
        _ALERTS.c.created_at > since,
    )
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def record_alert(
    session: Session,
    *,
    department: str,
    topic: str,
    window_start: datetime,
    count: int,
    baseline: float,
    created_at: datetime,
) -> int:
    """Add the cooldown record of an alert in the caller's unit of work; returns its id."""
    record = AlertRecord(
        department=department,
        topic=topic,
        window_start=window_start,
        count=count,
        baseline=baseline,
        created_at=created_at,
    )
    session.add(record)
    session.flush()
    assert record.id is not None  # set by the flush
    return record.id


def window_texts(
    engine: Engine, department: str, start: datetime, end: datetime, *, limit: int = 200
) -> list[WindowText]:
    """The department's newest `limit` mentions posted in [start, end), newest first."""
    stmt = (
        select(M.c.text, M.c.url, M.c.slack_channel, M.c.slack_ts, func.coalesce(C.c.topics, ""))
        .select_from(with_latest_classification())
        .where(
            M.c.department == department,
            M.c.created_at >= moment(start),
            M.c.created_at < moment(end),
        )
        .order_by(M.c.created_at.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [
            WindowText(str(text), url, channel, ts, str(topics))
            for text, url, channel, ts, topics in conn.execute(stmt)
        ]
