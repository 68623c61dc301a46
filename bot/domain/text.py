"""Mention text: Slack markup to plain text, normalisation for dedupe, escaping for cards."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

MAX_MENTION_CHARS = 40_000  # bigger texts are truncated on ingest, never rejected
_SPECIAL = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_OTHER_SPECIAL = re.compile(r"<!([^>|]+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_URLS = re.compile(r"https?://\S+")
ZERO_WIDTH = "\u200b"


def slack_to_plain(text: str) -> str:
    """Turn Slack-formatted text (already escaped, with <…> markup) into plain readable text."""
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: m.group(2) or "@" + m.group(1), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _OTHER_SPECIAL.sub(lambda m: m.group(2) or m.group(1), text)
    return html.unescape(text)


def clean_plain(text: str) -> str:
    """Tidy plain text from any source: drop control characters, bound the length."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if len(text) > MAX_MENTION_CHARS:
        text = text[:MAX_MENTION_CHARS] + "…"
    return text


def normalise(text: str) -> str:
    """Fold what differs between copies of one text: case, spacing, links, 'RT @x:' prefixes."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"^rt @\w+:\s*", "", text)
    text = _URLS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def escape_for_slack(text: str) -> str:
    """Escape plain text for a Slack message so it can never ping or inject markup.

    &, < and > are escaped once (so `<!channel>` becomes inert text), and a zero-width space
    after '@' keeps '@channel'/'@here' literal even if a client links names.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PINGS.sub(lambda m: "@" + ZERO_WIDTH + m.group(1), escaped)


def truncate(text: str, limit: int) -> str:
    """Cut to at most `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
