"""Stats, top and search queries on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.reports.insights.search import search_mentions
from bot.reports.insights.stats import compute_stats
from bot.reports.insights.top import recent_urgent, top_mentions
from tests.reports.insights import NOW, seed

DEPTS = ("product", "support", "hr", "sales")


def test_stats_compares_with_the_previous_period(engine: Engine) -> None:
    seed(engine, "refund late", "support", sentiment="negative", topics="refund,delivery")
    seed(engine, "refund ok", "support", sentiment="positive", topics="refund")
    seed(engine, "older", "support", age=timedelta(days=3))
    seed(engine, "outside", "support", age=timedelta(days=9))
    stats = compute_stats(engine, period="24h", window=timedelta(hours=24), now=NOW, departments=DEPTS)
    support = stats.departments[1]
    assert (support.department, support.count, support.previous) == ("support", 2, 0)
    assert support.sentiment == {"negative": 1, "positive": 1}
    assert stats.top_topics == (("refund", 2), ("delivery", 1))
    week = compute_stats(engine, period="7d", window=timedelta(days=7), now=NOW, departments=("support",))
    assert (week.total, week.previous_total) == (3, 1)
    assert week.departments[0].change_pct == 200.0


def test_top_orders_by_urgency_then_negativity_and_skips_not_relevant(engine: Engine) -> None:
    seed(engine, "calm", "support", age=timedelta(minutes=1))
    seed(engine, "angry", "support", sentiment="negative", age=timedelta(hours=2))
    seed(engine, "urgent", "support", urgency="high", age=timedelta(hours=3))
    # "not relevant" moves a mention to none (bot.pipeline.actions), so it leaves support's list
    seed(engine, "ignored", "none", urgency="high", state="not_relevant")
    rows, total = top_mentions(engine, "support", window=timedelta(days=1), now=NOW)
    assert [r.text for r in rows] == ["urgent", "angry", "calm"] and total == 3
    since = NOW - timedelta(days=1)
    found = recent_urgent(engine, {"support", "none"}, since=since, until=NOW)
    assert [r.text for r in found] == ["ignored", "urgent"]
    assert [r.text for r in recent_urgent(engine, {"support"}, since=since, until=NOW)] == ["urgent"]
    assert recent_urgent(engine, set(), since=since, until=NOW) == []


def test_search_matches_words_in_the_index_and_counts_hidden_departments(engine: Engine) -> None:
    seed(engine, "The refund never arrived", "support", age=timedelta(hours=2))
    seed(engine, "Refunds are slow, refund me", "support", age=timedelta(hours=1))
    seed(engine, "Café crème was great", "sales")
    seed(engine, "refund asked by an employee", "hr")
    seed(engine, "a refundless ticket", "sales")  # a different word, even stemmed
    result = search_mentions(engine, "REFUND", visible={"support", "sales"})
    assert [r.text for r in result.rows] == ["Refunds are slow, refund me", "The refund never arrived"]
    assert result.counts == {"support": 2, "hr": 1}
    assert (result.total, result.hidden("hr")) == (2, 1)
    assert [r.text for r in search_mentions(engine, "refund never", visible={"support"}).rows] == [
        "The refund never arrived"
    ]
    assert search_mentions(engine, 'creme" OR *', visible={"sales"}).total <= 1  # operators are inert
    assert search_mentions(engine, "!!!", visible={"sales"}).total == 0


def test_search_follows_updates_and_deletes(engine: Engine) -> None:
    mention_id = seed(engine, "first words", "support")
    with engine.begin() as conn:
        conn.execute(text("UPDATE mention SET text = 'second words' WHERE id = :id"), {"id": mention_id})
    assert search_mentions(engine, "first", visible={"support"}).total == 0
    assert search_mentions(engine, "second", visible={"support"}).total == 1
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM classification"))
        conn.execute(text("DELETE FROM mention"))
    assert search_mentions(engine, "second", visible={"support"}).total == 0


def test_rows_carry_the_listener_name(engine: Engine) -> None:
    """A built-in listener's mention keeps its `sources:` name; other intakes have none."""
    seed(
        engine, "another refund story", "support", age=timedelta(hours=2)
    )  # stored first: search is id order
    seed(engine, "lumo refund please", "support", source=("reddit", "reddit-brand"))
    found = search_mentions(engine, "refund", visible={"support"}).rows
    assert [(r.source, r.source_name) for r in found] == [("reddit", "reddit-brand"), ("twitter", "")]
    rows, _ = top_mentions(engine, "support", window=timedelta(days=1), now=NOW)
    assert [(r.source, r.source_name) for r in rows] == [("reddit", "reddit-brand"), ("twitter", "")]
