"""Digest composition: SQL aggregation over stored mentions into a DigestData value (no Slack, no LLM).

All counting happens in the database (GROUP BY); Python only touches aggregated rows and a bounded
number of notable mentions, so a weekly digest over 100k mentions stays fast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.engine import Engine

from bot.domain.clock import to_naive_utc
from bot.domain.rules import RoutingRules
from bot.reports.digests.model import DailyCount, DepartmentTotal, DigestData, NotableMention
from bot.reports.digests.summary import extractive_summary
from bot.store.models import Classification, Mention

M = Mention.__table__  # type: ignore[attr-defined]
C = Classification.__table__  # type: ignore[attr-defined]
NOTABLE_PER_KIND = 3
TOP_TOPICS = 8
SUMMARY_INPUTS = 200


def mention_link(url: str, channel: str, ts: str) -> str:
    """The mention's own URL, else a Slack archive link to the message it came from."""
    if url:
        return url
    if channel and ts:
        return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return ""


def with_latest_classification() -> Any:
    """FROM clause: mentions outer-joined with their newest classification (by the id kept on the mention)."""
    return M.outerjoin(C, C.c.id == M.c.classification_id)


def _in_period(departments: Sequence[str], start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [M.c.received_at >= start, M.c.received_at < end, M.c.department.in_(list(departments))]


def _joined(stmt: Select[Any], where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return stmt.select_from(with_latest_classification()).where(*where)


def build_digest(
    engine: Engine,
    rules: RoutingRules,
    *,
    departments: Sequence[str],
    period: timedelta,
    now: datetime,
    show_texts_for: Callable[[str], bool] = lambda dept: True,
    title: str = "",
) -> DigestData:
    """Compose the digest for [now - period, now) over `departments`."""
    end = to_naive_utc(now)
    start = end - period
    depts: tuple[str, ...] = tuple(d for d in departments if d in rules.departments) or tuple(departments)
    visible = tuple(d for d in depts if show_texts_for(d))
    hidden = tuple(d for d in depts if d not in visible)
    with engine.connect() as conn:
        current = _totals(conn, depts, start, end)
        previous = _totals(conn, depts, start - period, start)
        daily = _daily(conn, depts, start, end)
        topics = _topics(conn, visible, start, end) if visible else ()
        notable = _notable(conn, visible, start, end) if visible else ()
        inputs = _summary_inputs(conn, visible, start, end) if visible else ()
    sentiment: Counter[str] = Counter()
    for row in daily:
        sentiment[row.sentiment] += row.count
    return DigestData(
        title=title or "Mentions digest",
        start=start,
        end=end,
        departments=depts,
        totals=tuple(DepartmentTotal(d, current.get(d, 0), previous.get(d, 0)) for d in depts),
        sentiment=tuple((s, sentiment[s]) for s in ("positive", "neutral", "negative") if sentiment[s]),
        topics=topics,
        notable=notable,
        daily=daily,
        hidden_departments=hidden,
        summary=extractive_summary(inputs),
        summary_inputs=inputs,
    )


def _totals(conn: Any, depts: Sequence[str], start: datetime, end: datetime) -> dict[str, int]:
    stmt = select(M.c.department, func.count()).where(*_in_period(depts, start, end)).group_by(M.c.department)
    return {dept: int(n) for dept, n in conn.execute(stmt)}


def _daily(conn: Any, depts: Sequence[str], start: datetime, end: datetime) -> tuple[DailyCount, ...]:
    day = func.date(M.c.received_at)
    sentiment = func.coalesce(C.c.sentiment, "neutral")
    stmt = _joined(select(day, M.c.department, sentiment, func.count()), _in_period(depts, start, end))
    stmt = stmt.group_by(day, M.c.department, sentiment)
    rows = [
        DailyCount(date.fromisoformat(str(d)[:10]), dept, str(s), int(n))
        for d, dept, s, n in conn.execute(stmt)
    ]
    return tuple(sorted(rows, key=lambda r: (r.day, r.department, r.sentiment)))


def _topics(conn: Any, depts: Sequence[str], start: datetime, end: datetime) -> tuple[tuple[str, int], ...]:
    # GROUP BY the comma-separated string; splitting the few distinct combinations is cheap in Python
    stmt = _joined(select(C.c.topics, func.count()), _in_period(depts, start, end))
    stmt = stmt.where(C.c.topics != "").group_by(C.c.topics)
    counts: Counter[str] = Counter()
    for topics, n in conn.execute(stmt):
        for topic in {t.strip().lower() for t in str(topics).split(",") if t.strip()}:
            counts[topic] += int(n)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TOPICS])


def _mention_columns() -> list[Any]:
    return [
        M.c.id,
        M.c.department,
        M.c.text,
        M.c.url,
        M.c.slack_channel,
        M.c.slack_ts,
        func.coalesce(C.c.sentiment, "neutral"),
        func.coalesce(C.c.urgency, "normal"),
    ]


def _notable(conn: Any, depts: Sequence[str], start: datetime, end: datetime) -> tuple[NotableMention, ...]:
    """The latest urgent, then the latest negative, then the most repeated texts; each mention once."""
    where = _in_period(depts, start, end)
    base = _joined(select(*_mention_columns()), where)
    # one pass for urgent and negative (each needs a scan of the period); Python picks from a few rows
    flagged = base.where(or_(C.c.urgency == "high", C.c.sentiment == "negative"))
    flagged = flagged.order_by(M.c.received_at.desc(), M.c.id.desc()).limit(NOTABLE_PER_KIND * 10)
    repeats = (
        select(M.c.text_hash, func.count().label("n"), func.min(M.c.id).label("first"))
        .where(*where)
        .group_by(M.c.text_hash)
        .having(func.count() > 1)
        .order_by(func.count().desc(), func.min(M.c.id))
        .limit(NOTABLE_PER_KIND)
    )
    repeated = {int(first): int(n) for _h, n, first in conn.execute(repeats)}
    rows = list(conn.execute(flagged))
    urgent = [r for r in rows if r[7] == "high"][:NOTABLE_PER_KIND]
    negative = [r for r in rows if r[6] == "negative" and r not in urgent][:NOTABLE_PER_KIND]
    by_id = [M.c.id.in_(list(repeated))]
    again = list(conn.execute(_joined(select(*_mention_columns()), by_id))) if repeated else []
    found: dict[int, NotableMention] = {}
    for why, chosen in (("urgent", urgent), ("negative", negative), ("repeated", again)):
        for row in chosen:
            mid = int(row[0])
            if mid not in found:
                link = mention_link(row[3], row[4], row[5])
                found[mid] = NotableMention(
                    mid, row[1], row[2], link, row[6], row[7], repeated.get(mid, 1), why
                )
    return tuple(found.values())


def _summary_inputs(conn: Any, depts: Sequence[str], start: datetime, end: datetime) -> tuple[str, ...]:
    """A bounded sample of the period's texts (classifier summaries when present) to summarise."""
    text = func.coalesce(func.nullif(C.c.summary, ""), M.c.text)
    # pick the newest ids first (an index scan that stops early), then join only those
    newest = select(M.c.id).where(*_in_period(depts, start, end))
    newest = newest.order_by(M.c.received_at.desc()).limit(SUMMARY_INPUTS)
    where = [M.c.id.in_(select(newest.subquery().c.id))]
    stmt = _joined(select(text), where).order_by(M.c.received_at.desc())
    return tuple(str(t) for (t,) in conn.execute(stmt))
