"""Report rollups: mention counts per posted hour, kept in the transaction that changes a mention.

Two tables (bot.store.models): `rollup_hour` keyed by hour × department × sentiment × urgency, and
`rollup_topic_hour` keyed by hour × department × topic — topics are ≤ 3 per mention, so one wide key
would multiply rows without answering anything new. Hours are whole UTC hours of the POSTED time
(`mention.created_at`), stored as integers since the epoch so both databases compare them alike and a
day in any timezone is a sum of hours. A mention is counted under its current department and its
latest classification; a reassignment moves it (decrement the old bucket, increment the new). This
module is the read side and the shared vocabulary (buckets, epoch hours, topic tags); the writes —
the per-batch upserts, a reassignment's move, the rebuild after a bulk load — are bot.store.rollup_writes.

Readers ask for any [start, end): whole hours come from the rollups, the partial hours at either
edge from the mention rows themselves (at most two hours of rows), so answers equal a direct count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, String, Table, and_, func, literal, or_, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.store.models import Classification, Mention, MentionRollup, TopicRollup

ROLLUP: Table = MentionRollup.__table__  # type: ignore[attr-defined]
TOPICS: Table = TopicRollup.__table__  # type: ignore[attr-defined]
M: Table = Mention.__table__  # type: ignore[attr-defined]
C: Table = Classification.__table__  # type: ignore[attr-defined]
HOUR = timedelta(hours=1)


def with_latest_classification() -> Any:
    """FROM clause: mentions outer-joined with their newest classification (by the id kept on the mention)."""
    return M.outerjoin(C, C.c.id == M.c.classification_id)


_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Bucket:
    """Counts of one department × sentiment × urgency, in one hour (or summed over the period: None)."""

    epoch_hour: int | None
    department: str
    sentiment: str
    urgency: str
    n: int
    copies: int = 0


@dataclass(frozen=True)
class TopicBucket:
    epoch_hour: int | None
    department: str
    topic: str
    n: int


def epoch_hour(at: datetime) -> int:
    """The whole UTC hour holding `at` (naive UTC or aware), as hours since the epoch."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return int((at - _EPOCH) // HOUR)


def hour_start(hour: int) -> datetime:
    """Naive UTC start of an epoch hour."""
    return _EPOCH + hour * HOUR


def split_topics(raw: str | None) -> tuple[str, ...]:
    """The distinct topic tags of a classification, as counted (stripped, lower-case, ≤ 100 chars)."""
    found = {t.strip().lower()[:100] for t in (raw or "").split(",")}
    return tuple(sorted(t for t in found if t))


# --- reads -------------------------------------------------------------------------------------------


def _whole_hours(start: datetime, end: datetime) -> tuple[int, int]:
    """[first, last) epoch hours lying wholly inside [start, end) (first ≥ last when there are none)."""
    first = epoch_hour(start) + (0 if start == hour_start(epoch_hour(start)) else 1)
    return first, epoch_hour(end)


def _edges(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The partial hours of [start, end) that the rollups cannot answer, read from mention rows."""
    first, last = _whole_hours(start, end)
    if first >= last:
        return [(start, end)] if start < end else []
    spans = [(start, hour_start(first)), (hour_start(last), end)]
    return [(a, b) for a, b in spans if a < b]


def counts(
    conn: Connection,
    start: datetime,
    end: datetime,
    departments: Iterable[str],
    *,
    by_hour: bool = False,
    urgency: str | None = None,
) -> list[Bucket]:
    """Mentions posted in [start, end) per department × sentiment × urgency (per hour if `by_hour`)."""
    names, (first, last) = sorted(set(departments)), _whole_hours(start, end)
    where = [ROLLUP.c.epoch_hour >= first, ROLLUP.c.epoch_hour < last, ROLLUP.c.department.in_(names)]
    if urgency is not None:
        where.append(ROLLUP.c.urgency == urgency)
    keys = [ROLLUP.c.department, ROLLUP.c.sentiment, ROLLUP.c.urgency]
    if by_hour:
        keys.insert(0, ROLLUP.c.epoch_hour)
    stmt = select(*keys, func.sum(ROLLUP.c.n), func.sum(ROLLUP.c.copies)).where(*where).group_by(*keys)
    found: Counter[tuple[int | None, str, str, str]] = Counter()
    copies: Counter[tuple[int | None, str, str, str]] = Counter()
    for row in conn.execute(stmt) if first < last and names else ():
        key = (int(row[0]) if by_hour else None, *row[-5:-2])
        found[key] += int(row[-2])
        copies[key] += int(row[-1])
    for at, department, sentiment, level, _topics, copy in _live(conn, start, end, names):
        if urgency is None or level == urgency:
            key = (epoch_hour(at) if by_hour else None, department, sentiment, level)
            found[key] += 1
            copies[key] += int(copy)
    return [Bucket(*key, n, copies[key]) for key, n in sorted(found.items(), key=_order) if n]


def topic_counts(
    conn: Connection, start: datetime, end: datetime, departments: Iterable[str], *, by_hour: bool = False
) -> list[TopicBucket]:
    """Mentions posted in [start, end) per department × topic (per hour if `by_hour`)."""
    names, (first, last) = sorted(set(departments)), _whole_hours(start, end)
    keys = [TOPICS.c.department, TOPICS.c.topic]
    if by_hour:
        keys.insert(0, TOPICS.c.epoch_hour)
    where = [TOPICS.c.epoch_hour >= first, TOPICS.c.epoch_hour < last, TOPICS.c.department.in_(names)]
    stmt = select(*keys, func.sum(TOPICS.c.n)).where(*where).group_by(*keys)
    found: Counter[tuple[int | None, str, str]] = Counter()
    for row in conn.execute(stmt) if first < last and names else ():
        found[(int(row[0]) if by_hour else None, row[-3], row[-2])] += int(row[-1])
    for at, department, _sentiment, _urgency, raw, _copy in _live(conn, start, end, names):
        for topic in split_topics(raw):
            found[(epoch_hour(at) if by_hour else None, department, topic)] += 1
    return [TopicBucket(*key, n) for key, n in sorted(found.items(), key=_order) if n]


def _order(item: tuple[tuple[Any, ...], int]) -> tuple[Any, ...]:
    return tuple(-1 if v is None else v for v in item[0])


def _live(
    conn: Connection, start: datetime, end: datetime, names: list[str]
) -> list[tuple[datetime, str, str, str, str, bool]]:
    """The mention rows of the partial edge hours: (posted, department, sentiment, urgency, topics, copy)."""
    spans = _edges(start, end)
    if not spans or not names:
        return []
    stmt = (
        select(
            M.c.created_at,
            M.c.department,
            func.coalesce(C.c.sentiment, "neutral"),
            func.coalesce(C.c.urgency, "normal"),
            func.coalesce(C.c.topics, ""),
            M.c.duplicate_of.isnot(None),
        )
        .select_from(with_latest_classification())
        .where(or_(*(_posted_in(names, a, b) for a, b in spans)))
    )
    return [(_naive(r[0]), r[1], r[2], r[3], r[4], bool(r[5])) for r in conn.execute(stmt)]


def _posted_in(names: list[str], start: datetime, end: datetime) -> Any:
    # department inside every OR term, so SQLite can use (department, created_at) for each range
    return and_(M.c.department.in_(names), M.c.created_at >= moment(start), M.c.created_at < moment(end))


class _Moment(TypeDecorator[datetime]):
    """A naive UTC datetime bound so it compares right with every stored SQLite text format."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String() if dialect.name == "sqlite" else DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        # SQLite keeps datetimes as text, written as '… 09:00:00' by raw inserts and '… 09:00:00.000000'
        # by the ORM; a bound without the zero fraction is ≤ both and a bound with one sits between them
        return str(value) if value is not None and dialect.name == "sqlite" else value


def moment(value: datetime) -> Any:
    """Bind `value` for comparing with a datetime column (see _Moment)."""
    return literal(value, _Moment())


def _naive(value: Any) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=None) if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


def hours_holding(hourly: Iterable[tuple[int, int]], want: int) -> list[int]:
    """The newest hours whose counts add up to at least `want` (all of them when they never do)."""
    chosen, total = [], 0
    for hour, n in sorted(hourly, reverse=True):
        if total >= want:
            break
        if n > 0:
            chosen.append(hour)
            total += n
    return chosen


def posted_within(start: datetime, end: datetime, hours: Iterable[int], names: list[str]) -> Any:
    """A WHERE clause: posted in [start, end), in one of `hours` or in a partial edge hour of the period.

    With `hours` from `hours_holding`, a query for the newest N rows reads only those hours' rows.
    """
    spans = [(max(start, hour_start(h)), min(end, hour_start(h + 1))) for h in sorted(set(hours))]
    spans += _edges(start, end)
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    if not merged:
        return M.c.id.is_(None)  # nothing: an empty period
    return or_(*(_posted_in(names, a, b) for a, b in merged))
