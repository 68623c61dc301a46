"""Helpers for tests that need the outbox delivered: a real DeliveryWorker against the fake Slack."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.store.outbox import pending_count
from tests.fakes.slack_server import FakeSlack


def worker_for(engine: Engine, fake: FakeSlack, **options: Any) -> DeliveryWorker:
    """A worker with no pacing and short backoff (override with options), posting to `fake`."""
    client = WebClient(token="xoxb-test", base_url=fake.base_url, timeout=options.pop("timeout", 15))
    settings: dict[str, Any] = {"min_interval": 0.0, "backoff_base": 0.05, **options}
    return DeliveryWorker(engine, SlackSender(client), **settings)


def drain(engine: Engine, fake: FakeSlack, timeout: float = 15.0, **options: Any) -> None:
    """Deliver until no row is pending (or fail)."""
    worker = worker_for(engine, fake, **options)
    deadline = time.monotonic() + timeout
    while pending_count(engine):
        assert time.monotonic() < deadline, "outbox did not drain in time"
        if not worker.run_once():
            time.sleep(0.02)
