"""Worker threads that cannot die quietly: each is restarted with a logged reason, at a bounded rate.

A thread whose loop raises (or returns while the process is still running) is restarted after a short,
growing pause. When it keeps dying — more than `max_restarts` restarts within `window` seconds — the
supervisor gives up and calls `on_give_up`, which in production stops the process with a non-zero
status so its own supervisor (systemd, Kubernetes, a Procfile runner) restarts it. A process that
answers HTTP while its classifier or outbox thread is dead is exactly what this prevents.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
Target = Callable[[threading.Event], None]


@dataclass(frozen=True)
class RestartPolicy:
    """How often a dead worker thread is restarted before the process gives up."""

    max_restarts: int = 5  # restarts allowed within `window` seconds; one more death ends the process
    window: float = 300.0
    backoff: float = 1.0  # pause before the first restart; doubles per recent restart, up to backoff_cap
    backoff_cap: float = 30.0


@dataclass(frozen=True)
class WorkerStatus:
    """One worker thread as /readyz reports it. `state`: running, restarting, dead or stopped."""

    name: str
    state: str
    restarts: int = 0
    last_error: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("running", "restarting")


class SupervisedThread:
    """Runs `target(stop)` on a daemon thread and restarts it when it dies, per `policy`."""

    def __init__(
        self,
        name: str,
        target: Target,
        stop: threading.Event,
        *,
        policy: RestartPolicy,
        on_give_up: Callable[[str, str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._target = target
        self._stop = stop
        self._policy = policy
        self._on_give_up = on_give_up
        self._clock = clock
        self._recent: deque[float] = deque()  # monotonic times of restarts inside the window
        self._state = "running"
        self._restarts = 0
        self._last_error = ""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def status(self) -> WorkerStatus:
        state = self._state if self._thread.is_alive() or self._state == "dead" else "stopped"
        return WorkerStatus(self.name, state, self._restarts, self._last_error)

    def _run(self) -> None:
        while not self._stop.is_set():
            reason = self._run_target()
            if reason is None:
                return
            self._last_error = reason
            delay = self._restart_delay()
            if delay is None:
                self._state = "dead"
                self._on_give_up(self.name, reason)
                return
            self._state, self._restarts = "restarting", self._restarts + 1
            log.warning("restarting worker thread %s in %.1fs (restart %d)", self.name, delay, self._restarts)
            if self._stop.wait(delay):
                return
            self._state = "running"

    def _run_target(self) -> str | None:
        """Run the loop once; the reason it died, or None when it ended because the process is stopping."""
        try:
            self._target(self._stop)
        except Exception as exc:
            log.exception("worker thread %s died", self.name)
            return f"{type(exc).__name__}: {exc}"[:300]
        if self._stop.is_set():
            return None
        log.error("worker thread %s returned while the process is still running", self.name)
        return "returned while the process is still running"

    def _restart_delay(self) -> float | None:
        """Seconds to wait before the next restart, or None when the restart budget is spent."""
        now, policy = self._clock(), self._policy
        while self._recent and now - self._recent[0] > policy.window:
            self._recent.popleft()
        if len(self._recent) >= policy.max_restarts:
            return None
        self._recent.append(now)
        return min(policy.backoff * 2.0 ** (len(self._recent) - 1), policy.backoff_cap)


EXIT_WORKER_DIED = 3  # the status a process exits with when a worker thread keeps dying


def hard_exit(status: int) -> None:
    """End the process from any thread (sys.exit would end only the calling thread); logs flushed first."""
    import os

    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(status)
