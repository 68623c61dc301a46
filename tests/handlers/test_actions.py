"""Card buttons over signed HTTP: effect on both channels and the database, double clicks, failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from bot.pipeline.process import load_card_view
from bot.slack.cards import render_card
from bot.store.models import Correction, Delivery, Mention
from tests.delivery import drain
from tests.handlers import Harness, running_app, wait_for
from tests.reports.insights import seed


def _card(h: Harness, engine: Engine, text: str, department: str, channel: str) -> tuple[int, str]:
    """Store a mention and post its card like the outbox would; returns (mention id, message ts)."""
    mention_id = seed(engine, text, department, now=utcnow())
    with Session(engine) as session:
        view = load_card_view(session, mention_id, h.services.rules)
    assert view is not None
    assert h.services.slack is not None
    posted = h.services.slack.chat_postMessage(channel=channel, **render_card(view))
    return mention_id, str(posted["ts"])


def _click(
    h: Harness, action: dict[str, Any], mention_id: int, channel: str, ts: str, user: str = "U7"
) -> None:
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
        "actions": [{"block_id": f"actions:{mention_id}", "action_ts": "1", **action}],
    }
    status, _ = h.interact(payload)
    assert status == 200


def _select(to: str) -> dict[str, Any]:
    return {"action_id": "reassign", "type": "static_select", "selected_option": {"value": to}}


def _button(action_id: str, mention_id: int) -> dict[str, Any]:
    return {"action_id": action_id, "type": "button", "value": str(mention_id)}


def _message(h: Harness, channel: str, ts: str) -> str:
    return json.dumps(h.slack.messages[(channel, ts)], ensure_ascii=False)


def _deliver(h: Harness) -> None:
    drain(h.services.engine, h.slack)


def _delivered(h: Harness, condition: Callable[[], bool]) -> None:
    """Card updates go through the outbox: deliver what the (lazy) listener queued until `condition`."""
    wait_for(lambda: (_deliver(h), condition())[1])


def test_reassign_moves_the_card_records_a_correction_and_ignores_a_double_click(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "Do you offer volume pricing?", "support", "C0SUPPORT")
        for _ in range(2):  # a double click
            _click(h, _select("sales"), mention_id, "C0SUPPORT", ts)
            _delivered(h, lambda: "moved to" in _message(h, "C0SUPPORT", ts))
        _deliver(h)
        old = _message(h, "C0SUPPORT", ts)
        assert "moved to <#C0SALES> by <@U7>" in old and '"actions"' not in old
        new_cards = h.slack.posted("C0SALES")
        assert len(new_cards) == 1 and "Do you offer volume pricing?" in json.dumps(new_cards[0])
        assert '"action_id": "acknowledge"' in json.dumps(new_cards[0])
    with Session(sqlite_engine) as session:
        corrections = session.exec(select(Correction)).all()
        mention = session.get(Mention, mention_id)
    assert [(c.from_department, c.to_department, c.user_id) for c in corrections] == [
        ("support", "sales", "U7")
    ]
    assert mention is not None and mention.department == "sales" and mention.state == "reassigned"


def test_reassign_to_a_restricted_department_removes_the_text_from_the_old_channel(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "My manager there was awful", "support", "C0SUPPORT")
        _click(h, _select("hr"), mention_id, "C0SUPPORT", ts)
        _delivered(h, lambda: "moved to" in _message(h, "C0SUPPORT", ts))
        _deliver(h)
        old = _message(h, "C0SUPPORT", ts)
        assert "moved to <#C0HR> by <@U7>" in old and "My manager there was awful" not in old
        assert "My manager there was awful" in json.dumps(h.slack.posted("C0HR"))
    with Session(sqlite_engine) as session:
        delivery = session.exec(select(Delivery).where(Delivery.channel == "C0HR")).one()
    assert delivery.status == "sent" and delivery.mention_id == mention_id


def test_acknowledge_shows_who_and_is_idempotent(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "App crashes at start", "product", "C0PRODUCT")
        _click(h, _button("acknowledge", mention_id), mention_id, "C0PRODUCT", ts, user="U8")
        _delivered(h, lambda: "Acknowledged" in _message(h, "C0PRODUCT", ts))
        _click(h, _button("acknowledge", mention_id), mention_id, "C0PRODUCT", ts, user="U9")
        _delivered(h, lambda: len(h.slack.calls("chat.update")) == 2)
        card = _message(h, "C0PRODUCT", ts)
        assert "Acknowledged: by <@U8>" in card and "U9" not in card and '"actions"' not in card
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None and (mention.state, mention.handled_by) == ("acknowledged", "U8")
        assert session.exec(select(Correction)).all() == []


def test_not_relevant_marks_none_and_records_a_correction(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "lol random meme", "sales", "C0SALES")
        _click(h, _button("not_relevant", mention_id), mention_id, "C0SALES", ts)
        _delivered(h, lambda: "not relevant" in _message(h, "C0SALES", ts))
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        correction = session.exec(select(Correction)).one()
    assert mention is not None and (mention.department, mention.state) == ("none", "not_relevant")
    assert (correction.from_department, correction.to_department) == ("sales", "none")


def test_a_card_update_survives_a_slack_outage(sqlite_engine: Engine, rules: RoutingRules) -> None:
    """chat.update goes through the outbox: a 503 is retried, never turned into a lost update."""
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "Where is my parcel", "support", "C0SUPPORT")
        for _ in range(2):
            h.slack.queue("chat.update", status=503, body={"ok": False, "error": "service_unavailable"})
        _click(h, _button("acknowledge", mention_id), mention_id, "C0SUPPORT", ts)
        _delivered(h, lambda: "Acknowledged" in _message(h, "C0SUPPORT", ts))
        assert len(h.slack.calls("chat.update")) == 3 and h.slack.responses == []
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        update = session.exec(select(Delivery).where(Delivery.kind == "update")).one()
    assert mention is not None and mention.state == "acknowledged"
    assert (update.status, update.attempts, update.posted_channel) == ("sent", 3, "C0SUPPORT")
