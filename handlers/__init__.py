"""Slack listeners, grouped by kind: `create_app` builds the Bolt app and `register_listeners` is the one
place that knows every listener module (each exposes `register(app, services)`)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse

from bot.context import Services
from bot.slack.payload_guard import INPUT_ERRORS, describe

log = logging.getLogger(__name__)


def register_listeners(app: App, services: Services) -> None:
    """Register every listener on `app` (the one place that knows them all)."""
    from handlers import actions, commands, events, home

    for module in (events, commands, actions, home):
        module.register(app, services)


def create_app(services: Services) -> App:
    """Build the Bolt app. No module-level app or client: everything comes from `services`.

    `process_before_response=True` makes each listener finish before Slack gets its answer. That
    is what lets the event listener store the mention before the acknowledgement; every listener
    therefore does only fast work inline and hands slow work to lazy listeners or the workers.
    """
    if services.slack is None:
        raise ValueError("create_app needs a Slack WebClient in services.slack")
    secret = services.settings.slack_signing_secret
    app = App(
        client=services.slack,
        signing_secret=secret or "",
        request_verification_enabled=bool(secret),
        token_verification_enabled=False,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )
    app.error(_handle_error)
    register_listeners(app, services)
    return app


def _handle_error(error: Exception, body: dict[str, Any], respond: Any = None) -> BoltResponse | None:
    """One global error handler: the user sees a short kind message, the log sees the detail.

    A KeyError/TypeError/… means the payload was not shaped as a listener assumed (web.py's guard
    should have refused it): answer 400 with one log line saying where, so hostile input can neither
    cause a 5xx nor flood the log with tracebacks. Anything else is our trouble: 500, so Slack retries.
    """
    kind = body.get("type") or body.get("command")
    answer = None
    if isinstance(error, INPUT_ERRORS):
        log.warning("listener could not read a %.40r payload: %s", kind, describe(error))
        answer = BoltResponse(
            status=400,
            body=json.dumps({"error": "malformed body: unexpected payload shape"}),
            headers={"Content-Type": "application/json"},
        )
    else:
        log.error("listener failed for %.40r: %s", kind, error, exc_info=error)
    if respond is not None and body.get("response_url"):
        try:
            respond(text="Sorry, something went wrong on our side. Please try again.")
        except Exception:  # the user-facing apology is best effort
            log.warning("could not tell the user about the error")
    return answer
