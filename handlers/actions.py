"""Card buttons: Reassign (select), Acknowledge, Not relevant. Ack at once; the work runs lazily.

A click names its mention and card version in the block id (`actions:<id>:<version>`, also in the
button values) and arrives with the message it was made on; bot.pipeline.actions checks both.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.context import Services
from bot.pipeline import actions

log = logging.getLogger(__name__)
# ASCII digits, bounded: 5000 digits would overflow the id column
_BLOCK = re.compile(r"^actions:([0-9]{1,18})(?::([0-9]{1,18}))?$")
_VALUE = re.compile(r"^([0-9]{1,18})(?::([0-9]{1,18}))?$")


def register(app: App, services: Services) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def on_reassign(body: dict[str, Any], respond: Respond) -> None:
        to = str((_action(body).get("selected_option") or {}).get("value", ""))
        _run(services, body, respond, lambda click: actions.reassign(services, click, to))

    def on_acknowledge(body: dict[str, Any], respond: Respond) -> None:
        _run(services, body, respond, lambda click: actions.acknowledge(services, click))

    def on_not_relevant(body: dict[str, Any], respond: Respond) -> None:
        _run(services, body, respond, lambda click: actions.not_relevant(services, click))

    app.action("reassign")(ack=ack_only, lazy=[on_reassign])
    app.action("acknowledge")(ack=ack_only, lazy=[on_acknowledge])
    app.action("not_relevant")(ack=ack_only, lazy=[on_not_relevant])


def _action(body: dict[str, Any]) -> dict[str, Any]:
    found = body.get("actions")
    first = found[0] if isinstance(found, list) and found else None
    return first if isinstance(first, dict) else {}


def _field(data: Any, *path: str) -> str:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else ""


def click_of(body: dict[str, Any]) -> actions.Click | None:
    """The click: mention id and card version (block id, else button value), user, message clicked.

    A card posted before versions existed names no version: it counts as 0, the version it was
    posted at. Block id and value naming different mentions is a forged payload: None.
    """
    action = _action(body)
    named = [
        match.groups()
        for pattern, raw in ((_BLOCK, action.get("block_id")), (_VALUE, action.get("value")))
        if isinstance(raw, str) and (match := pattern.match(raw))
    ]
    if not named or len({mention for mention, _ in named}) > 1:
        return None
    mention = named[0][0]
    version = next((v for _, v in named if v is not None), None)
    return actions.Click(
        mention_id=int(mention),
        version=int(version or 0),
        user_id=_field(body, "user", "id"),
        channel=_field(body, "container", "channel_id") or _field(body, "channel", "id"),
        ts=_field(body, "container", "message_ts") or _field(body, "message", "ts"),
    )


def _run(
    services: Services,
    body: dict[str, Any],
    respond: Respond,
    act: Callable[[actions.Click], actions.ActionOutcome],
) -> None:
    click = click_of(body)
    if click is None:
        _tell(respond, "I couldn't tell which mention that button belongs to.")
        return
    try:
        outcome = act(click)
    except actions.ActionRefused as exc:
        _tell(respond, str(exc))
        return
    _update_card(services, click, outcome, respond)


def _update_card(
    services: Services, click: actions.Click, outcome: actions.ActionOutcome, respond: Respond
) -> None:
    """The clicked card's new look goes through the outbox: retried through Slack outages, paced.

    The clicked message was verified to be this mention's current card; the rendering already hides a
    restricted text outside its own channel.
    """
    channel, ts = click.channel, click.ts
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
