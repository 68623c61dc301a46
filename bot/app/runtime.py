"""Long-running modes: `serve` (HTTP, with web/worker roles) and `socket` (Socket Mode)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from bot.app.bootstrap import build_services
from bot.app.health import Readiness
from bot.app.preflight import bind, check_app_token
from bot.app.reload import reload_rules
from bot.app.supervise import (
    EXIT_WORKER_DIED,
    RestartPolicy,
    SupervisedThread,
    WorkerStatus,
    hard_exit,
)
from bot.app.web import WebApp, make_server
from bot.classify.local import ReloadingLocalClassifier
from bot.classify.retrain import TICK, Retrainer
from bot.context import Services
from bot.delivery.base import Sender
from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.settings import Settings
from bot.intake.sources.http import SourceHttp
from bot.intake.sources.runner import SourcePoller
from bot.pipeline.worker import ClassificationWorker
from bot.slack.directory import join_channels
from handlers import create_app

log = logging.getLogger(__name__)


class Runtime:
    """The process's background threads, started by `serve`, `socket` and `demo`, each supervised.

    A thread that dies is restarted (see bot/app/supervise.py); one that keeps dying stops the whole
    process through `exit_process` with EXIT_WORKER_DIED, after the other threads had a moment to finish.
    """

    def __init__(
        self, *, policy: RestartPolicy | None = None, exit_process: Callable[[int], None] = hard_exit
    ) -> None:
        self.stop = threading.Event()
        self.failure = ""  # why the process gave up, once a worker thread kept dying
        self._policy = policy or RestartPolicy()
        self._exit = exit_process
        self._threads: list[SupervisedThread] = []
        self._watched: dict[str, Callable[[], bool]] = {}
        self._on_stop: list[Callable[[], None]] = []
        self._stopping = threading.Lock()

    def spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = SupervisedThread(name, target, self.stop, policy=self._policy, on_give_up=self._give_up)
        thread.start()
        self._threads.append(thread)

    def watch(self, name: str, alive: Callable[[], bool]) -> None:
        """Report a thread this runtime does not own (e.g. the scheduler's) in `workers()`."""
        self._watched[name] = alive

    def workers(self) -> list[WorkerStatus]:
        """Every background thread of this process, for /readyz (empty for `--role web`)."""
        statuses = [thread.status() for thread in self._threads]
        for name, alive in self._watched.items():
            statuses.append(WorkerStatus(name, "running" if alive() else "dead"))
        return statuses

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._on_stop.append(callback)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every thread and run the stop callbacks, once (safe to call again and from any thread)."""
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout)
        with self._stopping:
            callbacks, self._on_stop = self._on_stop, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one failing callback must not skip the others
                log.exception("stop callback failed")

    def _give_up(self, name: str, reason: str) -> None:
        self.failure = f"worker thread {name} keeps dying: {reason}"
        log.critical(
            "%s; exiting with status %d so the supervisor restarts the process",
            self.failure,
            EXIT_WORKER_DIED,
        )
        self.shutdown(timeout=5.0)
        self._exit(EXIT_WORKER_DIED)


def start_pipeline_workers(services: Services, sender: Sender, runtime: Runtime) -> None:
    """Start the classification and delivery workers on `runtime`."""
    classifier = ClassificationWorker(services)
    delivery = DeliveryWorker(services.engine, sender, min_interval=services.settings.slack_min_interval)
    runtime.spawn("classify", classifier.run_forever)
    runtime.spawn("deliver", lambda stop: delivery.run_forever(stop, wake=services.delivery_ready))
    runtime.on_stop(classifier.close)


def start_source_poller(services: Services, runtime: Runtime, *, tick: float = 5.0) -> SourcePoller:
    """The built-in listeners' thread. It reads `services.rules.sources` on every loop, so a SIGHUP
    that adds, changes or removes a source takes effect without a restart."""
    http = SourceHttp(credentials=services.settings.source_credentials)
    poller = SourcePoller(services.engine, http, lambda: services.rules.sources, wake=services.work_ready.set)
    runtime.spawn("sources", lambda stop: poller.run_forever(stop, tick))
    runtime.on_stop(poller.close)
    return poller


def start_retrainer(
    services: Services, runtime: Runtime, *, train: bool = True, tick: float = TICK
) -> Retrainer | None:
    """The thread that installs retrained local models, and (`train`: the worker role) retrains.

    Its first check runs here, before the model is first used: a replica that starts next to a
    database holding a retrained model installs it instead of training one from the seeds.
    """
    local = services.cascade.local  # shared by every Config a reload builds
    if not isinstance(local, ReloadingLocalClassifier):
        return None
    retrainer = Retrainer(services.engine, local, after=services.settings.retrain_after_corrections)
    try:
        retrainer.sync()
    except Exception:  # an unreadable stored model must not stop start-up: the seeds model serves
        log.exception("could not install the stored local model")
    name = "retrain" if train else "model-sync"
    runtime.spawn(name, lambda stop: retrainer.run_forever(stop, tick, train=train))
    return retrainer


def start_background(services: Services, runtime: Runtime) -> None:
    """The worker role: classification backlog, outbox, scheduler, listeners and retraining; SIGHUP
    reloads rules."""
    assert services.slack is not None
    retrainer = start_retrainer(services, runtime)
    services.cascade.warm_up()
    start_pipeline_workers(services, SlackSender(services.slack), runtime)
    from bot.app.scheduler import SchedulerRunner

    nightly = retrainer.request_nightly if retrainer is not None else None
    scheduler = SchedulerRunner(services, nightly_retrain=nightly)
    scheduler.start()
    runtime.watch("scheduler", lambda: bool(scheduler.scheduler.running))
    runtime.on_stop(scheduler.shutdown)
    start_source_poller(services, runtime)

    def reload(_signum: int, _frame: Any) -> None:
        if reload_rules(services):
            scheduler.reload()

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)


def run_http(settings: Settings, *, host: str, port: int, role: str) -> int:
    settings.require("SLACK_BOT_TOKEN", *(["SLACK_SIGNING_SECRET"] if role != "worker" else []))
    services = build_services(settings, with_slack=True)
    join_rule_channels(services)
    runtime = Runtime()
    readiness = Readiness(services.engine, runtime, sources=lambda: [s.name for s in services.rules.sources])
    if role == "worker":  # no Slack events, no /ingest: probes and metrics for the orchestrator
        app, threads = WebApp(services, None, readiness, health_only=True), 2
    else:
        app, threads = WebApp(services, create_app(services), readiness), 8
    # listen before starting workers, so a port in use stops start-up cleanly
    server = bind(lambda: make_server(app, host=host, port=port, threads=threads), host, port)
    if role in ("all", "worker"):
        start_background(services, runtime)
    else:  # the web role classifies only for `/insights route`, but with the model the workers trained
        start_retrainer(services, runtime, train=False)
    try:
        _exit_on_sigterm()
        paths = "" if app.health_only else "/slack/events, /ingest, "
        log.info("listening on http://%s:%s (%s/healthz, /readyz, /metrics)", host, port, paths)
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
    join_rule_channels(services)
    runtime = Runtime()
    start_background(services, runtime)
    _exit_on_sigterm()
    try:
        SocketModeHandler(create_app(services), settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    finally:
        runtime.shutdown()
    return 0


def join_rule_channels(services: Services) -> None:
    """Join the public channels the rules file names; say which private ones need an /invite.

    Best effort: a Slack error here is logged and start-up goes on (a card to a public channel the bot
    is not in still joins it on first post).
    """
    if services.slack is None:
        return
    try:
        join_channels(services.slack, services.rules)
    except Exception as exc:
        log.warning("could not check channel membership at start-up (%s); `python -m bot check` will", exc)


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds the main thread (SystemExit), so `finally: runtime.shutdown()` runs: the delivery
    worker stops between messages and releases its claims, and a restart resumes them at once."""

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
