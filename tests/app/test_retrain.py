"""Corrections teach without a command: after N corrections (or nightly) the worker retrains once across
replicas, every replica installs the new model, and a failing training neither kills the thread nor
stops a later retry. Real trainings here: one (two workers racing); the rest reuse the cached model."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app.bootstrap import build_cascade
from bot.app.runtime import Runtime, start_retrainer
from bot.app.scheduler import RETRAIN_JOB, SchedulerRunner
from bot.classify.local import LocalClassifier, ReloadingLocalClassifier
from bot.classify.retrain import LEASE, RETRY_AFTER, Retrainer
from bot.context import Services
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.store.engine import init_db, make_engine
from bot.store.leases import claim_lease, release_lease
from bot.store.local_models import MODELS, NewModel, latest_model, models_count, publish_model
from bot.store.models import Correction
from tests.app.retraining import correct
from tests.handlers import running_app, wait_for
from tests.handlers.clicks import button, click, post_card, select_to
from tests.harness import trained_model_path

N = 3
TAUGHT = "Does the Quorvex bundle come with the Zentrox dock?"  # the seeds model says none, weakly
NOW = datetime(2026, 11, 29, 12, 0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _replica(db: Path, rules: RoutingRules, model_path: Path, **settings: Any) -> Services:
    """One process of a deployment: its own engine on the shared database, its own model file."""
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    config = Settings(model_path=model_path, **{"retrain_after_corrections": N, **settings})
    return Services.create(config, rules, engine, build_cascade(config, rules, engine, use_llm=False))


def _local(services: Services) -> ReloadingLocalClassifier:
    local = services.cascade.local
    assert isinstance(local, ReloadingLocalClassifier)
    return local


def _model_file(tmp_path: Path, name: str) -> Path:
    """A copy of the cached seeds model: the shared cache itself must never be overwritten."""
    path = tmp_path / name / "model.joblib"
    path.parent.mkdir()
    shutil.copy(trained_model_path(), path)
    return path


def _corrections_are(engine: Engine, n: int) -> bool:
    return _corrections(engine) == n


def _corrections(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(Correction.id)).all())  # type: ignore[call-overload]


def _cached_model(version: str) -> LocalClassifier:
    model = LocalClassifier.load(trained_model_path())
    model.meta["model_version"] = model.version = version
    return model


def _click_three_corrections(services: Services, rules: RoutingRules) -> None:
    """People correct three cards through the real buttons; the trigger fires at the third."""
    probe = Retrainer(services.engine, _local(services), after=N)
    cards: list[tuple[str, str, str, Callable[[int], dict[str, Any]]]] = [
        (TAUGHT, "support", "C0SUPPORT", lambda _id: select_to("sales")),
        (
            "My Glimmerpad will not pair with the Zentrox hub",
            "support",
            "C0SUPPORT",
            lambda _id: select_to("product"),
        ),
        (
            "Saw the Quorvex booth at the fair, nice colours",
            "product",
            "C0PRODUCT",
            lambda i: button("not_relevant", i),
        ),
    ]
    with running_app(services.engine, rules) as h:
        for done, (text, department, channel, action) in enumerate(cards):
            assert probe.due() is None
            mention_id, ts = post_card(h, services.engine, text, department, channel)
            click(h, action(mention_id), mention_id, channel, ts)
            wait_for(partial(_corrections_are, services.engine, done + 1))
    assert probe.due() == "count"


def test_card_corrections_retrain_once_across_two_workers_and_every_replica_installs_the_model(
    tmp_path: Path, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.classify.retrain")
    db = tmp_path / "shared.db"
    # two worker replicas on "different machines": one database, a model file each
    workers = [_replica(db, rules, _model_file(tmp_path, name)) for name in ("a", "b")]
    _click_three_corrections(workers[0], rules)
    assert workers[0].cascade.classify(TAUGHT).department != "sales"
    runtimes = [Runtime(), Runtime()]
    try:
        for services, runtime in zip(workers, runtimes, strict=True):
            start_retrainer(services, runtime, tick=0.1)
        wait_for(lambda: all(_local(w).loaded_version not in (None, "local-2") for w in workers), 180)
        stored = latest_model(workers[0].engine, _local(workers[0]).model.meta["seed_hash"])
        assert stored is not None and models_count(workers[0].engine) == 1  # trained once
        assert (stored.trigger, stored.corrections, stored.version) == (
            "count",
            3,
            _local(workers[1]).version,
        )
        assert stored.version.startswith("local-2+3c.")
        for services in workers:  # each running classifier picked the model up, and learnt
            assert services.cascade.classify(TAUGHT).department == "sales"
        assert [w.state for r in runtimes for w in r.workers()] == ["running", "running"]
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrained")]
        assert len(lines) == 1 and f"{stored.version} on 3 corrections (count) in" in lines[0]

        # a replica started later on a third machine (or the web role) installs it before first use
        late = _replica(db, rules, tmp_path / "c" / "model.joblib")
        third = Runtime()
        runtimes.append(third)
        start_retrainer(late, third, train=False)
        assert _local(late).loaded_version == stored.version
        assert late.cascade.classify(TAUGHT).department == "sales"
    finally:
        for runtime in runtimes:
            runtime.shutdown()


def test_a_failing_training_is_logged_and_retried_later_without_killing_the_thread(
    tmp_path: Path, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    services = _replica(tmp_path / "t.db", rules, _model_file(tmp_path, "m"))
    engine, clock, calls = services.engine, Clock(NOW), []

    def flaky(corrections: Sequence[tuple[str, str]]) -> LocalClassifier:
        calls.append(list(corrections))
        if len(calls) == 1:
            raise RuntimeError("out of memory while training")
        return _cached_model("local-2+retried")

    retrainer = Retrainer(engine, _local(services), after=1, clock=clock, train=flaky)
    correct(engine, "Do you ship the Quorvex to Iceland?", "sales")
    runtime = Runtime()
    runtime.spawn("retrain", lambda stop: retrainer.run_forever(stop, 0.05))
    try:
        wait_for(lambda: retrainer.failures == 1)
        assert "retraining the local model failed" in caplog.text and "out of memory" in caplog.text
        assert [w.state for w in runtime.workers()] == ["running"]
        assert models_count(engine) == 0 and _local(services).version == "local-2"
        assert claim_lease(engine, LEASE, "someone else", now=NOW, ttl=timedelta(minutes=1))  # released
        release_lease(engine, LEASE, "someone else")
        assert retrainer.run_once() is None and len(calls) == 1  # not before the retry time
        clock.now = NOW + RETRY_AFTER + timedelta(seconds=1)
        wait_for(lambda: _local(services).loaded_version == "local-2+retried")
        assert calls == [[("Do you ship the Quorvex to Iceland?", "sales")]] * 2
        assert [w.state for w in runtime.workers()] == ["running"]
    finally:
        runtime.shutdown()


def test_nightly_job_retrains_only_when_there_were_new_corrections(
    tmp_path: Path, rules: RoutingRules
) -> None:
    services = _replica(tmp_path / "t.db", rules, _model_file(tmp_path, "m"), retrain_after_corrections=20)
    retrainer = Retrainer(
        services.engine, _local(services), after=20, train=lambda _: _cached_model("nightly")
    )
    runner = SchedulerRunner(services, nightly_retrain=retrainer.request_nightly)
    runner.reload()
    assert "hour='3', minute='0'" in str(runner.scheduler.get_job(RETRAIN_JOB).trigger)
    retrainer.request_nightly()
    assert retrainer.run_once() is None  # no corrections: nothing to learn tonight
    correct(services.engine, "Is the Zentrox dock sold separately?", "sales")
    assert retrainer.run_once() is None  # 1 < 20 and not night yet
    retrainer.request_nightly()
    done = retrainer.run_once()
    assert done is not None and (done.trigger, done.corrections, done.version) == ("nightly", 1, "nightly")
    assert _local(services).version == "nightly"
    retrainer.request_nightly()
    assert retrainer.run_once() is None  # nothing new since the last training
    off = _replica(tmp_path / "t.db", rules, tmp_path / "unused.joblib", retrain_hour=None)
    quiet = SchedulerRunner(off, nightly_retrain=retrainer.request_nightly)
    quiet.reload()
    assert quiet.scheduler.get_job(RETRAIN_JOB) is None


def test_new_seeds_relearn_the_corrections_and_never_install_a_model_of_other_seeds(
    tmp_path: Path, rules: RoutingRules
) -> None:
    services = _replica(tmp_path / "t.db", rules, _model_file(tmp_path, "m"))
    engine = services.engine
    old = NewModel("local-1+1c.x", "older-seeds", 1, 1, "count", 3.0, b"a model of other seeds")
    publish_model(engine, old)
    retrainer = Retrainer(engine, _local(services), after=N, train=lambda _: _cached_model("relearnt"))
    assert retrainer.sync() is None and _local(services).version == "local-2"
    assert retrainer.due() is None  # no correction at all
    correct(engine, "Can I order the Zentrox dock in red?", "sales")
    assert retrainer.due() == "seeds"  # 1 < N, but the previous release's model had learnt it
    done = retrainer.run_once()
    assert done is not None and done.trigger == "seeds" and _local(services).version == "relearnt"
    with engine.connect() as conn:
        assert conn.execute(select(MODELS.c.trigger).order_by(MODELS.c.id)).scalars().all() == [
            "count",
            "seeds",
        ]
