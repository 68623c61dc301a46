"""A mention before it is stored: the one shape every intake (Slack, /ingest, replay, sources) produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.clock import utcnow


@dataclass(frozen=True)
class IncomingMention:
    """A mention before it is stored: plain text plus where it came from."""

    source_id: str
    origin: str  # slack_message | app_mention | ingest | replay | demo | listener
    text: str
    source: str = ""
    author: str = ""
    url: str = ""
    lang_hint: str = ""
    created_at: datetime = field(default_factory=utcnow)
    slack_channel: str = ""
    slack_ts: str = ""
    link: str = ""  # the outside page a post shares (listeners), so one link groups into one card thread
    source_name: str = ""  # the `sources:` entry a listener polled it for (cards and /insights show it)
