"""The delivery worker: claims due outbox rows and sends them to Slack, paced per channel.

A row is claimed (claimed_until) in one atomic UPDATE whose sub-select uses FOR UPDATE SKIP LOCKED on
PostgreSQL, so any number of workers share the table without sending anything twice; a crashed worker's
claims expire and the rows are delivered by whoever runs next. Results are committed row by row right
after each send, which keeps the window in which a crash could cause a duplicate to a single message.

Row kinds: anything but "update" is posted with chat.postMessage (as a thread reply when parent_id is
set, once the parent is sent); "update" edits the parent's message (or payload["ts"]) with chat.update.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.engine import Connection, Engine

from bot.delivery.senders import PermanentSendError, RateLimited, Sender, SentMessage, TransientSendError
from bot.domain.clock import utcnow
from bot.store.outbox import D

log = logging.getLogger(__name__)
MAX_RATE_LIMIT_WAIT = 600.0  # a Retry-After beyond this is treated as a bad header, not obeyed literally


@dataclass
class _Job:
    """A claimed row, detached from the database while it is being sent."""

    id: int
    kind: str
    channel: str
    payload: dict[str, Any]
    attempts: int
    parent: tuple[str, str, str] | None = None  # (status, posted_channel, message_ts)


@dataclass
class _Channels:
    """Per-channel pacing (≤ 1 message per min_interval) and rate-limit pauses, in monotonic time."""

    min_interval: float
    free_at: dict[str, float] = field(default_factory=dict)

    def wait(self, channel: str) -> float:
        return max(0.0, self.free_at.get(channel, 0.0) - time.monotonic())

    def sent(self, channel: str) -> None:
        if self.min_interval > 0:
            self.free_at[channel] = time.monotonic() + self.min_interval

    def pause(self, channel: str, seconds: float) -> None:
        self.free_at[channel] = max(self.free_at.get(channel, 0.0), time.monotonic() + seconds)


class DeliveryWorker:
    """Drains the outbox: claims due rows in batches and sends them through a Sender."""

    def __init__(
        self,
        engine: Engine,
        sender: Sender,
        *,
        min_interval: float = 1.0,
        batch: int = 100,
        max_attempts: int = 8,
        worker_id: str | None = None,
        claim_seconds: float = 120.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.batch = batch
        self.max_attempts = max_attempts
        self.worker_id = worker_id or uuid.uuid4().hex[:8]
        self.claim_seconds = claim_seconds
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._channels = _Channels(min_interval)
        # Short pacing waits are slept inline; longer ones go back to the table as a later due time.
        self._inline_wait = max(min_interval, 1.0)
        self._last_claimed = 0

    # ---- claiming --------------------------------------------------------------------------------
    def _claim(self) -> list[_Job]:
        now = utcnow()
        parent = D.alias("parent")
        parent_done = exists().where(parent.c.id == D.c.parent_id, parent.c.status.in_(("sent", "failed")))
        due = (
            select(D.c.id)
            .where(D.c.status == "pending", D.c.next_attempt_at <= now)
            .where(or_(D.c.claimed_until.is_(None), D.c.claimed_until < now))
            .where(or_(D.c.parent_id.is_(None), parent_done))
            .order_by(D.c.next_attempt_at, D.c.id)
            .limit(self.batch)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(D)
            .where(D.c.id.in_(due))
            .values(claimed_until=now + timedelta(seconds=self.claim_seconds))
            .returning(D.c.id, D.c.kind, D.c.channel, D.c.payload, D.c.attempts, D.c.parent_id)
        )
        with self.engine.begin() as conn:
            rows = sorted(conn.execute(claim).all(), key=lambda r: r.id)
            parents = self._parents(conn, {r.parent_id for r in rows if r.parent_id is not None})
        return [
            _Job(r.id, r.kind, r.channel, json.loads(r.payload), r.attempts, parents.get(r.parent_id or 0))
            for r in rows
        ]

    @staticmethod
    def _parents(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, str]]:
        if not ids:
            return {}
        query = select(D.c.id, D.c.status, D.c.posted_channel, D.c.message_ts)
        return {
            r.id: (r.status, r.posted_channel, r.message_ts)
            for r in conn.execute(query.where(D.c.id.in_(ids)))
        }

    # ---- sending ---------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim due rows, send them, record each result; returns how many were sent."""
        jobs = self._claim()
        self._last_claimed = len(jobs)
        sent = 0
        # Bounded inline pacing, so a busy channel never starves new work for other channels.
        deadline = time.monotonic() + min(self.claim_seconds / 4, 5.0)
        waiting: list[_Job] = jobs
        while waiting:
            blocked: list[_Job] = []
            for job in waiting:
                if self._channels.wait(self._target(job)) > 0 or any(
                    self._target(b) == self._target(job) for b in blocked
                ):
                    blocked.append(job)  # keep per-channel order: nothing overtakes a blocked row
                    continue
                sent += self._deliver(job)
            pause = min((self._channels.wait(self._target(j)) for j in blocked), default=0.0)
            if blocked and (pause > self._inline_wait or time.monotonic() + pause > deadline):
                self._defer(blocked)
                break
            if blocked:
                time.sleep(pause)
            waiting = blocked
        return sent

    @staticmethod
    def _target(job: _Job) -> str:
        # Thread replies and updates go where the parent was actually posted (the id Slack answered).
        if job.parent and job.parent[1]:
            return job.parent[1]
        return job.channel

    def _deliver(self, job: _Job) -> int:
        channel = self._target(job)
        try:
            result = self._send(job, channel)
        except RateLimited as exc:
            wait = min(max(exc.retry_after, 0.0), MAX_RATE_LIMIT_WAIT)
            self._channels.pause(channel, wait)
            log.warning("delivery %s to %s rate limited; retrying in %.1fs", job.id, channel, wait)
            self._finish(
                job.id,
                next_attempt_at=utcnow() + timedelta(seconds=wait),
                last_error=f"rate limited (Retry-After {wait:g}s)",
            )
            return 0
        except TransientSendError as exc:
            self._retry_later(job, str(exc))
            return 0
        except PermanentSendError as exc:
            log.error("delivery %s to %s failed permanently: %s", job.id, channel, exc.error)
            self._finish(job.id, status="failed", attempts=job.attempts + 1, last_error=str(exc)[:500])
            return 0
        except Exception as exc:  # a bug or unexpected library error must not kill the worker loop
            log.exception("delivery %s to %s: unexpected error", job.id, channel)
            self._retry_later(job, f"unexpected {type(exc).__name__}")
            return 0
        self._channels.sent(channel)
        self._finish(
            job.id,
            status="sent",
            attempts=job.attempts + 1,
            message_ts=result.ts,
            posted_channel=result.channel,
            sent_at=utcnow(),
            last_error="",
        )
        return 1

    def _send(self, job: _Job, channel: str) -> SentMessage:
        parent_status, _, parent_ts = job.parent or ("sent", "", "")
        if parent_status == "failed":
            raise PermanentSendError("parent_delivery_failed")
        if job.kind == "update":
            payload = dict(job.payload)
            ts = str(payload.pop("ts", "") or parent_ts)
            if not ts:
                raise PermanentSendError("update_without_ts")
            self.sender.update(channel, ts, payload)
            return SentMessage(channel=channel, ts=ts)
        return self.sender.send(channel, job.payload, thread_ts=parent_ts or None)

    def _retry_later(self, job: _Job, error: str) -> None:
        attempts = job.attempts + 1
        if attempts >= self.max_attempts:
            log.error("delivery %s to %s failed after %d attempts: %s", job.id, job.channel, attempts, error)
            self._finish(job.id, status="failed", attempts=attempts, last_error=error[:500])
            return
        # Full-jitter exponential backoff: spreads retries of many rows after one Slack outage.
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)
        log.warning(
            "delivery %s to %s failed (attempt %d), retrying in %.1fs: %s",
            job.id,
            job.channel,
            attempts,
            delay,
            error,
        )
        self._finish(
            job.id,
            attempts=attempts,
            last_error=error[:500],
            next_attempt_at=utcnow() + timedelta(seconds=delay),
        )

    def _defer(self, jobs: Iterable[_Job]) -> None:
        """Give blocked rows back to the table, due when their channel is free again (no attempt used)."""
        with self.engine.begin() as conn:
            for job in jobs:
                due = utcnow() + timedelta(seconds=self._channels.wait(self._target(job)))
                conn.execute(
                    update(D).where(D.c.id == job.id).values(claimed_until=None, next_attempt_at=due)
                )

    def _finish(self, delivery_id: int, **values: Any) -> None:
        values["claimed_until"] = None
        with self.engine.begin() as conn:
            conn.execute(update(D).where(D.c.id == delivery_id, D.c.status == "pending").values(**values))

    # ---- loop ------------------------------------------------------------------------------------
    def run_forever(
        self, stop: threading.Event, wake: threading.Event | None = None, poll: float = 0.5
    ) -> None:
        """Deliver until `stop` is set; `wake` (set when work is enqueued) cuts the poll wait short."""
        log.info("delivery worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                self.run_once()
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
        log.info("delivery worker %s stopped", self.worker_id)
