"""The two Slack conversations the outbox has beyond post/update: a file upload, and a history search.

`find_posted` is the exactly-once check for a post whose outcome is unknown: every post carries our
message metadata (event type + delivery id), so the channel's recent history says whether Slack has
it. conversations.history is tightly rate-limited for apps outside the Marketplace, so it runs only in
that rare case, once per channel (or thread) for a whole batch, and its 429 is raised like any other.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

Call = Callable[[Callable[[], SlackResponse]], SlackResponse]
HISTORY_PAGES = 10  # 200 messages a page: further back than a retry ever needs to look


def find_posted(
    client: WebClient, call: Call, channel: str, *, oldest: float, thread_ts: str | None, event_type: str
) -> dict[int, str]:
    """delivery id → ts for messages carrying our metadata in `channel` (or one thread) since `oldest`."""
    found: dict[int, str] = {}
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        args: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{oldest:.6f}",
            "include_all_metadata": True,
            "limit": 200,
        }
        if cursor:
            args["cursor"] = cursor
        if thread_ts:
            page = call(partial(client.conversations_replies, ts=thread_ts, **args))
        else:
            page = call(partial(client.conversations_history, **args))
        for message in page.get("messages") or []:
            delivery_id = _delivery_id(message, event_type)
            if delivery_id is not None:
                found.setdefault(delivery_id, str(message.get("ts", "")))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def _delivery_id(message: dict[str, Any], event_type: str) -> int | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != event_type:
        return None
    value = (metadata.get("event_payload") or {}).get("delivery_id")
    return value if isinstance(value, int) else None


def upload_file(client: WebClient, call: Call, channel: str, content: bytes, details: dict[str, Any]) -> str:
    """Upload `content` and share it to `channel` (the external upload flow); returns the file id."""
    filename = str(details.get("filename") or "file")
    alt = str(details.get("alt_txt") or "")
    ticket = call(
        lambda: client.files_getUploadURLExternal(filename=filename, length=len(content), alt_txt=alt)
    )
    call(lambda: _put(str(ticket["upload_url"]), content, client.timeout))
    file_id = str(ticket["file_id"])
    files: list[dict[str, str | None]] = [{"id": file_id, "title": str(details.get("title") or filename)}]
    call(lambda: client.files_completeUploadExternal(files=files, channel_id=channel))
    return file_id


def _put(url: str, content: bytes, timeout: int) -> Any:
    """POST the bytes to the upload URL Slack handed out (errors are translated by `call`)."""
    request = urllib.request.Request(url, data=content, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()
