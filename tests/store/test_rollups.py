"""Report rollups equal a direct count over mention/classification, through the pipeline and the buttons,
after a migration backfill, and for any period (whole hours from the rollups, edges from the rows)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.classify.cascade import Cascade
from bot.classify.local import ReloadingLocalClassifier
from bot.context import Services
from bot.domain.mention import IncomingMention
from bot.domain.rules import RoutingRules
from bot.domain.settings import Settings
from bot.pipeline.actions import Click, StaleCard, acknowledge, not_relevant, reassign
from bot.pipeline.process import process_batch
from bot.store import rollups
from bot.store.engine import link_latest_classifications, session_scope
from bot.store.mentions import store_mention
from bot.store.migrate import upgrade
from bot.store.models import Delivery, Mention
from tests.harness import trained_model_path
from tests.reports.digests import Row, link_copies, seed

T0 = datetime(2026, 3, 1, 8, 0)
TEXTS = [
    "The app crashes every time I open the settings screen",
    "I was charged twice and nobody answers my refund request",
    "Would love a dark mode in the next release",
    "How much is the enterprise plan for 200 seats?",
    "We are hiring engineers in Oslo, join the team",
]


def _services(engine: Engine, rules: RoutingRules) -> Services:
    cascade = Cascade(rules, ReloadingLocalClassifier(trained_model_path()))
    channels = {c: f"C{i}" for i, c in enumerate(sorted({d.channel for d in rules.departments.values()}))}
    return Services.create(
        Settings(), rules, engine, cascade, channels=channels | {rules.triage_channel: "CT"}
    )


def _hour_sql(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return "CAST(strftime('%s', m.created_at) AS INTEGER) / 3600"
    return "CAST(floor(extract(epoch FROM m.created_at) / 3600) AS BIGINT)"


def direct_counts(engine: Engine) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    """What the rollups must hold, counted straight from the rows (zero buckets left out)."""
    hour = _hour_sql(engine)
    main: Counter[tuple[object, ...]] = Counter()
    topics: Counter[tuple[object, ...]] = Counter()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT {hour}, m.department, c.sentiment, c.urgency, m.duplicate_of, c.topics "
                "FROM mention m JOIN classification c ON c.id = m.classification_id WHERE m.department != ''"
            )
        )
        for h, dept, sentiment, urgency, copy_of, raw in rows:
            main[(int(h), dept, sentiment, urgency, "n")] += 1
            main[(int(h), dept, sentiment, urgency, "copies")] += copy_of is not None
            for topic in {t.strip().lower() for t in (raw or "").split(",")} - {""}:
                topics[(int(h), dept, topic)] += 1
    return +main, +topics


def rollup_counts(engine: Engine) -> tuple[Counter[tuple[object, ...]], Counter[tuple[object, ...]]]:
    main: Counter[tuple[object, ...]] = Counter()
    topics: Counter[tuple[object, ...]] = Counter()
    with engine.connect() as conn:
        for h, dept, sentiment, urgency, n, copies in conn.execute(text("SELECT * FROM rollup_hour")):
            main[(int(h), dept, sentiment, urgency, "n")] += n
            main[(int(h), dept, sentiment, urgency, "copies")] += copies
        for h, dept, topic, n in conn.execute(text("SELECT * FROM rollup_topic_hour")):
            topics[(int(h), dept, topic)] += n
    return +main, +topics


def _store(engine: Engine, i: int, body: str, at: datetime) -> int:
    stored = store_mention(
        engine, IncomingMention(source_id=f"t:{i}", origin="ingest", text=body, created_at=at)
    )
    assert stored.mention_id is not None
    return stored.mention_id


def _click(engine: Engine, mention_id: int, user: str) -> Click:
    """A click on the mention's newest card, as the outbox recorded it once Slack accepted it."""
    with session_scope(engine) as session:
        card = session.exec(
            select(Delivery)
            .where(Delivery.mention_id == mention_id, Delivery.kind == "card")
            .order_by(col(Delivery.id).desc())
        ).first()
        mention = session.get(Mention, mention_id)
        assert card is not None and card.id is not None and mention is not None
        if not card.message_ts:
            card.posted_channel, card.message_ts = card.channel, f"{1_700_000_000 + card.id}.000100"
        return Click(mention_id, mention.version, user, card.posted_channel, card.message_ts)


def test_classifications_corrections_and_reassigns_keep_rollups_equal_to_a_direct_count(
    engine: Engine, rules: RoutingRules
) -> None:
    services = _services(engine, rules)
    ids = [_store(engine, i, TEXTS[i % 5], T0 + timedelta(minutes=37 * i)) for i in range(12)]
    ids.append(_store(engine, 99, "RT @someone: " + TEXTS[0], T0 + timedelta(hours=2)))  # a retweet: a copy
    process_batch(services, ids)
    assert rollup_counts(engine) == direct_counts(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT SUM(copies) FROM rollup_hour")).scalar_one() >= 1
    # out of its department into a restricted one; its copies (same text) move with it
    reassign(services, _click(engine, ids[0], "U1"), "hr")
    again = _click(engine, ids[0], "U2")
    reassign(services, again, "sales")  # and on again
    with pytest.raises(StaleCard):  # a double click changes nothing
        reassign(services, again, "sales")
    gone = _click(engine, ids[1], "U1")
    not_relevant(services, gone)
    with pytest.raises(StaleCard):
        not_relevant(services, gone)
    acknowledge(services, _click(engine, ids[2], "U3"))  # no department change: no rollup change
    assert rollup_counts(engine) == direct_counts(engine)
    with engine.connect() as conn:
        departments: dict[int, str] = dict(conn.execute(text("SELECT id, department FROM mention")).all())
    assert departments[ids[0]] == "sales" and departments[ids[1]] == "none"


def test_any_period_equals_a_direct_count_including_partial_hours(
    engine: Engine, rules: RoutingRules
) -> None:
    services = _services(engine, rules)
    ids = [_store(engine, i, f"{TEXTS[i % 5]} #{i}", T0 + timedelta(minutes=11 * i)) for i in range(40)]
    process_batch(services, ids)
    start, end = T0 + timedelta(minutes=25), T0 + timedelta(hours=5, minutes=50)
    with engine.connect() as conn:
        got = Counter(
            {
                (b.department, b.sentiment): b.n
                for b in rollups.counts(conn, start, end, ["product", "support", "hr", "sales", "none"])
            }
        )
        want = Counter(
            {
                (d, s): int(n)
                for d, s, n in conn.execute(
                    text(
                        "SELECT m.department, c.sentiment, COUNT(*) FROM mention m JOIN classification c "
                        "ON c.id = m.classification_id WHERE m.created_at >= :a AND m.created_at < :b "
                        "GROUP BY m.department, c.sentiment"
                    ),
                    {"a": start, "b": end},
                )
            }
        )
    assert got == want and sum(got.values()) == sum(1 for i in range(40) if 25 <= 11 * i < 350)


def test_the_migration_backfills_a_database_that_has_data_but_no_rollups(engine: Engine) -> None:
    rows = [
        Row(
            ("support", "sales", "hr")[i % 3],
            T0 + timedelta(minutes=23 * i),
            f"text {i % 7}",
            ("negative", "neutral", "positive")[i % 3],
            ("high", "normal")[i % 2],
            ("Refund, login", "refund,refund", "")[i % 3],
        )
        for i in range(30)
    ]
    seed(engine, rows)
    link_copies(engine)
    with engine.begin() as conn:  # the database as it was before this revision
        conn.execute(text("DROP TABLE rollup_topic_hour"))
        conn.execute(text("DROP TABLE rollup_hour"))
        conn.execute(text("DROP INDEX ix_mention_dept_created"))
        conn.execute(text("DROP INDEX ix_mention_copies_created"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0005_search_stemming'"))
    upgrade(engine)
    assert rollup_counts(engine) == direct_counts(engine)
    assert sum(n for k, n in rollup_counts(engine)[1].items() if k[2] == "refund") == 20
    with engine.begin() as conn:  # the bulk-load path recounts the same
        link_latest_classifications(conn)
    assert rollup_counts(engine) == direct_counts(engine)
