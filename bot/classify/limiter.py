"""The one shared LLM rate-limit state: a bound on calls in flight and a pause every caller honours.

Every classification thread goes through one `LLMLimiter`. When a call is answered 429 with a
Retry-After, the provider is saying "this key is over its limit", not "this request": so the limiter
pauses every caller until then, instead of letting the other threads keep hitting the limit (each
earning its own 429). Retries themselves stay with tenacity in `llm_client.call_with_retries`; this
object only decides when a call may start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_SLEEP = 0.5  # re-check the shared pause at least this often (a later 429 may extend it)


class LLMLimiter:
    """At most `concurrency` LLM calls at once; `pause(s)` holds back every new call for s seconds."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = max(1, concurrency)
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._lock = threading.Lock()
        self._resume_at = 0.0  # time.monotonic() before which no call starts
        self.pauses = 0  # how many 429s asked everyone to wait (for logs and benchmarks)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the call slots for the duration of one HTTP request to the LLM."""
        self._wait_out_pause()
        with self._slots:
            self._wait_out_pause()  # a 429 may have arrived while this caller queued for a slot
            yield

    def pause(self, seconds: float) -> None:
        """No call starts for `seconds` from now (a longer pause already running is kept)."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + max(0.0, seconds))
            self.pauses += 1

    def paused_for(self) -> float:
        """Seconds left in the current pause (0 when calls may start)."""
        with self._lock:
            return max(0.0, self._resume_at - time.monotonic())

    def _wait_out_pause(self) -> None:
        while (left := self.paused_for()) > 0:
            time.sleep(min(left, MAX_SLEEP))
