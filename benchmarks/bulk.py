"""Fast bulk loading for the benchmarks: COPY on PostgreSQL, executemany on SQLite, then the rollups.

Each mention gets its classification id up front (classification i belongs to mention i), so no
UPDATE pass is needed; the rollups are rebuilt once at the end, as a migration backfill would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.store import rollup_writes

MENTION_COLUMNS = [
    "id",
    "source_id",
    "origin",
    "source",
    "author",
    "url",
    "lang_hint",
    "text",
    "text_hash",
    "slack_channel",
    "slack_ts",
    "created_at",
    "received_at",
    "status",
    "department",
    "state",
    "handled_by",
    "classification_id",
]
CLASSIFICATION_COLUMNS = [
    "id",
    "mention_id",
    "department",
    "confidence",
    "sentiment",
    "urgency",
    "language",
    "summary",
    "topics",
    "classifier",
    "model",
    "reason",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "created_at",
]
BATCH = 20_000


def mention_row(i: int, body: str, text_hash: str, posted: Any, dept: str, url: str = "") -> tuple[Any, ...]:
    return (i, f"bench:{i}", "replay", "twitter", "@a", url, "", body, text_hash, "", "", posted, posted,
            "routed", dept, "new", "", i)  # fmt: skip


def classification_row(
    i: int, dept: str, sentiment: str, urgency: str, topics: str, at: Any
) -> tuple[Any, ...]:
    return (i, i, dept, 0.9, sentiment, urgency, "en", "", topics, "local", "", "", 0, 0, 0.0, at)


def load(engine: Engine, rows: Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]]) -> None:
    """Insert (mention, classification) row pairs, then rebuild the rollups."""
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        mentions, classes = [m for m, _ in batch], [c for _, c in batch]
        if engine.dialect.name == "postgresql":
            _copy(engine, mentions, classes)
        else:
            _executemany(engine, mentions, classes)
    with engine.begin() as conn:
        rollup_writes.rebuild(conn)
        conn.execute(text("ANALYZE"))  # fresh statistics, as a running database would have


def _copy(engine: Engine, mentions: Sequence[tuple[Any, ...]], classes: Sequence[tuple[Any, ...]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, data in (
            ("mention", MENTION_COLUMNS, mentions),
            ("classification", CLASSIFICATION_COLUMNS, classes),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in data:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _executemany(
    engine: Engine, mentions: Sequence[tuple[Any, ...]], classes: Sequence[tuple[Any, ...]]
) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, data in (
            ("mention", MENTION_COLUMNS, mentions),
            ("classification", CLASSIFICATION_COLUMNS, classes),
        ):
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", _sqlite(data))
        raw.commit()
    finally:
        raw.close()


def _sqlite(rows: Sequence[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    # the text format SQLAlchemy writes, so the benchmark reads what the app would have stored
    for row in rows:
        yield tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if hasattr(v, "strftime") else v for v in row)


def fix_sequences(engine: Engine) -> None:
    """PostgreSQL: move the id sequences past the explicit ids COPY wrote."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("mention", "classification"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )
