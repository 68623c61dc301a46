"""The /insights slash command: acknowledge at once, answer slow subcommands through response_url."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.context import Services
from bot.reports.insights import dispatch, render
from bot.reports.insights.parse import UsageError
from bot.reports.visibility import Visibility

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    visibility = Visibility(services.slack, services.rules)

    def acknowledge(ack: Ack, body: dict[str, Any]) -> None:
        # Fast answers (help, usage errors) ride on the acknowledgement; the rest answer lazily.
        try:
            command = dispatch.parse(services, body.get("text") or "")
        except UsageError as exc:
            ack(render.render_error(str(exc)))
            return
        if command.name in dispatch.FAST:
            ack(dispatch.answer(services, visibility, body.get("user_id", ""), command))
        else:
            ack()

    def answer(body: dict[str, Any], respond: Respond) -> None:
        try:
            command = dispatch.parse(services, body.get("text") or "")
        except UsageError:
            return  # already answered in the acknowledgement
        if command.name in dispatch.FAST:
            return
        try:
            reply = dispatch.answer(services, visibility, body.get("user_id", ""), command)
        except Exception:
            log.exception("/insights %s failed", command.name)
            reply = render.render_error("Sorry, I could not answer that just now. Please try again.")
        respond(**reply)

    app.command("/insights")(ack=acknowledge, lazy=[answer])
