"""A fake OpenAI-compatible chat-completions server over real HTTP, with scripted failures for tests.

Point `OpenAI(base_url=fake.base_url)` at it. Scripted responses (`queue`) are served first-in first-out,
then `responder` answers everything else. Every request is recorded with its path, headers, parsed
body and the server-side monotonic time it arrived, so tests can assert on what was sent and when.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import Scripted, ThreadedFake, send_reply

Responder = Callable[[dict[str, Any]], dict[str, Any]]

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


def answer(
    department: str = "support",
    *,
    confidence: float = 0.9,
    sentiment: str = "negative",
    urgency: str = "normal",
    language: str = "en",
    summary: str = "A customer reports a problem.",
    topics: list[str] | None = None,
    reason: str = "The author needs help.",
) -> dict[str, Any]:
    """One structured classification, as the schema requires."""
    return {
        "department": department,
        "confidence": confidence,
        "sentiment": sentiment,
        "urgency": urgency,
        "language": language,
        "summary": summary,
        "topics": ["login"] if topics is None else topics,
        "reason": reason,
    }


def classification_body(department: str = "support", **kwargs: Any) -> dict[str, Any]:
    """A completion whose content is a valid structured classification."""
    completion = {k: kwargs.pop(k) for k in list(kwargs) if k in _COMPLETION_KEYS}
    return completion_body(json.dumps(answer(department, **kwargs)), **completion)


def batch_body(results: list[dict[str, Any]], **completion: Any) -> dict[str, Any]:
    """A completion answering a batched request: `{"results": [{"id": …, …}, …]}`."""
    return completion_body(json.dumps({"results": results}), **completion)


_COMPLETION_KEYS = frozenset({"model", "prompt_tokens", "completion_tokens", "finish_reason", "refusal"})


def _data(request_body: dict[str, Any]) -> dict[str, Any] | None:
    user = next((m["content"] for m in request_body.get("messages", []) if m.get("role") == "user"), "")
    _, _, data = str(user).partition("\n")
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def mention_of(request_body: dict[str, Any]) -> str:
    """The mention text a classification request carries (the JSON data block of the user message)."""
    data = _data(request_body)
    return str(data.get("mention", "")) if data is not None else ""


def batch_items(request_body: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The (id, mention) pairs of a batched classification request; None for a single-mention one."""
    data = _data(request_body)
    if data is None or not isinstance(data.get("mentions"), list):
        return None
    return [(str(item["id"]), str(item["mention"])) for item in data["mentions"]]


def texts_in(request_body: dict[str, Any]) -> list[str]:
    """Every mention text a classification request asks about, single or batched."""
    items = batch_items(request_body)
    return [mention_of(request_body)] if items is None else [text for _, text in items]


def keyword_label(text: str) -> str:
    text = text.lower()
    return next((dep for dep, words in _KEYWORDS if any(w in text for w in words)), "none")


def _labelled(department: str, note: str) -> dict[str, Any]:
    return answer(
        department,
        confidence=0.8 if department != "none" else 0.5,
        sentiment="neutral",
        summary=f"Mention about {department}.",
        topics=[department],
        reason=note,
    )


def labelling_responder(label: Callable[[str], str], note: str) -> Responder:
    """Answer single and batched requests alike with `label(text)`, batches by id."""

    def respond(request_body: dict[str, Any]) -> dict[str, Any]:
        items = batch_items(request_body)
        if items is None:
            return completion_body(json.dumps(_labelled(label(mention_of(request_body)), note)))
        return batch_body([{"id": i, **_labelled(label(text), note)} for i, text in items])

    return respond


def keyword_responder(request_body: dict[str, Any]) -> dict[str, Any]:
    """Default responder: label the mention(s) with a keyword rule, like a very small model would."""
    return labelling_responder(keyword_label, "keyword match")(request_body)


def oracle_responder(gold: Mapping[str, str]) -> Responder:
    """An LLM that always knows the gold department of a text it was given (keywords otherwise):
    what batching can lose against it is plumbing (ids, parsing, fallbacks), not model quality."""
    return labelling_responder(lambda text: gold.get(text) or keyword_label(text), "oracle")


def estimate_tokens(text: str) -> int:
    """~4 characters a token, the usual rule of thumb for English with OpenAI's tokenizers."""
    return max(1, math.ceil(len(text) / 4))


def counted(request_body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    """`reply` with usage estimated from what was sent (messages + response schema) and answered."""
    sent = "".join(str(m.get("content", "")) for m in request_body.get("messages", []))
    sent += json.dumps(request_body.get("response_format") or {})
    content = "".join(str(c["message"].get("content") or "") for c in reply.get("choices", []))
    prompt, completion = estimate_tokens(sent), estimate_tokens(content)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return {**reply, "usage": usage}


class FakeOpenAI(ThreadedFake):
    """Threaded HTTP server on 127.0.0.1, port 0, serving POST /v1/chat/completions."""

    def __init__(self, *, delay: float = 0.0, count_tokens: bool = False) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responder: Responder = keyword_responder
        self.delay = delay
        self.count_tokens = count_tokens  # usage estimated from sizes instead of the fixed 120/40
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
        reply = self.responder(body)
        return Scripted(200, counted(body, reply) if self.count_tokens else reply, {}, self.delay)

    def _record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "body": body, "at": time.monotonic()})


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
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

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return Handler
