"""The classification worker: drains the backlog of stored mentions in batches, on a small thread pool."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.context import Services
from bot.pipeline.process import process_batch
from bot.store.mentions import claim_pending

log = logging.getLogger(__name__)


class ClassificationWorker:
    """Drains mentions with status 'pending': classify in parallel, record, enqueue cards."""

    def __init__(self, services: Services, *, threads: int | None = None) -> None:
        self.services = services
        self.threads = threads or services.settings.classify_workers
        # LLM calls wait on the network, not the CPU: one thread per allowed call (LLM_CONCURRENCY)
        self.llm_threads = services.settings.llm_concurrency if services.cascade.llm is not None else 0
        self._pool = ThreadPoolExecutor(
            max_workers=max(self.threads, self.llm_threads), thread_name_prefix="classify"
        )

    def run_once(self) -> int:
        """Process one batch; return how many mentions were taken."""
        ids = claim_pending(self.services.engine, limit=self.claim_size())
        if ids:
            try:
                process_batch(self.services, ids, mapper=self._pool.map)
            except Exception:  # e.g. the database went away: the claims expire and the batch is retried
                log.exception("a batch of %d mentions failed; it will be retried", len(ids))
        return len(ids)

    def claim_size(self) -> int:
        """Enough to keep every LLM call slot busy for one round, and no more (claims are held)."""
        if not self.llm_threads:
            return self.threads * 4
        return max(self.threads * 2, self.llm_threads * self.services.settings.llm_batch_size)

    def run_forever(self, stop: threading.Event, poll: float = 1.0) -> None:
        wake = self.services.work_ready
        while not stop.is_set():
            wake.clear()
            if self.run_once() == 0:
                wake.wait(poll)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
