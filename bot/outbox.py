"""The durable outbox table: enqueue Slack messages in the caller's transaction (bot.delivery sends them).

A row is claimed (claimed_until) in one atomic UPDATE whose sub-select uses FOR UPDATE SKIP LOCKED on
PostgreSQL, so any number of workers share the table without sending anything twice; a crashed worker's
claims expire and the rows are delivered by whoever runs next. Results are committed row by row right
after each send, which keeps the window in which a crash could cause a duplicate to a single message.

Row kinds: anything but "update" is posted with chat.postMessage (as a thread reply when parent_id is
set, once the parent is sent); "update" edits the parent's message (or payload["ts"]) with chat.update.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.clock import utcnow
from bot.models import Delivery

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
    values: dict[str, Any] = {
        "dedupe_key": dedupe_key,
        "kind": kind,
        "channel": channel,
        "mention_id": mention_id,
        "parent_id": parent_id,
        "payload": json.dumps(payload, ensure_ascii=False),
    }
    name = session.get_bind().dialect.name
    if name in ("sqlite", "postgresql"):
        insert = sqlite.insert if name == "sqlite" else postgresql.insert
        now = utcnow()
        statement = (
            insert(D)
            .values(
                **values,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                last_error="",
                message_ts="",
                posted_channel="",
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(D.c.id)
        )
        new_id = session.execute(statement).scalar_one_or_none()
        return None if new_id is None else session.get(Delivery, new_id)
    return _enqueue_savepoint(session, Delivery(**values))


def _enqueue_savepoint(session: Session, row: Delivery) -> Delivery | None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def find(session: Session, dedupe_key: str) -> Delivery | None:
    """The outbox row for a dedupe key (e.g. the first card, to thread a duplicate under it)."""
    return session.execute(select(Delivery).where(D.c.dedupe_key == dedupe_key)).scalar_one_or_none()


def pending_count(engine: Engine) -> int:
    """Rows still waiting to be delivered (for health checks and the demo)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(D.c.status == "pending")).scalar_one())
