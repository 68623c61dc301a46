"""Listener state in the database: claiming a due poll, committing items with the cursor, health.

A poll is claimed like a digest slot: one conditional UPDATE (`claimed_until` empty or lapsed, and the
source due) that only one process can win, after a `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL so
replicas skip a row another one is claiming instead of queueing on it. The claim is released when the
result is recorded; if the poller dies, it lapses after `hold`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, case, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from bot.domain.clock import utcnow
from bot.domain.mention import IncomingMention
from bot.store.engine import insert_ignoring_duplicates, is_postgres
from bot.store.mentions import store_mention_in
from bot.store.models import SourceCursor

CURSORS: Table = SourceCursor.__table__  # type: ignore[attr-defined]
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Claim:
    """A poll this process may run now: the source's name and the cursor to continue from."""

    name: str
    cursor: dict[str, Any]
    consecutive_failures: int


@dataclass(frozen=True)
class Stored:
    """What recording a successful poll did: new mentions stored, and whether the claim was still ours."""

    new: int
    kept_claim: bool


def claim_due(
    engine: Engine,
    names: Sequence[str],
    owner: str,
    *,
    hold: timedelta,
    now: datetime | None = None,
    ignore_due: bool = False,
) -> list[Claim]:
    """Claim every source in `names` that is due and not being polled elsewhere (creating rows as needed).

    `ignore_due` claims regardless of the schedule (a backfill), but never one another poller holds.
    """
    now = now or utcnow()
    with engine.begin() as conn:
        for name in names:  # a new source is due at once
            row = {"name": name, "cursor": "{}", "claimed_by": "", "last_error": "", "items_today": 0}
            row |= {"items_day": "", "consecutive_failures": 0}
            conn.execute(insert_ignoring_duplicates(conn.dialect.name, CURSORS, row, "name"))
    free = or_(CURSORS.c.claimed_until.is_(None), CURSORS.c.claimed_until < now)
    due = or_(CURSORS.c.next_due_at.is_(None), CURSORS.c.next_due_at <= now)
    wanted = [free] if ignore_due else [free, due]
    candidates = select(CURSORS.c.name).where(CURSORS.c.name.in_(list(names)), *wanted)
    if is_postgres(engine):  # replicas skip rows another one is claiming right now
        candidates = candidates.with_for_update(skip_locked=True)
    # One UPDATE … RETURNING: the WHERE is re-checked on the row itself, so only one process wins it
    # (and on SQLite the transaction starts by writing, so two processes never hit a stale snapshot).
    claim = (
        update(CURSORS)
        .where(CURSORS.c.name.in_(candidates), *wanted)
        .values(claimed_by=owner, claimed_until=now + hold)
        .returning(CURSORS.c.name, CURSORS.c.cursor, CURSORS.c.consecutive_failures)
    )
    with engine.begin() as conn:
        rows = conn.execute(claim).all()
    return sorted((Claim(name, _decode(cursor), failures) for name, cursor, failures in rows), key=_by_name)


def _by_name(claim: Claim) -> str:
    return claim.name


def record_success(
    engine: Engine,
    claim: Claim,
    owner: str,
    *,
    mentions: Sequence[IncomingMention],
    cursor: dict[str, Any],
    fetched: int,
    next_due: datetime,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Stored:
    """Store the items and the new cursor in one transaction, and release the claim.

    If the claim lapsed and another poller took the source meanwhile, nothing is written (it will
    fetch the same items from the old cursor; mentions dedupe on their source id anyway).
    """
    now = now or utcnow()
    day = now.strftime("%Y-%m-%d")
    counted = case((CURSORS.c.items_day == day, CURSORS.c.items_today + fetched), else_=fetched)
    with engine.begin() as conn:  # the write comes first: it also proves the claim is still ours
        done = conn.execute(
            update(CURSORS)
            .where(CURSORS.c.name == claim.name, CURSORS.c.claimed_by == owner)
            .values(
                cursor=json.dumps(cursor, sort_keys=True),
                claimed_by="",
                claimed_until=None,
                next_due_at=next_due,
                last_success_at=now,
                items_today=counted,
                items_day=day,
                consecutive_failures=0,
                failing_since=None,
            )
        )
        if done.rowcount != 1:
            return Stored(0, kept_claim=False)
        new = 0
        for mention in mentions:
            new += not store_mention_in(conn, mention).duplicate
            if progress is not None:
                progress(1)
    return Stored(new, kept_claim=True)


def record_failure(
    engine: Engine, claim: Claim, owner: str, *, error: str, next_due: datetime, now: datetime | None = None
) -> int:
    """Note the error, keep the cursor, release the claim; return the run of failures so far."""
    now = now or utcnow()
    failures = claim.consecutive_failures + 1
    with engine.begin() as conn:
        conn.execute(
            update(CURSORS)
            .where(CURSORS.c.name == claim.name, CURSORS.c.claimed_by == owner)
            .values(
                claimed_by="",
                claimed_until=None,
                next_due_at=next_due,
                last_error_at=now,
                last_error=error[:MAX_ERROR_CHARS],
                consecutive_failures=failures,
                # the first failure of a run starts it; later ones keep it (a success clears it)
                failing_since=case((CURSORS.c.consecutive_failures == 0, now), else_=CURSORS.c.failing_since),
            )
        )
    return failures


def release(engine: Engine, claim: Claim, owner: str) -> None:
    """Give a claim back unchanged (a backfill that stored nothing, a shutdown)."""
    with engine.begin() as conn:
        conn.execute(
            update(CURSORS)
            .where(CURSORS.c.name == claim.name, CURSORS.c.claimed_by == owner)
            .values(claimed_by="", claimed_until=None)
        )


def source_states(engine: Engine) -> dict[str, SourceCursor]:
    """Every listener's row, by name (for `python -m bot sources` and status pages)."""
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(select_rows(SourceCursor).order_by(col(SourceCursor.name))).all()
        return {row.name: row for row in rows}


def failing_sources(engine: Engine, names: Sequence[str] | None = None) -> list[SourceCursor]:
    """The listeners whose last poll failed (a run of failures not yet ended by a success), by name;
    only those in `names` when given (the configured ones: a removed source's old row is not news)."""
    with Session(engine, expire_on_commit=False) as session:
        query = select_rows(SourceCursor).where(col(SourceCursor.consecutive_failures) > 0)
        if names is not None:
            query = query.where(col(SourceCursor.name).in_(list(names)))
        return list(session.exec(query.order_by(col(SourceCursor.name))).all())


def _decode(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}  # a damaged cursor restarts the source like a new one (dedupe keeps it safe)
    return value if isinstance(value, dict) else {}
