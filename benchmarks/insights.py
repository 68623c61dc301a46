"""Benchmark: time to answer /insights stats, top and search over 100,000 stored mentions (aim p99 < 300 ms).

Usage: python -m benchmarks.insights [--rows N] [--runs N] [--database-url URL]
Seeds a temporary SQLite file (or the given empty database) by bulk insert, then times the same query
functions the slash command calls, and prints p50/p99 per subcommand.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.domain.clock import utcnow
from bot.reports.insights.search import search_mentions
from bot.reports.insights.stats import compute_stats
from bot.reports.insights.top import top_mentions
from bot.store.engine import init_db, link_latest_classifications, make_engine

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
TOPICS = ("refund", "login", "crash", "pricing", "hiring", "delivery", "ux", "billing")


def seed(engine: Engine, rows: int, seed_value: int = 7) -> None:
    """Bulk insert `rows` mentions over the last 60 days, each with one classification."""
    rng, now, batch = random.Random(seed_value), utcnow(), 5000
    for start in range(0, rows, batch):
        mentions, classes = [], []
        for i in range(start, min(rows, start + batch)):
            received = now - timedelta(seconds=rng.randrange(60 * 86400))
            dept = rng.choice(DEPTS)
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20)))
            mentions.append(
                {
                    "id": i + 1,
                    "sid": f"bench:{i}",
                    "text": body,
                    "hash": f"{i:064d}",
                    "received": received,
                    "dept": dept,
                }
            )
            classes.append(
                {
                    "mid": i + 1,
                    "dept": dept,
                    "sent": rng.choice(("positive", "neutral", "negative")),
                    "urg": rng.choice(("low", "normal", "normal", "high")),
                    "topics": ",".join(rng.sample(TOPICS, 2)),
                    "at": received,
                }
            )
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO mention (id, source_id, origin, source, author, url, lang_hint, text, "
                    "text_hash, slack_channel, slack_ts, created_at, received_at, status, department, "
                    "state, handled_by) "
                    "VALUES (:id, :sid, 'replay', 'twitter', '@a', '', '', :text, :hash, '', '', :received, "
                    ":received, 'routed', :dept, 'new', '')"
                ),
                mentions,
            )
            conn.execute(
                text(
                    "INSERT INTO classification (mention_id, department, confidence, sentiment, urgency, "
                    "language, summary, topics, classifier, model, reason, prompt_tokens, "
                    "completion_tokens, latency_ms, created_at) VALUES (:mid, :dept, 0.9, :sent, :urg, "
                    "'en', '', :topics, 'local', '', '', 0, 0, 0, :at)"
                ),
                classes,
            )
            link_latest_classifications(conn)


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
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        init_db(engine)
        started = time.perf_counter()
        seed(engine, args.rows)
        print(f"seeded {args.rows} mentions in {time.perf_counter() - started:.1f}s ({engine.dialect.name})")
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
            "search refund": lambda: search_mentions(engine, "refund", visible=visible),
            "search crash login": lambda: search_mentions(engine, "crash login", visible=visible),
        }
        for name, fn in cases.items():
            p50, p99 = timed(fn, args.runs)
            flag = "ok" if p99 < 300 else "SLOW"
            print(f"{name:<20} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   {flag}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
