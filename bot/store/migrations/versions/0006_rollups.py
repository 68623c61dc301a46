"""Rollups: report counts per posted hour, built from the mentions already stored.

Revision ID: 0006_rollups
Revises: 0005_search_stemming
Create Date: 2026-11-29

The backfill is a frozen copy of bot.store.rollup_writes.rebuild (a revision must keep meaning what it
meant when it was written): INSERT … SELECT … GROUP BY for the hourly counts; topic tags are grouped
in SQL per distinct tag string and split in Python, so they normalise exactly as the pipeline does.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0006_rollups"
down_revision = "0005_search_stemming"
branch_labels = None
depends_on = None

_HOUR = {
    "sqlite": "CAST(strftime('%s', m.created_at) AS INTEGER) / 3600",
    "postgresql": "CAST(floor(extract(epoch FROM m.created_at) / 3600) AS BIGINT)",
}
_FROM = "FROM mention m LEFT JOIN classification c ON c.id = m.classification_id WHERE m.department != ''"


def upgrade() -> None:
    # idempotent: a database whose alembic_version was lost is adopted at the baseline and re-upgraded
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "rollup_hour" not in existing:
        _create()
    _backfill(op.get_bind())


def _create() -> None:
    op.create_table(
        "rollup_hour",
        sa.Column("epoch_hour", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("sentiment", sa.String(length=10), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("epoch_hour", "department", "sentiment", "urgency"),
    )
    op.create_table(
        "rollup_topic_hour",
        sa.Column("epoch_hour", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("epoch_hour", "department", "topic"),
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mention_copies_created",
            ["created_at", "department", "duplicate_of"],
            unique=False,
            sqlite_where=sa.text("duplicate_of IS NOT NULL"),
            postgresql_where=sa.text("duplicate_of IS NOT NULL"),
        )
        batch_op.create_index("ix_mention_dept_created", ["department", "created_at"], unique=False)


def _backfill(conn: Connection) -> None:
    hour = _HOUR[conn.dialect.name]
    conn.execute(sa.text("DELETE FROM rollup_topic_hour"))
    conn.execute(sa.text("DELETE FROM rollup_hour"))
    conn.execute(
        sa.text(
            "INSERT INTO rollup_hour (epoch_hour, department, sentiment, urgency, n, copies) "
            f"SELECT {hour}, m.department, COALESCE(c.sentiment, 'neutral'), COALESCE(c.urgency, 'normal'), "
            f"COUNT(*), SUM(CASE WHEN m.duplicate_of IS NULL THEN 0 ELSE 1 END) {_FROM} "
            f"GROUP BY {hour}, m.department, COALESCE(c.sentiment, 'neutral'), COALESCE(c.urgency, 'normal')"
        )
    )
    tags = conn.execute(
        sa.text(
            f"SELECT {hour}, m.department, c.topics, COUNT(*) {_FROM} AND c.topics != '' "
            f"GROUP BY {hour}, m.department, c.topics"
        )
    )
    counts: Counter[tuple[int, str, str]] = Counter()
    for h, department, raw, n in tags:
        for topic in {t.strip().lower()[:100] for t in str(raw).split(",")} - {""}:
            counts[(int(h), department, topic)] += int(n)
    rows = [{"h": h, "d": d, "t": t, "n": n} for (h, d, t), n in counts.items()]
    insert = sa.text(
        "INSERT INTO rollup_topic_hour (epoch_hour, department, topic, n) VALUES (:h, :d, :t, :n)"
    )
    for chunk in range(0, len(rows), 10_000):
        conn.execute(insert, rows[chunk : chunk + 10_000])


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_dept_created")
        batch_op.drop_index("ix_mention_copies_created")
    op.drop_table("rollup_topic_hour")
    op.drop_table("rollup_hour")
