"""The one retry policy for everything the outbox sends: what a failed attempt means for its row.

Like python-slack-sdk's `http_retry` handlers, a small unit with no I/O, tested failure by failure:
- 429: wait exactly Retry-After (capped: a huge value is a bad header, not an instruction), pause the
  whole channel, and do not count an attempt (Slack refused before doing anything);
- 5xx, connection refused, non-JSON bodies: retry with capped, jittered exponential backoff — forever,
  since an outage of any length must end with the message delivered, not dropped;
- timeout or dropped connection: the same backoff, but the outcome is unknown, so the next attempt
  first looks for the message in Slack (see bot.delivery.slack_io.find_posted);
- a permanent Slack error ends the row as failed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.delivery.base import OutcomeUnknown, PermanentSendError, RateLimited, TransientSendError


@dataclass(frozen=True)
class Decision:
    """What to do with a row after one failed attempt."""

    final: bool  # True: mark the row failed
    delay: float = 0.0  # seconds until the row is due again
    pause_channel: float = 0.0  # seconds nothing may be sent to the channel (429)
    counts: bool = True  # whether the attempt counts (a 429 does not)
    uncertain: bool = False  # Slack may have performed it: look before sending again
    error: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    backoff_base: float = 2.0
    backoff_cap: float = 300.0  # through a long outage a row is retried at least every 5 minutes
    max_rate_limit_wait: float = 600.0
    jitter: Callable[[], float] = field(default=lambda: random.uniform(0.5, 1.0))

    def backoff(self, attempts: int) -> float:
        """Full-jitter exponential backoff after `attempts` failed tries (≥ 1), never above the cap."""
        exponent = min(max(attempts - 1, 0), 30)  # 2**30 × base is far past any cap
        return float(min(self.backoff_cap, self.backoff_base * 2**exponent) * self.jitter())

    def decide(self, error: Exception, attempts: int) -> Decision:
        """`attempts` counts this failed try too."""
        if isinstance(error, RateLimited):
            wait = min(max(error.retry_after, 0.0), self.max_rate_limit_wait)
            return Decision(
                False, wait, pause_channel=wait, counts=False, error=f"rate limited (Retry-After {wait:g}s)"
            )
        if isinstance(error, PermanentSendError):
            return Decision(True, error=str(error))
        if isinstance(error, OutcomeUnknown):
            return Decision(False, self.backoff(attempts), uncertain=True, error=str(error))
        if isinstance(error, TransientSendError):
            return Decision(False, self.backoff(attempts), error=str(error))
        # a bug or an unexpected library error: retried like an outage, and logged with its traceback
        return Decision(False, self.backoff(attempts), error=f"unexpected {type(error).__name__}")
