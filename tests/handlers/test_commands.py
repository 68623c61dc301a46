"""/insights over signed HTTP: every subcommand, bad input, restricted texts, ask with and without LLM."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.domain.clock import utcnow
from bot.domain.rules import RoutingRules
from tests.fakes.openai_server import FakeOpenAI, completion_body
from tests.handlers import Harness, running_app, wait_for
from tests.reports.insights import seed


def _answer(h: Harness, text: str, user: str = "U1") -> str:
    """Run the command and return everything it answered (ack body and response_url posts) as text."""
    before = len(h.slack.responses)
    status, body = h.command(text, user)
    assert status == 200
    if body.strip():
        return body
    replies = wait_for(lambda: h.slack.responses[before:])
    return json.dumps(replies[0], ensure_ascii=False)


def _seed_recent(engine: Engine) -> None:
    now = utcnow()
    seed(
        engine,
        "Refund for order 42 is late",
        "support",
        now=now,
        sentiment="negative",
        urgency="high",
        topics="refund",
        url="https://x.example/1",
    )
    seed(engine, "Refund arrived, thanks", "support", now=now, sentiment="positive", topics="refund")
    seed(
        engine,
        "Interview process at the company was rude",
        "hr",
        now=now,
        sentiment="negative",
        topics="hiring",
    )
    seed(engine, "Old crash report", "product", now=now, age=timedelta(days=10))


def test_help_and_unknown_subcommands_are_answered_in_the_ack(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with running_app(sqlite_engine, rules) as h:
        help_text = _answer(h, "")
        assert "/insights stats" in help_text and "/insights ask" in help_text
        wrong = _answer(h, "frobnicate <!channel>")
        assert "I don't know" in wrong and "<!channel>" not in wrong and "/insights help" in wrong
        bad = _answer(h, "stats 90d")
        assert "90d" in bad and "24h, 7d, 30d" in bad
        assert "needs a department" in _answer(h, "top")
        assert h.slack.responses == []  # nothing went through response_url


def test_stats_counts_sentiment_change_and_topics(sqlite_engine: Engine, rules: RoutingRules) -> None:
    _seed_recent(sqlite_engine)
    with running_app(sqlite_engine, rules) as h:
        answer = _answer(h, "stats 7d")
        assert "Mentions, last 7d:* 3" in answer
        assert "*Support*: 2 (new)" in answer and "*Product*: 0 (▼ 100% vs previous)" in answer
        assert "`refund` ×2" in answer
        assert "hiring" not in answer  # HR topics are hidden from non-members of #team-hr
        single = _answer(h, "stats support 24h")
        assert "*Support*: 2" in single and "*Sales*" not in single


def test_stats_on_an_empty_database(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with running_app(sqlite_engine, rules) as h:
        answer = _answer(h, "stats")
        assert "Mentions, last 7d:* 0" in answer and "No mentions stored" in answer


def test_top_shows_links_and_hides_restricted_texts(sqlite_engine: Engine, rules: RoutingRules) -> None:
    _seed_recent(sqlite_engine)
    with running_app(sqlite_engine, rules) as h:
        h.slack.members["C0HR"] = ["UHR"]
        top = _answer(h, "top support")
        assert top.index("Refund for order 42") < top.index("Refund arrived")  # urgent first
        assert "<https://x.example/1|open>" in top
        outsider = _answer(h, "top hr", user="U1")
        assert "Interview process" not in outsider and "1 mentions" in outsider and "<#C0HR>" in outsider
        member = _answer(h, "top hr", user="UHR")
        assert "Interview process at the company was rude" in member
        assert "No Sales mentions" in _answer(h, "top sales 30d")


def test_search_uses_the_index_and_respects_restrictions(sqlite_engine: Engine, rules: RoutingRules) -> None:
    _seed_recent(sqlite_engine)
    seed(sqlite_engine, "Refund questions from HR staff", "hr", now=utcnow())
    with running_app(sqlite_engine, rules) as h:
        found = _answer(h, "search refund")
        assert "2 mentions match" in found  # only what U1 may open; HR's match is a note
        assert "Refund for order 42" in found and "Refund questions from HR" not in found
        assert "1 more in HR" in found
        assert "No mentions match" in _answer(h, "search nothingmatchesthis")
        assert "needs some words" in _answer(h, "search")


def test_a_command_whose_text_contains_the_word_payload_is_still_a_command(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    # Bolt alone takes any form body containing "payload" for an interaction and answers 404.
    seed(sqlite_engine, "The payload of the webhook is empty", "product", now=utcnow())
    with running_app(sqlite_engine, rules) as h:
        found = _answer(h, "search payload")
        assert "1 mention matches" in found or "1 mentions match" in found
        assert "webhook is empty" in found


def test_search_and_top_show_the_source_and_the_listener_name(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    seed(sqlite_engine, "lumo refund <!channel>", "support", now=utcnow(), source=("reddit", "reddit_brand"))
    seed(sqlite_engine, "refund by mail", "support", now=utcnow(), age=timedelta(hours=2))
    with running_app(sqlite_engine, rules) as h:
        for answer in (_answer(h, "search refund"), _answer(h, "top support")):
            assert "_ · reddit · reddit_brand" in answer  # after the italics: a name may hold '_'
            assert "_ · twitter" in answer and "twitter · " not in answer
            assert "<!channel>" not in answer


def test_ask_without_an_llm_says_so(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with running_app(sqlite_engine, rules) as h:
        assert "needs an LLM" in _answer(h, "ask what do people think about refunds?")


def test_ask_with_the_fake_llm_cites_mentions_and_quotes_them_as_data(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    _seed_recent(sqlite_engine)
    with FakeOpenAI() as llm:
        llm.queue(body=completion_body("People complain refunds are late [1]."))
        settings = {
            "openai_api_key": "sk-test",
            "openai_base_url": llm.base_url,
            "openai_model": "fake-model",
        }
        with running_app(sqlite_engine, rules, llm=settings) as h:
            answer = _answer(h, "ask are refunds late?")
        prompt = llm.bodies()[0]["messages"][1]["content"]
    assert "People complain refunds are late [1]." in answer
    assert "https://x.example/1" in answer  # the cited mention, with its link
    assert '"text": "Refund for order 42 is late"' in prompt  # mentions travel as JSON data
    assert "Interview process" not in prompt  # restricted texts never reach the LLM for outsiders


def test_route_is_a_dry_run(sqlite_engine: Engine, rules: RoutingRules) -> None:
    with running_app(sqlite_engine, rules) as h:
        answer = _answer(h, "route I want a refund now")
        assert "*Department:* Support" in answer and "<#C0SUPPORT>" in answer and "keyword 'refund'" in answer
        glassdoor = _answer(h, "route our glassdoor page")
        assert "*Decided by:* rules" in glassdoor and "<#C0HR>" in glassdoor
        assert "Nothing was stored" in glassdoor
        assert h.slack.posted() == []


def test_digest_answers_with_data_or_a_clear_note(sqlite_engine: Engine, rules: RoutingRules) -> None:
    _seed_recent(sqlite_engine)
    with running_app(sqlite_engine, rules) as h:
        answer = _answer(h, "digest support")
        assert "Digest (on demand): 2 mentions" in answer and "Refund for order 42 is late" in answer
        assert "Interview process" not in _answer(h, "digest")  # HR texts stay hidden from outsiders
        assert "neither a period" in _answer(h, "digest marketing")
