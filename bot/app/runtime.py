"""Long-running modes: `serve` (HTTP, with web/worker roles) and `socket` (Socket Mode)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from bot.app.bootstrap import build_services
from bot.app.preflight import bind, check_app_token
from bot.app.reload import reload_rules
from bot.app.web import WebApp, make_server
from bot.context import Services
from bot.delivery.senders import Sender, SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.settings import Settings
from bot.pipeline.worker import ClassificationWorker
from handlers import create_app

log = logging.getLogger(__name__)


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


def start_background(services: Services, runtime: Runtime) -> None:
    """The worker role: classification backlog, outbox and scheduler; SIGHUP reloads the schedule."""
    assert services.slack is not None
    services.cascade.warm_up()
    start_pipeline_workers(services, SlackSender(services.slack), runtime)
    from bot.app.scheduler import SchedulerRunner

    scheduler = SchedulerRunner(services)
    scheduler.start()
    runtime.on_stop(scheduler.shutdown)

    def reload(_signum: int, _frame: Any) -> None:
        if reload_rules(services):
            scheduler.reload()

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)


def run_http(settings: Settings, *, host: str, port: int, role: str) -> int:
    settings.require("SLACK_BOT_TOKEN", *(["SLACK_SIGNING_SECRET"] if role != "worker" else []))
    services = build_services(settings, with_slack=True)
    server = None
    if role != "worker":  # listen before starting workers, so a port in use stops start-up cleanly
        app = WebApp(services, create_app(services))
        server = bind(lambda: make_server(app, host=host, port=port), host, port)
    runtime = Runtime()
    if role in ("all", "worker"):
        start_background(services, runtime)
    try:
        if server is None:
            _wait_for_termination(runtime)
        else:
            log.info("listening on http://%s:%s (POST /slack/events, POST /ingest, GET /healthz)", host, port)
            server.run()
    finally:
        runtime.shutdown()
    return 0


def run_socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    services = build_services(settings, with_slack=True)
    assert services.slack is not None and settings.slack_app_token is not None
    check_app_token(services.slack, settings.slack_app_token)
    runtime = Runtime()
    start_background(services, runtime)
    try:
        SocketModeHandler(create_app(services), settings.slack_app_token).start()
    finally:
        runtime.shutdown()
    return 0


def _wait_for_termination(runtime: Runtime) -> None:
    signal.signal(signal.SIGTERM, lambda *_: runtime.stop.set())
    log.info("worker running: outbox, classification backlog and scheduler (Ctrl-C to stop)")
    while not runtime.stop.wait(1.0):
        pass
