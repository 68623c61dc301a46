"""`/insights stats`: counts per department, sentiment split, change vs the previous period, top topics.

Counted from the hourly rollups (bot.store.rollups) by POSTED time, so the cost depends on the length
of the period, not on how many mentions it holds; a mention counts under its current department.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.store import rollups
from bot.store.engine import Engine
from bot.store.rollups import Bucket, TopicBucket

SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class DepartmentStats:
    department: str
    count: int
    previous: int
    sentiment: dict[str, int] = field(default_factory=dict)

    @property
    def change_pct(self) -> float | None:
        """Percent change vs the previous period; None when there was nothing to compare with."""
        if self.previous == 0:
            return None
        return (self.count - self.previous) * 100.0 / self.previous


@dataclass(frozen=True)
class Stats:
    period: str
    start: datetime
    end: datetime
    departments: tuple[DepartmentStats, ...]
    top_topics: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(d.count for d in self.departments)

    @property
    def previous_total(self) -> int:
        return sum(d.previous for d in self.departments)


def compute_stats(
    engine: Engine,
    *,
    period: str,
    window: timedelta,
    now: datetime,
    departments: tuple[str, ...],
    topics_from: set[str] | None = None,
    top_n: int = 5,
) -> Stats:
    """Stats for `departments` over [now - window, now), compared with the window before it.

    `topics_from` limits the topic tags to departments whose texts the asker may see (tags can reveal
    content); None means all of `departments`.
    """
    start, previous_start = now - window, now - 2 * window
    names = list(departments)
    with engine.connect() as conn:
        current = rollups.counts(conn, start, now, names)
        previous = rollups.counts(conn, previous_start, start, names)
        topics = rollups.topic_counts(conn, start, now, names)
    allowed = set(topics_from if topics_from is not None else names)
    return Stats(
        period=period,
        start=start,
        end=now,
        departments=_per_department(names, current, previous),
        top_topics=_top_topics([b for b in topics if b.department in allowed], top_n),
    )


def _per_department(
    names: list[str], current: Sequence[Bucket], previous: Sequence[Bucket]
) -> tuple[DepartmentStats, ...]:
    before: Counter[str] = Counter()
    for bucket in previous:
        before[bucket.department] += bucket.n
    split: dict[str, Counter[str]] = {name: Counter() for name in names}
    for bucket in current:
        sentiment = bucket.sentiment if bucket.sentiment in SENTIMENTS else "neutral"
        split[bucket.department][sentiment] += bucket.n
    return tuple(
        DepartmentStats(name, sum(split[name].values()), before.get(name, 0), dict(split[name]))
        for name in names
    )


def _top_topics(buckets: Sequence[TopicBucket], top_n: int) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    for bucket in buckets:
        counts[bucket.topic] += bucket.n
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top_n])
