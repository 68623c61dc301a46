"""Block Kit rendering of mention cards and thread replies: pure functions of data, no I/O.

Everything that came from outside (mention text, author, source, URL, summary, topics, reason) is
escaped exactly once with bot.domain.text.escape_for_slack, so a card can never ping anyone. Only markup the
bot builds itself (escalation pings, state notes) is inserted as-is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.rules import DEPARTMENTS
from bot.domain.text import escape_for_slack, truncate

SECTION_LIMIT = 3000  # Block Kit: section text
FIELD_LIMIT = 2000  # Block Kit: section field text
HEADER_LIMIT = 150  # Block Kit: header text
FALLBACK_LIMIT = 3000  # kept well under chat.postMessage's 40k so notifications stay readable
OPTION_LIMIT = 75  # Block Kit: option text

DEPARTMENT_EMOJI = {"product": "🧩", "support": "🛟", "hr": "🧑‍💼", "sales": "💼", "none": "⚪"}
SENTIMENT_EMOJI = {"positive": "🟢", "neutral": "⚪", "negative": "🔴"}
URGENCY_EMOJI = {"low": "🐢", "normal": "⏱️", "high": "🚨"}
STATE_TEXT = {
    "acknowledged": "✅ Acknowledged",
    "not_relevant": "🚫 Marked not relevant",
    "reassigned": "↪️ Moved",
}


@dataclass(frozen=True)
class CardView:
    """What a card shows about one classified mention (texts are plain, unescaped)."""

    mention_id: int
    text: str
    author: str
    source: str
    url: str
    created_at: datetime
    department: str
    confidence: float
    sentiment: str
    urgency: str
    language: str
    summary: str
    topics: tuple[str, ...]
    classifier: str
    triage: bool
    reason: str
    state: str = "new"  # new | acknowledged | not_relevant | reassigned
    state_note: str = ""  # trusted markup built by the bot, e.g. "moved to #team-sales by <@U1>"
    ping: str = ""  # trusted escalation markup from bot.domain.routing.ping_markup
    version: int = 0  # mention.version when rendered: the buttons carry it to detect stale clicks
    source_name: str = ""  # the built-in listener's `sources:` name, e.g. "reddit-brand" ('' for others)


def source_label(source: str, source_name: str = "") -> str:
    """'reddit · reddit-brand' for a listener's mention, else just the source type (plain, unescaped)."""
    if not source_name or source_name == source:
        return source
    return f"{source} · {source_name}" if source else source_name


def escaped_within(text: str, limit: int) -> str:
    """Escape plain text and keep the result within `limit` characters without cutting an entity."""
    plain_limit = limit
    escaped = escape_for_slack(truncate(text, plain_limit))
    while len(escaped) > limit and plain_limit > 1:
        # Escaping expands &, <, > up to 5x: shrink the plain text in proportion and escape again.
        plain_limit = max(1, min(plain_limit - 1, plain_limit * limit // len(escaped)))
        escaped = escape_for_slack(truncate(text, plain_limit))
    return escaped if len(escaped) <= limit else "…"


def link_markup(url: str, label: str = "Open original") -> str:
    """A clickable link for http(s) URLs only; anything else is shown as escaped text."""
    url = url.strip()
    if (
        url.lower().startswith(("http://", "https://"))
        and len(url) < 1500
        and not any(c.isspace() for c in url)
    ):
        safe = escape_for_slack(url.replace("|", "%7C")).replace("\u200b", "")
        if len(safe) <= 1800:
            return f"<{safe}|{escape_for_slack(label)}>"
    return escaped_within(url, 300) if url else "—"


def _title(department: str) -> str:
    return "HR" if department == "hr" else department.title()


def _header(view: CardView) -> str:
    dept = f"{DEPARTMENT_EMOJI.get(view.department, '❔')} {_title(view.department)}"
    mood = f"{SENTIMENT_EMOJI.get(view.sentiment, '⚪')} {view.sentiment}"
    urgency = f"{URGENCY_EMOJI.get(view.urgency, '⏱️')} {view.urgency} urgency"
    if view.triage:
        return truncate(f"🧭 Needs triage · maybe {dept} · {mood} · {urgency}", HEADER_LIMIT)
    return truncate(f"{dept} · {mood} · {urgency}", HEADER_LIMIT)


def _fields(view: CardView) -> list[dict[str, Any]]:
    decided = f"{view.confidence:.0%} · {escaped_within(view.classifier, 40)}"
    if view.triage:
        decided += " · needs triage"
    pairs = [
        ("Author", escaped_within(view.author or "unknown", 300)),
        ("Source", escaped_within(source_label(view.source, view.source_name) or "unknown", 170)),
        ("Confidence", decided),
        ("Link", link_markup(view.url)),
    ]
    return [
        {"type": "mrkdwn", "text": truncate(f"*{k}*\n{v}", FIELD_LIMIT), "verbatim": True} for k, v in pairs
    ]


def _about(view: CardView) -> str:
    parts = []
    if view.summary:
        parts.append(f"*Summary:* {escaped_within(view.summary, 1000)}")
    if view.topics:
        parts.append("*Topics:* " + " ".join(f"`{escaped_within(t, 50)}`" for t in view.topics[:3]))
    if view.language:
        parts.append(f"*Language:* {escaped_within(view.language, 10)}")
    return "\n".join(parts)


def _footer(view: CardView) -> str:
    when = view.created_at.strftime("%Y-%m-%d %H:%M UTC")
    reason = f" · {escaped_within(view.reason, 300)}" if view.reason else ""
    return f"Mention #{view.mention_id} · posted {when}{reason}"


def _actions(view: CardView) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": truncate(_title(d), OPTION_LIMIT)}, "value": d}
        for d in DEPARTMENTS
        if d != view.department or view.triage
    ]
    value = f"{view.mention_id}:{view.version}"
    return {
        "type": "actions",
        "block_id": f"actions:{view.mention_id}:{view.version}",
        "elements": [
            {
                "type": "static_select",
                "action_id": "reassign",
                "placeholder": {"type": "plain_text", "text": "Reassign"},
                "options": options,
            },
            {
                "type": "button",
                "action_id": "acknowledge",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": value,
            },
            {
                "type": "button",
                "action_id": "not_relevant",
                "text": {"type": "plain_text", "text": "Not relevant"},
                "value": value,
            },
        ],
    }


def _state_block(view: CardView) -> dict[str, Any]:
    text = STATE_TEXT.get(view.state, view.state)
    if view.state_note:
        text = f"{text}: {view.state_note}" if view.state != "reassigned" else f"↪️ {view.state_note}"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}]}


def fallback_text(view: CardView) -> str:
    """The notification text: also escaped, the trusted ping first so it actually notifies."""
    head = f"{view.ping} " if view.ping else ""
    head += f"{_title(view.department)} · {view.sentiment} · {view.urgency}"
    if view.triage:
        head = f"Needs triage · {head}"
    budget = FALLBACK_LIMIT - len(head) - 2
    return f"{head}: {escaped_within(view.text, max(1, budget))}"


def render_card(view: CardView) -> dict[str, Any]:
    """The card for one mention: {"text": fallback, "blocks": [...]}; buttons only while state is new."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _header(view), "emoji": True}},
    ]
    if view.ping:
        ping = f"📣 {view.ping} — escalated ({view.urgency} urgency, {view.sentiment})"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ping}]})
    body = escaped_within(view.text, SECTION_LIMIT) or "_(empty)_"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body, "verbatim": True}})
    blocks.append({"type": "section", "fields": _fields(view)})
    about = _about(view)
    if about:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": truncate(about, SECTION_LIMIT), "verbatim": True},
            }
        )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _footer(view), "verbatim": True}]}
    )
    blocks.append(_actions(view) if view.state == "new" else _state_block(view))
    return {"text": fallback_text(view), "blocks": blocks[:50], "unfurl_links": False, "unfurl_media": False}


def render_duplicate_reply(view: CardView) -> dict[str, Any]:
    """Thread reply under the first card when a near-duplicate shows up again."""
    author = view.author or "unknown"
    who = escaped_within(author if author.startswith("@") else f"@{author}", 300)
    where = escaped_within(source_label(view.source, view.source_name) or "an unknown source", 170)
    link = link_markup(view.url, "link") if view.url else ""
    text = f"🔁 Seen again from {who} on {where}" + (f" · {link}" if link else "")
    snippet = escaped_within(view.text, 500)
    return {
        "text": truncate(text, FALLBACK_LIMIT),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": snippet or "_(empty)_", "verbatim": True}],
            },
        ],
        "unfurl_links": False,
        "unfurl_media": False,
    }
