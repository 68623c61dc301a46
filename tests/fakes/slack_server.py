"""A fake Slack Web API over real HTTP, with scripted failures, for every test that talks to Slack.

Point `WebClient(token="xoxb-test", base_url=fake.base_url)` at it. Every request is recorded (method,
parsed body, headers, server-side monotonic time). `queue()` scripts failures per method, served first-in
first-out before the normal behaviour (429 + Retry-After, 5xx, HTML bodies, `{"ok": false, …}`).
`slow()` and `hold()` perform a call (the message IS stored) and then answer late, or only when told:
the unknown-outcome window of a client timeout or a crash. `post_interval` makes the fake enforce
Slack's one message per second per channel with 429s. Messages keep their `metadata`, served by
conversations.history / conversations.replies with include_all_metadata.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import Scripted, ThreadedFake
from tests.fakes.slack_conversations import ConversationMethods
from tests.fakes.slack_http import handler_for

Answer = dict[str, Any]

DEFAULT_CHANNELS = {
    "social-mentions": "C0SOCIAL",
    "team-product": "C0PRODUCT",
    "team-support": "C0SUPPORT",
    "team-hr": "C0HR",
    "team-sales": "C0SALES",
    "social-triage": "C0TRIAGE",
}


@dataclass
class RecordedRequest:
    method: str  # Slack method ("chat.postMessage"), "upload" or "response"
    body: dict[str, Any]
    headers: dict[str, str]
    timestamp: float  # time.monotonic() when the server received it
    raw: bytes = b""


@dataclass
class FakeSlack(ConversationMethods, ThreadedFake):
    """The fake workspace: channels, members, posted messages and every request received."""

    bot_user_id: str = "UBOT"
    channels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    members: dict[str, list[str]] = field(default_factory=dict)
    outside: set[str] = field(default_factory=set)  # channel ids the bot has not joined (not_in_channel)
    private: set[str] = field(default_factory=set)  # channel ids that are private
    archived: set[str] = field(default_factory=set)  # channel ids that are archived (is_archived)
    post_interval: float = 0.0  # > 0: a post sooner than this after the last one to a channel gets 429
    statuses: list[tuple[str, int]] = field(default_factory=list)  # (method, HTTP status) per answer
    shares: list[tuple[str, str]] = field(default_factory=list)  # (file id, channel) per completed upload
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    base_url: str = ""
    response_url_base: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        # microseconds from the wall clock (history lookups filter on `oldest`); strictly increasing
        self._ts = int(time.time() * 1_000_000)
        self._ids = 0
        self._after: dict[str, deque[float | threading.Event]] = defaultdict(deque)
        self._last_post: dict[str, float] = {}
        self._methods: dict[str, Callable[[dict[str, Any]], Answer]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.join": self._join,
            "conversations.open": self._open,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "users.info": self._users_info,
            # Socket Mode needs a WebSocket this fake does not serve: every app-level token is refused.
            "apps.connections.open": lambda body: {"ok": False, "error": "invalid_auth"},
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # ---- lifecycle -------------------------------------------------------------------------------
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return handler_for(self)

    def on_started(self, root: str) -> None:
        self.base_url = f"{root}/api/"
        self.response_url_base = f"{root}/response"

    # ---- test helpers ----------------------------------------------------------------------------
    def queue(
        self,
        method: str,
        *,
        status: int = 200,
        body: dict[str, Any] | str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Script the next answer to `method` (FIFO); the normal behaviour resumes once consumed."""
        with self._lock:
            self._scripts[method].append(Scripted(status, body, dict(headers or {}), delay))

    def slow(self, method: str, delay: float) -> None:
        """The next `method` call is performed at once but answered only after `delay` seconds."""
        with self._lock:
            self._after[method].append(delay)

    def hold(self, method: str) -> threading.Event:
        """The next `method` call is performed at once but answered only when the event is set."""
        gate = threading.Event()
        with self._lock:
            self._after[method].append(gate)
        return gate

    def with_metadata(self, event_type: str) -> list[dict[str, Any]]:
        """Stored messages (in post order) whose metadata has this event type."""
        with self._lock:
            found = [
                m for m in self.messages.values() if (m.get("metadata") or {}).get("event_type") == event_type
            ]
        return sorted(found, key=lambda m: float(m["ts"]))

    def answered(self, method: str, status: int) -> int:
        with self._lock:
            return sum(1 for m, s in self.statuses if m == method and s == status)

    def calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.method == method]

    def timestamps(self, method: str) -> list[float]:
        with self._lock:
            return [r.timestamp for r in self.requests if r.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage bodies, optionally only those for one channel (id or '#name')."""
        bodies = self.calls("chat.postMessage")
        if channel is None:
            return bodies
        wanted = self.resolve(channel)
        return [b for b in bodies if self.resolve(str(b.get("channel", ""))) == wanted]

    def resolve(self, channel: str) -> str | None:
        """Channel id for an id or a (#)name; None when the workspace has no such channel."""
        name = channel.removeprefix("#")
        if name in self.channels:
            return self.channels[name]
        if channel in self.channels.values() or channel in self.members or channel.startswith("D"):
            return channel
        if channel[:1] in ("U", "W"):
            return "D" + channel[1:]  # posting to a user id lands in the DM with the app
        return None

    # ---- request handling ------------------------------------------------------------------------
    def receive_upload(self, file_id: str, raw: bytes) -> None:
        with self._lock:
            self.uploads[file_id] = raw

    def handle(
        self, method: str, body: dict[str, Any], headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(RecordedRequest(method, body, headers, time.monotonic(), raw))
            script = self._scripts[method].popleft() if self._scripts.get(method) else None
        if script is not None:
            reply = _scripted_reply(script)
            with self._lock:
                self.statuses.append((method, reply[0]))
            return reply
        if method == "response":
            with self._lock:
                self.responses.append(body)
            return _json_answer({"ok": True})
        if method == "upload":
            return 200, {"Content-Type": "text/plain"}, f"OK - {len(raw)}".encode()
        if method not in ("upload", "response") and not headers.get("authorization", "").startswith(
            "Bearer "
        ):
            return _json_answer({"ok": False, "error": "not_authed"})
        action = self._methods.get(method)
        if action is None:
            return _json_answer({"ok": False, "error": "unknown_method"})
        with self._lock:
            reply = self._throttled(method, body) or _json_answer(action(body))
            self.statuses.append((method, reply[0]))
            after = self._after[method].popleft() if self._after.get(method) else None
        if isinstance(after, threading.Event):
            after.wait(30)
        elif after:
            time.sleep(after)
        return reply

    def _throttled(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        """Slack's 1 message/s per channel, when `post_interval` is set (called with the lock held)."""
        if method != "chat.postMessage" or not self.post_interval:
            return None
        channel = self.resolve(str(body.get("channel", ""))) or ""
        now = time.monotonic()
        if now - self._last_post.get(channel, -1e9) < self.post_interval:
            body = {"ok": False, "error": "ratelimited"}
            return 429, {"Content-Type": "application/json", "Retry-After": "1"}, json.dumps(body).encode()
        self._last_post[channel] = now
        return None

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:06d}"

    # ---- Slack methods (called with the lock held) -----------------------------------------------
    def _auth_test(self, body: dict[str, Any]) -> Answer:
        return {
            "ok": True,
            "user_id": self.bot_user_id,
            "bot_id": "BBOT",
            "team": "T1",
            "team_id": "T1",
            "user": "social-router",
            "url": "https://fake.slack.com/",
        }

    def _post_message(self, body: dict[str, Any]) -> Answer:
        channel = self.resolve(str(body.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": "BBOT",
            "ts": ts,
            "text": body.get("text", ""),
            "blocks": _blocks(body),
        }
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        metadata = body.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, body: dict[str, Any]) -> Answer:
        channel = self.resolve(str(body.get("channel", "")))
        key = (channel or "", str(body.get("ts", "")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        self.messages[key].update(text=body.get("text", ""), blocks=_blocks(body))
        return {"ok": True, "channel": key[0], "ts": key[1], "text": body.get("text", "")}

    def _post_ephemeral(self, body: dict[str, Any]) -> Answer:
        if self.resolve(str(body.get("channel", ""))) is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _permalink(self, body: dict[str, Any]) -> Answer:
        channel = self.resolve(str(body.get("channel", "")))
        ts = str(body.get("message_ts", ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }


def _blocks(body: dict[str, Any]) -> list[Any]:
    blocks = body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def _json_answer(body: dict[str, Any], status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


def _scripted_reply(script: Scripted) -> tuple[int, dict[str, str], bytes]:
    return script.reply({"ok": script.status < 400})
