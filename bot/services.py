"""The services object: everything a handler, worker or CLI command needs, built once and passed down."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.rules import RoutingRules
from bot.settings import Settings

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.classify.cascade import Cascade


@dataclass
class Services:
    """Explicit dependencies (no globals). `slack` is None when running without Slack (demo, CLI)."""

    settings: Settings
    rules: RoutingRules
    engine: Engine
    cascade: Cascade
    slack: WebClient | None = None
    bot_user_id: str = ""
    bot_id: str = ""
    # '#name' → channel ID, resolved once at start-up; IDs map to themselves
    channels: dict[str, str] = field(default_factory=dict)
    # set when new work is stored, so the worker threads wake at once instead of on their next poll
    work_ready: threading.Event = field(default_factory=threading.Event)
    delivery_ready: threading.Event = field(default_factory=threading.Event)

    def channel_id(self, channel: str) -> str:
        """The channel ID for a rules-file value ('#name' or ID); unresolved names pass through."""
        return self.channels.get(channel, channel)

    def watched(self, channel_id: str) -> bool:
        return channel_id in {self.channel_id(c) for c in self.rules.watch.channels}
