"""GET /metrics: the process's counters (bot.domain.metrics) plus backlog gauges read from the database.

Each WSGI front gets its own CollectorRegistry (`app_registry`): the process-wide counters are forwarded
into it, and the backlog gauges are bound to that front's engine. Two apps in one process (tests) then
never register the same collector twice, and each reports its own database.

The gauges are computed at scrape time with two indexed counts and two MIN queries, run on a helper
thread with a timeout (like /readyz): a hung database costs a scrape `timeout` seconds and reports
`social_router_backlog_up 0` instead of blocking the scraper. At most one probe waits at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from bot.domain import metrics
from bot.domain.clock import utcnow
from bot.store.backlog import oldest_pending_ages, pending_counts
from bot.store.engine import Engine

log = logging.getLogger(__name__)
_GAUGES = (
    ("social_router_mentions_pending", "Mentions waiting for classification.", "pending_mentions"),
    ("social_router_outbox_pending", "Outbox rows (Slack messages) waiting for delivery.", "pending_outbox"),
    (
        "social_router_mentions_oldest_pending_seconds",
        "Age of the oldest mention waiting for classification (0 when none).",
        "oldest_pending_mention_seconds",
    ),
    (
        "social_router_outbox_oldest_pending_seconds",
        "Age of the oldest outbox row waiting for delivery (0 when none).",
        "oldest_pending_outbox_seconds",
    ),
)


class _Forward(Collector):
    """Serves another registry's metrics (the process-wide counters) from this one."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()


class BacklogCollector(Collector):
    """The backlog gauges of one database, read when Prometheus scrapes."""

    def __init__(
        self, engine: Engine, *, timeout: float = 3.0, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.timeout = timeout
        self.clock = clock
        self._busy = threading.Lock()

    def describe(self) -> Iterator[Metric]:
        return iter(())  # computed at scrape time: registering must not query the database

    def collect(self) -> Iterator[Metric]:
        values = self._read()
        up = GaugeMetricFamily(
            "social_router_backlog_up", "1 when the backlog gauges could be read from the database."
        )
        up.add_metric([], 0.0 if values is None else 1.0)
        yield up
        if values is None:
            return
        for name, documentation, key in _GAUGES:
            yield GaugeMetricFamily(name, documentation, value=float(values.get(key) or 0))

    def _read(self) -> dict[str, Any] | None:
        if not self._busy.acquire(blocking=False):
            return None  # the previous scrape's query has not answered yet
        box: dict[str, Any] = {}
        probe = threading.Thread(target=self._probe, args=(box,), name="metrics-probe", daemon=True)
        probe.start()
        probe.join(self.timeout)
        return box.get("values")

    def _probe(self, box: dict[str, Any]) -> None:
        try:
            with self.engine.connect() as conn:
                box["values"] = {**pending_counts(conn), **oldest_pending_ages(conn, self.clock())}
        except Exception as exc:  # reported as social_router_backlog_up 0
            log.warning("metrics: backlog unreadable: %s", type(exc).__name__)
        finally:
            self._busy.release()


def app_registry(engine: Engine, *, timeout: float = 3.0) -> CollectorRegistry:
    """A registry for one HTTP front: the process's counters, runtime metrics and `engine`'s backlog."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Forward(metrics.REGISTRY))
    registry.register(BacklogCollector(engine, timeout=timeout))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[dict[str, str], bytes]:
    """(headers, body) in the Prometheus text format."""
    return {"Content-Type": CONTENT_TYPE_LATEST}, generate_latest(registry)
