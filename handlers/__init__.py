"""Slack listeners, grouped by kind; each module exposes register(app, services)."""

from __future__ import annotations

import importlib
from types import ModuleType

from slack_bolt import App

from bot.services import Services


def register_listeners(app: App, services: Services) -> None:
    """Register every listener on `app` (the one place that knows them all)."""
    from handlers import events

    events.register(app, services)
    for name in ("commands", "actions", "home"):
        module = _optional(name)
        if module is not None:
            module.register(app, services)


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"handlers.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"handlers.{name}":
            raise
        return None
