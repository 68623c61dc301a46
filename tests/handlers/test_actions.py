"""Card buttons over signed HTTP: effect on both channels and the database, double clicks, failures."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.rules import RoutingRules
from bot.store.models import Correction, Delivery, Mention
from tests.handlers import running_app, wait_for
from tests.handlers.clicks import button, click, deliver, delivered, message, post_card, select_to


def test_reassign_moves_the_card_records_a_correction_and_refuses_a_double_click(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = post_card(h, sqlite_engine, "Do you offer volume pricing?", "support", "C0SUPPORT")
        for _ in range(2):  # a double click
            click(h, select_to("sales"), mention_id, "C0SUPPORT", ts)
            delivered(h, lambda: "moved to" in message(h, "C0SUPPORT", ts))
        note = wait_for(lambda: h.slack.responses)[0]  # the second click found the card changed
        assert "changed since you opened it" in note["text"] and note["response_type"] == "ephemeral"
        assert len(h.slack.calls("chat.update")) == 1
        deliver(h)
        old = message(h, "C0SUPPORT", ts)
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
        mention_id, ts = post_card(h, sqlite_engine, "My manager there was awful", "support", "C0SUPPORT")
        click(h, select_to("hr"), mention_id, "C0SUPPORT", ts)
        delivered(h, lambda: "moved to" in message(h, "C0SUPPORT", ts))
        deliver(h)
        old = message(h, "C0SUPPORT", ts)
        assert "moved to <#C0HR> by <@U7>" in old and "My manager there was awful" not in old
        assert "My manager there was awful" in json.dumps(h.slack.posted("C0HR"))
    with Session(sqlite_engine) as session:
        delivery = session.exec(select(Delivery).where(Delivery.channel == "C0HR")).one()
    assert delivery.status == "sent" and delivery.mention_id == mention_id


def test_acknowledge_shows_who_and_a_second_click_changes_nothing(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = post_card(h, sqlite_engine, "App crashes at start", "product", "C0PRODUCT")
        click(h, button("acknowledge", mention_id), mention_id, "C0PRODUCT", ts, user="U8")
        delivered(h, lambda: "Acknowledged" in message(h, "C0PRODUCT", ts))
        click(h, button("acknowledge", mention_id), mention_id, "C0PRODUCT", ts, user="U9")
        note = wait_for(lambda: h.slack.responses)[0]
        assert "changed since you opened it" in note["text"]
        assert len(h.slack.calls("chat.update")) == 1
        card = message(h, "C0PRODUCT", ts)
        assert "Acknowledged: by <@U8>" in card and "U9" not in card and '"actions"' not in card
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None and (mention.state, mention.handled_by) == ("acknowledged", "U8")
        assert session.exec(select(Correction)).all() == []


def test_not_relevant_marks_none_and_records_a_correction(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = post_card(h, sqlite_engine, "lol random meme", "sales", "C0SALES")
        click(h, button("not_relevant", mention_id), mention_id, "C0SALES", ts)
        delivered(h, lambda: "not relevant" in message(h, "C0SALES", ts))
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        correction = session.exec(select(Correction)).one()
    assert mention is not None and (mention.department, mention.state) == ("none", "not_relevant")
    assert (correction.from_department, correction.to_department) == ("sales", "none")


def test_a_card_update_survives_a_slack_outage(sqlite_engine: Engine, rules: RoutingRules) -> None:
    """chat.update goes through the outbox: a 503 is retried, never turned into a lost update."""
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = post_card(h, sqlite_engine, "Where is my parcel", "support", "C0SUPPORT")
        for _ in range(2):  # Slack is down for a moment: the update waits in the outbox, then lands
            h.slack.queue("chat.update", status=503, body={"ok": False, "error": "service_unavailable"})
        click(h, button("acknowledge", mention_id), mention_id, "C0SUPPORT", ts)
        delivered(h, lambda: "Acknowledged" in message(h, "C0SUPPORT", ts))
        assert len(h.slack.calls("chat.update")) == 3 and h.slack.responses == []
    with Session(sqlite_engine) as session:
        mention = session.get(Mention, mention_id)
        update = session.exec(select(Delivery).where(Delivery.kind == "update")).one()
    assert mention is not None and mention.state == "acknowledged"
    assert (update.status, update.attempts, update.posted_channel) == ("sent", 3, "C0SUPPORT")
