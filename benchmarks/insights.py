"""Benchmark: /insights stats, top, search and the App Home at 100k or 1M mentions (aim p99 < 300 ms).

Usage: python -m benchmarks.insights [--rows N] [--runs N] [--database-url URL] [--reuse] [--only PREFIX]
Bulk-loads a temporary SQLite file (or the given database, wiped first: PostgreSQL through COPY), builds
the rollups, then times the same query functions the slash command and App Home call, p50/p99 each.
With --reuse, a database that already holds exactly --rows mentions is measured as it is (building 1M
takes minutes): e.g. `--database-url sqlite:////tmp/insights-1m.db --reuse` builds once, then reuses.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from benchmarks import bulk
from bot.domain.clock import utcnow
from bot.reports.home import build_home
from bot.reports.insights.search import search_mentions
from bot.reports.insights.stats import compute_stats
from bot.reports.insights.top import top_mentions
from bot.store.engine import init_db, make_engine

DEPTS = ("product", "support", "hr", "sales", "none")
WORDS = (
    "refund",
    "login",
    "crash",
    "invoice",
    "price",
    "quote",
    "demo",
    "app",
    "update",
    "slow",
    "broken",
    "love",
    "great",
    "hiring",
    "salary",
    "delivery",
    "parcel",
    "order",
    "account",
    "password",
    "feature",
    "dark",
    "mode",
    "team",
    "support",
    "manager",
    "office",
)
RARE_WORD = "chargeback"  # in one mention of a thousand: a rare search term
TOPICS = ("refund", "login", "crash", "pricing", "hiring", "delivery", "ux", "billing")


def seed(engine: Engine, rows: int, seed_value: int = 7) -> None:
    """Bulk load `rows` mentions posted over the last 60 days, each with one classification (+ rollups)."""
    rng, now = random.Random(seed_value), utcnow()

    def generate() -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        for i in range(1, rows + 1):
            posted = now - timedelta(seconds=rng.randrange(60 * 86400))
            dept = rng.choice(DEPTS)
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20)))
            body += f" {RARE_WORD}" if i % 1000 == 0 else ""  # not drawn from rng: the rest stays the same
            sentiment = rng.choice(("positive", "neutral", "negative"))
            urgency = rng.choice(("low", "normal", "normal", "high"))
            topics = ",".join(rng.sample(TOPICS, 2))
            yield (
                bulk.mention_row(i, body, f"{i:064d}", posted, dept),
                bulk.classification_row(i, dept, sentiment, urgency, topics, posted),
            )

    bulk.load(engine, generate())
    bulk.fix_sequences(engine)


def wipe(engine: Engine) -> None:
    """Start from no mentions (a reused benchmark database)."""
    with engine.begin() as conn:
        for table in (
            "rollup_topic_hour",
            "rollup_hour",
            "delivery",
            "correction",
            "classification",
            "mention",
        ):
            conn.execute(text(f"DELETE FROM {table}"))


def mention_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM mention")).scalar_one())


def prepare(engine: Engine, rows: int, reuse: bool) -> None:
    """Seed `rows` mentions, unless `reuse` and the database already holds exactly that many."""
    init_db(engine)
    if reuse and mention_count(engine) == rows:
        print(f"reusing {rows} mentions ({engine.dialect.name})")
        return
    wipe(engine)
    started = time.perf_counter()
    seed(engine, rows)
    print(f"seeded {rows} mentions in {time.perf_counter() - started:.1f}s ({engine.dialect.name})")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm the caches once, as a running app would be
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default="", help="an EMPTY database (its mention rows are wiped)")
    parser.add_argument("--reuse", action="store_true", help="keep a database that holds --rows mentions")
    parser.add_argument("--only", default="", help="time only the cases whose name starts with this")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        prepare(engine, args.rows, args.reuse)
        now, visible = utcnow(), {"product", "support", "sales"}
        cases: dict[str, Callable[[], object]] = {
            "stats 7d": lambda: compute_stats(
                engine,
                period="7d",
                window=timedelta(days=7),
                now=now,
                departments=DEPTS[:4],
                topics_from=visible,
            ),
            "stats 30d": lambda: compute_stats(
                engine,
                period="30d",
                window=timedelta(days=30),
                now=now,
                departments=DEPTS[:4],
                topics_from=visible,
            ),
            "top support 30d": lambda: top_mentions(engine, "support", window=timedelta(days=30), now=now),
            "App Home": lambda: build_home(engine, DEPTS[:4], visible, "CTRIAGE", now),
            "search refund": lambda: search_mentions(engine, "refund", visible=visible),
            "search crash login": lambda: search_mentions(engine, "crash login", visible=visible),
            f"search {RARE_WORD}": lambda: search_mentions(engine, RARE_WORD, visible=visible),
        }
        for name, fn in cases.items():
            if not name.startswith(args.only):
                continue
            p50, p99 = timed(fn, args.runs)
            flag = "ok" if p99 < 300 else "SLOW"
            print(f"{name:<20} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   {flag}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
