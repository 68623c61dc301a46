"""Event listeners: messages in watched channels and @mentions of the bot become stored mentions."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.context import Services
from bot.intake.ingest import take_slack_event


def register(app: App, services: Services) -> None:
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        if services.watched(str(event.get("channel") or "")):
            take_slack_event(services.intake(), event, event_id=body.get("event_id"), origin="slack_message")

    def on_app_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        take_slack_event(services.intake(), event, event_id=body.get("event_id"), origin="app_mention")

    app.event("message")(on_message)
    app.event("app_mention")(on_app_mention)
