"""`/insights top`: a department's most urgent and most negative mentions of a period, newest first.

Periods are by POSTED time. The rollups (bot.store.rollups) say which hours hold the mentions that can
make the list — every class ranked above the last one needed, and the newest hours of that last
class — so the row query reads only those hours of `mention` through (department, created_at).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.store import rollups
from bot.store.engine import Engine
from bot.store.mention_rows import MentionRow, ranked_rows, urgent_rows
from bot.store.rollups import Bucket

URGENCY_RANK = {"high": 0, "normal": 1}  # anything else (low) ranks 2
SENTIMENT_RANK = {"negative": 0, "neutral": 1}  # anything else (positive) ranks 2


def _hours_for_top(hourly: Sequence[Bucket], limit: int) -> list[int]:
    """The hours holding the `limit` best-ranked originals: whole classes in rank order, then the newest
    hours of the class where the list fills up."""
    classes: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for b in hourly:
        rank = (URGENCY_RANK.get(b.urgency, 2), SENTIMENT_RANK.get(b.sentiment, 2))
        classes[rank][b.epoch_hour or 0] += b.n - b.copies
    hours: list[int] = []
    need = limit
    for rank in sorted(classes):
        if need <= 0:
            break
        per_hour = classes[rank]
        hours += rollups.hours_holding(per_hour.items(), need)
        need -= sum(per_hour.values())
    return hours


def top_mentions(
    engine: Engine, department: str, *, window: timedelta, now: datetime, limit: int = 10
) -> tuple[list[MentionRow], int]:
    """The `limit` most pressing mentions (urgency, then negativity, then recency) and the period's total.

    Mentions marked not relevant and grouped duplicates are left out: they are not work to do.
    """
    start = now - window
    with engine.connect() as conn:
        hourly = rollups.counts(conn, start, now, [department], by_hour=True)
        hours = _hours_for_top(hourly, limit)
        ranks = (URGENCY_RANK, SENTIMENT_RANK)
        rows = ranked_rows(conn, department, start, now, hours, ranks=ranks, limit=limit)
    return rows, sum(b.n - b.copies for b in hourly)


def recent_urgent(
    engine: Engine, departments: set[str], *, since: datetime, until: datetime, limit: int = 5
) -> list[MentionRow]:
    """The newest high-urgency mentions of the given departments posted in [since, until) (App Home)."""
    names = sorted(departments)
    with engine.connect() as conn:
        hourly = rollups.counts(conn, since, until, names, by_hour=True, urgency="high")
        per_hour: dict[int, int] = defaultdict(int)
        for b in hourly:
            per_hour[b.epoch_hour or 0] += b.n - b.copies
        hours = rollups.hours_holding(per_hour.items(), limit)
        return urgent_rows(conn, names, since, until, hours, limit=limit)
