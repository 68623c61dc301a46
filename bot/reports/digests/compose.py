"""Digest composition: counts from the rollups, a few rows from `mention`, into DigestData (no Slack, no LLM).

A digest's period is by POSTED time (`mention.created_at`), like every other report. Totals, the daily
chart data, sentiment and topics come from the hourly rollups (bot.store.rollups), so a weekly digest
costs the same at 10k or 10M mentions; days are the digest timezone's days, summed from UTC hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.clock import to_naive_utc
from bot.domain.rules import RoutingRules
from bot.reports.digests.changes import change_summary
from bot.reports.digests.model import DailyCount, DepartmentTotal, DigestData
from bot.reports.digests.notable import notable_mentions
from bot.reports.digests.summary import extractive_summary
from bot.store import rollups
from bot.store.digest_queries import summary_texts
from bot.store.engine import Connection, Engine
from bot.store.rollups import Bucket

TOP_TOPICS = 8
SUMMARY_INPUTS = 200


def build_digest(
    engine: Engine,
    rules: RoutingRules,
    *,
    departments: Sequence[str],
    period: timedelta,
    now: datetime,
    show_texts_for: Callable[[str], bool] = lambda _dept: True,
    title: str = "",
    timezone: str = "UTC",
) -> DigestData:
    """Compose the digest for mentions posted in [now - period, now) over `departments`."""
    end = to_naive_utc(now)
    start = end - period
    depts: tuple[str, ...] = tuple(d for d in departments if d in rules.departments) or tuple(departments)
    visible = tuple(d for d in depts if show_texts_for(d))
    with engine.connect() as conn:
        hourly = rollups.counts(conn, start, end, depts, by_hour=True)
        previous = _per_department(rollups.counts(conn, start - period, start, depts))
        topics = _topics(rollups.topic_counts(conn, start, end, visible)) if visible else ()
        before = _topics(rollups.topic_counts(conn, start - period, start, visible), None) if visible else ()
        notable = notable_mentions(conn, visible, start, end) if visible else ()
        inputs = _summary_inputs(conn, visible, start, end, hourly) if visible else ()
    current = _per_department(hourly)
    totals = tuple(DepartmentTotal(d, current.get(d, 0), previous.get(d, 0)) for d in depts)
    sentiment: Counter[str] = Counter()
    for b in hourly:
        sentiment[b.sentiment] += b.n
    return DigestData(
        title=title or "Mentions digest",
        start=start,
        end=end,
        departments=depts,
        totals=totals,
        sentiment=tuple((s, sentiment[s]) for s in ("positive", "neutral", "negative") if sentiment[s]),
        topics=topics,
        notable=notable,
        daily=daily_counts(hourly, timezone),
        hidden_departments=tuple(d for d in depts if d not in visible),
        summary=change_summary(totals, topics, dict(before), extractive_summary(inputs, sentences=1)),
        summary_inputs=inputs,
        timezone=timezone,
    )


def daily_counts(hourly: Sequence[Bucket], timezone: str) -> tuple[DailyCount, ...]:
    """Hourly buckets summed into the days of `timezone` (a local day is 23, 24 or 25 UTC hours)."""
    zone = ZoneInfo(timezone)
    days: Counter[tuple[object, str, str]] = Counter()
    for b in hourly:
        local = rollups.hour_start(b.epoch_hour or 0).replace(tzinfo=UTC).astimezone(zone)
        days[(local.date(), b.department, b.sentiment)] += b.n
    rows = [DailyCount(day, dept, s, n) for (day, dept, s), n in days.items()]  # type: ignore[arg-type]
    return tuple(sorted(rows, key=lambda r: (r.day, r.department, r.sentiment)))


def _per_department(buckets: Sequence[Bucket]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for b in buckets:
        totals[b.department] += b.n
    return dict(totals)


def _topics(
    buckets: Sequence[rollups.TopicBucket], top: int | None = TOP_TOPICS
) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    for b in buckets:
        counts[b.topic] += b.n
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


def _summary_inputs(
    conn: Connection, depts: Sequence[str], start: datetime, end: datetime, hourly: Sequence[Bucket]
) -> tuple[str, ...]:
    """The period's newest texts (classifier summaries when present): only the hours holding them are read."""
    per_hour: Counter[int] = Counter()
    for b in hourly:
        if b.department in depts:
            per_hour[b.epoch_hour or 0] += b.n
    hours = rollups.hours_holding(per_hour.items(), SUMMARY_INPUTS)
    return summary_texts(conn, depts, start, end, hours, SUMMARY_INPUTS)
