"""The digest's notable mentions: the newest urgent, the newest negative, the most copied; one per text.

Only the rows shown are read from `mention`: the rollups name the hours that hold the newest urgent or
negative originals, and copies (mention.duplicate_of, set when a copy joins the first card's thread)
are counted through a partial index that holds copies only. A retweet and its original share one
normalised text hash, so they are one item, whichever of them the pipeline linked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.reports.digests.model import NotableMention
from bot.slack.people import archive_url
from bot.store import rollups
from bot.store.rollups import C, M, moment

NOTABLE_PER_KIND = 3
CANDIDATES = NOTABLE_PER_KIND * 4  # extra rows, so copies folded together still leave enough


def mention_link(url: str, channel: str, ts: str) -> str:
    """The mention's own URL, else a Slack archive link to the message it came from."""
    if url:
        return url
    return archive_url(channel, ts) if channel and ts else ""


def _columns() -> list[Any]:
    return [
        M.c.id,
        M.c.department,
        M.c.text,
        M.c.url,
        M.c.slack_channel,
        M.c.slack_ts,
        func.coalesce(C.c.sentiment, "neutral"),
        func.coalesce(C.c.urgency, "normal"),
        M.c.text_hash,
    ]


def _newest(
    conn: Connection,
    depts: list[str],
    start: datetime,
    end: datetime,
    *,
    urgency: str | None,
    sentiment: str | None,
) -> list[Any]:
    per_hour: dict[int, int] = defaultdict(int)
    for b in rollups.counts(conn, start, end, depts, by_hour=True, urgency=urgency):
        if sentiment is None or b.sentiment == sentiment:
            per_hour[b.epoch_hour or 0] += b.n - b.copies
    hours = rollups.hours_holding(per_hour.items(), CANDIDATES)
    stmt = select(*_columns()).select_from(M.outerjoin(C, C.c.id == M.c.classification_id))
    stmt = stmt.where(rollups.posted_within(start, end, hours, depts), M.c.duplicate_of.is_(None))
    if urgency is not None:
        stmt = stmt.where(C.c.urgency == urgency)
    if sentiment is not None:
        stmt = stmt.where(C.c.sentiment == sentiment)
    return list(conn.execute(stmt.order_by(M.c.created_at.desc(), M.c.id.desc()).limit(CANDIDATES)))


def _most_copied(conn: Connection, depts: list[str], start: datetime, end: datetime) -> dict[int, int]:
    """Original id → copies posted in the period (through ix_mention_copies_created)."""
    copies = func.count().label("n")
    stmt = (
        select(M.c.duplicate_of, copies)
        .where(M.c.duplicate_of.isnot(None), M.c.created_at >= moment(start), M.c.created_at < moment(end))
        .where(M.c.department.in_(depts))
        .group_by(M.c.duplicate_of)
        .order_by(copies.desc(), M.c.duplicate_of)
        .limit(CANDIDATES)
    )
    return {int(original): int(n) for original, n in conn.execute(stmt)}


def notable_mentions(
    conn: Connection, depts: Sequence[str], start: datetime, end: datetime
) -> tuple[NotableMention, ...]:
    names = list(depts)
    urgent = _newest(conn, names, start, end, urgency="high", sentiment=None)
    negative = _newest(conn, names, start, end, urgency=None, sentiment="negative")
    copied = _most_copied(conn, names, start, end)
    originals = (
        list(
            conn.execute(
                select(*_columns())
                .select_from(M.outerjoin(C, C.c.id == M.c.classification_id))
                .where(M.c.id.in_(list(copied)))
            )
        )
        if copied
        else []
    )
    originals.sort(key=lambda r: (-copied.get(int(r[0]), 0), int(r[0])))
    found: dict[str, NotableMention] = {}  # text hash → item: a retweet and its original are one
    for why, rows in (("urgent", urgent), ("negative", negative), ("repeated", originals)):
        taken = 0
        for row in rows:
            if taken == NOTABLE_PER_KIND:
                break
            repeats = 1 + copied.get(int(row[0]), 0)
            if row[8] in found:
                continue
            if why == "repeated" and repeats < 2:
                continue
            link = mention_link(row[3], row[4], row[5])
            found[row[8]] = NotableMention(int(row[0]), row[1], row[2], link, row[6], row[7], repeats, why)
            taken += 1
    return tuple(found.values())
