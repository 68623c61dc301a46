"""One overall LLM deadline per mention: a hung or failing LLM costs at most LLM_DEADLINE, then fallback.

The assertions count the requests FakeOpenAI received and check the answer; none measures time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai import OpenAI
from sqlalchemy.engine import Engine

from bot.classify.cascade import Cascade
from bot.classify.limiter import LLMLimiter
from bot.classify.llm import LLMClassifier
from bot.classify.llm_client import chat_text
from bot.domain.errors import ClassifierUnavailable
from bot.domain.rules import RoutingRules
from tests.fakes.openai_server import FakeOpenAI, completion_body
from tests.handlers import KeywordClassifier
from tests.harness import message, pipeline

HUNG: dict[str, Any] = {"delay": 3.0, "body": completion_body("{}")}  # answers long after every timeout below


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def llm(fake: FakeOpenAI, *, deadline: float | None, timeout: float = 5.0) -> LLMClassifier:
    client = OpenAI(api_key="sk-test", base_url=fake.base_url, timeout=timeout, max_retries=0)
    return LLMClassifier(client, "fake-mini", {}, attempts=3, deadline=deadline)


def test_a_hung_llm_is_abandoned_at_the_deadline_not_after_every_attempt(fake: FakeOpenAI) -> None:
    for _ in range(3):
        fake.queue(**HUNG)
    with pytest.raises(ClassifierUnavailable, match=r"deadline of 0\.8s reached"):
        # The per-attempt timeout (5 s) would allow each of three attempts to hang; the deadline cuts
        # the first attempt's timeout to 0.8 s and leaves no time for a second one.
        llm(fake, deadline=0.8).classify("The app crashes on start")
    assert len(fake.requests) == 1


def test_without_a_deadline_every_attempt_is_made(fake: FakeOpenAI) -> None:
    for _ in range(3):
        fake.queue(**HUNG)
    with pytest.raises(ClassifierUnavailable, match="after 3 attempts"):
        llm(fake, deadline=None, timeout=0.3).classify("The app crashes on start")
    assert len(fake.requests) == 3


def test_a_long_retry_after_is_not_waited_past_the_deadline(fake: FakeOpenAI) -> None:
    for _ in range(3):
        fake.queue(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "15"})
    with pytest.raises(ClassifierUnavailable, match=r"deadline of 0\.5s reached"):
        llm(fake, deadline=0.5).classify("The app crashes on start")
    assert len(fake.requests) == 1  # the wait was cut to the deadline, and then no time was left


def test_the_pipeline_files_a_mention_with_the_local_answer_marked_fallback(
    sqlite_engine: Engine, rules: RoutingRules, fake: FakeOpenAI
) -> None:
    for _ in range(3):
        fake.queue(**HUNG)
    cascade = Cascade(rules, KeywordClassifier(), llm(fake, deadline=0.8), local_confident=1.01)
    with pipeline(sqlite_engine, rules, cascade=cascade) as p:
        assert p.event(message("I want a refund for the broken order", "1700000090.000100"))[0] == 200
        p.drain(timeout=30)
        [row] = p.classifications().values()
        assert (row.classifier, row.department) == ("fallback", "support")
        assert "deadline of 0.8s reached" in row.reason
        [card] = p.cards()
        assert card.channel == "C0SUPPORT"
    assert len(fake.requests) == 1


def test_a_plain_text_answer_is_abandoned_at_the_deadline_too(fake: FakeOpenAI) -> None:
    # `/insights ask` and digest summaries: before, a hung LLM held them for every attempt's timeout.
    for _ in range(3):
        fake.queue(**HUNG)
    client = OpenAI(api_key="sk-test", base_url=fake.base_url, timeout=5.0, max_retries=0)
    with pytest.raises(ClassifierUnavailable, match=r"deadline of 0\.8s reached"):
        chat_text(client, "fake-mini", system="s", user="u", attempts=3, deadline=0.8)
    assert len(fake.requests) == 1


def test_ask_shares_the_classifier_rate_limiter(fake: FakeOpenAI, rules: RoutingRules) -> None:
    classifier = llm(fake, deadline=5.0)
    classifier.limiter = LLMLimiter(2)
    cascade = Cascade(rules, KeywordClassifier(), classifier)
    assert cascade.llm_limiter is classifier.limiter
    assert Cascade(rules, KeywordClassifier(), None).llm_limiter is None
