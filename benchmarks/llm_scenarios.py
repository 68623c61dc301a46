"""The 1 s-LLM scenarios of benchmarks/pipeline.py: throughput and tokens per mention, single vs batched,
and accuracy against a gold-label oracle (the fake LLM answers each text with its gold department).

The fake OpenAI server estimates usage from what is sent and answered (~4 characters a token, the
response schema included): the single/batched ratio is meaningful, the absolute counts approximate.
The oracle cannot show what a real model loses by reading eight mentions at once; what it measures is
that every answer reaches the right mention (ids, parsing, fallbacks) and the cost of the batch format.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.classify.cascade import Cascade
from bot.classify.limiter import LLMLimiter
from bot.classify.llm import LLMClassifier
from bot.classify.llm_client import make_openai_client
from bot.classify.local import ReloadingLocalClassifier
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.domain.text import slack_to_plain
from bot.store.models import Classification, Mention
from tests.fakes.openai_server import FakeOpenAI, oracle_responder
from tests.harness import trained_model_path

Flow = Callable[..., dict[str, Any]]


def llm_cascade(rules: RoutingRules, fake: FakeOpenAI, concurrency: int) -> Cascade:
    """Local model + the LLM with its shared limiter; local_confident > 1 sends everything to the LLM."""
    settings = Settings(openai_api_key="sk-bench", openai_base_url=fake.base_url, openai_timeout=30.0)
    llm = LLMClassifier(
        make_openai_client(settings), "fake-model", {}, attempts=3, limiter=LLMLimiter(concurrency)
    )
    return Cascade(rules, ReloadingLocalClassifier(trained_model_path()), llm, local_confident=1.01)


def token_stats(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        rows = session.exec(select(Classification).where(Classification.classifier == "llm")).all()
    total = [r.prompt_tokens + r.completion_tokens for r in rows]
    return {
        "llm_answers": len(rows),
        "tokens_per_mention": round(statistics.mean(total), 1) if total else 0,
        "prompt_tokens_per_mention": round(statistics.mean(r.prompt_tokens for r in rows), 1) if rows else 0,
    }


def run_llm(run_flow: Flow, rules: RoutingRules, n: int, batch: int, concurrency: int) -> dict[str, Any]:
    """n synthetic events through the whole app with a fake LLM taking 1 s a call."""
    with FakeOpenAI(delay=1.0, count_tokens=True) as fake:
        name = f"LLM 1 s/call, batch {batch}, {concurrency} calls (16 clients)"
        row = run_flow(
            name,
            n,
            clients=16,
            cascade=llm_cascade(rules, fake, concurrency),
            llm_batch_size=batch,
            llm_concurrency=concurrency,
            stats=token_stats,
        )
        row["llm_requests"] = len(fake.requests)
    return row


def gold_examples(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [(r["text"], r["department"]) for r in map(json.loads, lines) if r.get("text")]


def run_oracle(run_flow: Flow, rules: RoutingRules, dev: Path, batch: int) -> dict[str, Any]:
    """Accuracy of what the pipeline recorded against gold, with an LLM that always knows the gold."""
    examples = gold_examples(dev)
    gold = {slack_to_plain(text): dep for text, dep in examples} | dict(examples)

    def accuracy(engine: Engine) -> dict[str, Any]:
        with Session(engine) as session:
            mentions = session.exec(select(Mention)).all()
        scored = [(m.department, gold.get(m.text)) for m in mentions]
        known = [(got, want) for got, want in scored if want is not None]
        return {
            "accuracy": round(sum(g == w for g, w in known) / max(1, len(known)), 4),
            "scored": len(known),
            **token_stats(engine),
        }

    with FakeOpenAI(count_tokens=True) as fake:
        fake.responder = oracle_responder(gold)
        return run_flow(
            f"oracle accuracy, batch {batch} ({dev.name})",
            len(examples),
            clients=8,
            texts=[text for text, _ in examples],
            cascade=llm_cascade(rules, fake, 16),
            llm_batch_size=batch,
            llm_concurrency=16,
            stats=accuracy,
        )
