"""Later copies of a text (retweets, cross-posts) over real HTTP: people and rules beat the same-text
cache, copies follow the text's current department, and a restricted text stays in its channel."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from bot.classify.cascade import Cascade
from bot.domain.mention import IncomingMention
from bot.domain.result import Few, Result
from bot.domain.rules import OverrideRule, RoutingRules
from bot.store.mentions import store_mention
from tests.handlers import KeywordClassifier
from tests.harness import Pipeline, pipeline, sign, wait_for

PRICE = "What is the price for 30 seats? Asking for my team at work"
CRASH = "The app crash again wiped my drafts"


def _keywords(rules: RoutingRules) -> Cascade:
    return Cascade(rules, KeywordClassifier())  # price → sales, crash → product, both at 0.8


def _click_reassign(p: Pipeline, mention_id: int, to: str, *, version: int = 0, user: str = "U1") -> None:
    """Reassign from the mention's card, as Slack would send it (signed block_actions)."""
    [card] = [d for d in p.deliveries() if d.mention_id == mention_id and d.kind == "card"]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "message", "channel_id": card.posted_channel, "message_ts": card.message_ts},
        "trigger_id": "1.2",
        "response_url": f"{p.slack.response_url_base}/act",
        "actions": [
            {
                "action_id": "reassign",
                "block_id": f"actions:{mention_id}:{version}",
                "type": "static_select",
                "selected_option": {"value": to},
                "action_ts": "1",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    assert p.request("/slack/events", body, headers)[0] == 200

    # the card's new look goes through the outbox: deliver until Slack has it
    def delivered() -> bool:
        p.drain()
        return bool(p.slack.calls("chat.update"))

    wait_for(delivered)


def _ingest(p: Pipeline, *records: dict[str, str]) -> None:
    status, body = p.ingest(list(records))
    assert (status, body["stored"]) == (202, len(records))
    p.drain()


def test_a_copy_of_a_text_moved_to_hr_follows_it_into_hr_and_never_reaches_sales(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with pipeline(sqlite_engine, rules, cascade=_keywords(rules)) as p:
        _ingest(p, {"id": "tw-1", "text": PRICE, "source": "twitter", "author": "@ann"})
        [first] = p.mentions()
        assert first.id is not None and first.department == "sales"
        _click_reassign(p, first.id, "hr")
        p.drain()
        _ingest(p, {"id": "tw-2", "text": PRICE, "source": "twitter", "author": "@bob"})
        sales = p.cards("C0SALES")
        assert len(sales) == 1 and not sales[0].thread_ts  # the original card, now a stub
        sales_ts = p.deliveries()[0].message_ts
        assert PRICE not in json.dumps(p.slack.messages[("C0SALES", sales_ts)], ensure_ascii=False)
        hr_card, reply = p.cards("C0HR")
        hr_ts = next(d.message_ts for d in p.deliveries() if d.channel == "C0HR" and d.kind == "card")
        assert PRICE in hr_card.raw and reply.thread_ts == hr_ts  # the copy, in the HR card's thread
        copy = p.mentions()[1]
        assert (copy.department, copy.duplicate_of) == ("hr", first.id)
        row = p.classifications()[copy.id or 0]
        assert (row.department, row.classifier) == ("hr", "correction")
        assert f"mention {first.id}, which a person moved to hr" in row.reason


def test_a_rule_on_the_copys_source_beats_the_cache(sqlite_engine: Engine, rules: RoutingRules) -> None:
    linkedin = OverrideRule(name="linkedin leads", department="sales", source=["linkedin"])
    rules = rules.model_copy(update={"rules": [*rules.rules, linkedin]})
    with pipeline(sqlite_engine, rules, cascade=_keywords(rules)) as p:
        _ingest(p, {"id": "a-1", "text": CRASH, "source": "twitter"})
        _ingest(  # one batch: the rule-matched copy and a plain one
            p,
            {"id": "a-2", "text": CRASH, "source": "LinkedIn"},
            {"id": "a-3", "text": CRASH, "source": "twitter"},
        )
        rows = {m.source_id: p.classifications()[m.id or 0] for m in p.mentions()}
        assert [(r.department, r.classifier) for r in rows.values()] == [
            ("product", "local"),
            ("sales", "rules"),
            ("product", "cache"),
        ]
        assert "linkedin leads" in rows["ingest:a-2"].reason
        [sales_card] = p.cards("C0SALES")
        assert not sales_card.thread_ts and CRASH in sales_card.section_texts[0]  # its own card
        product = p.cards("C0PRODUCT")
        assert [bool(c.thread_ts) for c in product] == [False, True]  # the cached copy is threaded
        p.assert_cards_match_routes()


def test_a_human_correction_beats_the_cache_for_later_copies(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with pipeline(sqlite_engine, rules, cascade=_keywords(rules)) as p:
        _ingest(p, {"id": "c-1", "text": CRASH, "source": "twitter"})
        [first] = p.mentions()
        assert first.id is not None
        _click_reassign(p, first.id, "support")
        p.drain()
        _ingest(p, {"id": "c-2", "text": CRASH, "source": "reddit"})
        copy = p.mentions()[1]
        row = p.classifications()[copy.id or 0]
        assert (copy.department, row.department, row.classifier) == ("support", "support", "correction")
        assert [bool(c.thread_ts) for c in p.cards("C0SUPPORT")] == [False, True]
        assert len(p.cards("C0PRODUCT")) == 1  # nothing more where the text no longer belongs


class UnsureHR:
    """Labels everything HR, below min_confidence."""

    def classify(self, text: str, *, few_shots: tuple[Few, ...] = ()) -> Result:
        return Result("hr", 0.41, classifier="local", reason="a guess")


def test_an_unsure_hr_mention_is_triaged_in_hr_not_in_the_shared_triage_channel(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    text = "Is it true the night shift there gets no breaks?"
    with pipeline(sqlite_engine, rules, cascade=Cascade(rules, UnsureHR())) as p:
        _ingest(p, {"id": "u-1", "text": text, "source": "reddit"})
        assert p.cards("C0TRIAGE") == []
        [card] = p.cards("C0HR")
        assert "Needs triage" in card.header and text in card.section_texts[0]
        assert "restricted department" in card.raw
        p.assert_cards_match_routes()


def test_copies_threaded_in_sales_before_the_move_follow_it_and_their_replies_are_redacted(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    with pipeline(sqlite_engine, rules, cascade=_keywords(rules)) as p:
        _ingest(p, {"id": "r-1", "text": PRICE, "source": "twitter"})
        _ingest(p, {"id": "r-2", "text": PRICE, "source": "reddit"})
        first, copy = p.mentions()
        [reply] = [d for d in p.deliveries() if d.kind == "thread"]
        assert PRICE in json.dumps(p.slack.messages[("C0SALES", reply.message_ts)])  # the snippet
        assert first.id is not None
        _click_reassign(p, first.id, "hr")
        p.drain()
        assert PRICE not in json.dumps(p.slack.messages[("C0SALES", reply.message_ts)], ensure_ascii=False)
        assert [m.department for m in p.mentions()] == ["hr", "hr"]
        assert copy.duplicate_of == first.id


def test_copies_and_shared_links_in_one_batch_form_one_thread_each(
    sqlite_engine: Engine, rules: RoutingRules
) -> None:
    """The batch reads which texts and links have a card once; a card enqueued earlier in the same
    batch must still collect its copies (same text) and its shared-link posts as thread replies."""
    link = "https://forum.example.com/t/crash-on-start"
    items = [
        (CRASH, ""),
        (CRASH, ""),  # a copy of the first
        ("Forum thread: the crash on start is back", link),
        ("Another write-up of that crash", link),  # shares the forum link
    ]
    with pipeline(sqlite_engine, rules, cascade=_keywords(rules)) as p:
        for number, (text, shared) in enumerate(items):
            incoming = IncomingMention(
                source_id=f"listener:{number}", origin="listener", text=text, link=shared
            )
            assert store_mention(sqlite_engine, incoming).mention_id is not None
        p.drain()  # the worker claims all four in one batch
        first, copy, post, other = p.mentions()
        assert (copy.duplicate_of, other.duplicate_of) == (first.id, post.id)
        assert first.duplicate_of is None and post.duplicate_of is None
        product = p.cards("C0PRODUCT")
        assert [(c.mention_id, bool(c.thread_ts)) for c in product if not c.thread_ts] == [
            (first.id, False),
            (post.id, False),
        ]
        assert len([c for c in product if c.thread_ts]) == 2
