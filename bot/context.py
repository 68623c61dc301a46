"""The frozen context every listener, worker and command shares, with one reloadable configuration.

Everything here is built once and never filled in later. The rules file, the channel IDs resolved from
it and the cascade that reads its overrides form one `Config`; a reload builds a whole new `Config`
and swaps it in one assignment, so every reader (routing, overrides, visibility, the scheduler, the
channel map) sees either the old file or the new one, never a mix.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.intake.ingest import IntakeTarget
from bot.store.engine import Engine

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.classify.cascade import Cascade
    from bot.slack.people import People


@dataclass(frozen=True)
class Config:
    """One version of the rules file and what was derived from it."""

    rules: RoutingRules
    cascade: Cascade
    # '#name' → channel ID, resolved when this version was loaded; IDs map to themselves
    channels: Mapping[str, str] = field(default_factory=dict)

    def channel_id(self, channel: str) -> str:
        """The channel ID for a rules-file value ('#name' or ID); unresolved names pass through."""
        return self.channels.get(channel, channel)

    def watched_ids(self) -> frozenset[str]:
        return frozenset(self.channel_id(c) for c in self.rules.watch.channels)


class ConfigHolder:
    """The current `Config`. `swap` replaces it whole; readers take `current` once per unit of work."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._watched = config.watched_ids()
        self._lock = threading.Lock()

    @property
    def current(self) -> Config:
        return self._config

    def watched(self, channel_id: str) -> bool:
        return channel_id in self._watched

    def swap(self, config: Config) -> Config:
        """Install `config` for every reader at once; returns the one it replaced."""
        with self._lock:
            old, watched = self._config, config.watched_ids()
            self._config, self._watched = config, watched
        return old


@dataclass(frozen=True)
class Services:
    """Explicit dependencies (no globals). `slack` is None when running without Slack (demo, CLI)."""

    settings: Settings
    config: ConfigHolder
    engine: Engine
    slack: WebClient | None = None
    bot_user_id: str = ""
    bot_id: str = ""
    # set when new work is stored, so the worker threads wake at once instead of on their next poll
    work_ready: threading.Event = field(default_factory=threading.Event)
    delivery_ready: threading.Event = field(default_factory=threading.Event)
    people: People | None = None  # authors' display names and message links for cards

    @classmethod
    def create(
        cls,
        settings: Settings,
        rules: RoutingRules,
        engine: Engine,
        cascade: Cascade,
        *,
        slack: WebClient | None = None,
        bot_user_id: str = "",
        bot_id: str = "",
        channels: Mapping[str, str] | None = None,
        workspace_url: str = "",
    ) -> Services:
        config = Config(rules, cascade, MappingProxyType(dict(channels or {})))
        people = None
        if slack is not None:
            from bot.slack.people import People

            people = People(slack, workspace_url)
        return cls(settings, ConfigHolder(config), engine, slack, bot_user_id, bot_id, people=people)

    @property
    def rules(self) -> RoutingRules:
        return self.config.current.rules

    @property
    def cascade(self) -> Cascade:
        return self.config.current.cascade

    def channel_id(self, channel: str) -> str:
        return self.config.current.channel_id(channel)

    def watched(self, channel_id: str) -> bool:
        return self.config.watched(channel_id)

    def intake(self) -> IntakeTarget:
        """Where Slack events and /ingest records are stored, and which worker they wake."""
        return IntakeTarget(self.engine, self.work_ready.set, self.bot_user_id, self.bot_id)
