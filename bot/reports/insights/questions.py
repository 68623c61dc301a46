"""Questions @-addressed to the bot (`@Social Router how many refunds this week?`), answered in the thread.

The answer comes from the same code as /insights (`dispatch.answer_text`): "stats 7d" or "search
refund" run that subcommand, any other question ending in "?" is `ask`. Unlike /insights, the answer
is not ephemeral: everyone in the channel reads it, so restricted departments' texts are shown only
in that department's own channel (counts everywhere). The reply goes through the outbox, like every
message the bot sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.context import Services
from bot.domain.rules import RoutingRules
from bot.intake.questions import QUESTION_WORDS, question_for_bot
from bot.reports.insights import dispatch, render
from bot.reports.visibility import Visibility
from bot.store.engine import session_scope
from bot.store.outbox import enqueue

log = logging.getLogger(__name__)


class ChannelAudience(Visibility):
    """Texts a whole channel may read: every unrestricted department, and a restricted one only in
    its own channel (membership of the asker does not matter: the other readers count too)."""

    def __init__(self, rules: RoutingRules, channel_id: str, channel_of: Callable[[str], str]) -> None:
        super().__init__(None, rules)
        self._channel_id = channel_id
        self._channel_of = channel_of

    def can_see_texts(self, user_id: str, department: str) -> bool:  # noqa: ARG002 (same for everyone here)
        if not self._rules.is_restricted(department):
            return True
        own = self._rules.channel_for(department)
        return own is not None and self._channel_of(own) == self._channel_id


def answer_question(services: Services, channel_id: str, user_id: str, question: str) -> render.Message:
    """The answer to one question, for everyone in `channel_id`."""
    audience = ChannelAudience(services.rules, channel_id, services.channel_id)
    first = question.split(maxsplit=1)[0].lower()
    command = question if first in QUESTION_WORDS else f"ask {question}"
    return dispatch.answer_text(services, audience, user_id, command)


def reply_in_thread(services: Services, event: dict[str, Any]) -> bool:
    """Answer an app_mention that is a question to the bot; False when it is not one."""
    question = question_for_bot(event, services.bot_user_id)
    channel, ts = str(event.get("channel") or ""), str(event.get("ts") or "")
    if question is None or not channel or not ts:
        return False
    try:
        reply = answer_question(services, channel, str(event.get("user") or ""), question)
    except Exception:
        log.exception("answering a question in %s failed", channel)
        reply = render.render_error("Sorry, I could not answer that just now. Please try again.")
    payload = {k: v for k, v in reply.items() if k != "response_type"}
    payload.update(thread_ts=str(event.get("thread_ts") or ts), unfurl_links=False, unfurl_media=False)
    with session_scope(services.engine) as session:
        enqueue(session, dedupe_key=f"reply:{channel}:{ts}", kind="reply", channel=channel, payload=payload)
    services.delivery_ready.set()
    return True
