"""What an attempt's result does to its outbox row: sent, retried later, rerouted, or failed for good.

Kept apart from the worker's loop (claiming, pacing, the unknown-outcome lookup): this is the part a
reader checks for "is a transient error ever final?" — it is not; only the policy's final decisions
and a permanent error with no fallback end a row, and a channel's permanent error is logged once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.delivery.base import PermanentSendError, SentMessage
from bot.delivery.policy import RetryPolicy
from bot.domain import metrics
from bot.domain.text import escape_for_slack
from bot.store import outbox, pacing
from bot.store.engine import Engine
from bot.store.outbox import Claimed

log = logging.getLogger(__name__)
NOT_POSTS = frozenset({"update", "upload"})  # every other kind is a chat.postMessage
REROUTABLE = frozenset({"channel_not_found", "is_archived"})  # the card goes to its fallback channel


def pace_key(job: Claimed) -> str:
    """The channel a job's pacing and pauses apply to: thread replies, updates and uploads go where
    the parent was actually posted."""
    return job.parent[1] if job.parent and job.parent[1] else job.channel


class Results:
    """Records each attempt's result on its row (one short transaction each, right after the send)."""

    def __init__(self, engine: Engine, policy: RetryPolicy, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.policy = policy
        self._clock = clock
        self.paused: dict[str, datetime] = {}  # 429 pauses seen by this worker (no pacing interval)
        self.reported: set[tuple[str, str, str]] = set()  # (channel, error, outcome) already logged

    def _due(self, seconds: float) -> datetime:
        return self._clock() + timedelta(seconds=seconds)

    def sent(self, job: Claimed, result: SentMessage) -> None:
        """Slack has the message: the row is done (and counted in the posted-messages metric)."""
        outbox.finish(
            self.engine,
            job.id,
            status="sent",
            attempts=job.attempts + 1,
            message_ts=result.ts,
            posted_channel=result.channel,
            sent_at=self._clock(),
            last_error="",
            uncertain=False,
        )
        metrics.message_posted(job.kind, job.department)

    def failed(self, job: Claimed, error: Exception, *, keep_uncertain: bool = False) -> None:
        """Reroute, retry later (pausing the channel on a 429) or end the row, as the policy says."""
        channel = pace_key(job)
        if isinstance(error, PermanentSendError) and self._reroutable(job, error):
            self._reroute(job, error.error)
            return
        decision = self.policy.decide(error, job.attempts + 1)
        attempts = job.attempts + (1 if decision.counts else 0)
        if decision.final:
            self._report(
                channel, str(getattr(error, "error", error)), f"failed for good (e.g. delivery {job.id})"
            )
            outbox.finish(
                self.engine, job.id, status="failed", attempts=attempts, last_error=decision.error[:500]
            )
            return
        if decision.pause_channel:
            pacing.pause(self.engine, channel, self._due(decision.pause_channel))
            self.paused[channel] = self._due(decision.pause_channel)
        if decision.error.startswith("unexpected"):
            log.error("delivery %s to %s: unexpected error", job.id, channel, exc_info=error)
        else:
            log.warning(
                "delivery %s to %s: %s; retrying in %.1fs", job.id, channel, decision.error, decision.delay
            )
        outbox.finish(
            self.engine,
            job.id,
            attempts=attempts,
            last_error=decision.error[:500],
            next_attempt_at=self._due(decision.delay),
            uncertain=decision.uncertain or keep_uncertain,
        )

    @staticmethod
    def _reroutable(job: Claimed, error: PermanentSendError) -> bool:
        return error.error in REROUTABLE and bool(job.fallback_channel) and job.kind not in NOT_POSTS

    def _reroute(self, job: Claimed, error: str) -> None:
        """A card whose channel is gone goes to its fallback (triage), saying where it was meant to go."""
        where = (
            f"<#{job.channel}>" if job.channel[:1] in ("C", "G") and job.channel.isalnum() else job.channel
        )
        note = (
            f":warning: Meant for {escape_for_slack(where) if where == job.channel else where}, but Slack "
            f"answered `{error}` there, so it was posted here. Fix the channel in the rules file."
        )
        self._report(job.channel, error, f"cards go to {job.fallback_channel} instead")
        outbox.finish(
            self.engine,
            job.id,
            channel=job.fallback_channel,
            fallback_channel="",
            payload=json.dumps(with_note(job.payload, note), ensure_ascii=False),
            last_error=f"{error} in {job.channel}; sent to {job.fallback_channel}"[:500],
            next_attempt_at=self._clock(),
            uncertain=False,
        )

    def _report(self, channel: str, error: str, consequence: str) -> None:
        """A permanent problem with a channel is logged once per channel and error, not once per row."""
        if (channel, error, consequence[:10]) not in self.reported:
            self.reported.add((channel, error, consequence[:10]))
            log.error("Slack refused messages to %s: %s; %s", channel, error, consequence)


def with_note(payload: dict[str, Any], note: str) -> dict[str, Any]:
    """The payload with a context line on top (and in the notification text)."""
    blocks = payload.get("blocks")
    noted = dict(payload, text=f"{note}\n{payload.get('text', '')}".strip())
    if isinstance(blocks, list):
        noted["blocks"] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}, *blocks]
    return noted
