"""A delivery worker in its own process, for crash tests: `python -m tests.delivery.worker_process DB URL ID`.

Runs until SIGTERM (which sets the stop event, like `serve`), then releases its claims and exits 0.
"""

from __future__ import annotations

import signal
import sys
import threading

from slack_sdk import WebClient

from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.store.engine import make_engine


def main(database_url: str, slack_url: str, worker_id: str) -> None:
    engine = make_engine(database_url)
    client = WebClient(token="xoxb-test", base_url=slack_url, timeout=30)
    worker = DeliveryWorker(engine, SlackSender(client), min_interval=0, worker_id=worker_id)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    worker.run_forever(stop, poll=0.05)


if __name__ == "__main__":
    main(*sys.argv[1:4])
