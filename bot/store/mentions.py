"""Mention rows: the durable insert on the acknowledgement path, claiming the backlog, reading a claimed
batch, and recording and reading classifications."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col, select

from bot.domain import metrics
from bot.domain.clock import utcnow
from bot.domain.links import link_hash
from bot.domain.mention import IncomingMention
from bot.domain.priority import intake_priority
from bot.domain.text import text_hash
from bot.store.engine import session_scope
from bot.store.models import Classification, Mention, ProcessedEvent

MENTIONS: Table = Mention.__table__  # type: ignore[attr-defined]
EVENTS: Table = ProcessedEvent.__table__  # type: ignore[attr-defined]
CLASSIFICATIONS: Table = Classification.__table__  # type: ignore[attr-defined]
CLAIM_HOLD = timedelta(minutes=2)  # a crashed worker's claim expires after this


@dataclass(frozen=True)
class StoreOutcome:
    mention_id: int | None
    duplicate: bool


def store_mention(engine: Engine, incoming: IncomingMention, *, event_id: str | None = None) -> StoreOutcome:
    """Store a mention durably, before Slack is acknowledged; a repeated event or source id is a duplicate.

    Two INSERT … ON CONFLICT DO NOTHING statements in one transaction: this runs inside every Slack
    request, so it stays on SQLAlchemy Core (the ORM tripled the acknowledgement time).
    """
    with engine.begin() as conn:
        return store_mention_in(conn, incoming, event_id=event_id)


def store_mention_in(
    conn: Connection, incoming: IncomingMention, *, event_id: str | None = None
) -> StoreOutcome:
    """`store_mention` inside the caller's transaction (a listener commits items and cursor together)."""
    dialect = conn.dialect.name
    if event_id:
        event = {"event_id": event_id, "received_at": utcnow()}
        if conn.execute(_insert_new(dialect, EVENTS, "event_id"), event).first() is None:
            return StoreOutcome(None, duplicate=True)
    insert = _insert_new(dialect, MENTIONS, "source_id", "id")
    new_id = conn.execute(insert, _mention_values(incoming)).scalar_one_or_none()
    if new_id is None:
        existing = select(MENTIONS.c.id).where(MENTIONS.c.source_id == incoming.source_id)
        return StoreOutcome(conn.execute(existing).scalar_one_or_none(), duplicate=True)
    metrics.mention_received(incoming.origin, incoming.source)  # counted at the one insert every intake uses
    return StoreOutcome(int(new_id), duplicate=False)


@functools.cache
def _insert_new(dialect: str, table: Table, key: str, returning: str | None = None) -> Insert:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING, built once: the values travel as parameters
    (building the statement with its values cost a third of an acknowledgement's time)."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[returning or key])


def _mention_values(incoming: IncomingMention) -> dict[str, Any]:
    now = utcnow()
    return {
        "source_id": incoming.source_id,
        "origin": incoming.origin,
        "source": incoming.source,
        "source_name": incoming.source_name[:64] or None,  # NULL: not from a built-in listener
        "author": incoming.author,
        "url": incoming.url,
        "lang_hint": incoming.lang_hint,
        "text": incoming.text,
        "text_hash": text_hash(incoming.text),
        "link_hash": link_hash(incoming.link) if incoming.link else "",
        "slack_channel": incoming.slack_channel,
        "slack_ts": incoming.slack_ts,
        "created_at": incoming.created_at,
        "received_at": now,
        "status": "pending",
        "priority": intake_priority(incoming.text),
        "department": "",
        "state": "new",
        "handled_by": "",
    }


def claim_pending(engine: Engine, limit: int) -> list[int]:
    """Claim up to `limit` unclassified mentions (SKIP LOCKED on PostgreSQL, so replicas share the work).

    Highest intake priority first, oldest first within a priority: under a backlog, an outage report
    is classified before the praise that arrived a minute earlier.
    """
    now = utcnow()
    with session_scope(engine) as session:
        query = (
            select(Mention)
            .where(Mention.status == "pending")
            .where(or_(col(Mention.claimed_until).is_(None), col(Mention.claimed_until) < now))
            .order_by(col(Mention.priority).desc(), col(Mention.id))  # urgent-looking first, then FIFO
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        mentions = session.exec(query).all()
        for mention in mentions:
            mention.claimed_until = now + CLAIM_HOLD
        return [m.id for m in mentions if m.id is not None]


def insert_classifications(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert a batch's classification rows in one statement; their ids, in the order of `rows`."""
    insert = CLASSIFICATIONS.insert().returning(CLASSIFICATIONS.c.id, sort_by_parameter_order=True)
    return [int(i) for i in conn.execute(insert, rows).scalars().all()]


def pending_mentions(session: Session, mention_ids: Sequence[int]) -> list[Mention]:
    """Those of these mentions still pending (another worker may have finished some), in id order."""
    query = select(Mention).where(col(Mention.id).in_(list(mention_ids)), Mention.status == "pending")
    return list(session.exec(query.order_by(col(Mention.id))).all())


def latest_by_text(
    session: Session, hashes: Iterable[str], excluding: Sequence[int | None]
) -> dict[str, Classification]:
    """Per text hash, the latest classification of a mention with that text, leaving out `excluding`."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    latest = (
        select(func.max(Classification.id))
        .join(Mention, col(Mention.id) == col(Classification.mention_id))
        .where(col(Mention.text_hash).in_(wanted), col(Mention.id).not_in(list(excluding)))
        .group_by(col(Mention.text_hash))
    )
    rows = session.exec(
        select(Classification, Mention.text_hash)
        .join(Mention, col(Mention.id) == col(Classification.mention_id))
        .where(col(Classification.id).in_(latest))
    ).all()
    return {hashed: row for row, hashed in rows}


def latest_classification(session: Session, mention_id: int) -> Classification | None:
    """The mention's newest classification (what its card shows), or None."""
    return session.exec(
        select(Classification)
        .where(Classification.mention_id == mention_id)
        .order_by(col(Classification.id).desc())
        .limit(1)
    ).first()
