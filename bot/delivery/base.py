"""What every sender promises: the Sender protocol, what a send returns, and the failures it may raise.

The outbox worker understands exactly these: RateLimited (wait it out), TransientSendError (retry with
backoff), OutcomeUnknown (a write that may have happened: look before posting again) and
PermanentSendError (give up, visibly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.errors import DeliveryError


@dataclass(frozen=True)
class SentMessage:
    channel: str  # the channel id Slack answered with
    ts: str


class RateLimited(Exception):
    """Slack answered 429: nothing may be sent to that channel before `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:g}s")
        self.retry_after = retry_after


class TransientSendError(Exception):
    """5xx, connection errors, timeouts, non-JSON bodies: worth retrying later."""


class OutcomeUnknown(TransientSendError):
    """The request may have been performed (timeout, dropped connection): Slack may have the message."""


class PermanentSendError(DeliveryError):
    """Slack refused the message for good (channel_not_found, invalid_blocks, msg_too_long, …)."""

    def __init__(self, error: str) -> None:
        super().__init__(f"Slack refused the message: {error}")
        self.error = error


class Sender(Protocol):
    def send(
        self,
        channel: str,
        payload: dict[str, Any],
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> SentMessage: ...

    def update(self, channel: str, ts: str, payload: dict[str, Any]) -> None: ...

    def open_dm(self, user: str) -> str: ...

    def upload(self, channel: str, content: bytes, details: dict[str, Any]) -> SentMessage: ...

    def find_posted(
        self, channel: str, *, oldest: float, thread_ts: str | None, event_type: str
    ) -> dict[int, str]: ...
