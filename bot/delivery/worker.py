"""The delivery worker: the single path for every Slack write (cards, replies, updates, digests, alerts, DMs).

Rows are claimed in one atomic UPDATE (SKIP LOCKED on PostgreSQL), so any number of workers share the
outbox; each send first reserves its channel's slot in the shared pacing table, so pacing holds across
processes. One policy (bot.delivery.policy) decides what a failure means: a transient error is never
final, a permanent one ends the row visibly. Every post carries our metadata; when a post's outcome is
unknown (timeout, dropped connection, a claim left by a crashed worker) the worker looks for it in the
channel's history before posting again — that, and committing each result right after its send, is
what makes a message go out exactly once. SIGTERM (the stop event) releases this worker's claims.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.delivery.base import PermanentSendError, Sender, SentMessage
from bot.delivery.policy import RetryPolicy
from bot.delivery.results import NOT_POSTS, Results, pace_key
from bot.domain.clock import utcnow
from bot.store import outbox, pacing
from bot.store.engine import Engine
from bot.store.outbox import Claimed

log = logging.getLogger(__name__)
EVENT_TYPE = "social_router_delivery"  # the message metadata type that marks our posts
LOOKBACK = timedelta(minutes=1)  # history searched from a little before the row was made (clock skew)


class DeliveryWorker:
    """Drains the outbox: claims due rows in batches and sends them through a Sender."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        *,
        min_interval: float = 1.0,
        batch: int = 100,
        worker_id: str | None = None,
        claim_seconds: float = 120.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.min_interval = min_interval
        self.batch = batch
        self.worker_id = worker_id or uuid.uuid4().hex[:8]
        self.claim_seconds = claim_seconds
        self.policy = policy or RetryPolicy(backoff_base=backoff_base, backoff_cap=backoff_cap)
        self._clock = clock
        self._sleep = sleep
        # Short pacing waits are slept inline; longer ones go back to the table as a later due time.
        self._inline_wait = max(min_interval, 1.0)
        self._last_claimed = 0
        self.results = Results(engine, self.policy, clock)

    # ---- one batch -------------------------------------------------------------------------------
    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim due rows, send them, record each result; returns how many were sent."""
        jobs = outbox.claim(
            self.engine,
            now=self._clock(),
            worker_id=self.worker_id,
            batch=self.batch,
            seconds=self.claim_seconds,
        )
        self._last_claimed = len(jobs)
        if jobs and self.min_interval <= 0:
            self.results.paused = pacing.paused(self.engine, self._clock())
        sent, jobs = self._settle_uncertain(jobs)
        # Bounded inline pacing, so a busy channel never starves new work for other channels.
        deadline = self._clock() + timedelta(seconds=min(self.claim_seconds / 4, 5.0))
        while jobs:
            blocked: dict[int, float] = {}  # job id → seconds until its channel is free
            waits: dict[str, float] = {}
            for job in jobs:
                key = pace_key(job)
                if stop is not None and stop.is_set():
                    blocked[job.id] = 0.0
                elif key in waits:  # keep per-channel order: nothing overtakes a blocked row
                    blocked[job.id] = waits[key]
                elif wait := self._reserve(key):
                    blocked[job.id] = waits[key] = wait
                else:
                    sent += self._deliver(job)
            pause = min(waits.values(), default=0.0)
            stopping = stop is not None and stop.is_set()
            if blocked and (stopping or pause > self._inline_wait or self._due(pause) > deadline):
                now = self._clock()
                outbox.defer(self.engine, {i: now + timedelta(seconds=w) for i, w in blocked.items()})
                break
            if blocked:
                self._sleep(pause)
            jobs = [job for job in jobs if job.id in blocked]
        return sent

    def _reserve(self, channel: str) -> float:
        """0.0 when `channel` may be sent to now, else the seconds to wait. Without a pacing interval
        only 429 pauses matter: one read per batch instead of a write per message."""
        if self.min_interval > 0:
            return pacing.reserve(self.engine, channel, now=self._clock(), interval=self.min_interval)
        until = self.results.paused.get(channel)
        return max((until - self._clock()).total_seconds(), 0.0) if until else 0.0

    def _due(self, seconds: float) -> datetime:
        return self._clock() + timedelta(seconds=seconds)

    def _destination(self, job: Claimed) -> str:
        if job.parent and job.parent[1]:
            return job.parent[1]
        return self.sender.open_dm(job.channel) if job.kind == "dm" else job.channel

    # ---- the unknown-outcome window ---------------------------------------------------------------
    def _settle_uncertain(self, jobs: list[Claimed]) -> tuple[int, list[Claimed]]:
        """Look up posts that may already be in Slack, one history read per channel (or thread).

        Returns how many were found (and recorded as sent) and the jobs still to send.
        """
        groups: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        settled: set[int] = set()
        for job in (j for j in jobs if j.uncertain and j.kind not in NOT_POSTS):
            try:
                groups[(self._destination(job), job.parent[2] if job.parent else "")].append(job)
            except Exception as exc:
                self.results.failed(job, exc, keep_uncertain=True)
                settled.add(job.id)
        found_count = 0
        for (channel, thread_ts), group in groups.items():
            oldest = min(j.created_at for j in group) - LOOKBACK
            try:
                found = self.sender.find_posted(
                    channel,
                    oldest=oldest.replace(tzinfo=UTC).timestamp(),
                    thread_ts=thread_ts or None,
                    event_type=EVENT_TYPE,
                )
            except Exception as exc:  # e.g. conversations.history's own 429: wait it out, still unsure
                for job in group:
                    self.results.failed(job, exc, keep_uncertain=True)
                settled.update(j.id for j in group)
                continue
            for job in (j for j in group if j.id in found):
                log.info(
                    "delivery %s is already in %s (found by its metadata): not posting again", job.id, channel
                )
                self.results.sent(job, SentMessage(channel, found[job.id]))
                settled.add(job.id)
                found_count += 1
        return found_count, [j for j in jobs if j.id not in settled]

    # ---- sending ---------------------------------------------------------------------------------
    def _deliver(self, job: Claimed) -> int:
        try:
            result = self._send(job)
        except Exception as exc:
            self.results.failed(job, exc)
            return 0
        self.results.sent(job, result)
        return 1

    def _send(self, job: Claimed) -> SentMessage:
        parent_status, _, parent_ts = job.parent or ("sent", "", "")
        if parent_status == "failed":
            raise PermanentSendError("parent_delivery_failed")
        channel = self._destination(job)
        if job.kind == "update":
            payload = dict(job.payload)
            ts = str(payload.pop("ts", "") or parent_ts)
            if not ts:
                raise PermanentSendError("update_without_ts")
            self.sender.update(channel, ts, payload)
            return SentMessage(channel=channel, ts=ts)
        if job.kind == "upload":
            return self.sender.upload(channel, job.attachment or b"", job.payload)
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": job.id}}
        return self.sender.send(channel, job.payload, thread_ts=parent_ts or None, metadata=metadata)

    # ---- loop ------------------------------------------------------------------------------------
    def run_forever(
        self, stop: threading.Event, wake: threading.Event | None = None, poll: float = 0.5
    ) -> None:
        """Deliver until `stop` is set; `wake` (set when work is enqueued) cuts the poll wait short.

        On the way out, the claims this worker still holds are released, so a restarted process (or
        another worker) resumes them at once instead of after `claim_seconds`.
        """
        log.info("delivery worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                self.run_once(stop)
            except Exception:  # database hiccup: log, wait a poll, try again — never die silently
                log.exception("delivery worker %s: batch failed", self.worker_id)
                self._last_claimed = 0
            if self._last_claimed >= self.batch:
                continue  # more is waiting: keep draining
            if wake is not None:
                wake.wait(poll)
                wake.clear()
            else:
                stop.wait(poll)
        released = outbox.release(self.engine, self.worker_id)
        log.info("delivery worker %s stopped (%d claims released)", self.worker_id, released)
