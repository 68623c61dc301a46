"""Card buttons over signed HTTP: effect on both channels and the database, double clicks, failures."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from bot.pipeline.process import load_card_view
from bot.slack.cards import render_card
from bot.store.models import Correction, Delivery, Mention
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
    assert h.services.slack is not None
    DeliveryWorker(h.services.engine, SlackSender(h.services.slack)).run_once()


def test_reassign_moves_the_card_records_a_correction_and_ignores_a_double_click(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "Do you offer volume pricing?", "support", "C0SUPPORT")
        for _ in range(2):  # a double click
            _click(h, _select("sales"), mention_id, "C0SUPPORT", ts)
            wait_for(lambda: "moved to" in _message(h, "C0SUPPORT", ts))
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
        wait_for(lambda: "moved to" in _message(h, "C0SUPPORT", ts))
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
        wait_for(lambda: "Acknowledged" in _message(h, "C0PRODUCT", ts))
        _click(h, _button("acknowledge", mention_id), mention_id, "C0PRODUCT", ts, user="U9")
        wait_for(lambda: len(h.slack.calls("chat.update")) == 2)
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
        wait_for(lambda: "not relevant" in _message(h, "C0SALES", ts))
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        correction = session.exec(select(Correction)).one()
    assert mention is not None and (mention.department, mention.state) == ("none", "not_relevant")
    assert (correction.from_department, correction.to_department) == ("sales", "none")


def test_a_failed_update_tells_the_user_and_keeps_the_change(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = _card(h, sqlite_engine, "Where is my parcel", "support", "C0SUPPORT")
        h.slack.queue("chat.update", body={"ok": False, "error": "message_not_found"})
        _click(h, _button("acknowledge", mention_id), mention_id, "C0SUPPORT", ts)
        note = wait_for(lambda: h.slack.responses)[0]
        assert "saved" in note["text"] and note["response_type"] == "ephemeral"
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None and mention.state == "acknowledged"
