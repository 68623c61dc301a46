"""Built-in listeners: poll Reddit, Hacker News, Bluesky, Mastodon and feeds for new public posts.

The seams for the rest of the bot: `validate_sources` (rules file), `poll_source` (scheduler, CLI),
`start_cursor` (backfill), `SourceHttp` (one polite client per process) and `Item.as_mention()`.
"""

from __future__ import annotations

from bot.domain.match import MatchSyntaxError, parse_match
from bot.domain.sources import Problem, SourceConfig, SourceList, validate_sources
from bot.intake.sources.http import SourceError, SourceHttp
from bot.intake.sources.items import Item
from bot.intake.sources.poller import PollResult, poll_source, probe_source, start_cursor

__all__ = [
    "Item",
    "MatchSyntaxError",
    "PollResult",
    "Problem",
    "SourceConfig",
    "SourceError",
    "SourceHttp",
    "SourceList",
    "parse_match",
    "poll_source",
    "probe_source",
    "start_cursor",
    "validate_sources",
]
