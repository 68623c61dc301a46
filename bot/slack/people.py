"""Who wrote a Slack-native mention, and where it is: display names (users.info) and message links
(chat.getPermalink), cached so a busy channel costs one users.info per author per TTL.

Called when a card is built (classification worker), never while an HTTP request waits for its
acknowledgement. Any failure falls back to what is stored (the user ID, the archive URL pattern):
a missing name must never hold a card back.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
MAX_LINKS = 10_000  # permalinks kept for re-rendering recent cards after a click


def archive_url(channel: str, ts: str) -> str:
    """Slack's documented message URL pattern; slack.com forwards it to the workspace."""
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


class People:
    """Display names and permalinks (thread-safe, TTL cache for names, bounded cache for links)."""

    def __init__(
        self, client: WebClient, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._names: dict[str, tuple[float, str]] = {}  # user id → (expires, display name)
        self._links: OrderedDict[tuple[str, str], str] = OrderedDict()

    def display_name(self, user_id: str, *, fetch: bool = True) -> str:
        """The user's display name (else real name, else handle); the ID itself when unknown."""
        if not USER_ID.match(user_id):
            return user_id  # an integration's author name is already a name
        now = self._clock()
        with self._lock:
            cached = self._names.get(user_id)
        if cached is not None and (cached[0] > now or not fetch):
            return cached[1]
        if not fetch:
            return user_id
        name = self._fetch_name(user_id)
        if name is None:
            return cached[1] if cached is not None else user_id
        with self._lock:
            self._names[user_id] = (now + self._ttl, name)
        return name

    def permalink(self, channel: str, ts: str, *, fetch: bool = True) -> str:
        """The message's permalink (chat.getPermalink), else the archive URL pattern."""
        key = (channel, ts)
        with self._lock:
            known = self._links.get(key)
        if known or not fetch:
            return known or archive_url(channel, ts)
        try:
            link = str(self._client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or "")
        except (SlackApiError, OSError) as exc:
            log.info("chat.getPermalink for %s failed (%s); using the archive URL", channel, _why(exc))
            link = ""
        if not link:
            return archive_url(channel, ts)
        with self._lock:
            self._links[key] = link
            while len(self._links) > MAX_LINKS:
                self._links.popitem(last=False)
        return link

    def _fetch_name(self, user_id: str) -> str | None:
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError) as exc:
            log.info("users.info for %s failed (%s); showing the ID", user_id, _why(exc))
            return None
        profile = user.get("profile") or {}
        for name in (
            profile.get("display_name"),
            profile.get("real_name"),
            user.get("real_name"),
            user.get("name"),
        ):
            if isinstance(name, str) and name.strip():
                return name.strip()
        return None


def _why(exc: Exception) -> str:
    return str(exc.response.get("error")) if isinstance(exc, SlackApiError) else type(exc).__name__
