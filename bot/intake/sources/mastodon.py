"""Mastodon listener: a hashtag timeline (`/api/v1/timelines/tag/:hashtag`), paged forward with `min_id`.

`min_id` returns the statuses immediately newer than the cursor, so walking forward page by page never
leaves a gap, and a deleted status cannot shift anything: ids are compared, not positions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from bot.domain.sources import SourceConfig
from bot.intake.sources.http import SourceError, SourceHttp
from bot.intake.sources.items import Fetched, Item, from_iso, html_to_text, join_text, require

PACE = 1.0  # 300 requests per 5 minutes per IP on mastodon.social's defaults
PAGE_SIZE = 40  # the documented maximum for timelines


def fetch(config: SourceConfig, cursor: dict[str, Any], http: SourceHttp) -> Fetched:
    url = f"{config.api_root}/api/v1/timelines/tag/{quote(config.hashtag or '')}"
    host = urlsplit(config.api_root).netloc
    min_id: str | None = cursor.get("min_id")
    items: list[Item] = []
    for _ in range(config.max_pages):
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if min_id is not None:
            params["min_id"] = min_id
        statuses = _statuses(http.get_json(url, params=params, pace=PACE))
        if not statuses:
            break
        items.extend(_item(status, host) for status in statuses)
        newest = max((str(s["id"]) for s in statuses), key=id_order)
        first_poll = min_id is None
        min_id = newest
        if first_poll or len(statuses) < PAGE_SIZE:  # a first poll takes the newest page, not history
            break
    return items, {"min_id": min_id} if min_id is not None else {}


def min_id_at(moment: datetime) -> str:
    """The smallest status id at or after `moment`: Mastodon ids are milliseconds shifted left 16 bits."""
    return str(int(moment.timestamp() * 1000) << 16)


def id_order(status_id: str) -> tuple[int, str]:
    """Ids are numeric strings of varying length; compare by length first, then text."""
    return len(status_id), status_id


def _statuses(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise SourceError("malformed response from Mastodon: expected a list of statuses")
    return [require(status, "id", "created_at") for status in body]


def _item(status: dict[str, Any], host: str) -> Item:
    account = _mapping(status.get("account"))
    warning = str(status.get("spoiler_text") or "")
    card = _mapping(status.get("card"))
    return Item(
        source_id=f"mastodon:{host}:{status['id']}",
        source="mastodon",
        text=join_text(warning, html_to_text(str(status.get("content") or ""))),
        author=str(account.get("acct") or account.get("username") or ""),
        url=str(status.get("url") or status.get("uri") or ""),
        created_at=from_iso(status["created_at"]),
        lang=str(status["language"]) if status.get("language") else None,
        link=str(card["url"]) if card.get("url") else None,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
