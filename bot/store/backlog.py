"""How far behind the workers are: how many mentions and outbox rows are pending, and the oldest age."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.store.models import Mention
from bot.store.outbox import D


def oldest_pending_ages(conn: Connection, now: datetime) -> dict[str, float | None]:
    """Seconds since the oldest pending mention was received and the oldest pending delivery was queued.

    None when nothing is pending. Both use indexed status columns, so this stays cheap on big tables.
    """
    mention = conn.execute(
        select(func.min(col(Mention.received_at))).where(col(Mention.status) == "pending")
    ).scalar()
    delivery = conn.execute(select(func.min(D.c.created_at)).where(D.c.status == "pending")).scalar()
    return {
        "oldest_pending_mention_seconds": _age(now, mention),
        "oldest_pending_outbox_seconds": _age(now, delivery),
    }


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max((now - then).total_seconds(), 0.0), 1)


def pending_counts(conn: Connection) -> dict[str, int]:
    """How many mentions wait for classification and how many outbox rows wait for delivery (/metrics)."""
    mentions = conn.execute(select(func.count()).where(col(Mention.status) == "pending")).scalar_one()
    deliveries = conn.execute(select(func.count()).where(D.c.status == "pending")).scalar_one()
    return {"pending_mentions": int(mentions), "pending_outbox": int(deliveries)}
