"""A fake OpenAI-compatible chat-completions server over real HTTP, with scripted failures for tests.

Point `OpenAI(base_url=fake.base_url)` at it. Scripted responses (`queue`) are served first-in first-out,
then `responder` answers everything else. Every request is recorded with its path, headers, parsed
body and the server-side monotonic time it arrived, so tests can assert on what was sent and when.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import Scripted, ThreadedFake, send_reply

# Keyword rule of the default responder: good enough for tests that need a plausible label.
_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hr", ("hiring", "job", "salary", "interview", "career")),
    ("sales", ("price", "pricing", "quote", "discount", "enterprise plan")),
    ("support", ("crash", "error", "broken", "refund", "can't log", "cannot log", "help")),
    ("product", ("feature", "roadmap", "dark mode", "would love", "please add")),
)


def completion_body(
    content: str | None,
    *,
    model: str = "fake-model",
    prompt_tokens: int = 120,
    completion_tokens: int = 40,
    finish_reason: str = "stop",
    refusal: str | None = None,
) -> dict[str, Any]:
    """A chat.completion object as the real API returns it."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def classification_body(
    department: str = "support",
    *,
    confidence: float = 0.9,
    sentiment: str = "negative",
    urgency: str = "normal",
    language: str = "en",
    summary: str = "A customer reports a problem.",
    topics: list[str] | None = None,
    reason: str = "The author needs help.",
    **completion: Any,
) -> dict[str, Any]:
    """A completion whose content is a valid structured classification."""
    answer = {
        "department": department,
        "confidence": confidence,
        "sentiment": sentiment,
        "urgency": urgency,
        "language": language,
        "summary": summary,
        "topics": ["login"] if topics is None else topics,
        "reason": reason,
    }
    return completion_body(json.dumps(answer), **completion)


def mention_of(request_body: dict[str, Any]) -> str:
    """The mention text a classification request carries (the JSON data block of the user message)."""
    user = next(m["content"] for m in request_body.get("messages", []) if m.get("role") == "user")
    _, _, data = user.partition("\n")
    try:
        return str(json.loads(data).get("mention", ""))
    except (ValueError, AttributeError):
        return user


def keyword_responder(request_body: dict[str, Any]) -> dict[str, Any]:
    """Default responder: label the mention with a keyword rule, like a very small model would."""
    text = mention_of(request_body).lower()
    department = next((dep for dep, words in _KEYWORDS if any(w in text for w in words)), "none")
    return classification_body(
        department,
        confidence=0.8 if department != "none" else 0.5,
        sentiment="neutral",
        summary=f"Mention about {department}.",
        topics=[department],
        reason="keyword match",
    )


class FakeOpenAI(ThreadedFake):
    """Threaded HTTP server on 127.0.0.1, port 0, serving POST /v1/chat/completions."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responder: Callable[[dict[str, Any]], dict[str, Any]] = keyword_responder
        self.delay = delay
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self.base_url = ""

    def queue(
        self,
        *,
        status: int = 200,
        body: dict[str, Any] | str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Serve this response to the next request that has not been answered by the queue yet."""
        with self._lock:
            self._queue.append(Scripted(status, body, dict(headers or {}), delay))

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def on_started(self, root: str) -> None:
        self.base_url = f"{root}/v1"

    def bodies(self) -> list[dict[str, Any]]:
        """The parsed JSON bodies of every request, in arrival order."""
        return [r["body"] for r in self.requests]

    def _next(self, body: dict[str, Any]) -> Scripted:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return Scripted(200, self.responder(body), {}, self.delay)

    def _record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body, "at": time.monotonic()})


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            fake._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(Scripted(404, {"error": {"message": "unknown path", "type": "invalid_request"}}))
                return
            self._send(fake._next(body))

        def _send(self, reply: Scripted) -> None:
            send_reply(self, reply.reply({}))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
            pass  # keep pytest output clean

    return Handler
