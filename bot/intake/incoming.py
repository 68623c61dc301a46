"""Incoming mentions: turn Slack events and /ingest or replay records into one validated shape."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from bot.domain.clock import to_naive_utc, utcnow
from bot.domain.errors import InvalidMention
from bot.domain.mention import IncomingMention
from bot.domain.text import clean_plain, slack_to_plain
from bot.intake.questions import question_for_bot

# Message subtypes that never carry a new mention: edits, deletions, joins, topic changes, …
_ACCEPTED_SUBTYPES = {None, "bot_message", "file_share", "thread_broadcast"}
MAX_ID_CHARS = 200


def skip_reason(event: dict[str, Any], bot_user_id: str, bot_id: str = "") -> str | None:
    """Why a Slack message event creates no card, or None when it is a new mention."""
    subtype = event.get("subtype")
    if subtype not in _ACCEPTED_SUBTYPES:
        return f"subtype {subtype}"
    if event.get("thread_ts") and event.get("thread_ts") != event.get("ts"):
        return "thread reply"
    if bot_user_id and event.get("user") == bot_user_id:
        return "own message"
    if bot_id and event.get("bot_id") == bot_id:
        return "own message"
    if question_for_bot(event, bot_user_id) is not None:
        return "question to the bot"  # answered in its thread (handlers/events.py), not filed
    return None


def from_slack_event(event: dict[str, Any], origin: str) -> IncomingMention:
    """Read a mention from a Slack message/app_mention event (text, then attachments and blocks)."""
    channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
    if not channel or not ts:
        raise InvalidMention("Slack event without channel or ts")
    attachment = _first_attachment(event)
    text = slack_to_plain(_event_text(event))
    if not text.strip():
        raise InvalidMention("Slack message without any text")
    author = attachment.get("author_name") or event.get("username") or event.get("user") or ""
    url = attachment.get("title_link") or attachment.get("from_url") or attachment.get("author_link") or ""
    fallback_source = "slack" if event.get("user") else ""
    source = attachment.get("service_name") or attachment.get("footer") or fallback_source
    return IncomingMention(
        source_id=f"slack:{channel}:{ts}",
        origin=origin,
        text=clean_plain(text),
        source=clean_plain(slack_to_plain(str(source)))[:100],
        author=clean_plain(slack_to_plain(str(author)))[:300],
        url=html.unescape(str(url))[:2000],
        created_at=_from_ts(ts),
        slack_channel=channel,
        slack_ts=ts,
    )


def _listed(event: dict[str, Any], key: str) -> list[Any]:
    """`attachments`/`blocks` as a list; anything else a broken integration sends counts as none."""
    value = event.get(key)
    return value if isinstance(value, list) else []


def _first_attachment(event: dict[str, Any]) -> dict[str, Any]:
    attachments = _listed(event, "attachments")
    return attachments[0] if attachments and isinstance(attachments[0], dict) else {}


def _event_text(event: dict[str, Any]) -> str:
    """Integrations put the text in `text`, attachments (pretext/title/text/fallback) or section blocks."""
    parts = [str(event.get("text") or "")]
    for attachment in _listed(event, "attachments"):
        if isinstance(attachment, dict):
            own = [attachment.get(k) for k in ("pretext", "title", "text")]
            found = [str(p) for p in own if p] or [str(attachment.get("fallback") or "")]
            parts.extend(found)
    if not any(p.strip() for p in parts):
        parts.extend(_block_texts(_listed(event, "blocks")))
    return "\n".join(p for p in parts if p.strip())


def _block_texts(blocks: list[Any]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block, dict) and block.get("type") in ("section", "header"):
            text = block.get("text")
            if isinstance(text, dict) and text.get("text"):
                texts.append(str(text["text"]))
            for item in block.get("fields") or []:
                if isinstance(item, dict) and item.get("text"):
                    texts.append(str(item["text"]))
    return texts


def _from_ts(ts: str) -> datetime:
    try:
        return datetime.utcfromtimestamp(float(ts))
    except (ValueError, OverflowError, OSError):
        return utcnow()


def from_record(record: Any, origin: str = "ingest") -> IncomingMention:
    """Validate one /ingest or replay record: id, text, source, author, url, created_at, lang?."""
    if not isinstance(record, dict):
        raise InvalidMention("each mention must be a JSON object")
    raw_id, text = record.get("id"), record.get("text")
    if (
        not isinstance(raw_id, str | int)
        or isinstance(raw_id, bool)
        or not str(raw_id).strip()
        or len(str(raw_id)) > MAX_ID_CHARS
    ):
        raise InvalidMention(f"'id' must be a non-empty string of at most {MAX_ID_CHARS} characters")
    if not isinstance(text, str) or not clean_plain(text):
        raise InvalidMention(f"mention {raw_id!s}: 'text' must be a non-empty string")
    return IncomingMention(
        source_id=f"ingest:{raw_id}",
        origin=origin,
        text=clean_plain(text),
        source=_short(record, "source", 100),
        author=_short(record, "author", 300),
        url=_short(record, "url", 2000),
        lang_hint=_short(record, "lang", 10),
        created_at=_parse_time(record.get("created_at"), str(raw_id)),
    )


def _short(record: dict[str, Any], key: str, limit: int) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise InvalidMention(f"'{key}' must be a string")
    return clean_plain(str(value))[:limit]


def _parse_time(value: Any, mention_id: str) -> datetime:
    if value is None or value == "":
        return utcnow()
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError
        if isinstance(value, int | float):  # Unix seconds; 1e20, NaN and inf overflow or fail here
            return datetime.utcfromtimestamp(value)
        return to_naive_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (TypeError, ValueError, OverflowError, OSError):
        shown = repr(value)[:60]
        raise InvalidMention(
            f"mention {mention_id[:40]}: 'created_at' must be ISO 8601 or Unix seconds, got {shown}"
        ) from None
