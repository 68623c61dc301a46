"""Benchmark of the built-in listeners against the local fakes: items/s through a poll, cost of an idle poll.

Run: `.venv/bin/python benchmarks/sources.py`. Everything is local (fake APIs on 127.0.0.1, pacing off),
so the figures measure our own cost per item and per request — parsing, filtering, HTTP round trips —
not the services' latency, which in production dominates and is bounded by each API's rate limit.
The first rows are fetch + parse + match only; the "poller" rows go through `SourcePoller.run_once`
on a SQLite file: claim, fetch, store every item with the cursor in one transaction, release.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.domain.clock import utcnow  # noqa: E402
from bot.intake.sources import SourceConfig, SourceHttp, poll_source  # noqa: E402
from bot.intake.sources.runner import SourcePoller  # noqa: E402
from bot.store.engine import init_db, make_engine  # noqa: E402
from tests.fakes.source_records import BASE_EPOCH, hn_hit, masto_status, reddit_post, rss  # noqa: E402
from tests.fakes.sources_server import FakeSources  # noqa: E402

ITEMS = 1000
ROUNDS = 5


def config(**fields: object) -> SourceConfig:
    return SourceConfig.model_validate({"name": "bench", "every": "5m", "max_pages": 50, **fields})


def throughput(label: str, fake: FakeSources, source: SourceConfig, cursor: dict[str, object]) -> None:
    """Best of ROUNDS full polls of ITEMS items from a cursor that makes every item new."""
    timings = []
    for _ in range(ROUNDS):
        client = SourceHttp(pacing=False)
        started = time.perf_counter()
        result = poll_source(source, cursor, client)
        timings.append(time.perf_counter() - started)
        client.close()
        assert result.error is None and len(result.items) == ITEMS, (result.error, len(result.items))
    best = min(timings)
    requests = len(fake.requests) // ROUNDS
    print(f"{label:<28}{ITEMS / best:>9.0f} items/s  ({best * 1000:.0f} ms, {requests} requests)")
    fake.requests.clear()


def idle_poll(fake: FakeSources) -> None:
    """A feed that has not changed: one conditional GET answered 304, no parsing."""
    fake.set_feed("big.rss", rss([{"guid": f"g{i}", "title": f"Lumo review {i}"} for i in range(200)]))
    source = config(type="feed", url=fake.url("feed") + "/big.rss")
    client = SourceHttp(pacing=False)
    cursor = poll_source(source, None, client).cursor
    samples = []
    for _ in range(300):
        started = time.perf_counter()
        result = poll_source(source, cursor, client)
        samples.append(time.perf_counter() - started)
        assert result.items == [] and result.error is None
    changed_started = time.perf_counter()
    poll_source(source, {}, client)
    full = time.perf_counter() - changed_started
    client.close()
    median = statistics.median(samples) * 1000
    p95 = sorted(samples)[int(len(samples) * 0.95)] * 1000
    print(f"{'idle feed poll (304)':<28}{median:>9.2f} ms median, {p95:.2f} ms p95")
    print(f"{'same feed, changed (200)':<28}{full * 1000:>9.1f} ms (200 entries parsed)")


def _poller(folder: Path, name: str, source: SourceConfig, clock: list[datetime]) -> SourcePoller:
    engine = make_engine(f"sqlite:///{folder}/{name}.db")
    init_db(engine)
    return SourcePoller(engine, SourceHttp(pacing=False), lambda: [source], clock=lambda: clock[0])


def through_the_poller(fake: FakeSources, folder: Path) -> None:
    """Best of ROUNDS polls of ITEMS new Reddit posts stored (a fresh database each round, so all are new;
    a backfill, since a new source's first poll reads one page only), then the median of idle polls of
    an unchanged feed: claim, a 304, record — the steady-state cost of a source with nothing new."""
    source = config(type="reddit", query="lumo", base_url=fake.url("reddit"))
    since = datetime.fromtimestamp(BASE_EPOCH - 100_000, UTC)
    timings = []
    for round_ in range(ROUNDS):
        listener = _poller(folder, f"store{round_}", source, [utcnow()])
        started = time.perf_counter()
        outcome = listener.backfill(source, since)
        timings.append(time.perf_counter() - started)
        listener.close()
        assert outcome.ok and outcome.new == ITEMS, outcome
    best = min(timings)
    print(f"{'poller: reddit, stored':<28}{ITEMS / best:>9.0f} items/s  ({best * 1000:.0f} ms incl. SQLite)")
    clock = [utcnow()]
    feed = config(type="feed", url=fake.url("feed") + "/big.rss")
    listener = _poller(folder, "idle", feed, clock)
    assert listener.run_once()[0].new == 200  # first poll: the whole feed; then nothing changes
    samples = []
    for _ in range(100):
        clock[0] += timedelta(minutes=6)  # due again
        started = time.perf_counter()
        (outcome,) = listener.run_once()
        samples.append(time.perf_counter() - started)
        assert outcome.ok and outcome.new == 0 and outcome.fetched == 0, outcome
    listener.close()
    median = statistics.median(samples) * 1000
    p95 = sorted(samples)[int(len(samples) * 0.95)] * 1000
    print(f"{'poller: idle feed (304)':<28}{median:>9.2f} ms median, {p95:.2f} ms p95 (claim + 304 + record)")


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, no options
    long_ago = {"newest": BASE_EPOCH - 100_000, "seen": {}}
    with FakeSources() as fake:
        fake.reddit = [
            reddit_post(f"p{i}", f"Lumo post {i}", body="The app is great " * 10, at=i) for i in range(ITEMS)
        ]
        throughput(
            "reddit (100/page)",
            fake,
            config(type="reddit", query="lumo", base_url=fake.url("reddit")),
            long_ago,
        )
        fake.hn = [hn_hit(i, comment=f"<p>Lumo comment {i} &amp; more</p>", at=i) for i in range(ITEMS)]
        throughput(
            "hackernews (100/page)",
            fake,
            config(type="hackernews", query="lumo", base_url=fake.url("hn")),
            long_ago,
        )
        fake.masto = [masto_status(i, f"<p>I like <b>#lumo</b> {i}</p>", at=i) for i in range(1, ITEMS + 1)]
        masto = config(type="mastodon", hashtag="lumo", base_url=fake.url("masto"), match="lumo -spam")
        throughput("mastodon (40/page, match)", fake, masto, {"min_id": "0"})
        fake.set_feed(
            "all.rss",
            rss(
                [
                    {"guid": f"g{i}", "title": f"Lumo review {i}", "description": "<p>ok</p>"}
                    for i in range(ITEMS)
                ]
            ),
        )
        throughput("feed (1 document)", fake, config(type="feed", url=fake.url("feed") + "/all.rss"), {})
        idle_poll(fake)
        through_the_poller(fake, Path(tempfile.mkdtemp(prefix="sr-bench-sources-")))


if __name__ == "__main__":
    main()
