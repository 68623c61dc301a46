"""App Home: publish the overview when a user opens the Home tab."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.context import Services
from bot.domain.clock import utcnow
from bot.reports.home import build_home, render_home
from bot.reports.visibility import Visibility

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    visibility = Visibility(services.slack, services.rules)

    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user", ""))
        departments: tuple[str, ...] = tuple(services.rules.departments)
        data = build_home(
            services.engine,
            departments,
            visibility.visible_departments(user, list(departments)),
            services.channel_id(services.rules.triage_channel),
            utcnow(),
        )
        try:
            client.views_publish(user_id=user, view=render_home(data))
        except SlackApiError as exc:
            log.warning("views.publish for %s failed: %s", user, exc.response.get("error"))

    app.event("app_home_opened")(on_home_opened)
