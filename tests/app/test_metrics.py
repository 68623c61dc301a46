"""GET /metrics over real HTTP: counters with the right labels after real work, 429s, LLM calls, backlog."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from bot.app.metrics import app_registry
from bot.app.web import WebApp, make_server
from bot.classify.cascade import Cascade
from bot.classify.llm import LLMClassifier
from bot.classify.llm_client import make_openai_client
from bot.classify.local import ReloadingLocalClassifier
from bot.domain import metrics
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.store.engine import make_engine
from tests.fakes.http import serving
from tests.fakes.openai_server import FakeOpenAI
from tests.harness import Pipeline, message, pipeline, trained_model_path
from tests.processes import free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(autouse=True)
def zeroed_counters() -> None:
    metrics.clear()  # counters are process-wide: start each test from zero


def scrape(root: str) -> tuple[str, Samples]:
    with urllib.request.urlopen(root + "/metrics", timeout=15) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return text, samples


def total(samples: Samples, name: str) -> float:
    return sum(value for (sample, _), value in samples.items() if sample == name)


def test_a_mention_stored_classified_and_delivered_is_counted(engine: Engine, rules: RoutingRules) -> None:
    with pipeline(engine, rules) as p:
        assert (
            p.event(message("glassdoor: the interview never got back to me", "1700000040.000100"))[0] == 200
        )
        assert p.ingest({"id": "m-1", "text": "the app crashes on start", "source": "twitter"})[0] == 202
        assert p.ingest({"id": "m-1", "text": "the app crashes on start", "source": "twitter"})[0] == 200
        p.drain()
        text, samples = scrape(p.root)
    received = "social_router_mentions_received_total"
    assert samples[(received, (("origin", "slack_message"), ("source", "slack")))] == 1
    assert samples[(received, (("origin", "ingest"), ("source", "twitter")))] == 1  # the repeat is not
    classified = "social_router_mentions_classified_total"
    assert samples[(classified, (("classifier", "rules"), ("department", "hr")))] == 1
    assert total(samples, classified) == 2
    cards = {
        labels: v for (name, labels), v in samples.items() if name == "social_router_messages_posted_total"
    }
    assert cards[(("department", "hr"), ("kind", "card"))] == 1
    assert sum(cards.values()) == len(p.cards()) == 2
    assert samples[("social_router_outbox_pending", ())] == 0
    assert samples[("social_router_backlog_up", ())] == 1
    assert "glassdoor" not in text and "crashes" not in text  # counts, never mention text


def test_a_slack_429_is_counted_by_method(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        p.slack.queue("chat.postMessage", status=429, body={"ok": False, "error": "ratelimited"})
        assert p.event(message("glassdoor: rate limited once", "1700000041.000100"))[0] == 200
        p.drain()
        _, samples = scrape(p.root)
    assert samples[("social_router_slack_rate_limited_total", (("method", "chat.postMessage"),))] == 1
    assert samples[("social_router_messages_posted_total", (("department", "hr"), ("kind", "card")))] == 1


def test_the_backlog_gauges_follow_the_pending_rows(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with pipeline(sqlite_engine, rules) as p:
        p.ingest([{"id": "b-1", "text": "glassdoor review one"}, {"id": "b-2", "text": "kununu review two"}])
        _, samples = scrape(p.root)
        assert samples[("social_router_mentions_pending", ())] == 2
        assert samples[("social_router_outbox_pending", ())] == 0
        assert samples[("social_router_mentions_oldest_pending_seconds", ())] >= 0
        p.classify_only()
        _, samples = scrape(p.root)
        assert samples[("social_router_mentions_pending", ())] == 0
        assert samples[("social_router_outbox_pending", ())] == 2
        p.drain()
        _, samples = scrape(p.root)
        assert samples[("social_router_outbox_pending", ())] == 0
        assert samples[("social_router_outbox_oldest_pending_seconds", ())] == 0


def test_llm_latency_tokens_and_errors(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with FakeOpenAI() as fake:
        fake.queue(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "0"})
        settings = Settings(openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=5)
        llm = LLMClassifier(make_openai_client(settings), "fake-model", {}, attempts=2)
        cascade = Cascade(rules, ReloadingLocalClassifier(trained_model_path()), llm, local_confident=1.01)
        with pipeline(sqlite_engine, rules, cascade=cascade) as p:
            p.ingest({"id": "l-1", "text": "the app crashes when I upload a photo"})
            p.drain()
            text, samples = scrape(p.root)
    assert samples[("social_router_llm_request_seconds_count", (("outcome", "error"),))] == 1
    assert samples[("social_router_llm_request_seconds_count", (("outcome", "ok"),))] == 1
    assert samples[("social_router_llm_errors_total", (("error", "RateLimitError"),))] == 1
    assert samples[("social_router_llm_tokens_total", (("type", "prompt"),))] == 120  # FakeOpenAI's usage
    assert samples[("social_router_llm_tokens_total", (("type", "completion"),))] == 40
    assert samples[
        ("social_router_mentions_classified_total", (("classifier", "llm"), ("department", "support")))
    ]
    assert "sk-test" not in text


def test_hostile_sources_cannot_inject_markup_or_grow_the_series(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    records = [
        {"id": f"h-{i}", "text": f"hello number {i}", "source": f"<!channel> site {i}"} for i in range(80)
    ]
    with pipeline(sqlite_engine, rules) as p:
        assert p.ingest(records)[0] == 202
        text, samples = scrape(p.root)
    sources = {
        dict(labels)["source"] for (name, labels) in samples if name.startswith("social_router_mentions_rec")
    }
    assert len(sources) == metrics.MAX_VALUES + 1 and "other" in sources
    assert "channel_site_0" in sources and "<!" not in text
    assert total(samples, "social_router_mentions_received_total") == 80


@contextmanager
def served(p: Pipeline, engine: Engine) -> Iterator[str]:
    server = make_server(
        WebApp(p.services, None, metrics=app_registry(engine, timeout=1.0)), host="127.0.0.1", port=0
    )

    with serving(server) as root:
        yield root


def test_an_unreachable_database_still_answers_with_backlog_up_zero(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    gone = make_engine(f"postgresql://nobody@127.0.0.1:{free_port()}/social")
    with pipeline(sqlite_engine, rules) as p, served(p, gone) as root:
        _, samples = scrape(root)
        _, ours = scrape(p.root)  # two fronts in one process: each reads its own database
    assert samples[("social_router_backlog_up", ())] == 0
    assert ("social_router_outbox_pending", ()) not in samples
    assert ours[("social_router_backlog_up", ())] == 1
