"""`/insights stats`: counts per department, sentiment split, change vs the previous period, top topics.

Everything is aggregated in SQL over the (department, received_at) index; only the grouped rows reach
Python. Topics are stored as one comma-separated string per classification, so SQL groups by that
string and Python splits the (few) distinct values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine, Row

from bot.reports.insights.common import LATEST_CLASSIFICATION, expanding, split_topics

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
        # One pass over the period's rows: (department, sentiment, topics) groups are few.
        current = conn.execute(
            expanding(
                "SELECT m.department AS d, c.sentiment AS s, c.topics AS tags, COUNT(*) AS n FROM mention m "
                f"{LATEST_CLASSIFICATION} WHERE m.received_at >= :start AND m.received_at < :end "
                "AND m.department IN :names GROUP BY m.department, c.sentiment, c.topics",
                "names",
            ),
            {"start": start, "end": now, "names": names},
        ).all()
        previous = conn.execute(
            expanding(
                "SELECT m.department AS d, COUNT(*) AS n FROM mention m WHERE m.received_at >= :start "
                "AND m.received_at < :end AND m.department IN :names GROUP BY m.department",
                "names",
            ),
            {"start": previous_start, "end": start, "names": names},
        ).all()
    allowed = set(topics_from if topics_from is not None else names)
    return Stats(
        period=period,
        start=start,
        end=now,
        departments=_per_department(names, current, previous),
        top_topics=_top_topics([row for row in current if row.d in allowed], top_n),
    )


def _per_department(
    names: list[str], current: Sequence[Row[Any]], previous: Sequence[Row[Any]]
) -> tuple[DepartmentStats, ...]:
    before = {row.d: int(row.n) for row in previous}
    split: dict[str, Counter[str]] = {name: Counter() for name in names}
    for row in current:
        split[row.d][row.s if row.s in SENTIMENTS else "neutral"] += int(row.n)
    return tuple(
        DepartmentStats(name, sum(split[name].values()), before.get(name, 0), dict(split[name]))
        for name in names
    )


def _top_topics(rows: Sequence[Row[Any]], top_n: int) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    for row in rows:
        for topic in split_topics(row.tags):
            counts[topic.lower()] += int(row.n)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top_n])
