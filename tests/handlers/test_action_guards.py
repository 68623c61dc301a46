"""Card clicks that must change nothing: stale and concurrent clicks, and payloads naming another
mention than the card clicked. A restricted (HR) text never goes back into a shared channel."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.domain.rules import RoutingRules
from bot.store.models import Correction, Delivery, Mention
from tests.handlers import running_app, wait_for
from tests.handlers.clicks import button, click, deliver, delivered, message, post_card, select_to

TEXT = "My manager there made every interview a nightmare"


def _mention(engine: Engine, mention_id: int) -> Mention:
    with Session(engine) as session:
        mention = session.get(Mention, mention_id)
    assert mention is not None
    return mention


def test_a_stale_acknowledge_after_a_move_to_hr_puts_nothing_back_in_sales(
    engine: Engine, rules: RoutingRules
) -> None:
    with running_app(engine, rules) as h:
        mention_id, ts = post_card(h, engine, TEXT, "sales", "C0SALES")
        click(h, select_to("hr"), mention_id, "C0SALES", ts, user="U1", version=0)
        delivered(h, lambda: "moved to <#C0HR>" in message(h, "C0SALES", ts))
        # U2 still sees the card as it was (version 0) and acknowledges it
        click(h, button("acknowledge", mention_id, 0), mention_id, "C0SALES", ts, user="U2")
        note = wait_for(lambda: h.slack.responses)[0]
        assert "changed since you opened it" in note["text"] and note["response_type"] == "ephemeral"
        assert len(h.slack.calls("chat.update")) == 1  # only U1's stub
        assert TEXT not in message(h, "C0SALES", ts)
        deliver(h)
        [hr_card] = h.slack.posted("C0HR")
        assert TEXT in json.dumps(hr_card)
        assert f'"block_id": "actions:{mention_id}:1"' in json.dumps(hr_card)  # the version after the move
    mention = _mention(engine, mention_id)
    assert (mention.department, mention.state, mention.handled_by) == ("hr", "reassigned", "U1")
    assert mention.version == 1


def test_a_stale_reassign_does_not_move_the_mention_out_of_hr(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = post_card(h, sqlite_engine, TEXT, "sales", "C0SALES")
        click(h, select_to("hr"), mention_id, "C0SALES", ts, user="U1", version=0)
        delivered(h, lambda: "moved to <#C0HR>" in message(h, "C0SALES", ts))
        click(h, select_to("support"), mention_id, "C0SALES", ts, user="U2", version=0)
        assert "changed since you opened it" in wait_for(lambda: h.slack.responses)[0]["text"]
        deliver(h)
        assert h.slack.posted("C0SUPPORT") == []
    with Session(sqlite_engine) as session:
        corrections = session.exec(select(Correction)).all()
    assert [(c.to_department, c.user_id) for c in corrections] == [("hr", "U1")]
    assert _mention(sqlite_engine, mention_id).department == "hr"


def test_the_moved_card_in_hr_carries_the_new_version_and_its_buttons_work(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        mention_id, ts = post_card(h, sqlite_engine, TEXT, "sales", "C0SALES")
        click(h, select_to("hr"), mention_id, "C0SALES", ts, version=0)
        delivered(h, lambda: "moved to <#C0HR>" in message(h, "C0SALES", ts))
        deliver(h)
        with Session(sqlite_engine) as session:
            moved = session.exec(select(Delivery).where(Delivery.channel == "C0HR")).one()
        click(h, button("acknowledge", mention_id, 1), mention_id, "C0HR", moved.message_ts, user="U3")
        delivered(h, lambda: "Acknowledged: by <@U3>" in message(h, "C0HR", moved.message_ts))
        assert TEXT in message(h, "C0HR", moved.message_ts)  # in its own channel the text stays
    assert _mention(sqlite_engine, mention_id).state == "acknowledged"


def test_concurrent_clicks_on_one_card_have_exactly_one_winner(engine: Engine, rules: RoutingRules) -> None:
    with running_app(engine, rules) as h:
        mention_id, ts = post_card(h, engine, TEXT, "sales", "C0SALES")
        clicks = [
            threading.Thread(target=click, args=(h, select_to("hr"), mention_id, "C0SALES", ts, "U1", 0)),
            threading.Thread(
                target=click, args=(h, button("acknowledge", mention_id, 0), mention_id, "C0SALES", ts, "U2")
            ),
        ]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join()
        delivered(h, lambda: bool(h.slack.calls("chat.update") and h.slack.responses))
        assert len(h.slack.calls("chat.update")) == 1
        [note] = h.slack.responses
        assert "changed since you opened it" in note["text"]
        mention = _mention(engine, mention_id)
        assert mention.version == 1 and mention.state in ("reassigned", "acknowledged")
        if mention.state == "reassigned":  # the move won: the sales card holds no text
            assert TEXT not in message(h, "C0SALES", ts)


def test_a_payload_naming_another_mention_is_refused_and_logged(
    sqlite_engine: Engine, rules: RoutingRules, caplog: pytest.LogCaptureFixture
) -> None:
    with running_app(sqlite_engine, rules) as h:
        hr_id, _hr_ts = post_card(h, sqlite_engine, TEXT, "hr", "C0HR")
        sales_id, sales_ts = post_card(h, sqlite_engine, "How much is the team plan?", "sales", "C0SALES")
        with caplog.at_level(logging.WARNING, logger="bot.pipeline.actions"):
            # the HR mention's id, clicked on the #sales card
            click(h, button("acknowledge", hr_id, 0), hr_id, "C0SALES", sales_ts, user="U6", version=0)
            note = wait_for(lambda: h.slack.responses)[0]
        assert "does not belong to this mention's card" in note["text"]
        assert f"naming mention {hr_id} on message C0SALES/{sales_ts}" in caplog.text
        assert h.slack.calls("chat.update") == []
        assert TEXT not in message(h, "C0SALES", sales_ts)
    assert (_mention(sqlite_engine, hr_id).state, _mention(sqlite_engine, hr_id).version) == ("new", 0)
    assert _mention(sqlite_engine, sales_id).state == "new"


def test_block_id_and_value_naming_different_mentions_is_refused(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        hr_id, _ = post_card(h, sqlite_engine, TEXT, "hr", "C0HR")
        sales_id, sales_ts = post_card(h, sqlite_engine, "How much is the team plan?", "sales", "C0SALES")
        click(h, button("acknowledge", hr_id, 0), sales_id, "C0SALES", sales_ts, version=0)
        assert "couldn't tell which mention" in wait_for(lambda: h.slack.responses)[0]["text"]
        assert h.slack.calls("chat.update") == []
    assert _mention(sqlite_engine, hr_id).state == "new"
