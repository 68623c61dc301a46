"""The one HTTP door for listeners: User-Agent, timeouts, pacing, Retry-After on 429, backoff on 5xx.

Every listener request goes through `SourceHttp`, so politeness is decided in one place. Sleeping and
the clock are injectable: tests record the waits instead of sleeping them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx

from bot import __version__
from bot.domain.errors import SocialRouterError

USER_AGENT = f"social-router/{__version__} (+https://github.com/social-router/social-router)"
MAX_BODY_BYTES = 5 * 1024 * 1024  # a search page or a feed is far smaller; more is a misconfigured URL


@dataclass(frozen=True)
class Reply:
    """A finished response: status, headers and the whole (bounded) body."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str


class SourceError(SocialRouterError):
    """A listener request failed for a reason worth reporting (status, rate limit, malformed body)."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # set when the service asked us to come back later
        self.status = status


@dataclass
class SourceHttp:
    """A polite HTTP client shared by all listeners of a process (one connection pool, one policy)."""

    timeout: float = 10.0
    max_attempts: int = 4  # first try + retries, for 429, 5xx and network errors
    max_wait: float = 60.0  # a Retry-After longer than this is reported, not slept through
    pacing: bool = True  # honour each API's minimum spacing between requests (off in benchmarks)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    user_agent: str = USER_AGENT
    credentials: Mapping[str, str] = field(default_factory=dict)  # e.g. BLUESKY_HANDLE, BLUESKY_APP_PASSWORD
    state: dict[str, Any] = field(default_factory=dict)  # per-process auth sessions (never persisted)
    _last: dict[str, float] = field(default_factory=dict)
    _client: httpx.Client | None = None
    # the poller's threads share one client: two creating it at once would leak the loser's sockets
    _client_lock: threading.Lock = field(default_factory=threading.Lock)

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self.timeout, headers={"User-Agent": self.user_agent}, follow_redirects=True
                )
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def get_json(self, url: str, *, method: str = "GET", **kwargs: Any) -> Any:
        """Send (GET unless told) and decode the JSON body; SourceError when it is not JSON."""
        return parse_json(self.request(method, url, **kwargs))

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        pace: float = 0.0,
    ) -> Reply:
        """Send with retries; return a 2xx or 304 response, raise SourceError for anything else."""
        failure = "no attempt made"
        for attempt in range(self.max_attempts):
            self._wait_for_turn(url, pace)
            try:
                response = self._send(method, url, params, headers, json_body)
            except httpx.TransportError as exc:  # timeouts and refused connections are worth a retry
                failure = f"{type(exc).__name__} talking to {_host(url)}"
                self._backoff(attempt)
                continue
            if response.status_code < 300 or response.status_code == 304:
                return response
            failure, wait = self._judge(response, attempt)
            if wait is None:
                raise SourceError(failure, status=response.status_code)
            if wait > self.max_wait:
                raise SourceError(f"{failure}; asked to wait {wait:.0f}s", retry_after=wait, status=429)
            if attempt + 1 < self.max_attempts:
                self.sleep(wait)
        raise SourceError(f"{failure} (gave up after {self.max_attempts} attempts)")

    def _send(
        self, method: str, url: str, params: dict[str, Any] | None, headers: dict[str, str] | None, body: Any
    ) -> Reply:
        with self._http().stream(method, url, params=params, headers=headers, json=body) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise SourceError(f"response from {_host(url)} is larger than {MAX_BODY_BYTES} bytes")
                chunks.append(chunk)
            return Reply(response.status_code, response.headers, b"".join(chunks), str(response.url))

    def _judge(self, response: Reply, attempt: int) -> tuple[str, float | None]:
        """What went wrong, and how long to wait before retrying (None: retrying will not help)."""
        status = response.status_code
        what = f"HTTP {status} from {_host(response.url)}{_detail(response)}"
        if status == 429:
            return what, retry_after(response.headers, self._wall()) or _backoff_seconds(attempt)
        if status >= 500:
            return what, _backoff_seconds(attempt)
        return what, None

    def _backoff(self, attempt: int) -> None:
        if attempt + 1 < self.max_attempts:
            self.sleep(_backoff_seconds(attempt))

    def _wait_for_turn(self, url: str, pace: float) -> None:
        """Keep at least `pace` seconds between two requests to one host (the API's published limit)."""
        host = _host(url)
        if self.pacing and pace > 0 and host in self._last:
            remaining = self._last[host] + pace - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.clock()

    def _wall(self) -> datetime:
        return datetime.now(UTC)


def parse_json(response: Reply) -> Any:
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "unknown type")
        raise SourceError(f"malformed response from {_host(response.url)}: not JSON ({kind})") from None


def retry_after(headers: httpx.Headers, now: datetime) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or Mastodon's X-RateLimit-Reset."""
    value = headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return float(value.strip())
        try:
            return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
        except (TypeError, ValueError):
            pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            return max(0.0, (datetime.fromisoformat(reset.replace("Z", "+00:00")) - now).total_seconds())
        except ValueError:
            return None
    return None


def _backoff_seconds(attempt: int) -> float:
    return float(min(2**attempt, 30))


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _detail(response: Reply) -> str:
    """A short, safe hint from an error body: XRPC and Mastodon errors carry `error`/`message`."""
    try:
        body = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict):
        hint = " ".join(str(body[k]) for k in ("error", "message") if isinstance(body.get(k), str))
        return f": {hint[:200]}" if hint else ""
    return ""
