"""The durable outbox table: messages enqueued in the caller's transaction; bot.delivery.worker sends them.

One row per message, unique per `dedupe_key` (e.g. "card:42"), so a mention processed twice still
produces one card. Writing the row in the same transaction as the classification is what makes the
delivery durable: if that commit happened, the card will be sent.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict, Unpack, cast

from sqlalchemy import Table, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from bot.store.models import Delivery, Mention

log = logging.getLogger(__name__)

D: Table = Delivery.__table__  # type: ignore[attr-defined]
M: Table = Mention.__table__  # type: ignore[attr-defined]


class OutboxMessage(TypedDict):
    """What a caller enqueues; the row's other columns take the model's defaults."""

    dedupe_key: str
    kind: str
    channel: str
    payload: dict[str, Any]
    mention_id: NotRequired[int | None]
    parent_id: NotRequired[int | None]
    fallback_channel: NotRequired[str]
    attachment: NotRequired[bytes | None]


def enqueue(session: Session, **message: Unpack[OutboxMessage]) -> Delivery | None:
    """Add a message to the outbox in the caller's unit of work; None when dedupe_key is already there.

    Race-safe: INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL, so two writers enqueueing
    the same key never fail the caller's transaction.
    """
    session.flush()  # rows this one refers to may still be pending in the session
    new_id = enqueue_id(session, **message)
    return None if new_id is None else session.get(Delivery, new_id)


def enqueue_id(session: Session, **message: Unpack[OutboxMessage]) -> int | None:
    """`enqueue` returning only the new row's id: no model is built or read back (the pipeline
    enqueues a card per mention, and those two steps cost more than the INSERT itself)."""
    row = _STATIC | {name: factory() for name, factory in _FACTORIES.items()}
    row.update(message, payload=json.dumps(message["payload"], ensure_ascii=False))
    # on the session's connection: no autoflush of the caller's pending changes for every row
    conn = session.connection()
    new_id = conn.execute(_insert_new(conn.dialect.name), row).scalar_one_or_none()
    return None if new_id is None else int(new_id)


@functools.cache
def _insert_new(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, built once (the values are parameters)."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return insert(D).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(D.c.id)


# every column but the id, with the model's default; factories (the timestamps) are called per row
_STATIC: dict[str, Any] = {
    name: info.default
    for name, info in Delivery.model_fields.items()
    if name != "id" and info.default_factory is None and not info.is_required()
}
_FACTORIES: dict[str, Callable[[], Any]] = {
    name: cast("Callable[[], Any]", info.default_factory)
    for name, info in Delivery.model_fields.items()
    if info.default_factory is not None
}


def replace_pending_update(session: Session, channel: str, ts: str) -> None:
    """Drop unclaimed, unsent updates of one message (a newer look of it is being enqueued)."""
    session.execute(
        delete(D).where(
            D.c.kind == "update",
            D.c.channel == channel,
            D.c.status == "pending",
            D.c.claimed_until.is_(None),
            D.c.dedupe_key.startswith(f"update:{channel}:{ts}:"),
        )
    )


def find(session: Session, dedupe_key: str) -> Delivery | None:
    """The outbox row for a dedupe key (e.g. the first card, to thread a duplicate under it)."""
    return session.execute(select(Delivery).where(D.c.dedupe_key == dedupe_key)).scalar_one_or_none()


def pending_count(engine: Engine) -> int:
    """Rows still waiting to be delivered (for health checks and the demo)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(D.c.status == "pending")).scalar_one())


@dataclass
class Claimed:
    """A claimed row, detached from the database while it is being sent."""

    id: int
    kind: str
    channel: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    uncertain: bool
    fallback_channel: str = ""
    attachment: bytes | None = None
    parent: tuple[str, str, str] | None = None  # (status, posted_channel, message_ts)
    department: str = ""  # the mention's department, for the posted-messages metric ('' if none)


def claim(engine: Engine, *, now: datetime, worker_id: str, batch: int, seconds: float) -> list[Claimed]:
    """Claim up to `batch` due rows for `worker_id` in one atomic UPDATE (SKIP LOCKED on PostgreSQL).

    A row whose previous claim expired was held by a worker that died, perhaps after Slack accepted
    the post: it comes back `uncertain`, so the worker looks for it in Slack before posting again.
    """
    parent = D.alias("parent")
    parent_done = exists().where(parent.c.id == D.c.parent_id, parent.c.status.in_(("sent", "failed")))
    due = (
        select(D.c.id)
        .where(D.c.status == "pending", D.c.next_attempt_at <= now)
        .where(or_(D.c.claimed_until.is_(None), D.c.claimed_until < now))
        .where(or_(D.c.parent_id.is_(None), parent_done))
        .order_by(D.c.next_attempt_at, D.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(D)
        .where(D.c.id.in_(due))
        .values(
            claimed_until=now + timedelta(seconds=seconds),
            claimed_by=worker_id,
            # SET expressions read the old row: a leftover claim means its holder died mid-flight
            uncertain=or_(D.c.uncertain, D.c.claimed_until.is_not(None)),
        )
        .returning(*(D.c[name] for name in _CLAIMED), D.c.parent_id, D.c.mention_id)
    )
    with engine.begin() as conn:
        rows = sorted(conn.execute(stmt).all(), key=lambda r: r.id)
        parents = _parents(conn, {r.parent_id for r in rows if r.parent_id is not None})
        departments = _departments(conn, {r.mention_id for r in rows if r.mention_id is not None})
    return [
        Claimed(
            **{name: getattr(r, name) for name in _CLAIMED if name != "payload"},
            payload=json.loads(r.payload),
            parent=parents.get(r.parent_id or 0),
            department=departments.get(r.mention_id or 0, ""),
        )
        for r in rows
    ]


_CLAIMED: tuple[str, ...] = ("id", "kind", "channel", "payload", "attempts", "created_at", "uncertain")
_CLAIMED += ("fallback_channel", "attachment")


def _parents(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    if not ids:
        return {}
    query = select(D.c.id, D.c.status, D.c.posted_channel, D.c.message_ts).where(D.c.id.in_(ids))
    return {r.id: (r.status, r.posted_channel, r.message_ts) for r in conn.execute(query)}


def _departments(conn: Connection, mention_ids: set[int]) -> dict[int, str]:
    if not mention_ids:
        return {}
    query = select(M.c.id, M.c.department).where(M.c.id.in_(mention_ids))
    return {r.id: r.department for r in conn.execute(query)}


def finish(engine: Engine, delivery_id: int, **values: Any) -> None:
    """Record an attempt's result and drop the claim (only while the row is still pending)."""
    values.update(claimed_until=None, claimed_by="", finish_id=delivery_id)
    with engine.begin() as conn:
        conn.execute(_FINISH, values)


# the SET columns come from the parameters: one statement for every outcome, built once
_FINISH = update(D).where(D.c.id == bindparam("finish_id"), D.c.status == "pending")


def defer(engine: Engine, due: dict[int, datetime]) -> None:
    """Give claimed rows back untried (no attempt used), due again at the given times."""
    with engine.begin() as conn:
        for delivery_id, at in due.items():
            conn.execute(
                update(D)
                .where(D.c.id == delivery_id)
                .values(claimed_until=None, claimed_by="", next_attempt_at=at)
            )


def release(engine: Engine, worker_id: str) -> int:
    """Drop every claim `worker_id` holds (on shutdown), so a restart resumes at once."""
    with engine.begin() as conn:
        stmt = (
            update(D)
            .where(D.c.claimed_by == worker_id, D.c.status == "pending")
            .values(claimed_until=None, claimed_by="")
        )
        return int(conn.execute(stmt).rowcount)
