"""Supervised worker threads: a death is restarted with its reason logged; repeated deaths end the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from bot.app.runtime import Runtime
from bot.app.supervise import EXIT_WORKER_DIED, RestartPolicy, SupervisedThread
from tests.handlers import wait_for

REPO = Path(__file__).resolve().parents[2]
FAST = RestartPolicy(max_restarts=2, window=300.0, backoff=0.0)


def test_a_worker_that_raises_once_is_restarted(caplog: pytest.LogCaptureFixture) -> None:
    exits: list[int] = []
    runtime = Runtime(policy=FAST, exit_process=exits.append)
    runs: list[int] = []

    def flaky(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("database went away")
        stop.wait(30)

    runtime.spawn("flaky", flaky)
    try:
        wait_for(lambda: len(runs) == 2)
        [status] = runtime.workers()
        assert (status.name, status.state, status.restarts) == ("flaky", "running", 1)
        assert status.last_error == "RuntimeError: database went away" and status.ok
        assert "worker thread flaky died" in caplog.text and "restarting worker thread flaky" in caplog.text
    finally:
        runtime.shutdown(timeout=5)
    assert exits == [] and runtime.workers()[0].state == "stopped"


def test_a_worker_that_keeps_dying_stops_the_process(caplog: pytest.LogCaptureFixture) -> None:
    exits: list[int] = []
    stopped: list[str] = []
    runtime = Runtime(policy=FAST, exit_process=exits.append)
    runtime.on_stop(lambda: stopped.append("callback"))

    def broken(stop: threading.Event) -> None:
        raise ValueError("no such column: mention.classification_id")

    def healthy(stop: threading.Event) -> None:
        stop.wait(30)

    runtime.spawn("healthy", healthy)
    runtime.spawn("broken", broken)
    wait_for(lambda: exits)
    assert exits == [EXIT_WORKER_DIED] and stopped == ["callback"]  # the others were stopped first
    assert runtime.stop.is_set()
    assert "worker thread broken keeps dying: ValueError: no such column" in runtime.failure
    states = {s.name: (s.state, s.restarts) for s in runtime.workers()}
    assert states == {"healthy": ("stopped", 0), "broken": ("dead", 2)}
    assert "exiting with status 3 so the supervisor restarts the process" in caplog.text
    runtime.shutdown()  # the main thread's own shutdown afterwards is harmless
    assert stopped == ["callback"]


def test_a_worker_that_returns_early_counts_as_dead() -> None:
    exits: list[int] = []
    runtime = Runtime(policy=RestartPolicy(max_restarts=0, backoff=0.0), exit_process=exits.append)
    runtime.spawn("quitter", lambda stop: None)
    wait_for(lambda: exits)
    [status] = runtime.workers()
    assert status.state == "dead" and status.last_error == "returned while the process is still running"


def test_restarts_outside_the_window_do_not_count() -> None:
    now = [0.0]
    gave_up: list[str] = []
    stop = threading.Event()

    def dies_each_minute(stop: threading.Event) -> None:
        now[0] += 61.0  # each death comes a minute after the last: never two inside the window
        if now[0] < 61.0 * 4:
            raise RuntimeError("transient")
        stop.wait(30)

    thread = SupervisedThread(
        "minutely",
        dies_each_minute,
        stop,
        policy=RestartPolicy(max_restarts=1, window=60.0, backoff=0.0),
        on_give_up=lambda name, reason: gave_up.append(name),
        clock=lambda: now[0],
    )
    thread.start()
    try:
        wait_for(lambda: thread.status().restarts == 3 and thread.status().state == "running")
    finally:
        stop.set()
        thread.join(5)
    assert gave_up == [] and thread.status().state == "stopped"


def test_the_real_exit_ends_the_process_with_a_non_zero_status(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import logging, threading, time
        from bot.app.runtime import Runtime
        from bot.app.supervise import RestartPolicy

        logging.basicConfig(level=logging.INFO)
        runtime = Runtime(policy=RestartPolicy(max_restarts=2, backoff=0.0))

        def broken(stop):
            raise RuntimeError("classify loop crashed")

        runtime.spawn("classify", broken)
        time.sleep(60)  # the main thread would serve HTTP here; the dying thread ends the process
        print("still running")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == EXIT_WORKER_DIED, done.stderr
    assert "still running" not in done.stdout
    assert done.stderr.count("worker thread classify died") == 3
    assert "worker thread classify keeps dying: RuntimeError: classify loop crashed" in done.stderr
