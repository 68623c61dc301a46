"""Per-channel pacing shared by every delivery worker: the next time a message may go to a channel.

A worker reserves a channel's slot with one conditional UPDATE (next_at <= now → now + interval): the
row lock makes it atomic on PostgreSQL and SQLite alike, no lock is held while the message travels,
and two processes pacing one channel never both get the same slot. A 429 pushes next_at out for all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Engine

from bot.store.engine import insert_ignoring_duplicates
from bot.store.models import ChannelPace

P: Table = ChannelPace.__table__  # type: ignore[attr-defined]


def reserve(engine: Engine, channel: str, *, now: datetime, interval: float) -> float:
    """Take the channel's next slot: 0.0 when taken, else the seconds until it is free."""
    with engine.begin() as conn:
        conn.execute(
            insert_ignoring_duplicates(
                engine.dialect.name, P, {"channel": channel, "next_at": now}, "channel"
            )
        )
        taken = conn.execute(
            update(P)
            .where(P.c.channel == channel, P.c.next_at <= now)
            .values(next_at=now + timedelta(seconds=interval))
        ).rowcount
        if taken:
            return 0.0
        next_at = conn.execute(select(P.c.next_at).where(P.c.channel == channel)).scalar_one()
    return float(max((next_at - now).total_seconds(), 0.001))


def pause(engine: Engine, channel: str, until: datetime) -> None:
    """Nothing goes to `channel` before `until` (Slack's Retry-After), whoever sends it."""
    with engine.begin() as conn:
        conn.execute(
            insert_ignoring_duplicates(
                engine.dialect.name, P, {"channel": channel, "next_at": until}, "channel"
            )
        )
        conn.execute(update(P).where(P.c.channel == channel, P.c.next_at < until).values(next_at=until))


def paused(engine: Engine, now: datetime) -> dict[str, datetime]:
    """Channels nothing may be sent to yet (when there is no pacing interval, only 429 pauses count)."""
    with engine.connect() as conn:
        rows = conn.execute(select(P.c.channel, P.c.next_at).where(P.c.next_at > now))
        return {channel: next_at for channel, next_at in rows}
