"""One poll of one source: fetch what is new since the cursor, keep what matches, never raise.

`poll_source` is the seam for the scheduler and the CLI. A remote failure comes back as
`PollResult.error` with the old cursor, so the caller stores nothing, keeps its place, and the
other sources go on. Items come back oldest first and deduplicated by source id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.domain.match import Matcher, parse_match
from bot.domain.sources import SourceConfig
from bot.intake.sources import bluesky, feed, hackernews, mastodon, reddit
from bot.intake.sources.http import SourceError, SourceHttp
from bot.intake.sources.items import OVERLAP_SECONDS, Fetched, Item, SeenWindow

log = logging.getLogger(__name__)

Fetcher = Callable[[SourceConfig, dict[str, Any], SourceHttp], Fetched]
FETCHERS: dict[str, Fetcher] = {
    "reddit": reddit.fetch,
    "hackernews": hackernews.fetch,
    "bluesky": bluesky.fetch,
    "mastodon": mastodon.fetch,
    "feed": feed.fetch,
}


@dataclass(frozen=True)
class PollResult:
    """New matching items, the cursor to store once they are stored, and the error if the poll failed."""

    items: list[Item]
    cursor: dict[str, Any]
    error: str | None = None
    fetched: int = 0  # items seen before the match filter (for "items seen today")
    retry_after: float | None = None  # the service asked not to be polled again before this many seconds
    skipped: list[str] = field(default_factory=list)  # source ids the match filter dropped

    @property
    def ok(self) -> bool:
        return self.error is None


def poll_source(config: SourceConfig, cursor: dict[str, Any] | None, http: SourceHttp) -> PollResult:
    """Fetch, filter and order one source's new items. A first poll (empty cursor) reads one page only:
    history is what `start_cursor` + a backfill is for."""
    cursor = dict(cursor or {})
    effective = config if cursor else config.model_copy(update={"max_pages": 1})
    try:
        items, next_cursor = FETCHERS[config.type](effective, cursor, http)
    except SourceError as exc:
        return PollResult([], cursor, str(exc), retry_after=exc.retry_after)
    except Exception as exc:  # an unforeseen body shape or a bug must not stop the other sources
        log.exception("source %s: unexpected failure", config.name)
        return PollResult([], cursor, f"unexpected {type(exc).__name__}: {exc}")
    unique = list({item.source_id: item for item in items}.values())
    matcher = _matcher(config.filter_query) if config.filter_query else None
    kept = [i for i in unique if matcher is None or matcher.matches(i.text, i.lang)]
    skipped = [i.source_id for i in unique if matcher is not None and not matcher.matches(i.text, i.lang)]
    kept.sort(key=lambda item: (item.created_at, item.source_id))
    return PollResult(kept, next_cursor, fetched=len(unique), skipped=skipped)


def probe_source(config: SourceConfig, http: SourceHttp) -> PollResult:
    """One request's worth of the source, for `check`: does it answer, and what would it find?"""
    return poll_source(config, None, http)


def start_cursor(config: SourceConfig, since: datetime) -> dict[str, Any]:
    """A cursor that makes the next poll reach back to `since` (a backfill; raise max_pages for it)."""
    if config.type == "mastodon":
        return {"min_id": str(int(mastodon.min_id_at(since)) - 1)}
    if config.type == "feed":
        return {}  # a feed holds what it holds; every entry not yet seen is new
    # The window's floor is `newest - overlap`, so place `newest` that far above `since`.
    return SeenWindow(since.timestamp() + OVERLAP_SECONDS, {}).to_cursor()


@lru_cache(maxsize=256)
def _matcher(query: str) -> Matcher:
    return parse_match(query)
