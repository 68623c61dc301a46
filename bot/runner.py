"""Long-running modes: `serve` (HTTP, with web/worker roles) and `socket` (Socket Mode)."""

from __future__ import annotations

import logging
import signal
from typing import Any

from bot.app import create_app
from bot.bootstrap import build_services
from bot.rules import load_rules
from bot.senders import SlackSender
from bot.services import Services
from bot.settings import Settings
from bot.web import WebApp, serve_http
from bot.workers import Runtime, start_pipeline_workers

log = logging.getLogger(__name__)


def start_background(services: Services, runtime: Runtime) -> None:
    """The worker role: classification backlog, outbox and scheduler; SIGHUP reloads the schedule."""
    assert services.slack is not None
    services.cascade.warm_up()
    start_pipeline_workers(services, SlackSender(services.slack), runtime)
    from bot.scheduler import SchedulerRunner

    scheduler = SchedulerRunner(services)
    scheduler.start()
    runtime.on_stop(scheduler.shutdown)

    def reload(_signum: int, _frame: Any) -> None:
        try:
            rules = load_rules(services.settings.routing_rules)
        except Exception as exc:  # a broken file keeps the old schedule running
            log.error("SIGHUP: rules file not reloaded: %s", exc)
            return
        scheduler.reload(rules)
        log.info("SIGHUP: schedule reloaded from %s", services.settings.routing_rules)

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)


def run_http(settings: Settings, *, host: str, port: int, role: str) -> int:
    settings.require("SLACK_BOT_TOKEN", *(["SLACK_SIGNING_SECRET"] if role != "worker" else []))
    services = build_services(settings, with_slack=True)
    runtime = Runtime()
    if role in ("all", "worker"):
        start_background(services, runtime)
    try:
        if role == "worker":
            _wait_for_termination(runtime)
        else:
            serve_http(WebApp(services, create_app(services)), host=host, port=port)
    finally:
        runtime.shutdown()
    return 0


def run_socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    services = build_services(settings, with_slack=True)
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
