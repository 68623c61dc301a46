"""The cascade's cost decisions with a real LLM client on FakeOpenAI: rules, local, LLM, fallback, cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.classify.cascade import Cascade
from bot.classify.llm import LLMClassifier
from bot.classify.llm_client import make_openai_client
from bot.classify.local import ReloadingLocalClassifier
from bot.context import Services
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.intake.incoming import from_record
from bot.pipeline.process import process_mention
from bot.store.mentions import store_mention
from bot.store.models import Classification, Delivery, Mention
from tests.fakes.openai_server import FakeOpenAI
from tests.harness import trained_model_path

CRASH = "The app crashes whenever I upload a photo"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def local() -> ReloadingLocalClassifier:
    return ReloadingLocalClassifier(trained_model_path())


def cascade(
    rules: RoutingRules, local: ReloadingLocalClassifier, fake: FakeOpenAI, confident: float
) -> Cascade:
    settings = Settings(openai_api_key="sk-test", openai_base_url=fake.base_url, openai_timeout=0.5)
    llm = LLMClassifier(make_openai_client(settings), "fake-model", {}, attempts=2)
    return Cascade(rules, local, llm, local_confident=confident)


def test_a_rules_override_wins_before_any_model(
    rules: RoutingRules, local: ReloadingLocalClassifier, fake: FakeOpenAI
) -> None:
    result = cascade(rules, local, fake, 1.01).classify("Our glassdoor rating dropped again")
    assert (result.department, result.confidence, result.classifier) == ("hr", 1.0, "rules")
    assert "careers sites" in result.reason
    assert fake.requests == []


def test_a_confident_local_answer_skips_the_llm(
    rules: RoutingRules, local: ReloadingLocalClassifier, fake: FakeOpenAI
) -> None:
    expected = local.classify(CRASH)
    result = cascade(rules, local, fake, expected.confidence).classify(CRASH)
    assert (result.department, result.classifier) == (expected.department, "local")
    assert "skip the LLM" in result.reason
    assert fake.requests == []


def test_an_unsure_local_answer_asks_the_llm(
    rules: RoutingRules, local: ReloadingLocalClassifier, fake: FakeOpenAI
) -> None:
    result = cascade(rules, local, fake, 1.01).classify(CRASH)
    assert (result.department, result.classifier, result.model) == ("support", "llm", "fake-model")
    assert len(fake.requests) == 1


def test_an_llm_failure_falls_back_to_the_local_answer(
    rules: RoutingRules, local: ReloadingLocalClassifier, fake: FakeOpenAI
) -> None:
    fake.queue(status=503, body={"error": {"message": "overloaded"}}, headers={"Retry-After": "0"})
    fake.queue(status=503, body={"error": {"message": "overloaded"}}, headers={"Retry-After": "0"})
    result = cascade(rules, local, fake, 1.01).classify(CRASH)
    assert result.classifier == "fallback"
    assert result.department == local.classify(CRASH).department
    assert "LLM unavailable" in result.reason and "HTTP 503" in result.reason
    assert len(fake.requests) == 2


def test_identical_normalised_texts_are_classified_once(
    engine: Engine, rules: RoutingRules, local: ReloadingLocalClassifier, fake: FakeOpenAI
) -> None:
    services = Services.create(Settings(), rules, engine, cascade(rules, local, fake, 1.01))
    texts = [CRASH, "RT @someone: the app   CRASHES whenever I upload a photo https://t.example/x"]
    ids = [store_mention(engine, from_record({"id": n, "text": t})).mention_id for n, t in enumerate(texts)]
    for mention_id in ids:
        assert mention_id is not None
        process_mention(services, mention_id)
    assert len(fake.requests) == 1
    with Session(engine) as session:
        rows = session.exec(select(Classification).order_by(col(Classification.mention_id))).all()
        assert [(r.classifier, r.department) for r in rows] == [("llm", "support"), ("cache", "support")]
        copy = session.get(Mention, ids[1])
        assert copy is not None and copy.duplicate_of == ids[0]
        kinds = sorted(d.kind for d in session.exec(select(Delivery)).all())
        assert kinds == ["card", "thread"]  # the copy goes to the first card's thread
