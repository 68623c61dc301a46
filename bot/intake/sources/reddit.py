"""Reddit listener: the search listing (`/search.json`, `/r/{subs}/search.json`), newest first, by `after`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.domain.sources import SourceConfig
from bot.intake.sources.http import SourceError, SourceHttp
from bot.intake.sources.items import Fetched, Item, SeenWindow, from_epoch, join_text, require

PACE = 6.0  # Reddit allows about 10 unauthenticated requests a minute per client
PAGE_SIZE = 100  # the listing maximum
PERMALINK_ROOT = "https://www.reddit.com"


def fetch(config: SourceConfig, cursor: dict[str, Any], http: SourceHttp) -> Fetched:
    """Page back from the newest post until the seen window's floor (or max_pages) is reached."""
    window = SeenWindow.from_cursor(cursor)
    url = _search_url(config)
    found: dict[str, Item] = {}
    after: str | None = None
    fallbacks: list[str] = []
    for _ in range(config.max_pages):
        children, next_after = _listing(http.get_json(url, params=_params(config, after), pace=PACE))
        if not children and after is not None and fallbacks:
            # The post we paged after was deleted meanwhile: Reddit then answers an empty listing.
            # Page after its predecessor instead; the posts seen twice are dropped by id.
            after = fallbacks.pop(0)
            continue
        reached_floor = False
        for child in children:
            post = require(child.get("data") if isinstance(child, dict) else None, "name", "created_utc")
            created = float(post["created_utc"])
            if window.floor is not None and created < window.floor:
                reached_floor = True
            elif window.is_new(str(post["name"]), created):
                found.setdefault(str(post["name"]), _item(post))
        fallbacks = [str(c["data"]["name"]) for c in reversed(children[:-1])][:3]
        after = next_after
        if reached_floor or not after:
            break
    for item in found.values():
        window.add(item.source_id.removeprefix("reddit:"), item.created_at.timestamp())
    return list(found.values()), window.to_cursor()


def _search_url(config: SourceConfig) -> str:
    if config.subreddits:
        return f"{config.api_root}/r/{quote('+'.join(config.subreddits), safe='+')}/search.json"
    return f"{config.api_root}/search.json"


def _params(config: SourceConfig, after: str | None) -> dict[str, Any]:
    # raw_json=1: titles and bodies come unescaped (the legacy encoding turns & < > into entities).
    params: dict[str, Any] = {"q": config.query, "sort": "new", "limit": PAGE_SIZE, "raw_json": 1}
    if config.subreddits:
        params["restrict_sr"] = "on"
    if after:
        params["after"] = after
    return params


def _listing(body: Any) -> tuple[list[Any], str | None]:
    if not isinstance(body, dict) or body.get("kind") != "Listing" or not isinstance(body.get("data"), dict):
        raise SourceError("malformed response from Reddit: expected a Listing")
    children = body["data"].get("children")
    if not isinstance(children, list):
        raise SourceError("malformed response from Reddit: the Listing has no children list")
    after = body["data"].get("after")
    return children, str(after) if after else None


def _item(post: dict[str, Any]) -> Item:
    permalink = str(post.get("permalink") or f"/comments/{str(post['name']).removeprefix('t3_')}/")
    link = post.get("url_overridden_by_dest") or (None if post.get("is_self") else post.get("url"))
    return Item(
        source_id=f"reddit:{post['name']}",
        source="reddit",
        text=join_text(post.get("title"), post.get("selftext")),
        author=str(post.get("author") or "[deleted]"),
        url=PERMALINK_ROOT + permalink,
        created_at=from_epoch(post["created_utc"]),
        link=str(link) if link else None,
    )
