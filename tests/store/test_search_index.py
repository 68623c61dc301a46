"""The database's own text-search structures: created idempotently, also for pre-existing rows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.reports.insights.search import search_mentions
from bot.store.engine import init_db, make_engine
from bot.store.search_index import ensure_search_index, pg_tsquery, sqlite_match
from tests.reports.insights import seed


def test_ensure_is_idempotent_and_indexes_rows_stored_before_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    init_db(engine)
    seed(engine, "parcel lost in transit", "support")
    with engine.begin() as conn:  # an older database: the search table did not exist yet
        for name in ("mention_fts_ai", "mention_fts_ad", "mention_fts_au"):
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text("DROP TABLE mention_fts"))
    ensure_search_index(engine)
    ensure_search_index(engine)
    assert [r.text for r in search_mentions(engine, "parcel", visible={"support"}).rows] == [
        "parcel lost in transit"
    ]
    seed(engine, "second parcel", "support")
    assert search_mentions(engine, "parcel", visible={"support"}).total == 2


def test_postgres_uses_a_gin_expression_index(engine: Engine) -> None:
    ensure_search_index(engine)  # a second call changes nothing
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        definition = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_mention_text_search'")
        ).scalar_one()
        old = conn.execute(text("SELECT to_regclass('ix_mention_text_fts')")).scalar()
    assert "gin" in definition.lower() and "to_tsvector(search_config, text)" in definition
    assert old is None  # the unstemmed 'simple' index is dropped


def test_query_builders_keep_only_words() -> None:
    assert sqlite_match('refund" OR text:* NEAR(') == '"refund" "or" "text" "near"'
    assert sqlite_match("late refund", any_term=True) == '"late" OR "refund"'
    assert pg_tsquery("late & !refund |") == "late & refund"
