"""Slack listeners, grouped by kind; each module exposes register(app, services)."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    """Register every listener on `app` (the one place that knows them all)."""
    from handlers import actions, commands, events, home

    for module in (events, commands, actions, home):
        module.register(app, services)
