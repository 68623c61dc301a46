"""The durable outbox table: messages enqueued in the caller's transaction; bot.delivery.worker sends them.

One row per message, unique per `dedupe_key` (e.g. "card:42"), so a mention processed twice still
produces one card. Writing the row in the same transaction as the classification is what makes the
delivery durable: if that commit happened, the card will be sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.engine import insert_ignoring_duplicates
from bot.store.models import Delivery

log = logging.getLogger(__name__)

D: Table = Delivery.__table__  # type: ignore[attr-defined]


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    kind: str,
    channel: str,
    payload: dict[str, Any],
    mention_id: int | None = None,
    parent_id: int | None = None,
) -> Delivery | None:
    """Add a message to the outbox in the caller's unit of work; None when dedupe_key is already there.

    Race-safe: INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL (a SAVEPOINT elsewhere), so
    two writers enqueueing the same key never fail the caller's transaction.
    """
    row = Delivery(
        dedupe_key=dedupe_key,
        kind=kind,
        channel=channel,
        mention_id=mention_id,
        parent_id=parent_id,
        payload=json.dumps(payload, ensure_ascii=False),
    )
    dialect = session.get_bind().dialect.name
    values = row.model_dump(exclude={"id"})
    statement = insert_ignoring_duplicates(dialect, D, values, "dedupe_key").returning(D.c.id)
    new_id = session.execute(statement).scalar_one_or_none()
    return None if new_id is None else session.get(Delivery, new_id)


def find(session: Session, dedupe_key: str) -> Delivery | None:
    """The outbox row for a dedupe key (e.g. the first card, to thread a duplicate under it)."""
    return session.execute(select(Delivery).where(D.c.dedupe_key == dedupe_key)).scalar_one_or_none()


def pending_count(engine: Engine) -> int:
    """Rows still waiting to be delivered (for health checks and the demo)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(D.c.status == "pending")).scalar_one())
