"""Slack events over signed HTTP: which messages become cards, and each one only once."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.domain.rules import RoutingRules
from tests.harness import Pipeline, event_body, message, pipeline

CAREERS = "Honest glassdoor review: the interview loop took two months"  # rules → hr


def _texts(p: Pipeline) -> list[str]:
    return [m.text for m in p.mentions()]


def test_user_message_in_watched_channel_lands_in_the_department_channel(
    engine: Engine, rules: RoutingRules
) -> None:
    with pipeline(engine, rules) as p:
        assert p.event(message(CAREERS, "1700000001.000100")) == (200, "")
        p.drain()
        [card] = p.cards()
        assert card.channel == "C0HR"
        assert card.header.startswith("🧑‍💼 HR")
        assert CAREERS in card.section_texts[0]
        assert "u0alice" in card.raw and "rules" in card.raw  # author (users.info name), the classifier
        [mention] = p.mentions()
        assert (mention.origin, mention.source_id) == ("slack_message", "slack:C0SOCIAL:1700000001.000100")


def test_integration_messages_in_attachments_and_blocks_keep_author_and_link(
    engine: Engine, rules: RoutingRules
) -> None:
    attachment = {
        "pretext": "New mention on Twitter",
        "title": "@dana_k",
        "text": "Is there a glassdoor page for your Berlin office?",
        "author_name": "Dana K",
        "title_link": "https://twitter.example/dana_k/status/1",
        "service_name": "Twitter",
    }
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Please send me a quote for 40 seats"}}]
    with pipeline(engine, rules) as p:
        bot_event = {"type": "message", "subtype": "bot_message", "channel": "C0SOCIAL", "bot_id": "BLISTEN"}
        assert (
            p.event({**bot_event, "ts": "1700000002.000100", "text": "", "attachments": [attachment]})[0]
            == 200
        )
        assert (
            p.event({**bot_event, "ts": "1700000002.000200", "username": "Mention", "blocks": blocks})[0]
            == 200
        )
        p.drain()
        hr, sales = p.cards("C0HR"), p.cards("C0SALES")
        assert len(hr) == 1 and len(sales) == 1
        assert "glassdoor page for your Berlin office" in hr[0].section_texts[0]
        assert "Dana K" in hr[0].raw and "Twitter" in hr[0].raw
        assert "<https://twitter.example/dana_k/status/1|Open original>" in hr[0].raw
        assert "send me a quote for 40 seats" in sales[0].section_texts[0]
        assert "Mention" in sales[0].raw  # the integration's username is the author
        p.assert_cards_match_routes()


def test_own_messages_edits_deletions_joins_and_thread_replies_create_no_card(
    engine: Engine, rules: RoutingRules
) -> None:
    ignored = [
        message(CAREERS, "1700000003.000001", user="UBOT"),  # the bot's own user
        {**message(CAREERS, "1700000003.000002", subtype="bot_message", bot_id="BBOT"), "user": None},
        message(CAREERS, "1700000003.000003", subtype="message_changed"),
        message(CAREERS, "1700000003.000004", subtype="message_deleted"),
        message("<@U0ALICE> has joined the channel", "1700000003.000005", subtype="channel_join"),
        message(CAREERS, "1700000003.000006", thread_ts="1700000001.000100"),
        message(CAREERS, "1700000003.000007", channel="C0RANDOM"),  # not a watched channel
    ]
    with pipeline(engine, rules) as p:
        for event in ignored:
            assert p.event(event)[0] == 200
        assert (
            p.event(
                {
                    **message(CAREERS + " (mentioned)", "1700000003.000008", channel="C0RANDOM"),
                    "type": "app_mention",
                }
            )[0]
            == 200
        )
        p.drain()
        assert _texts(p) == [CAREERS + " (mentioned)"]  # only the @mention in the unwatched channel
        [card] = p.cards()
        assert card.channel == "C0HR" and "(mentioned)" in card.section_texts[0]


def test_retries_and_double_deliveries_give_one_card(engine: Engine, rules: RoutingRules) -> None:
    with pipeline(engine, rules) as p:
        body = event_body(message(CAREERS, "1700000004.000100"), event_id="EvRETRY1")
        assert p.signed(body)[0] == 200
        assert p.signed(body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
        # a watched-channel message that @-mentions the bot arrives twice, with different event ids
        both = message("Ping <@UBOT>: please send me a quote", "1700000004.000200")
        assert p.event(both, event_id="EvMSG")[0] == 200
        assert p.event({**both, "type": "app_mention"}, event_id="EvMENTION")[0] == 200
        p.drain()
        assert sorted(_texts(p)) == sorted([CAREERS, "Ping @UBOT: please send me a quote"])
        assert sorted(c.channel for c in p.cards()) == ["C0HR", "C0SALES"]
        p.assert_cards_match_routes()


def test_malformed_events_are_acknowledged_and_the_app_stays_up(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    broken = [
        {"type": "message", "ts": "1700000005.000001", "text": "no channel at all"},
        {"type": "app_mention", "ts": "1700000005.000002", "text": "no channel either"},
        message("", "1700000005.000003"),  # empty text
        message("   ", "1700000005.000004", attachments=["not a dict", 7]),
        {"type": "message", "channel": "C0SOCIAL", "text": "no ts"},
    ]
    with pipeline(sqlite_engine, rules) as p:
        for event in broken:
            assert p.event(event)[0] == 200
        assert p.signed(b'{"type": "event_callback", "event": "not an object"}')[0] == 400
        # wrong-typed fields are refused at the edge (tests/test_hostile_input.py has the full list)
        wrong = message("", "1700000005.000005", attachments={"text": "a dict, not a list"}, blocks="nope")
        assert p.event(wrong)[0] == 400
        assert p.event(message(CAREERS, "1700000005.000100"))[0] == 200  # still serving
        p.drain()
        assert _texts(p) == [CAREERS]
        assert [c.channel for c in p.cards()] == ["C0HR"]


def test_a_100_kb_slack_message_is_truncated_and_its_card_fits_block_kit(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    huge = "glassdoor " + "x" * 100_000
    with pipeline(sqlite_engine, rules) as p:
        assert p.event(message(huge, "1700000006.000100"))[0] == 200
        p.drain()
        [mention] = p.mentions()
        assert len(mention.text) <= 40_001 and mention.text.endswith("…")
        [card] = p.cards()
        assert all(len(text) <= 3000 for text in card.section_texts)
        assert len(card.text) <= 3000 and len(card.header) <= 150
        assert card.section_texts[0].startswith("glassdoor xxx")
