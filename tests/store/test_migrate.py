"""Migrations: the models match the revisions, the previous release's databases upgrade and keep routing,
and processes that start together on an empty database never race."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.domain.rules import RoutingRules
from bot.store.engine import make_engine
from bot.store.migrate import head_revision, schema_state, upgrade
from tests.harness import message, pipeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Objects the revisions create with raw DDL (search, covering indexes) that the models do not declare.
RAW_DDL: tuple[str, ...] = (
    "fts",
    "ix_classification_latest",
    "ix_mention_received_dept",
    "ix_delivery_channel_kind",
)
RAW_DDL += ("ix_correction_mention", "ix_mention_text_fts", "ix_mention_text_search", "search_config")
RAW_DDL += ("search_vector",)  # 0010_search_fast: PostgreSQL's stored tsvector and its GIN index


def _unexplained_differences(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [str(d) for d in compare_metadata(context, SQLModel.metadata)]
    return [d for d in differences if not any(name in d for name in RAW_DDL)]


def test_models_match_the_revisions(engine: Engine) -> None:
    """A model changed without a revision shows up here, on both databases."""
    assert _unexplained_differences(engine) == []
    assert schema_state(engine).at_head


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def release_010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database made by release 0.1.0 (create_all, no alembic_version), with two routed mentions."""
    if request.param == "sqlite":
        target = tmp_path / "old.sqlite"
        shutil.copy(FIXTURES / "release-0.1.0.sqlite", target)
        engine = make_engine(f"sqlite:///{target}")
    else:
        url: str = request.getfixturevalue("empty_pg_url")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((FIXTURES / "release-0.1.0.postgres.sql").read_text(encoding="utf-8").encode())
        engine = make_engine(url)
    yield engine
    engine.dispose()


def test_previous_release_upgrades_and_routes_end_to_end(release_010: Engine, rules: RoutingRules) -> None:
    assert schema_state(release_010).current == "0.1.0 (before migrations)"
    assert not schema_state(release_010).at_head
    assert upgrade(release_010).at_head
    with release_010.connect() as conn:
        old = conn.execute(text("SELECT department FROM mention ORDER BY id")).scalars().all()
    assert old == ["product", "sales"]  # what 0.1.0 stored is still there
    with pipeline(release_010, rules) as running:
        status, _ = running.event(message("The app crashes when I upload a photo", "1700000300.000100"))
        assert status == 200
        running.drain()
        cards = running.cards()
    # 0.1.0's two cards were still in its outbox: they go out too, then the new mention's card
    assert len(cards) == 3 and "The app crashes when I upload a photo" in cards[-1].text


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine).current == head_revision()
    assert upgrade(engine).current == head_revision()


def test_a_database_older_than_classification_id_is_adopted(tmp_path: Path) -> None:
    target = tmp_path / "older.sqlite"
    shutil.copy(FIXTURES / "release-0.1.0.sqlite", target)
    engine = make_engine(f"sqlite:///{target}")
    with engine.begin() as conn:  # as made before Mention.classification_id existed
        conn.execute(text("ALTER TABLE mention DROP COLUMN classification_id"))
    upgrade(engine)
    with engine.connect() as conn:
        linked = conn.execute(text("SELECT COUNT(*) FROM mention WHERE classification_id IS NOT NULL"))
        assert linked.scalar_one() == 2
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    engine.dispose()


_START = "import sys; from bot.store.engine import make_engine, init_db; init_db(make_engine(sys.argv[1]))"


def _start_together(url: str, processes: int = 3) -> list[subprocess.CompletedProcess[str]]:
    running = [
        subprocess.Popen([sys.executable, "-c", _START, url], stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    results = []
    for process in running:
        _, stderr = process.communicate(timeout=120)  # communicate also closes the pipe
        results.append(subprocess.CompletedProcess(process.args, process.returncode, "", stderr))
    return results


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_processes_starting_together_on_an_empty_database_never_race(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path}/new.sqlite" if kind == "sqlite" else request.getfixturevalue("empty_pg_url")
    results = _start_together(url)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr[-500:] for r in results]
    engine = make_engine(url)
    assert schema_state(engine).at_head
    engine.dispose()
