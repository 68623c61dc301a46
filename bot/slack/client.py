"""Slack Web API helpers every caller shares: cursor paging and opening a DM, each written once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient

PAGE_SIZE = 200  # Slack's recommended page size for conversations.* (the maximum is 1000)


def paginate(
    client: WebClient, method: str, key: str, *, limit: int = PAGE_SIZE, **params: Any
) -> Iterator[Any]:
    """Every item under `key` across all pages of `method` ("conversations.list" or "conversations_list").

    Follows `response_metadata.next_cursor` until Slack returns an empty one. Errors (SlackApiError, a
    429 included) propagate to the caller, which knows whether to retry, give up or report.
    """
    call = getattr(client, method.replace(".", "_"))
    cursor = ""
    while True:
        args = dict(params, limit=limit)
        if cursor:
            args["cursor"] = cursor
        page = call(**args)
        yield from page.get(key) or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            return


def open_dm(client: WebClient, user: str) -> str:
    """The ID of the app's direct-message conversation with `user` (conversations.open, idempotent)."""
    opened = client.conversations_open(users=user)
    return str(opened["channel"]["id"])
