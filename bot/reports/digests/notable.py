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

from bot.reports.digests.model import NotableMention
from bot.slack.people import archive_url
from bot.store import rollups
from bot.store.digest_queries import Candidate, candidates_by_id, most_copied, newest_originals
from bot.store.engine import Connection

NOTABLE_PER_KIND = 3
CANDIDATES = NOTABLE_PER_KIND * 4  # extra rows, so copies folded together still leave enough


def mention_link(url: str, channel: str, ts: str) -> str:
    """The mention's own URL, else a Slack archive link to the message it came from."""
    if url:
        return url
    return archive_url(channel, ts) if channel and ts else ""


def _newest(
    conn: Connection,
    depts: list[str],
    start: datetime,
    end: datetime,
    *,
    urgency: str | None,
    sentiment: str | None,
) -> list[Candidate]:
    per_hour: dict[int, int] = defaultdict(int)
    for b in rollups.counts(conn, start, end, depts, by_hour=True, urgency=urgency):
        if sentiment is None or b.sentiment == sentiment:
            per_hour[b.epoch_hour or 0] += b.n - b.copies
    hours = rollups.hours_holding(per_hour.items(), CANDIDATES)
    return newest_originals(
        conn, depts, start, end, hours, urgency=urgency, sentiment=sentiment, limit=CANDIDATES
    )


def notable_mentions(
    conn: Connection, depts: Sequence[str], start: datetime, end: datetime
) -> tuple[NotableMention, ...]:
    names = list(depts)
    urgent = _newest(conn, names, start, end, urgency="high", sentiment=None)
    negative = _newest(conn, names, start, end, urgency=None, sentiment="negative")
    copied = most_copied(conn, names, start, end, CANDIDATES)
    originals = candidates_by_id(conn, list(copied))
    originals.sort(key=lambda r: (-copied.get(r.id, 0), r.id))
    found: dict[str, NotableMention] = {}  # text hash → item: a retweet and its original are one
    for why, rows in (("urgent", urgent), ("negative", negative), ("repeated", originals)):
        taken = 0
        for row in rows:
            if taken == NOTABLE_PER_KIND:
                break
            repeats = 1 + copied.get(row.id, 0)
            if row.text_hash in found:
                continue
            if why == "repeated" and repeats < 2:
                continue
            link = mention_link(row.url, row.slack_channel, row.slack_ts)
            found[row.text_hash] = NotableMention(
                row.id, row.department, row.text, link, row.sentiment, row.urgency, repeats, why
            )
            taken += 1
    return tuple(found.values())
