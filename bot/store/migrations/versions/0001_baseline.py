"""Baseline: the schema of release 0.1.0, as `create_all` and `ensure_search_index` made it.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

# Indexes and full-text search that 0.1.0 created outside the models (frozen copies, not imports:
# a revision must keep meaning what it meant when it was written).
_COMMON = (
    "CREATE INDEX IF NOT EXISTS ix_classification_latest ON classification "
    "(mention_id, id, sentiment, urgency, topics)",
    "CREATE INDEX IF NOT EXISTS ix_mention_received_dept ON mention (received_at, department)",
    "CREATE INDEX IF NOT EXISTS ix_delivery_channel_kind ON delivery (channel, kind)",
    "CREATE INDEX IF NOT EXISTS ix_correction_mention ON correction (mention_id, created_at)",
)
_SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5("
    "text, content='mention', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ai AFTER INSERT ON mention BEGIN "
    "INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_ad AFTER DELETE ON mention BEGIN "
    "INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS mention_fts_au AFTER UPDATE OF text ON mention BEGIN "
    "INSERT INTO mention_fts(mention_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO mention_fts(rowid, text) VALUES (new.id, new.text); END",
)
_POSTGRES = (
    "CREATE INDEX IF NOT EXISTS ix_mention_text_fts ON mention "
    "USING GIN ((to_tsvector('simple', mention.text)))",
)


revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alertrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alertrecord", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alertrecord_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alertrecord_department"), ["department"], unique=False)

    op.create_table(
        "digestrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest_name", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest_name", "slot", name="uq_digest_slot"),
    )
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=300), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("lang_hint", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("slack_channel", sa.String(length=40), nullable=False),
        sa.Column("slack_ts", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("classification_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("handled_by", sa.String(length=40), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["mention.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id"),
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index("ix_mention_dept_received", ["department", "received_at"], unique=False)
        batch_op.create_index("ix_mention_received", ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mention_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_mention_text_hash"), ["text_hash"], unique=False)

    op.create_table(
        "processedevent",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "classification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("sentiment", sa.String(length=10), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("topics", sa.String(length=300), nullable=False),
        sa.Column("classifier", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["mention.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classification_mention_id"), ["mention_id"], unique=False)

    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("from_department", sa.String(length=20), nullable=False),
        sa.Column("to_department", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["mention.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_mention_id"), ["mention_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("message_ts", sa.String(length=40), nullable=False),
        sa.Column("posted_channel", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["mention.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["delivery.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_mention_id"), ["mention_id"], unique=False)

    for statement in _extras(op.get_context().dialect.name):
        op.execute(statement)


def _extras(dialect: str) -> tuple[str, ...]:
    return _COMMON + (_SQLITE if dialect == "sqlite" else _POSTGRES)


def adopt(connection: Connection) -> None:
    """Bring a database made by `create_all` before migrations up to this baseline, idempotently.

    Databases older than `mention.classification_id` lack that column; ones made before search lack
    the search structures. Both are added here, so stamping the baseline afterwards tells the truth.
    """
    columns = {c["name"] for c in sa.inspect(connection).get_columns("mention")}
    had_search = sa.inspect(connection).has_table("mention_fts")
    if "classification_id" not in columns:
        connection.execute(sa.text("ALTER TABLE mention ADD COLUMN classification_id INTEGER"))
        connection.execute(
            sa.text(
                "UPDATE mention SET classification_id = "
                "(SELECT MAX(c.id) FROM classification c WHERE c.mention_id = mention.id)"
            )
        )
    for statement in _extras(connection.dialect.name):
        connection.execute(sa.text(statement))
    if connection.dialect.name == "sqlite" and not had_search:  # index the rows stored before search
        connection.execute(sa.text("INSERT INTO mention_fts(mention_fts) VALUES ('rebuild')"))


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS mention_fts")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_mention_id"))
        batch_op.drop_index("ix_delivery_due")

    op.drop_table("delivery")
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_correction_mention_id"))
        batch_op.drop_index(batch_op.f("ix_correction_created_at"))

    op.drop_table("correction")
    with op.batch_alter_table("classification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classification_mention_id"))

    op.drop_table("classification")
    op.drop_table("processedevent")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mention_text_hash"))
        batch_op.drop_index(batch_op.f("ix_mention_status"))
        batch_op.drop_index("ix_mention_received")
        batch_op.drop_index("ix_mention_dept_received")

    op.drop_table("mention")
    op.drop_table("digestrun")
    with op.batch_alter_table("alertrecord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alertrecord_department"))
        batch_op.drop_index(batch_op.f("ix_alertrecord_created_at"))

    op.drop_table("alertrecord")
