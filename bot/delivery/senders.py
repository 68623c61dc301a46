"""The Slack sender: outbox payloads become Slack messages (the demo renders them: delivery.terminal).

Slack failures are mapped onto the exceptions the outbox understands: RateLimited (wait it out),
TransientSendError (retry with backoff), OutcomeUnknown (a write that may have happened: look before
posting again) and PermanentSendError (give up). The sender's WebClient retries nothing itself: the
outbox is the one place that retries, so two retry layers never stack and a timed-out post is never
silently re-sent by the SDK.
"""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.delivery.base import OutcomeUnknown, PermanentSendError, RateLimited, SentMessage, TransientSendError
from bot.delivery.slack_io import find_posted, upload_file
from bot.domain import metrics
from bot.slack.client import paginate

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Slack error codes that a later attempt can succeed on; everything else is permanent.
_TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


class SlackSender:
    """Posts through slack_sdk.WebClient and translates its failures."""

    def __init__(self, client: WebClient) -> None:
        # A client of our own with no retry handlers at all: a connection-error retry inside the SDK
        # would re-post a message Slack may already have; a 429 retry would sleep inside the claim.
        self._client = WebClient(
            token=client.token, base_url=client.base_url, timeout=client.timeout, retry_handlers=[]
        )
        self._names: dict[str, str] = {}
        self._ims: dict[str, str] = {}

    def send(
        self,
        channel: str,
        payload: dict[str, Any],
        *,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> SentMessage:
        args = dict(payload)
        if thread_ts:
            args["thread_ts"] = thread_ts
        if metadata:
            args["metadata"] = metadata
        try:
            response = _call(lambda: self._client.chat_postMessage(channel=channel, **args))
        except PermanentSendError as exc:
            if exc.error != "not_in_channel":
                raise
            # Public channels can be joined without an invite (channels:join scope): join once, retry once.
            _call(lambda: self._client.conversations_join(channel=self._channel_id(channel)))
            log.info("joined %s after not_in_channel", channel)
            response = _call(lambda: self._client.chat_postMessage(channel=channel, **args))
        return SentMessage(channel=str(response["channel"]), ts=str(response["ts"]))

    def update(self, channel: str, ts: str, payload: dict[str, Any]) -> None:
        _call(lambda: self._client.chat_update(channel=channel, ts=ts, **payload))

    def open_dm(self, user: str) -> str:
        """The IM channel with a user (conversations.open, cached: it never changes)."""
        if user not in self._ims:
            opened = _call(lambda: self._client.conversations_open(users=user))
            self._ims[user] = str(opened["channel"]["id"])
        return self._ims[user]

    def upload(self, channel: str, content: bytes, details: dict[str, Any]) -> SentMessage:
        """files.getUploadURLExternal, the bytes, then completeUploadExternal sharing it to `channel`."""
        return SentMessage(channel, upload_file(self._client, _call, channel, content, details))

    def find_posted(
        self, channel: str, *, oldest: float, thread_ts: str | None, event_type: str
    ) -> dict[int, str]:
        """delivery id → ts of our messages in a channel (or thread) since `oldest`, by their metadata."""
        return find_posted(
            self._client, _call, channel, oldest=oldest, thread_ts=thread_ts, event_type=event_type
        )

    def _channel_id(self, channel: str) -> str:
        """conversations.join needs an id; '#name' is resolved by walking conversations.list."""
        if not channel.startswith("#"):
            return channel
        name = channel[1:]
        if name not in self._names:
            listing = partial(paginate, self._client, "conversations.list", "channels")
            found = _call(lambda: list(listing(types="public_channel")))
            self._names.update({str(c["name"]): str(c["id"]) for c in found})
        if name not in self._names:
            raise PermanentSendError("channel_not_found")
        return self._names[name]


def _call(request: Callable[[], _T]) -> _T:
    try:
        return request()
    except SlackApiError as exc:
        raise translate_error(exc) from exc
    except URLError as exc:
        # urllib wraps errors while connecting/sending; refused or unresolvable means nothing was sent.
        if isinstance(exc.reason, ConnectionRefusedError | socket.gaierror):
            raise TransientSendError(f"connection error: {type(exc.reason).__name__}") from exc
        raise OutcomeUnknown(f"no answer: {type(exc.reason).__name__}") from exc
    except ConnectionRefusedError as exc:  # nothing was sent
        raise TransientSendError(f"connection error: {type(exc).__name__}") from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        # The request may have reached Slack and been performed: the caller must look before retrying.
        raise OutcomeUnknown(f"no answer: {type(exc).__name__}") from exc


def translate_error(exc: SlackApiError) -> Exception:
    """Map a SlackApiError onto RateLimited, TransientSendError or PermanentSendError."""
    response = exc.response
    if isinstance(response, SlackResponse):
        status, headers, data = response.status_code, response.headers, response.data
    else:  # non-JSON body: the SDK hands back its raw response dict
        status = int(response.get("status", 0)) if isinstance(response, dict) else 0
        headers = response.get("headers", {}) if isinstance(response, dict) else {}
        data = None
    error = data.get("error", "") if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        metrics.slack_rate_limited(getattr(response, "api_url", ""))
        return RateLimited(_retry_after(headers))
    if error.startswith("Received a response in a non-JSON format"):
        error = ""  # the SDK's stand-in for an HTML/garbage body (a proxy or maintenance page)
    if status >= 500 or not isinstance(data, dict) or not error or error in _TRANSIENT_ERRORS:
        return TransientSendError(f"Slack answered {status} {error or '(no JSON body)'}")
    return PermanentSendError(error or f"http_{status}")


def _retry_after(headers: Mapping[str, Any] | Any) -> float:
    value = None
    for key, item in dict(headers or {}).items():
        if str(key).lower() == "retry-after":
            value = item[0] if isinstance(item, list) else item
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
