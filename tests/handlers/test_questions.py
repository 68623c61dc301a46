"""Questions @-addressed to the bot, over signed HTTP: answered in the thread through the outbox."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from bot.intake.questions import question_for_bot
from tests.fakes.openai_server import FakeOpenAI, completion_body
from tests.harness import Pipeline, message, pipeline, wait_for
from tests.reports.insights import seed

TS = "1700000100.000100"


def ask(p: Pipeline, text: str, *, channel: str = "C0SOCIAL", ts: str = TS) -> dict[str, object]:
    """Deliver the question as Slack does (a `message` and an `app_mention`), return the one reply."""
    event = message(text, ts, channel=channel)
    assert p.event(event)[0] == 200
    assert p.event({**event, "type": "app_mention"})[0] == 200
    wait_for(lambda: [d for d in p.deliveries() if d.kind == "reply"])
    p.drain()
    [reply] = [body for body in p.slack.posted() if body.get("thread_ts")]
    return reply


def test_a_question_is_answered_in_its_thread_not_filed(engine: Engine, rules: RoutingRules) -> None:
    seed(engine, "Refund never arrived", "support", now=utcnow())
    seed(engine, "Refund for an employee expense", "hr", now=utcnow())
    with pipeline(engine, rules) as p:
        reply = ask(p, "<@UBOT> search refund")
        assert (reply["channel"], reply["thread_ts"]) == ("C0SOCIAL", TS)
        text = json.dumps(reply, ensure_ascii=False)
        assert "1 mention matches" in text and "Refund never arrived" in text
        assert "employee expense" not in text and "1 more in HR" in text  # a shared channel reads it
        assert [m.text for m in p.mentions()] == ["Refund never arrived", "Refund for an employee expense"]
        [row] = [d for d in p.deliveries() if d.kind == "reply"]
        assert row.status == "sent" and row.dedupe_key == f"reply:C0SOCIAL:{TS}"


def test_restricted_texts_show_in_their_own_channel(engine: Engine, rules: RoutingRules) -> None:
    seed(engine, "Refund for an employee expense", "hr", now=utcnow())
    with pipeline(engine, rules) as p:
        reply = ask(p, "<@UBOT> search refund", channel="C0HR")
        assert "employee expense" in json.dumps(reply, ensure_ascii=False)


def test_a_free_question_goes_to_ask_with_the_llm(engine: Engine, rules: RoutingRules) -> None:
    seed(engine, "Refunds take weeks", "support", now=utcnow())
    with FakeOpenAI() as llm:
        llm.queue(body=completion_body("People say refunds are slow [1]."))
        with pipeline(
            engine, rules, openai_api_key="sk-test", openai_base_url=llm.base_url, openai_model="m"
        ) as p:
            reply = ask(p, "<@UBOT> how many refunds this week?")
        assert "People say refunds are slow [1]." in json.dumps(reply, ensure_ascii=False)
        assert "how many refunds this week?" in llm.bodies()[0]["messages"][1]["content"]


def test_without_an_llm_the_reply_says_what_works(engine: Engine, rules: RoutingRules) -> None:
    with pipeline(engine, rules) as p:
        reply = ask(p, "<@UBOT> how many refunds this week?")
        assert "needs an LLM" in str(reply["text"]) and p.mentions() == []


def test_hostile_questions_are_escaped(engine: Engine, rules: RoutingRules) -> None:
    with pipeline(engine, rules) as p:
        reply = ask(p, "<@UBOT> search <!channel> now")
        raw = json.dumps(reply, ensure_ascii=False)
        assert "<!channel>" not in raw


def test_a_mention_that_is_not_a_question_is_still_filed(engine: Engine, rules: RoutingRules) -> None:
    with pipeline(engine, rules) as p:
        event = message("<@UBOT> your app crashed again on login", TS)
        p.event({**event, "type": "app_mention"})
        p.drain()
        assert [m.origin for m in p.mentions()] == ["app_mention"]
        assert not [d for d in p.deliveries() if d.kind == "reply"]


def test_what_counts_as_a_question() -> None:
    def q(text: str, **extra: object) -> str | None:
        return question_for_bot({"text": text, **extra}, "UBOT")

    assert q("<@UBOT> how many refunds this week?") == "how many refunds this week?"
    assert q("  <@UBOT|social router>: stats 30d") == "stats 30d"
    assert q("<@UBOT> Top support") == "Top support"
    assert q("<@UBOT> your app crashed") is None  # no "?" and no subcommand word
    assert q("Is <@UBOT> any good?") is None  # the bot is named, not addressed
    assert q("<@UBOT> stats", bot_id="B1") is None  # integrations post mentions, they do not ask
    assert q("<@UOTHER> stats?") is None
    assert q("<@UBOT>") is None
    assert q("<@UBOT> " + "x" * 600 + "?") is None
