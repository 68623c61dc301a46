"""Hacker News listener: Algolia's `search_by_date` (stories and comments), newest first.

Pages are walked by time (`numericFilters=created_at_i<=T`, T = the oldest time on the previous page)
rather than by `page` number: a post deleted between two requests shifts page numbers and would make
one post fall through the gap, while a time bound does not move.
"""

from __future__ import annotations

from typing import Any

from bot.domain.match import positive_terms
from bot.domain.sources import SourceConfig
from bot.intake.sources.http import SourceError, SourceHttp
from bot.intake.sources.items import Fetched, Item, SeenWindow, from_epoch, html_to_text, join_text, require

PACE = 0.4  # Algolia's HN API allows 10,000 requests an hour per IP
PAGE_SIZE = 100
PERMALINK_ROOT = "https://news.ycombinator.com/item?id="


def fetch(config: SourceConfig, cursor: dict[str, Any], http: SourceHttp) -> Fetched:
    window = SeenWindow.from_cursor(cursor)
    url = f"{config.api_root}/api/v1/search_by_date"
    found: dict[str, Item] = {}
    upper: int | None = None
    for _ in range(config.max_pages):
        hits = _hits(http.get_json(url, params=_params(config, window, upper), pace=PACE))
        fresh = 0
        for hit in hits:
            hit = require(hit, "objectID", "created_at_i")
            key = str(hit["objectID"])
            if key not in found and window.is_new(key, float(hit["created_at_i"])):
                found[key] = _item(hit)
                fresh += 1
        if len(hits) < PAGE_SIZE or fresh == 0:  # the last page, or a page stuck on one second
            break
        upper = min(int(hit["created_at_i"]) for hit in hits)
    for key, item in found.items():
        window.add(key, item.created_at.timestamp())
    return list(found.values()), window.to_cursor()


def _params(config: SourceConfig, window: SeenWindow, upper: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"tags": "(story,comment)", "hitsPerPage": PAGE_SIZE, "page": 0}
    params.update(algolia_query(config.query or ""))
    filters = []
    if window.floor is not None:
        filters.append(f"created_at_i>={int(window.floor)}")
    if upper is not None:
        filters.append(f"created_at_i<={upper}")
    if filters:
        params["numericFilters"] = ",".join(filters)
    return params


def algolia_query(query: str) -> dict[str, str]:
    """Algolia understands "phrases" and -exclusions (advancedSyntax) but not OR: for a query with OR
    ask for any of its terms (optionalWords) and let the local filter apply the exact query."""
    if " OR " not in f" {query} " and "(" not in query:
        return {"query": query, "advancedSyntax": "true"}
    terms = positive_terms(query)
    return {"query": " ".join(terms), "optionalWords": ",".join(terms)}


def _hits(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
        raise SourceError("malformed response from Hacker News search: no hits list")
    return list(body["hits"])


def _item(hit: dict[str, Any]) -> Item:
    if hit.get("comment_text") is not None:
        text = html_to_text(str(hit["comment_text"]))
    else:
        text = join_text(hit.get("title"), html_to_text(str(hit.get("story_text") or "")))
    return Item(
        source_id=f"hn:{hit['objectID']}",
        source="hackernews",
        text=text,
        author=str(hit.get("author") or ""),
        url=f"{PERMALINK_ROOT}{hit['objectID']}",
        created_at=from_epoch(hit["created_at_i"]),
        link=str(hit["url"]) if hit.get("url") else None,
    )
