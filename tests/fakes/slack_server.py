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
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.http import Scripted, ThreadedFake, send_reply

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
class FakeSlack(ThreadedFake):
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
        return _handler_for(self)

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

    def _channel_info(self, name: str, channel_id: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "name": name,
            "is_channel": True,
            "is_private": channel_id in self.private,
            "is_archived": channel_id in self.archived,
            "is_member": channel_id not in self.outside,
            "num_members": len(self.members.get(channel_id, [])),
        }

    def _hidden(self, channel_id: str) -> bool:
        """Like Slack: a private channel the bot is not in is invisible to it (list and info)."""
        return channel_id in self.private and channel_id in self.outside

    def _history(self, body: dict[str, Any]) -> Answer:
        """Top-level messages of a channel, newest first, after `oldest`; metadata only when asked."""
        channel = self.resolve(str(body.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(body.get("oldest") or 0)
        found = [
            m
            for (c, ts), m in self.messages.items()
            if c == channel and float(ts) > oldest and m.get("thread_ts", ts) == ts
        ]
        return _page(_shown(found, body), "messages", body)

    def _replies(self, body: dict[str, Any]) -> Answer:
        channel = self.resolve(str(body.get("channel", "")))
        parent = str(body.get("ts", ""))
        if channel is None or (channel, parent) not in self.messages:
            return {"ok": False, "error": "thread_not_found"}
        found = [
            m for (c, ts), m in self.messages.items() if c == channel and parent in (ts, m.get("thread_ts"))
        ]
        return _page(list(reversed(_shown(found, body))), "messages", body)

    def _conversations_list(self, body: dict[str, Any]) -> Answer:
        listed = sorted(self.channels.items(), key=lambda kv: kv[1])
        items = [self._channel_info(n, i) for n, i in listed if not self._hidden(i)]
        if body.get("exclude_archived") in (True, "true", "1", 1):
            items = [item for item in items if not item["is_archived"]]
        return _page(items, "channels", body)

    def _conversations_info(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel", ""))
        for name, channel_id in self.channels.items():
            if channel_id == channel and not self._hidden(channel_id):
                return {"ok": True, "channel": self._channel_info(name, channel_id)}
        return {"ok": False, "error": "channel_not_found"}

    def _conversations_members(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel", ""))
        if channel not in self.members and channel not in self.channels.values():
            return {"ok": False, "error": "channel_not_found"}
        return _page(list(self.members.get(channel, [])), "members", body)

    def _join(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel", ""))
        if channel not in self.channels.values():
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.private:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        self.outside.discard(channel)
        self.members.setdefault(channel, [])
        if self.bot_user_id not in self.members[channel]:
            self.members[channel].append(self.bot_user_id)
        return {"ok": True, "channel": {"id": channel, "is_member": True}}

    def _open(self, body: dict[str, Any]) -> Answer:
        users = str(body.get("users", "")).split(",")
        return {"ok": True, "channel": {"id": "D" + users[0].strip()[1:], "is_im": True}}

    def _users_info(self, body: dict[str, Any]) -> Answer:
        user = str(body.get("user", ""))
        default = {
            "id": user,
            "name": user.lower(),
            "real_name": f"User {user}",
            "tz": "UTC",
            "is_bot": user == self.bot_user_id,
            "profile": {"display_name": user.lower()},
        }
        return {"ok": True, "user": self.users.get(user, default)}

    def _views_publish(self, body: dict[str, Any]) -> Answer:
        view = body.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": self._next_id("V"), **(view or {})}}

    def _upload_url(self, body: dict[str, Any]) -> Answer:
        file_id = self._next_id("F")
        root = self.base_url.removesuffix("/api/")
        return {"ok": True, "upload_url": f"{root}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, body: dict[str, Any]) -> Answer:
        files = body.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        missing = [f for f in files if f.get("id") not in self.uploads]
        if missing:
            return {"ok": False, "error": "file_not_found"}
        if body.get("channel_id"):
            self.shares.extend((str(f["id"]), str(body["channel_id"])) for f in files)
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}


def _blocks(body: dict[str, Any]) -> list[Any]:
    blocks = body.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def _shown(messages: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
    """Newest first; `metadata` stripped unless include_all_metadata is true (as Slack does)."""
    with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
    ordered = sorted(messages, key=lambda m: float(m["ts"]), reverse=True)
    return [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in ordered]


def _page(items: list[Any], key: str, body: dict[str, Any]) -> Answer:
    """Cursor pagination like Slack's: `limit` (default 2 so tests exercise cursors) and `cursor`."""
    limit = int(body.get("limit") or 2)
    start = int(body.get("cursor") or 0)
    chunk = items[start : start + limit]
    cursor = str(start + limit) if start + limit < len(items) else ""
    return {"ok": True, key: chunk, "response_metadata": {"next_cursor": cursor}}


def _json_answer(body: dict[str, Any], status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


def _parse_body(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    body: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not raw:
        return body
    if "json" in content_type:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return body
        body.update(parsed if isinstance(parsed, dict) else {"_json": parsed})
    elif "x-www-form-urlencoded" in content_type:
        body.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return body


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = _parse_body(raw, headers.get("content-type", ""), url.query)
            parts = url.path.strip("/").split("/")
            method = parts[1] if parts[0] == "api" and len(parts) > 1 else parts[0]
            if method == "upload" and len(parts) > 1:
                with fake._lock:
                    fake.uploads[parts[1]] = raw
            send_reply(self, fake.handle(method, body, headers, raw))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


def _scripted_reply(script: Scripted) -> tuple[int, dict[str, str], bytes]:
    return script.reply({"ok": script.status < 400})
