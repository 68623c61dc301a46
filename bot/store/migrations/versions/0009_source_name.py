"""Listener names on mentions, and when a failing listener started failing.

`mention.source_name` is the `sources:` entry a built-in listener stored the mention under (cards and
/insights show it next to the type); NULL for every other intake and for mentions stored before.
`source_cursor.failing_since` is the first failure of a source's current run of failures, so
/readyz can say since when a source is down (`consecutive_failures` only says how many polls).

Revision ID: 0009_source_name
Revises: 0008_retrain
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_source_name"
down_revision = "0008_retrain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Checked first, like the revisions before it: a database adopted or re-stamped below this one may
    # already have the columns. Plain ALTER TABLE (no batch copy on SQLite): a rebuild of `mention`
    # would drop its full-text triggers. Both columns are nullable, so existing rows need no default.
    inspector = sa.inspect(op.get_bind())
    if "source_name" not in {c["name"] for c in inspector.get_columns("mention")}:
        op.add_column("mention", sa.Column("source_name", sa.String(length=64), nullable=True))
    if "failing_since" not in {c["name"] for c in inspector.get_columns("source_cursor")}:
        op.add_column("source_cursor", sa.Column("failing_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (no table copy, so the full-text triggers stay)
    op.drop_column("source_cursor", "failing_since")
    op.drop_column("mention", "source_name")
