"""Background work: the classification backlog and the outbox, run as threads of one process or a worker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.delivery import DeliveryWorker
from bot.pipeline import claim_pending, process_batch
from bot.senders import Sender
from bot.services import Services

log = logging.getLogger(__name__)


class ClassificationWorker:
    """Drains mentions with status 'pending': classify in parallel, record, enqueue cards."""

    def __init__(self, services: Services, *, threads: int | None = None) -> None:
        self.services = services
        self.threads = threads or services.settings.classify_workers
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="classify")

    def run_once(self) -> int:
        """Process one batch; return how many mentions were taken."""
        # with an LLM each classification may take a second: smaller batches get cards out sooner
        per_thread = 2 if self.services.cascade.llm is not None else 4
        ids = claim_pending(self.services.engine, limit=self.threads * per_thread)
        if ids:
            try:
                process_batch(self.services, ids, mapper=self._pool.map)
            except Exception:  # e.g. the database went away: the claims expire and the batch is retried
                log.exception("a batch of %d mentions failed; it will be retried", len(ids))
        return len(ids)

    def run_forever(self, stop: threading.Event, poll: float = 1.0) -> None:
        wake = self.services.work_ready
        while not stop.is_set():
            wake.clear()
            if self.run_once() == 0:
                wake.wait(poll)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class Runtime:
    """The process's background threads, started by `serve`, `socket` and `demo`."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._on_stop: list[Callable[[], None]] = []

    def spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self.stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._on_stop.append(callback)

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)
        for callback in self._on_stop:
            callback()


def start_pipeline_workers(services: Services, sender: Sender, runtime: Runtime) -> None:
    """Start the classification and delivery workers on `runtime`."""
    classifier = ClassificationWorker(services)
    delivery = DeliveryWorker(services.engine, sender, min_interval=services.settings.slack_min_interval)
    runtime.spawn("classify", classifier.run_forever)
    runtime.spawn("deliver", lambda stop: delivery.run_forever(stop, wake=services.delivery_ready))
    runtime.on_stop(classifier.close)
