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
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def archive_url(channel: str, ts: str, workspace_url: str = "") -> str:
    """Slack's documented message URL pattern; without the workspace URL, slack.com forwards it."""
    root = workspace_url if workspace_url.startswith("https://") else "https://slack.com/"
    return f"{root.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


class People:
    """Display names and permalinks (thread-safe, TTL cache for names, bounded cache for links)."""

    def __init__(
        self,
        client: WebClient,
        workspace_url: str = "",
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._workspace_url = workspace_url
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._names: dict[str, tuple[float, str]] = {}  # user id → (expires, display name)

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

    def permalink(self, channel: str, ts: str) -> str:
        """The message's link, built the way chat.getPermalink builds it for a top-level message:
        the workspace URL (from auth.test at start-up) + archives/<channel>/p<ts without the dot>.
        Built, not fetched: one Web API call per mention would cost more than the whole card."""
        return archive_url(channel, ts, self._workspace_url)

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
