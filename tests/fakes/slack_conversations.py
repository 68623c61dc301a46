"""The fake Slack's conversations.* and users/views/files methods, mixed into FakeSlack.

They run with FakeSlack's lock held, on the workspace state FakeSlack declares (channels, members,
messages, …); pagination is Slack's cursor scheme with a small default limit so tests exercise cursors.
"""

from __future__ import annotations

import json
from typing import Any

Answer = dict[str, Any]


class ConversationMethods:
    """Channel directory, history and the smaller Web API methods of the fake workspace."""

    bot_user_id: str
    base_url: str
    channels: dict[str, str]
    members: dict[str, list[str]]
    outside: set[str]
    private: set[str]
    archived: set[str]
    users: dict[str, dict[str, Any]]
    uploads: dict[str, bytes]
    shares: list[tuple[str, str]]
    messages: dict[tuple[str, str], dict[str, Any]]

    def resolve(self, channel: str) -> str | None:
        raise NotImplementedError

    def _next_id(self, prefix: str) -> str:
        raise NotImplementedError

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
