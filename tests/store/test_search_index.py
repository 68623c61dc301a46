"""The database's own text-search structures: created idempotently, also for pre-existing rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.reports.insights.search import search_mentions
from bot.store.engine import init_db, make_engine
from bot.store.search_index import pg_tsquery, sqlite_match
from tests.reports.insights import seed


def test_search_is_added_to_an_old_database_and_indexes_its_rows(tmp_path: Path) -> None:
    """A database made before search existed (and before migrations): its rows become searchable."""
    target = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0.sqlite", target)
    engine = make_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        for name in ("mention_fts_ai", "mention_fts_ad", "mention_fts_au"):
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text("DROP TABLE mention_fts"))
    init_db(engine)
    init_db(engine)
    found = search_mentions(engine, "camera", visible={"product"}).rows
    assert [r.text for r in found] == ["The app crashes every time I open the camera"]
    seed(engine, "second camera crash", "product")
    assert search_mentions(engine, "camera", visible={"product"}).total == 2
    engine.dispose()


def test_postgres_uses_a_gin_index_on_the_stored_vector(engine: Engine) -> None:
    init_db(engine)  # a second call changes nothing
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        definition = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_mention_search_vector'")
        ).scalar_one()
        generated = conn.execute(
            text(
                "SELECT generation_expression FROM information_schema.columns "
                "WHERE table_name = 'mention' AND column_name = 'search_vector'"
            )
        ).scalar_one()
        old = [conn.execute(text(f"SELECT to_regclass('{name}')")).scalar() for name in OLD_INDEXES]
    assert "gin" in definition.lower() and "(search_vector)" in definition
    assert "to_tsvector(search_config, text)" in generated
    assert old == [None, None]  # the unstemmed 'simple' index and the expression index are dropped


OLD_INDEXES = ("ix_mention_text_fts", "ix_mention_text_search")


def test_query_builders_keep_only_words() -> None:
    assert sqlite_match('refund" OR text:* NEAR(') == '"refund" "or" "text" "near"'
    assert sqlite_match("late refund", any_term=True) == '"late" OR "refund"'
    assert pg_tsquery("late & !refund |") == "late & refund"
