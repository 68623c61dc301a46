"""Is this @-mention a question to the bot rather than a social mention? Decided conservatively.

A message is a question to the bot only when it *starts* with the bot's mention (`<@UBOT>`) and what
follows either ends with "?" or starts with an /insights subcommand word (stats, top, search, ask,
help). Anything else that names the bot — "the @Social Router card says…", a forwarded post, an
integration's text — stays a mention and is classified as before.
"""

from __future__ import annotations

import re
from typing import Any

# The /insights subcommands a person would type to the bot (route and digest need a form, not chat).
QUESTION_WORDS = ("stats", "top", "search", "ask", "help")
MAX_QUESTION_CHARS = 500


def question_for_bot(event: dict[str, Any], bot_user_id: str) -> str | None:
    """The question after the leading bot mention, or None when this is not a question to the bot."""
    text = event.get("text")
    if not bot_user_id or not isinstance(text, str) or event.get("bot_id"):
        return None  # integrations and other bots post mentions; only people ask questions
    found = re.match(rf"\s*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>[\s:,]*(.*)", text, re.DOTALL)
    if found is None:
        return None
    question = found.group(1).strip()
    if not question or len(question) > MAX_QUESTION_CHARS:
        return None
    first = question.split(maxsplit=1)[0].lower()
    return question if question.endswith("?") or first in QUESTION_WORDS else None
