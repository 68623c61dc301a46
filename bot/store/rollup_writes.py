"""Report rollup writes: the counts a batch or a reassignment changes, in the caller's transaction.

What a bucket is, and the read side, are bot.store.rollups. A batch's changes are gathered in a
`Tally` and written as one upsert per bucket; a person's reassignment `move`s a mention's counts;
`rebuild` recounts everything after a bulk load done without the pipeline.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Table, case, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session

from bot.store.models import Classification, Mention
from bot.store.rollups import ROLLUP, TOPICS, C, M, epoch_hour, split_topics, with_latest_classification


def move(session: Session, mention: Mention, to_department: str) -> None:
    """A person moved `mention` to `to_department`: its counts leave the old department's buckets.

    Call before changing `mention.department`; a mention never counted (no classification) is skipped.
    """
    if mention.department == to_department or not mention.department or mention.classification_id is None:
        return
    row = session.get(Classification, mention.classification_id)
    if row is None:
        return
    tally = Tally()
    tally.add(mention, mention.department, row, -1)
    tally.add(mention, to_department, row, +1)
    tally.write(session.connection())


class Counted(Protocol):
    """What a count needs of a classification: a Classification row, or its values before the INSERT."""

    @property
    def sentiment(self) -> str: ...
    @property
    def urgency(self) -> str: ...
    @property
    def topics(self) -> str: ...


@dataclass
class Tally:
    """Count changes gathered over a batch, written as one upsert per bucket (not one per mention)."""

    n: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)  # hour, dept, sentiment, urgency
    copies: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)
    topics: Counter[tuple[int, str, str]] = field(default_factory=Counter)  # hour, dept, topic

    def add(self, mention: Mention, department: str, row: Counted, sign: int = +1) -> None:
        """Count `mention` (+1) or uncount it (-1) under `department` with its classification `row`."""
        if not department:
            return
        hour = epoch_hour(mention.created_at)
        key = (hour, department, row.sentiment, row.urgency)
        self.n[key] += sign
        self.copies[key] += sign if mention.duplicate_of is not None else 0
        for topic in split_topics(row.topics):
            self.topics[(hour, department, topic)] += sign

    def write(self, conn: Connection) -> None:
        """Apply the changes in key order (concurrent writers then lock buckets in the same order)."""
        names = ("epoch_hour", "department", "sentiment", "urgency")
        main = [
            dict(zip(names, key, strict=True), n=n, copies=self.copies[key])
            for key, n in sorted(self.n.items())
            if n or self.copies[key]
        ]
        topics = [
            {"epoch_hour": h, "department": d, "topic": t, "n": n}
            for (h, d, t), n in sorted(self.topics.items())
            if n
        ]
        if main:
            conn.execute(_upsert(conn.dialect.name, ROLLUP, ("n", "copies")), main)
        if topics:
            conn.execute(_upsert(conn.dialect.name, TOPICS, ("n",)), topics)
        self.n.clear()
        self.copies.clear()
        self.topics.clear()


@functools.lru_cache(maxsize=8)
def _upsert(dialect: str, table: Table, counters: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n (SQLite ≥ 3.24 and PostgreSQL),
    built once per table: building it per mention cost more than running it."""
    stmt = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    keys = [c.name for c in table.primary_key.columns]
    updates = {name: table.c[name] + stmt.excluded[name] for name in counters}
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)


def rebuild(conn: Connection) -> None:
    """Recount both rollups from the mention rows (after a bulk load; the migration has its own copy)."""
    conn.execute(delete(TOPICS))
    conn.execute(delete(ROLLUP))
    hour = _hour_sql(conn)
    joined = with_latest_classification()
    sentiment, urgency = func.coalesce(C.c.sentiment, "neutral"), func.coalesce(C.c.urgency, "normal")
    copies = func.sum(case((M.c.duplicate_of.isnot(None), 1), else_=0))
    grouped = (
        select(hour, M.c.department, sentiment, urgency, func.count(), copies)
        .select_from(joined)
        .where(M.c.department != "")
        .group_by(hour, M.c.department, sentiment, urgency)
    )
    names = ["epoch_hour", "department", "sentiment", "urgency", "n", "copies"]
    conn.execute(insert(ROLLUP).from_select(names, grouped))
    # topics are split in Python (the few distinct tag strings per hour) so they normalise exactly
    # as Tally.add does; SQLite's lower() folds ASCII only
    tags = (
        select(hour, M.c.department, C.c.topics, func.count())
        .select_from(joined)
        .where(M.c.department != "", C.c.topics != "")
        .group_by(hour, M.c.department, C.c.topics)
    )
    counts: Counter[tuple[int, str, str]] = Counter()
    for h, department, raw, n in conn.execute(tags):
        for topic in split_topics(raw):
            counts[(int(h), department, topic)] += int(n)
    rows = [{"epoch_hour": h, "department": d, "topic": t, "n": n} for (h, d, t), n in counts.items()]
    for chunk in range(0, len(rows), 10_000):
        conn.execute(insert(TOPICS), rows[chunk : chunk + 10_000])


def _hour_sql(conn: Connection) -> Any:
    if conn.dialect.name == "sqlite":
        return text("CAST(strftime('%s', mention.created_at) AS INTEGER) / 3600")
    return text("CAST(floor(extract(epoch FROM mention.created_at) / 3600) AS BIGINT)")
