"""Helpers for card-button tests: cards posted through the outbox, signed clicks, what Slack shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.clock import utcnow
from bot.pipeline.views import load_card_view
from bot.slack.cards import render_card
from bot.store.engine import session_scope
from bot.store.outbox import enqueue, find
from tests.delivery import drain
from tests.handlers import Harness, wait_for
from tests.reports.insights import seed


def post_card(h: Harness, engine: Engine, text: str, department: str, channel: str) -> tuple[int, str]:
    """Store a mention and post its card through the outbox; returns (mention id, message ts)."""
    mention_id = seed(engine, text, department, now=utcnow())
    with session_scope(engine) as session:
        view = load_card_view(session, mention_id, h.services.rules)
        assert view is not None
        key = f"card:{mention_id}"
        enqueue(
            session,
            dedupe_key=key,
            kind="card",
            channel=channel,
            payload=render_card(view),
            mention_id=mention_id,
        )
    deliver(h)
    with Session(engine) as session:
        delivery = find(session, key)
    assert delivery is not None and delivery.status == "sent"
    return mention_id, delivery.message_ts


def click(
    h: Harness,
    action: dict[str, Any],
    mention_id: int,
    channel: str,
    ts: str,
    user: str = "U7",
    version: int | None = None,
) -> None:
    """A signed block_actions payload for a click on the message (channel, ts); version None: a card
    rendered before versions existed (block id without one)."""
    block = f"actions:{mention_id}" if version is None else f"actions:{mention_id}:{version}"
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "message", "channel_id": channel, "message_ts": ts},
        "channel": {"id": channel},
        "message": {"ts": ts},
        "trigger_id": "1.2",
        "response_url": f"{h.slack.response_url_base}/act",
        "actions": [{"block_id": block, "action_ts": "1", **action}],
    }
    status, _ = h.interact(payload)
    assert status == 200


def select_to(to: str) -> dict[str, Any]:
    return {"action_id": "reassign", "type": "static_select", "selected_option": {"value": to}}


def button(action_id: str, mention_id: int, version: int = 0) -> dict[str, Any]:
    return {"action_id": action_id, "type": "button", "value": f"{mention_id}:{version}"}


def message(h: Harness, channel: str, ts: str) -> str:
    return json.dumps(h.slack.messages[(channel, ts)], ensure_ascii=False)


def deliver(h: Harness) -> None:
    """Run the outbox until nothing is pending (cards and card updates both go through it)."""
    drain(h.services.engine, h.slack)


def delivered(h: Harness, condition: Callable[[], bool]) -> None:
    """Deliver what the (lazy) listener queued until `condition` holds."""

    def deliver_then_check() -> bool:
        deliver(h)
        return condition()

    wait_for(deliver_then_check)
