"""Event listeners: messages in watched channels and @mentions of the bot become stored mentions;
an @mention that is a question to the bot is answered in its thread instead (after the ack)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.context import Services
from bot.intake.ingest import take_slack_event
from bot.reports.insights.questions import reply_in_thread


def register(app: App, services: Services) -> None:
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        if services.watched(str(event.get("channel") or "")):
            take_slack_event(services.intake(), event, event_id=body.get("event_id"), origin="slack_message")

    def on_app_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        # A question to the bot is skipped here (skip_reason) and answered by the lazy listener.
        take_slack_event(services.intake(), event, event_id=body.get("event_id"), origin="app_mention")

    def answer_question(event: dict[str, Any]) -> None:
        reply_in_thread(services, event)  # runs after the ack: /insights queries and the LLM are slow

    app.event("message")(on_message)
    app.event("app_mention")(ack=on_app_mention, lazy=[answer_question])
