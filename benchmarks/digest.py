"""Benchmark: build a weekly digest (with chart) and run the spike check over 100,000 stored mentions.

Usage: python -m benchmarks.digest [--mentions N] [--days D] [--json] [--database-url URL]
Mentions are synthetic (templated sentences, random departments/sentiments/topics), bulk-loaded into a
temporary SQLite file or the given database (wiped first); nothing is read from the network or from the
evaluation set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import bulk
from benchmarks.insights import wipe
from bot.context import Services
from bot.domain.rules import Alerts, DepartmentConfig, RoutingRules
from bot.domain.settings import Settings
from bot.reports.alerts import check_spikes
from bot.reports.digests.chart import render_chart
from bot.reports.digests.compose import build_digest
from bot.reports.digests.render import render_digest
from bot.store.engine import init_db, make_engine

DEPTS = ("product", "support", "hr", "sales")
TOPICS = ("billing", "login", "delivery", "pricing", "feature", "crash", "refund", "hiring", "demo", "ux")
_VOCABULARY = "order app login refund price demo team crash screen invoice delivery account update fast slow"
WORDS = _VOCABULARY.split()
NOW = datetime(2026, 11, 23, 9, 0)


def _seed(engine: Any, n: int, days: int, rng: random.Random) -> None:
    def generate() -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        for i in range(1, n + 1):
            at = NOW - timedelta(seconds=rng.randrange(days * 86400))
            text = " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + f" (#{i % 3000})."
            dept = rng.choice(DEPTS)
            digest = hashlib.sha256(text.encode()).hexdigest()
            sentiment = rng.choices(("positive", "neutral", "negative"), (3, 5, 2))[0]
            urgency = rng.choices(("low", "normal", "high"), (3, 6, 1))[0]
            topics = ",".join(rng.sample(TOPICS, k=rng.randint(0, 3)))
            yield (
                bulk.mention_row(i, text, digest, at, dept, f"https://x.example/{i}"),
                bulk.classification_row(i, dept, sentiment, urgency, topics, at),
            )

    bulk.load(engine, generate())
    bulk.fix_sequences(engine)


def _rules() -> RoutingRules:
    departments = {d: DepartmentConfig(channel=f"#team-{d}") for d in DEPTS}
    return RoutingRules(departments=departments, triage_channel="#triage", alerts=Alerts())  # type: ignore[arg-type]


def _timed(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database-url", default="", help="an EMPTY database (its mention rows are wiped)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        init_db(engine)
        wipe(engine)
        started = time.perf_counter()
        _seed(engine, args.mentions, args.days, random.Random(7))
        seed_s = time.perf_counter() - started
        rules = _rules()

        def weekly() -> tuple[int, int]:
            data = build_digest(
                engine, rules, departments=DEPTS, period=timedelta(days=7), now=NOW, timezone="Europe/Oslo"
            )
            return data.total, len(render_chart(data)) + len(str(render_digest(data)))

        digest_s, (in_week, _size) = _timed(weekly, args.repeat)
        services = Services.create(Settings(), rules, engine, None)  # type: ignore[arg-type]
        spike_s, _spikes = _timed(lambda: check_spikes(services, now=NOW), args.repeat)
        engine.dispose()
    result = {
        "mentions": args.mentions,
        "in_week": in_week,
        "seed_s": round(seed_s, 2),
        "database": engine.dialect.name,
        "weekly_digest_s": round(digest_s, 3),
        "spike_check_s": round(spike_s, 3),
    }
    print(f"seeded {args.mentions} mentions over {args.days} days in {seed_s:.1f}s", file=sys.stderr)
    print(f"weekly digest ({in_week} mentions in the week, chart included): {digest_s:.3f}s (aim < 2s)")
    print(f"spike check per run: {spike_s:.3f}s")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
