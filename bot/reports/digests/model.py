"""What a digest is made of: plain frozen data, composed by `compose` and rendered by `render` and `chart`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class DepartmentTotal:
    department: str
    count: int
    previous: int

    @property
    def change_pct(self) -> float | None:
        """Change against the previous period in percent; None when there was nothing to compare to."""
        return None if self.previous == 0 else (self.count - self.previous) * 100.0 / self.previous


@dataclass(frozen=True)
class NotableMention:
    mention_id: int
    department: str
    text: str  # plain text; escaped only when rendered
    link: str
    sentiment: str
    urgency: str
    repeats: int
    why: str  # urgent | negative | repeated


@dataclass(frozen=True)
class DailyCount:
    day: date  # a day in the digest's timezone, of the mentions' POSTED time
    department: str
    sentiment: str
    count: int


@dataclass(frozen=True)
class DigestData:
    """Everything a digest shows, for one audience (restricted texts already removed if needed)."""

    title: str
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive
    departments: tuple[str, ...]
    totals: tuple[DepartmentTotal, ...]
    sentiment: tuple[tuple[str, int], ...]
    topics: tuple[tuple[str, int], ...]
    notable: tuple[NotableMention, ...]
    daily: tuple[DailyCount, ...]
    hidden_departments: tuple[str, ...] = ()
    summary: str = ""
    summary_source: str = "extractive"  # extractive | llm
    summary_inputs: tuple[str, ...] = field(default=(), repr=False)
    late_note: str = ""
    timezone: str = "UTC"  # IANA name: the days of `daily` and of the chart are this zone's days

    @property
    def total(self) -> int:
        return sum(t.count for t in self.totals)

    @property
    def previous_total(self) -> int:
        return sum(t.previous for t in self.totals)
