"""Fast search: newest first, counts capped per department, the department index kept current."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.reports.insights.render import render_search
from bot.reports.insights.search import search_mentions
from bot.store.engine import init_db, make_engine, session_scope
from bot.store.models import Mention
from bot.store.search import search
from bot.store.search_index import sqlite_match_in
from tests.reports.insights import old_sqlite_index, seed


def move(engine: Engine, mention_id: int, department: str) -> None:
    """What a correction or a reassignment does to the mention row (through the ORM, like the app)."""
    with session_scope(engine) as session:
        mention = session.get(Mention, mention_id)
        assert mention is not None
        mention.department = department


def test_counts_stop_at_the_cap_and_say_so(engine: Engine) -> None:
    ids = [seed(engine, f"refund number {i}", "support") for i in range(5)]
    for i in range(4):
        seed(engine, f"staff refund {i}", "hr")
    sales = seed(engine, "one refund for sales", "sales")
    result = search_mentions(engine, "refund", visible={"support", "sales"}, limit=2, cap=3)
    assert [r.id for r in result.rows] == [sales, ids[4]]  # newest first, the cap does not touch rows
    assert result.counts == {"support": 3, "hr": 3, "sales": 1}
    assert result.capped and result.is_capped("hr") and not result.is_capped("sales")
    answer = render_search(result, {"hr": "C0HR"})
    assert answer["text"] == "4+ mentions match “refund”"
    assert "newest 2 shown" in str(answer["blocks"])
    notes = [b["elements"][0]["text"] for b in answer["blocks"] if b["type"] == "context"]
    assert notes == ["3+ more in HR: visible only to members of <#C0HR>."]


def test_a_department_rarely_using_the_word_is_still_counted(engine: Engine) -> None:
    """The shared pass stops after 4 x cap matches per department; the rare one is counted apart."""
    for i in range(12):
        seed(engine, f"refund {i}", "support")
    seed(engine, "one refund for staff", "hr")  # newest: the shared pass meets it last, if at all
    seed(engine, "refund spam", "none")
    hits = search(engine, "refund", visible={"support"}, limit=1, cap=1)
    assert hits.counts == {"support": 1, "hr": 1}
    assert search(engine, "refund", visible={"support"}, limit=1, cap=20).counts == {"support": 12, "hr": 1}


def test_below_the_cap_counts_are_exact(engine: Engine) -> None:
    for i in range(3):
        seed(engine, f"refund {i}", "support")
    result = search_mentions(engine, "refund", visible={"support"}, cap=3)
    assert (result.total, result.capped) == (3, True)  # exactly the cap: "at least 3" is still true
    result = search_mentions(engine, "refund", visible={"support"}, cap=4)
    assert (result.total, result.capped) == (3, False)
    assert render_search(result, {})["text"] == "3 mentions match “refund”"


def test_a_corrected_mention_is_shown_and_counted_where_it_now_belongs(engine: Engine) -> None:
    moved = seed(engine, "refund for my salary advance", "support")
    seed(engine, "refund please", "support")
    move(engine, moved, "hr")
    result = search_mentions(engine, "refund", visible={"support"})
    assert [r.text for r in result.rows] == ["refund please"]
    assert result.counts == {"support": 1, "hr": 1}
    move(engine, moved, "none")  # marked not relevant: neither shown nor counted
    assert search_mentions(engine, "refund", visible={"support", "hr"}).counts == {"support": 1}
    move(engine, moved, "support")
    result = search_mentions(engine, "salary", visible={"support"})
    assert [r.id for r in result.rows] == [moved] and result.counts == {"support": 1}


def test_unclassified_mentions_are_neither_shown_nor_counted(engine: Engine) -> None:
    waiting = seed(engine, "refund still being classified", "support")
    move(engine, waiting, "")
    result = search_mentions(engine, "refund", visible={"support", ""})
    assert (result.rows, result.counts) == ([], {})


def test_a_department_whose_name_contains_another_is_not_mixed_up(engine: Engine) -> None:
    seed(engine, "refund in emea", "sales-emea")
    seed(engine, "refund at home", "sales")
    result = search_mentions(engine, "refund", visible={"sales"})
    assert [r.text for r in result.rows] == ["refund at home"]
    assert result.counts == {"sales": 1, "sales-emea": 1}
    only_emea = search_mentions(engine, "emea", visible={"sales"})  # the word is in the other's text
    assert (only_emea.rows, only_emea.counts) == ([], {"sales-emea": 1})


def test_department_names_are_not_searched_as_text(engine: Engine) -> None:
    seed(engine, "the app crashes", "support")
    assert search_mentions(engine, "support", visible={"support"}).counts == {}


def test_ask_ranks_by_relevance_within_visible_departments(engine: Engine) -> None:
    both = seed(engine, "login crash after update", "product", age=timedelta(hours=3))
    seed(engine, "login page is slow", "product", age=timedelta(hours=1))
    seed(engine, "login crash on my laptop", "hr", age=timedelta(hours=1))
    hits = search(engine, "why login crash", visible={"product"}, limit=5, any_term=True)
    assert hits.rows[0].id == both  # two of the words beat a newer one-word match
    assert {r.department for r in hits.rows} == {"product"}


def test_match_expression_quotes_departments_and_keeps_words_in_the_text_column() -> None:
    assert sqlite_match_in("late refund", ["support", 'a"b']) == (
        'text : ("late" "refund") AND department : ("support" OR "a b")'
    )
    assert sqlite_match_in("x", ["—"]) == 'text : ("x")'  # a name without words: checked exactly later


def test_an_index_without_departments_is_rebuilt_with_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    init_db(engine)
    seed(engine, "refund please", "support")
    # the table and triggers as 0005_search_stemming made them
    old_sqlite_index(engine, tokenize="porter unicode61 remove_diacritics 2", revision="0008_retrain")
    init_db(engine)
    init_db(engine)
    assert search_mentions(engine, "refunds", visible={"support"}).total == 1
    seed(engine, "another refund", "support")  # the new triggers feed the new table
    assert search_mentions(engine, "refund", visible={"support"}).total == 2
    engine.dispose()
