"""Listeners wired to the database over real HTTP: cursors across restarts, replicas, 304s, failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.domain import metrics
from bot.domain.clock import utcnow
from bot.domain.sources import SourceConfig
from bot.intake.sources import SourceHttp
from bot.intake.sources.runner import SourcePoller
from bot.store.models import Mention
from bot.store.sources import source_states
from tests.fakes.source_records import BASE_EPOCH, hn_hit, reddit_post, rss
from tests.fakes.sources_server import FakeSources
from tests.sources.conftest import FakeTime, source


@pytest.fixture
def clock() -> list[datetime]:
    """The pollers' notion of now (naive UTC); tests move it past a source's interval."""
    return [utcnow()]


def poller(engine: Engine, sources: list[SourceConfig], clock: list[datetime]) -> SourcePoller:
    time_ = FakeTime()
    http = SourceHttp(timeout=5.0, sleep=time_.sleep, clock=time_.clock, pacing=False)
    return SourcePoller(engine, http, lambda: sources, clock=lambda: clock[0])


@pytest.fixture
def pollers() -> Iterator[list[SourcePoller]]:
    made: list[SourcePoller] = []
    yield made
    for each in made:
        each.close()


def stored(engine: Engine) -> list[Mention]:
    with Session(engine) as session:
        return list(session.exec(select(Mention).order_by(col(Mention.id))).all())


def test_a_restarted_poller_asks_only_for_what_is_new(
    engine: Engine, fake: FakeSources, clock: list[datetime], pollers: list[SourcePoller]
) -> None:
    hn = source(name="hn", type="hackernews", query="lumo", base_url=fake.url("hn"))
    fake.hn = [
        hn_hit(1, title="lumo one", at=10),
        hn_hit(2, title="lumo two", at=20, url="https://x.example"),
    ]
    first = poller(engine, [hn], clock)
    pollers.append(first)
    metrics.clear()
    assert [(o.name, o.new) for o in first.run_once()] == [("hn", 2)]
    polls = metrics.REGISTRY.get_sample_value(
        "social_router_source_polls_total", {"source": "hn", "outcome": "ok"}
    )
    assert polls == 1
    first.close()  # "restart": a new process knows only the database
    fake.hn.append(hn_hit(3, title="lumo three", at=30))
    clock[0] += timedelta(minutes=6)
    second = poller(engine, [hn], clock)
    pollers.append(second)
    assert [(o.name, o.new) for o in second.run_once()] == [("hn", 1)]
    floor = BASE_EPOCH + 20 - 15 * 60  # newest seen minus the search index's overlap
    assert fake.calls("hn")[-1].params["numericFilters"] == f"created_at_i>={floor}"
    rows = stored(engine)
    assert [m.source_id for m in rows] == ["hn:1", "hn:2", "hn:3"]
    two = rows[1]
    assert (two.source, two.origin, two.author, two.url) == (
        "hackernews",
        "listener",
        "hacker",
        "https://news.ycombinator.com/item?id=2",
    )
    assert two.created_at == datetime(2025, 6, 15, 15, 7, 0) and two.link_hash != ""


def test_two_replicas_poll_each_source_once_per_due_time(
    engine: Engine, fake: FakeSources, clock: list[datetime], pollers: list[SourcePoller]
) -> None:
    fake.reddit = [reddit_post(f"p{i}", f"lumo post {i}", at=i) for i in range(5)]
    fake.hn = [hn_hit(i, title=f"lumo story {i}", at=i) for i in range(5)]
    configs = [
        source(name="r", type="reddit", query="lumo", base_url=fake.url("reddit")),
        source(name="h", type="hackernews", query="lumo", base_url=fake.url("hn")),
    ]
    replicas = [poller(engine, configs, clock), poller(engine, configs, clock)]
    pollers.extend(replicas)
    start = threading.Barrier(2)

    def run(replica: SourcePoller) -> None:
        start.wait()
        replica.run_once()

    threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert (len(fake.calls("reddit")), len(fake.calls("hn"))) == (1, 1)
    assert replicas[0].run_once() == [] and replicas[1].run_once() == []  # not due again yet
    source_ids = [m.source_id for m in stored(engine)]
    assert sorted(source_ids) == sorted({*source_ids}) and len(source_ids) == 10


def test_an_unchanged_feed_costs_one_304_and_stores_nothing(
    engine: Engine, fake: FakeSources, clock: list[datetime], pollers: list[SourcePoller]
) -> None:
    fake.set_feed("reviews", rss([{"guid": "g1", "title": "Lumo review one"}]))
    feed = source(name="reviews", type="feed", url=fake.url("feed") + "/reviews")
    listener = poller(engine, [feed], clock)
    pollers.append(listener)
    assert [o.new for o in listener.run_once()] == [1]
    clock[0] += timedelta(minutes=6)
    assert [(o.ok, o.new) for o in listener.run_once()] == [(True, 0)]
    assert "if-none-match" in fake.calls("feed")[-1].headers
    fake.set_feed("reviews", rss([{"guid": "g2", "title": "Lumo review two"}, {"guid": "g1", "title": "x"}]))
    clock[0] += timedelta(minutes=6)
    assert [o.new for o in listener.run_once()] == [1]
    assert [m.source_id for m in stored(engine)] == ["feed:reviews:g1", "feed:reviews:g2"]
    state = source_states(engine)["reviews"]
    assert state.last_success_at == clock[0] and state.consecutive_failures == 0


def test_a_failing_source_never_stalls_another_and_is_logged_once(
    engine: Engine,
    fake: FakeSources,
    clock: list[datetime],
    pollers: list[SourcePoller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.hn = [hn_hit(1, title="lumo", at=1)]
    for _ in range(40):
        fake.queue("reddit", status=503, body="<html>down</html>")
    configs = [
        source(name="broken", type="reddit", query="lumo", base_url=fake.url("reddit")),
        source(name="fine", type="hackernews", query="lumo", base_url=fake.url("hn")),
    ]
    listener = poller(engine, configs, clock)
    pollers.append(listener)
    with caplog.at_level(logging.WARNING, logger="bot.intake.sources.runner"):
        outcomes = {o.name: o for o in listener.run_once()}
        for _ in range(3):  # past the backoff each time
            clock[0] += timedelta(hours=2)
            listener.run_once()
    assert not outcomes["broken"].ok and "HTTP 503" in (outcomes["broken"].error or "")
    assert outcomes["fine"].ok and outcomes["fine"].new == 1
    assert len([r for r in caplog.records if "broken" in r.getMessage()]) == 1
    broken = source_states(engine)["broken"]
    assert broken.consecutive_failures == 4 and "HTTP 503" in broken.last_error
    assert broken.next_due_at is not None and broken.next_due_at > clock[0] + timedelta(minutes=30)
