"""Digest composition over a real database, rendering within Block Kit limits, and the summary."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.reports.digests.compose import build_digest
from bot.reports.digests.render import digest_as_text, render_digest
from bot.reports.digests.summary import extractive_summary, with_llm_summary
from tests.fakes.openai_server import FakeOpenAI, completion_body
from tests.reports.digests import Row, link_copies, seed

NOW = datetime(2026, 11, 23, 9, 0)
WEEK = timedelta(days=7)


@pytest.fixture
def stored(engine: Engine) -> Engine:
    day = timedelta(days=1)
    rows = [Row("support", NOW - day * 8 - timedelta(hours=i), "older support mention") for i in range(5)]
    rows += [
        Row(
            "support",
            NOW - day,
            "The app crashed during checkout and charged me twice!",
            "negative",
            "high",
            "billing,checkout",
            "https://x.example/1",
        ),
        Row(
            "support",
            NOW - day * 2,
            "Refund still missing after two weeks.",
            "negative",
            "normal",
            "billing,refund",
        ),
        Row(
            "support",
            NOW - day * 3,
            "Login fails with an error <!channel> help",
            "negative",
            "normal",
            "login",
        ),
    ]
    rows += [
        Row("support", NOW - day * 4 - timedelta(minutes=i), "Where is my order?", topics="delivery")
        for i in range(3)
    ]
    rows += [
        Row(
            "support",
            NOW - timedelta(hours=5),
            "Thanks, support sorted it fast.",
            "positive",
            topics="billing",
        )
    ] * 4
    rows += [
        Row(
            "product", NOW - day * 2, "Please add dark mode to the app.", "positive", topics="feature request"
        )
    ] * 4
    rows += [
        Row("hr", NOW - day, "Secret HR complaint about a manager.", "negative", "high", "harassment")
    ] * 2
    rows.append(Row("support", NOW + timedelta(minutes=1), "after the period ends"))
    seed(engine, rows)
    link_copies(engine)  # repeated texts are copies grouped under the first card, as the pipeline does
    return engine


def test_totals_change_sentiment_and_topics(stored: Engine, rules: RoutingRules) -> None:
    d = build_digest(stored, rules, departments=["product", "support", "hr", "sales"], period=WEEK, now=NOW)
    totals = {t.department: (t.count, t.previous) for t in d.totals}
    assert totals == {"product": (4, 0), "support": (10, 5), "hr": (2, 0), "sales": (0, 0)}
    assert [t.change_pct for t in d.totals if t.department == "support"] == [100.0]
    assert dict(d.sentiment) == {"positive": 8, "neutral": 3, "negative": 5}
    assert d.topics[:2] == (("billing", 6), ("feature request", 4))
    assert ("harassment", 2) in d.topics
    assert sum(c.count for c in d.daily) == 16


def test_notable_mentions_urgent_negative_repeated_with_links(stored: Engine, rules: RoutingRules) -> None:
    d = build_digest(stored, rules, departments=["support"], period=WEEK, now=NOW)
    by_why = {m.why: m for m in d.notable}
    assert (
        by_why["urgent"].text.startswith("The app crashed") and by_why["urgent"].link == "https://x.example/1"
    )
    assert {m.text for m in d.notable if m.why == "negative"} == {
        "Refund still missing after two weeks.",
        "Login fails with an error <!channel> help",
    }
    repeated = {m.text: m.repeats for m in d.notable if m.why == "repeated"}
    assert repeated == {"Thanks, support sorted it fast.": 4, "Where is my order?": 3}


def test_restricted_texts_hidden_but_counted(stored: Engine, rules: RoutingRules) -> None:
    d = build_digest(
        stored,
        rules,
        departments=["support", "hr"],
        period=WEEK,
        now=NOW,
        show_texts_for=lambda dept: dept != "hr",
    )
    assert dict((t.department, t.count) for t in d.totals)["hr"] == 2
    assert d.hidden_departments == ("hr",)
    everything = json.dumps(render_digest(d)) + digest_as_text(d) + " ".join(d.summary_inputs)
    assert "Secret HR" not in everything and "harassment" not in everything
    assert "shown only to members" in json.dumps(render_digest(d))


def test_one_department_only(stored: Engine, rules: RoutingRules) -> None:
    d = build_digest(stored, rules, departments=["product"], period=WEEK, now=NOW)
    assert [(t.department, t.count) for t in d.totals] == [("product", 4)]
    assert d.topics == (("feature request", 4),)
    assert {c.department for c in d.daily} == {"product"}
    assert "dark mode" in d.summary


def test_empty_period(engine: Engine, rules: RoutingRules) -> None:
    d = build_digest(engine, rules, departments=["support", "sales"], period=WEEK, now=NOW, title="Weekly")
    assert d.total == 0 and d.notable == () and d.topics == () and d.summary == ""
    text = digest_as_text(d)
    assert "Weekly" in text and "no mentions" in text
    payload = render_digest(d)
    assert payload["text"].startswith("Weekly: 0 mentions")


def test_render_escapes_and_respects_limits(stored: Engine, rules: RoutingRules) -> None:
    d = build_digest(stored, rules, departments=["product", "support"], period=WEEK, now=NOW, title="T" * 400)
    payload = render_digest(d)
    blocks = payload["blocks"]
    assert len(blocks) <= 50 and len(blocks[0]["text"]["text"]) <= 150
    dumped = json.dumps(blocks)
    assert "<!channel>" not in dumped and "&lt;!channel&gt;" in dumped
    assert "<https://x.example/1|support>" in dumped
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_extractive_summary_prefers_frequent_themes() -> None:
    texts = [
        "Refund for my order is late.",
        "Still waiting on my refund order.",
        "Nice weather today, lovely.",
    ]
    summary = extractive_summary(texts, sentences=1)
    assert "refund" in summary.lower()
    assert extractive_summary([]) == ""


def test_llm_summary_quotes_texts_and_falls_back(stored: Engine, rules: RoutingRules) -> None:
    d = build_digest(stored, rules, departments=["support"], period=WEEK, now=NOW)
    with FakeOpenAI() as fake:
        settings = Settings(openai_api_key="sk-test", openai_base_url=fake.base_url, openai_model="m")
        fake.queue(body=completion_body("Billing problems dominated the week."))
        summarized = with_llm_summary(d, settings)
        assert (summarized.summary, summarized.summary_source) == (
            "Billing problems dominated the week.",
            "llm",
        )
        user_prompt = fake.bodies()[0]["messages"][1]["content"]
        assert json.dumps("Refund still missing after two weeks.") in user_prompt  # quoted as JSON data
        fake.queue(status=400, body={"error": {"message": "bad"}})
        failed = with_llm_summary(d, settings)
    assert failed.summary_source == "extractive" and failed.summary == d.summary and d.summary
