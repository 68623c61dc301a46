"""Tests of the /insights queries and rendering; `seed` stores mentions with a classification, and
`old_sqlite_index` puts back the text index an earlier revision made."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text as text_sql
from sqlalchemy.engine import Engine

from bot.domain.text import text_hash
from bot.store.engine import link_latest_classifications

NOW = datetime(2024, 5, 20, 12, 0, 0)


def seed(
    engine: Engine,
    text: str,
    department: str,
    *,
    age: timedelta = timedelta(hours=1),
    sentiment: str = "neutral",
    urgency: str = "normal",
    topics: str = "",
    url: str = "",
    now: datetime | None = None,
    state: str = "new",
    slack: tuple[str, str] = ("", ""),
    source: tuple[str, str | None] = ("twitter", None),
) -> int:
    """Store one routed mention received `age` before `now` (default NOW) and return its id."""
    received = (now or NOW) - age
    mention = {
        "source_id": f"test:{text_hash(text)[:16]}:{received.isoformat()}:{department}",
        "text": text,
        "text_hash": text_hash(text),
        "url": url,
        "received": received,
        "department": department,
        "state": state,
        "channel": slack[0],
        "ts": slack[1],
        "source": source[0],
        "source_name": source[1],
    }
    # Plain SQL, like the benchmark's bulk insert: the stored format is what the app writes.
    with engine.begin() as conn:
        mention_id = conn.execute(
            text_sql(
                "INSERT INTO mention (source_id, origin, source, source_name, author, url, lang_hint, text, "
                "text_hash, slack_channel, slack_ts, created_at, received_at, status, department, state, "
                "handled_by) VALUES (:source_id, 'ingest', :source, :source_name, '@someone', :url, '', "
                ":text, :text_hash, :channel, :ts, :received, :received, 'routed', :department, :state, '') "
                "RETURNING id"
            ),
            mention,
        ).scalar_one()
        conn.execute(
            text_sql(
                "INSERT INTO classification (mention_id, department, confidence, sentiment, urgency, "
                "language, summary, topics, classifier, model, reason, prompt_tokens, completion_tokens, "
                "latency_ms, "
                "created_at) VALUES (:id, :department, 0.9, :sentiment, :urgency, 'en', :summary, :topics, "
                "'local', '', '', 0, 0, 0.0, :received)"
            ),
            {
                "id": mention_id,
                "department": department,
                "sentiment": sentiment,
                "urgency": urgency,
                "summary": f"summary of {text[:30]}",
                "topics": topics,
                "received": received,
            },
        )
        link_latest_classifications(conn)
    return int(mention_id)


def old_sqlite_index(engine: Engine, *, tokenize: str, revision: str) -> None:
    """Replace the SQLite text index (table and triggers) with the text-only one `revision` left,
    tokenized by `tokenize`, so the next `init_db` must upgrade it."""
    with engine.begin() as conn:
        for name in ("mention_fts_ai", "mention_fts_ad", "mention_fts_au"):
            conn.execute(text_sql(f"DROP TRIGGER IF EXISTS {name}"))
        conn.execute(text_sql("DROP TABLE mention_fts"))
        conn.execute(
            text_sql(
                "CREATE VIRTUAL TABLE mention_fts USING fts5(text, content='mention', content_rowid='id', "
                f"tokenize='{tokenize}')"
            )
        )
        conn.execute(text_sql("INSERT INTO mention_fts(mention_fts) VALUES ('rebuild')"))
        conn.execute(text_sql("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
