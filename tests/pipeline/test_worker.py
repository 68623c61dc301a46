"""The classification worker and the runtime: one bad mention never blocks the rest; shutdown is clean."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.app.runtime import Runtime
from bot.classify.cascade import Cascade
from bot.context import Services
from bot.domain.result import Few, Result
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.intake.incoming import from_record
from bot.pipeline.worker import ClassificationWorker
from bot.store.mentions import store_mention
from bot.store.models import Delivery, Mention


class BrokenOnBoom:
    """A classifier double that fails on one text, as a library bug would."""

    def classify(self, text: str, *, few_shots: tuple[Few, ...] = ()) -> Result:
        if "boom" in text:
            raise RuntimeError("classifier bug")
        return Result("support", 0.9, classifier="local", reason="test double")


def test_a_failing_mention_does_not_stop_the_others(engine: Engine, rules: RoutingRules) -> None:
    services = Services.create(Settings(), rules, engine, Cascade(rules, BrokenOnBoom()))
    for number, text in enumerate(["my order is late", "boom", "refund please"]):
        store_mention(engine, from_record({"id": number, "text": text}))
    worker = ClassificationWorker(services, threads=2)
    try:
        assert worker.run_once() == 3
        assert worker.run_once() == 0  # the failed one stays claimed until its claim expires
    finally:
        worker.close()
    with Session(engine) as session:
        mentions = session.exec(select(Mention).order_by(col(Mention.id))).all()
        assert [(m.text, m.status) for m in mentions] == [
            ("my order is late", "routed"),
            ("boom", "pending"),
            ("refund please", "routed"),
        ]
        assert mentions[1].claimed_until is not None
        cards = session.exec(select(Delivery)).all()
        assert sorted(d.channel for d in cards) == ["C0SUPPORT", "C0SUPPORT"]


def test_runtime_shutdown_stops_threads_and_runs_callbacks() -> None:
    runtime = Runtime()
    seen: list[str] = []
    started = threading.Event()

    def loop(stop: threading.Event) -> None:
        started.set()
        stop.wait(30)
        seen.append("loop ended")

    runtime.spawn("loop", loop)
    runtime.on_stop(lambda: seen.append("callback"))
    assert started.wait(5)
    runtime.shutdown(timeout=5)
    assert seen == ["loop ended", "callback"]
