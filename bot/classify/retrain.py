"""Automatic retraining of the local model on human corrections: when, by whom, and how it spreads.

The worker role runs one `Retrainer` thread per process. Every `tick` it
1. installs the newest model another process published (bot.store.local_models), then
2. retrains when it is due — `after` new corrections since the model it runs was trained, the nightly
   request (only if there was at least one new correction), or new seeds that left the corrections
   out — holding the `retrain-local-model` lease so one replica at a time trains, and checking again
   under the lease so a replica that lost the race does not train the same corrections twice.
Training runs in this thread, never on the web/ack path nor in the classification threads, which keep
the current model until the new file is in place (written to a temp file, then renamed). The model's
bytes go to the database, so replicas on other machines install the same model; processes sharing
LOCAL_MODEL_PATH see the file change. A failed training is logged and retried after `retry_after`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.classify.corrections import correction_examples
from bot.classify.local import LocalClassifier, ReloadingLocalClassifier
from bot.classify.model_file import write_atomically
from bot.classify.training import seed_hash
from bot.domain.clock import utcnow
from bot.store.corrections import corrections_after
from bot.store.engine import Engine
from bot.store.leases import claim_lease, release_lease
from bot.store.local_models import NewModel, latest_model, model_bytes, models_count, publish_model

log = logging.getLogger(__name__)
LEASE = "retrain-local-model"
LEASE_TTL = timedelta(minutes=30)  # far longer than a training; a trainer that died frees it then
RETRY_AFTER = timedelta(minutes=10)
TICK = 30.0  # seconds between checks (one cheap query each, plus one when a new model exists)
Train = Callable[[Sequence[tuple[str, str]]], LocalClassifier]


def train_on(corrections: Sequence[tuple[str, str]]) -> LocalClassifier:
    return LocalClassifier.train(extra=corrections)


def lease_holder() -> str:
    """Who holds a lease: host, process and a per-object suffix (two retrainers in one test process)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Retrained:
    """One finished training."""

    version: str
    corrections: int
    seconds: float
    trigger: str
    model_id: int


def train_and_publish(engine: Engine, path: Path, *, trigger: str, train: Train = train_on) -> Retrained:
    """Train on the seeds + every correction, publish the model to the database, install it at `path`.

    The caller holds the lease. Logs one line with the version, the corrections and the time taken.
    """
    started = time.perf_counter()
    # read before the examples: a correction stored meanwhile is trained on and still counts as new
    _, newest = corrections_after(engine, 0)
    examples = correction_examples(engine)
    model = train(examples)
    data = model.to_bytes()
    seconds = time.perf_counter() - started
    stored = NewModel(
        version=model.version,
        seed_hash=str(model.meta.get("seed_hash", "")),
        max_correction_id=newest,
        corrections=len(examples),
        trigger=trigger,
        seconds=seconds,
        data=data,
    )
    model_id = publish_model(engine, stored)
    write_atomically(path, data)
    log.info(
        "retrained local model %s on %d corrections (%s) in %.1fs",
        *(model.version, len(examples), trigger, seconds),
    )
    return Retrained(model.version, len(examples), seconds, trigger, model_id)


class Retrainer:
    """Keeps this process's local model current: installs published models, retrains when due."""

    def __init__(
        self,
        engine: Engine,
        local: ReloadingLocalClassifier,
        *,
        after: int,
        clock: Callable[[], datetime] = utcnow,
        train: Train = train_on,
        retry_after: timedelta = RETRY_AFTER,
    ) -> None:
        self._engine, self._local, self._after = engine, local, after
        self._clock, self._train, self._retry_after = clock, train, retry_after
        self._seeds = seed_hash()  # the seeds ship with the code: they cannot change while it runs
        self._holder = lease_holder()
        self._nightly = threading.Event()
        self._wake = threading.Event()
        self._retry_at: datetime | None = None
        self.failures = 0  # trainings that raised, for tests and logs

    def request_nightly(self) -> None:
        """The scheduler's nightly job: retrain on the next check if there were new corrections."""
        self._nightly.set()
        self._wake.set()

    def due(self) -> str | None:
        """Why the model should be retrained now (count | nightly | seeds), or None."""
        stored = latest_model(self._engine, self._seeds)
        new, _ = corrections_after(self._engine, stored.max_correction_id if stored else 0)
        if new == 0:
            self._nightly.clear()  # nothing to learn tonight
            return None
        if self._after and new >= self._after:
            return "count"
        if self._nightly.is_set():
            return "nightly"
        if stored is None and models_count(self._engine) > 0:
            return "seeds"  # a release changed the seeds: the corrections must be learnt again
        return None

    def sync(self) -> str | None:
        """Install the newest model published for these seeds if it is not the one running here."""
        stored = latest_model(self._engine, self._seeds)
        # before the first use (start-up) nothing is loaded: install it rather than train from seeds
        if stored is None or stored.version == self._local.loaded_version:
            return None
        write_atomically(self._local.path, model_bytes(self._engine, stored.id))
        self._local.refresh()
        log.info("installed local model %s (%d corrections)", stored.version, stored.corrections)
        return stored.version

    def run_once(self) -> Retrained | None:
        """One check: install a newer model, then train if due and the lease is ours."""
        self.sync()
        now = self._clock()
        if self._retry_at is not None and now < self._retry_at:
            return None
        if self.due() is None:
            return None
        if not claim_lease(self._engine, LEASE, self._holder, now=now, ttl=LEASE_TTL):
            return None  # another replica is training; its model is installed on a later check
        failed = False
        try:
            return self._train_under_lease()
        except Exception:  # the worker thread lives on; the next attempt waits a while
            failed, self._retry_at = True, now + self._retry_after
            log.exception("retraining the local model failed; trying again after %s", self._retry_at)
            return None
        finally:
            release_lease(self._engine, LEASE, self._holder)
            self.failures += failed  # counted once the attempt is over, lease released

    def _train_under_lease(self) -> Retrained | None:
        trigger = self.due()  # again: the replica that held the lease may just have trained
        if trigger is None:
            return None
        done = train_and_publish(self._engine, self._local.path, trigger=trigger, train=self._train)
        self._local.refresh()
        self._nightly.clear()
        self._retry_at = None
        return done

    def run_forever(self, stop: threading.Event, tick: float = TICK, *, train: bool = True) -> None:
        """The thread's loop. `train=False` (web role): only install what workers publish."""
        while not stop.is_set():
            self._wake.clear()
            try:
                self.run_once() if train else self.sync()
            except Exception:  # e.g. the database is down: keep the current model, check again later
                log.exception("local model check failed; trying again in %.0fs", tick)
            deadline = time.monotonic() + tick
            while not stop.is_set() and not self._wake.is_set() and time.monotonic() < deadline:
                stop.wait(min(0.5, tick))  # short waits: stop and the nightly request wake it quickly
