"""LLM throughput machinery end to end over HTTP: concurrent calls sharing one 429 pause, batches by id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.classify.cascade import Cascade
from bot.classify.limiter import LLMLimiter
from bot.classify.llm import LLMClassifier
from bot.classify.llm_client import make_openai_client
from bot.classify.local import ReloadingLocalClassifier
from bot.context import Services
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.intake.incoming import from_record
from bot.pipeline.worker import ClassificationWorker
from bot.store.mentions import store_mention
from bot.store.models import Classification, Mention
from tests.fakes.openai_server import (
    FakeOpenAI,
    batch_body,
    batch_items,
    keyword_responder,
    texts_in,
)
from tests.harness import trained_model_path

TEXTS = [
    f"{what} (ticket {n})"
    for n, what in enumerate(["the app crashes on start", "charged twice, refund?"] * 4)
]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def _services(engine: Engine, rules: RoutingRules, fake: FakeOpenAI, **settings: Any) -> Services:
    config = Settings(openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=5.0, **settings)
    llm = LLMClassifier(
        make_openai_client(config), "fake-model", {}, attempts=3, limiter=LLMLimiter(config.llm_concurrency)
    )
    local = ReloadingLocalClassifier(trained_model_path())
    return Services.create(config, rules, engine, Cascade(rules, local, llm, local_confident=1.01))


def _drain(services: Services, threads: int) -> None:
    worker = ClassificationWorker(services, threads=threads)
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()


def _rows(engine: Engine) -> tuple[list[Mention], list[Classification]]:
    with Session(engine) as session:
        return list(session.exec(select(Mention)).all()), list(session.exec(select(Classification)).all())


def test_a_429_pauses_every_caller_and_no_mention_is_lost_or_doubled(
    sqlite_engine: Engine, rules: RoutingRules, fake: FakeOpenAI
) -> None:
    # two call slots, four worker threads: the third call queues for a slot while the first two get 429
    services = _services(sqlite_engine, rules, fake, llm_concurrency=2, llm_batch_size=1)
    for _ in range(2):
        fake.queue(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "1"})
    for number, text in enumerate(TEXTS):
        store_mention(sqlite_engine, from_record({"id": number, "text": text}))
    _drain(services, threads=4)
    mentions, rows = _rows(sqlite_engine)
    assert all(m.status == "routed" for m in mentions) and len(mentions) == len(TEXTS)
    assert Counter(r.mention_id for r in rows) == Counter(m.id for m in mentions)  # one classification each
    assert {r.classifier for r in rows} == {"llm"}
    asked = Counter(text for body in fake.bodies() for text in texts_in(body))
    assert sorted(asked.values()) == [1] * (len(TEXTS) - 2) + [2, 2]  # only the two 429s were repeated
    arrivals = sorted(request["at"] for request in fake.requests)
    # every call after the two 429s started after the Retry-After, including those of other threads
    assert all(at >= arrivals[0] + 1.0 for at in arrivals[2:])
    limiter = services.cascade.llm.limiter  # type: ignore[union-attr]
    assert limiter is not None and limiter.pauses == 2


def test_a_batch_answer_missing_an_id_falls_back_to_a_single_call(
    sqlite_engine: Engine, rules: RoutingRules, fake: FakeOpenAI
) -> None:
    def skip_second(body: dict[str, Any]) -> dict[str, Any]:
        items = batch_items(body)
        if items is None:
            return keyword_responder(body)
        answered = batch_body([r for r in _results(keyword_responder(body)) if r["id"] != "2"])
        return answered

    fake.responder = skip_second
    services = _services(sqlite_engine, rules, fake, llm_concurrency=2, llm_batch_size=4)
    for number, text in enumerate(TEXTS[:4]):
        store_mention(sqlite_engine, from_record({"id": number, "text": text}))
    _drain(services, threads=2)
    bodies = fake.bodies()
    assert [texts_in(b) for b in bodies] == [TEXTS[:4], [TEXTS[1]]]  # the batch, then the missing one alone
    assert "mentions" not in bodies[1]["messages"][1]["content"]
    mentions, rows = _rows(sqlite_engine)
    assert all(m.status == "routed" for m in mentions)
    by_text = {m.text: r for m in mentions for r in rows if r.mention_id == m.id}
    assert {t: r.classifier for t, r in by_text.items()} == dict.fromkeys(TEXTS[:4], "llm")
    assert by_text[TEXTS[0]].prompt_tokens == 120 // 3  # the batch's tokens, shared by the 3 it answered
    assert by_text[TEXTS[1]].prompt_tokens == 120


def _results(reply: dict[str, Any]) -> list[dict[str, Any]]:
    import json

    results: list[dict[str, Any]] = json.loads(reply["choices"][0]["message"]["content"])["results"]
    return results
