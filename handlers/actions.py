"""Card buttons: Reassign (select), Acknowledge, Not relevant. Ack at once; the work runs lazily."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.context import Services
from bot.pipeline import actions

log = logging.getLogger(__name__)
_BLOCK = re.compile(r"^actions:(\d+)$")


def register(app: App, services: Services) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def on_reassign(body: dict[str, Any], respond: Respond) -> None:
        action = body["actions"][0]
        to = (action.get("selected_option") or {}).get("value", "")
        _run(services, body, respond, lambda mid, user: actions.reassign(services, mid, to, user))

    def on_acknowledge(body: dict[str, Any], respond: Respond) -> None:
        _run(services, body, respond, lambda mid, user: actions.acknowledge(services, mid, user))

    def on_not_relevant(body: dict[str, Any], respond: Respond) -> None:
        _run(services, body, respond, lambda mid, user: actions.not_relevant(services, mid, user))

    app.action("reassign")(ack=ack_only, lazy=[on_reassign])
    app.action("acknowledge")(ack=ack_only, lazy=[on_acknowledge])
    app.action("not_relevant")(ack=ack_only, lazy=[on_not_relevant])


def mention_id_of(body: dict[str, Any]) -> int | None:
    """The mention a click is about: the button value, else the actions block id."""
    action = (body.get("actions") or [{}])[0]
    value = str(action.get("value") or "")
    if value.isdigit():
        return int(value)
    match = _BLOCK.match(str(action.get("block_id") or ""))
    return int(match.group(1)) if match else None


def _run(
    services: Services,
    body: dict[str, Any],
    respond: Respond,
    act: Callable[[int, str], actions.ActionOutcome],
) -> None:
    mention_id = mention_id_of(body)
    user = (body.get("user") or {}).get("id", "")
    if mention_id is None:
        _tell(respond, "I couldn't tell which mention that button belongs to.")
        return
    try:
        outcome = act(mention_id, user)
    except actions.ActionRefused as exc:
        _tell(respond, str(exc))
        return
    _update_card(services, body, outcome, respond)


def _update_card(
    services: Services, body: dict[str, Any], outcome: actions.ActionOutcome, respond: Respond
) -> None:
    """The clicked card's new look goes through the outbox: retried through Slack outages, paced."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        return
    try:
        actions.queue_card_update(services, outcome, str(channel), str(ts))
    except Exception:  # the change itself is stored; only the card's new look could not be queued
        log.exception("queueing the card update for mention %s failed", outcome.mention_id)
        _tell(respond, "Your change is saved, but I could not update this card just now.")


def _tell(respond: Respond, text: str) -> None:
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # the user-facing note is best effort
        log.warning("could not send an ephemeral note")
