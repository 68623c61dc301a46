"""Cards for Slack-native mentions: the author's display name (users.info, cached) and a message link."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.domain.rules import RoutingRules
from tests.fakes.slack_server import FakeSlack
from tests.harness import message, pipeline

CAREERS = "Honest glassdoor review: the interview loop took two months"  # rules → hr
ALICE = {"id": "U0ALICE", "name": "alice", "real_name": "Alice Real", "profile": {"display_name": "Alice A."}}


def test_card_shows_display_name_and_permalink_resolved_off_the_ack_path(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with FakeSlack() as slack:
        slack.users["U0ALICE"] = ALICE
        with pipeline(sqlite_engine, rules, slack=slack) as p:
            assert p.event(message(CAREERS, "1700000001.000100"))[0] == 200
            assert p.event(message(CAREERS + " again, kununu too", "1700000002.000100"))[0] == 200
            assert slack.calls("users.info") == []  # nothing looked up while Slack waited for the ack
            p.drain()
            cards = [c for c in p.cards() if not c.thread_ts]
            assert len(cards) == 2
            author_field = cards[0].blocks[2]["fields"][0]["text"]
            assert author_field == "*Author*\nAlice A."
            assert (
                "<https://fake.slack.com/archives/C0SOCIAL/p1700000001000100|Open original>" in cards[0].raw
            )
            assert len(slack.calls("users.info")) == 1  # cached for the second mention
            [mention, _] = p.mentions()
            assert mention.author == "U0ALICE"  # stored as Slack gave it; rules on `author` still see the ID


def test_when_slack_cannot_say_the_card_shows_the_id_and_the_archive_link(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with FakeSlack() as slack:
        slack.queue(
            "users.info",
            status=429,
            headers={"Retry-After": "30"},
            body={"ok": False, "error": "ratelimited"},
        )
        with pipeline(sqlite_engine, rules, slack=slack) as p:
            p.event(message(CAREERS, "1700000001.000100"))
            p.drain()
            [card] = p.cards()
            assert card.blocks[2]["fields"][0]["text"] == "*Author*\nU0ALICE"
            assert "https://fake.slack.com/archives/C0SOCIAL/p1700000001000100" in card.raw  # built
            assert "<@U0ALICE>" not in card.raw  # never a ping


def test_a_hostile_display_name_is_escaped(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with FakeSlack() as slack:
        slack.users["U0ALICE"] = {**ALICE, "profile": {"display_name": "<!channel> boss"}}
        with pipeline(sqlite_engine, rules, slack=slack) as p:
            p.event(message(CAREERS, "1700000001.000100"))
            p.drain()
            [card] = p.cards()
            assert "<!channel>" not in card.raw and "&lt;!channel&gt; boss" in card.raw
