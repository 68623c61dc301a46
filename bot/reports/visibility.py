"""Who may read the texts of restricted departments: members of that department's channel.

Membership comes from the Web API (`conversations.members`, following cursors) and is cached with a
TTL so a busy `/insights` or App Home does not call Slack on every request. Any failure to check
membership denies texts (counts are still shown): fail closed, never open.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.rules import RoutingRules
from bot.slack.client import paginate

log = logging.getLogger(__name__)


class Visibility:
    """Answers 'may this user see the texts of this department?' (thread-safe, cached)."""

    def __init__(
        self,
        client: WebClient | None,
        rules: RoutingRules,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        page_size: int = 200,
    ) -> None:
        self._client = client
        self._rules = rules
        self._ttl = ttl
        self._clock = clock
        self._page_size = page_size  # Slack's recommended page size for list methods
        self._lock = threading.Lock()
        self._members: dict[str, tuple[float, frozenset[str]]] = {}  # channel id → (expires, members)
        self._names: dict[str, str] = {}  # '#name' → channel id

    def can_see_texts(self, user_id: str, department: str) -> bool:
        """Non-restricted departments: everyone. Restricted: members of the department's channel."""
        if not self._rules.is_restricted(department):
            return True
        channel = self._rules.channel_for(department)
        if self._client is None or channel is None or not user_id:
            return False
        members = self._channel_members(channel)
        return members is not None and user_id in members

    def visible_departments(self, user_id: str, departments: list[str]) -> set[str]:
        """The subset of `departments` whose texts this user may read."""
        return {d for d in departments if self.can_see_texts(user_id, d)}

    def _channel_members(self, channel: str) -> frozenset[str] | None:
        now = self._clock()
        with self._lock:
            cached = self._members.get(channel)
            if cached is not None and cached[0] > now:
                return cached[1]
        # The Slack calls happen outside the lock: two concurrent misses cost two calls, not a stall.
        try:
            channel_id = self._resolve(channel)
            if channel_id is None:
                return None
            members = frozenset(self._paginate("conversations.members", "members", channel=channel_id))
        except SlackApiError as exc:
            log.warning("membership check for %s failed: %s", channel, exc.response.get("error"))
            return None
        except Exception as exc:  # network errors: deny texts, keep serving counts
            log.warning("membership check for %s failed: %s", channel, type(exc).__name__)
            return None
        with self._lock:
            self._members[channel] = (now + self._ttl, members)
        return members

    def _resolve(self, channel: str) -> str | None:
        if not channel.startswith("#"):
            return channel
        with self._lock:
            known = self._names.get(channel)
        if known:
            return known
        wanted = channel[1:]
        for item in self._paginate(
            "conversations.list", "channels", types="public_channel,private_channel", exclude_archived=True
        ):
            if item.get("name") == wanted:
                with self._lock:
                    self._names[channel] = str(item["id"])
                return str(item["id"])
        log.warning("channel %s not found", channel)
        return None

    def _paginate(self, method: str, key: str, **kwargs: Any) -> Iterator[Any]:
        assert self._client is not None
        return paginate(self._client, method, key, limit=self._page_size, **kwargs)
