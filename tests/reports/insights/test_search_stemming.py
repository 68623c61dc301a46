"""Stemmed search (FTS5 porter, PostgreSQL per-language configurations) and honest counts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.reports.insights.ask import retrieve
from bot.reports.insights.render import render_search
from bot.reports.insights.search import search_mentions
from bot.store.engine import init_db, make_engine
from tests.reports.insights import old_sqlite_index, seed


def set_language(engine: Engine, mention_id: int, language: str) -> None:
    """What the pipeline does when a classification says which language the mention is in."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE classification SET language = :l WHERE mention_id = :id"),
            {"l": language, "id": mention_id},
        )
        conn.execute(
            text("UPDATE mention SET classification_id = classification_id WHERE id = :id"),
            {"id": mention_id},
        )


def test_crash_finds_crashes_and_crashed(engine: Engine) -> None:
    seed(engine, "The app crashes every time I open it", "product")
    seed(engine, "It crashed twice today", "product")
    seed(engine, "Love the new colours", "product")
    result = search_mentions(engine, "crash", visible={"product"})
    assert sorted(r.text for r in result.rows) == [
        "It crashed twice today",
        "The app crashes every time I open it",
    ]
    assert result.total == 2
    retrieved = retrieve(engine, "why does it crash twice?", {"product"})  # `ask`: the same index
    assert [r.text for r in retrieved] == ["It crashed twice today", "The app crashes every time I open it"]


def test_none_and_unclassified_rows_are_not_counted(engine: Engine) -> None:
    seed(engine, "refund please", "support")
    seed(engine, "refund spam bot", "none")
    seed(engine, "refund for the team lunch", "hr")
    result = search_mentions(engine, "refunds", visible={"support", "sales"})
    assert [r.text for r in result.rows] == ["refund please"]
    assert result.counts == {"support": 1, "hr": 1}
    answer = render_search(result, {"hr": "C0HR"})
    assert answer["text"] == "1 mention matches “refunds”"
    notes = [b["elements"][0]["text"] for b in answer["blocks"] if b["type"] == "context"]
    assert notes == ["1 more in HR: visible only to members of <#C0HR>."]


def test_only_hidden_matches_say_so_without_claiming_none(engine: Engine) -> None:
    seed(engine, "salary refund for staff", "hr")
    answer = render_search(search_mentions(engine, "refund", visible={"support"}), {"hr": "C0HR"})
    assert answer["text"].startswith("No mentions you can read match")
    assert "1 more in HR" in str(answer["blocks"])


def test_postgres_stems_each_mention_in_its_own_language(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    french = seed(engine, "Les livraisons arrivent toujours en retard", "support")
    german = seed(engine, "Die Rechnungen sind falsch", "support")
    other = seed(engine, "Zamówienia nie dotarły", "support")  # Polish: no configuration → simple
    set_language(engine, french, "fr")
    set_language(engine, german, "de")
    set_language(engine, other, "pl")
    with engine.connect() as conn:
        configs: dict[int, str] = dict(
            conn.execute(text("SELECT id, search_config::text FROM mention")).all()
        )
    assert (configs[french], configs[german], configs[other]) == ("french", "german", "simple")
    assert [r.id for r in search_mentions(engine, "livraison", visible={"support"}).rows] == [french]
    assert [r.id for r in search_mentions(engine, "Rechnung", visible={"support"}).rows] == [german]
    assert [r.id for r in search_mentions(engine, "Zamówienia", visible={"support"}).rows] == [other]


def test_an_unstemmed_sqlite_index_is_rebuilt_with_porter(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    init_db(engine)
    seed(engine, "crashes on login", "product")
    # the table as an earlier version created it, before stemming
    old_sqlite_index(engine, tokenize="unicode61 remove_diacritics 2", revision="0004_delivery")
    with engine.connect() as conn:  # unstemmed: "crash" is not "crashes" (queried raw: no department column)
        unstemmed = conn.execute(text("SELECT COUNT(*) FROM mention_fts WHERE mention_fts MATCH 'crash'"))
        assert unstemmed.scalar_one() == 0
    init_db(engine)
    init_db(engine)
    assert search_mentions(engine, "crash", visible={"product"}).total == 1
    seed(engine, "another crash", "product")  # the triggers still feed the new table
    assert search_mentions(engine, "crashing", visible={"product"}).total == 2
    engine.dispose()
