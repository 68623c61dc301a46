"""mention.version: card actions compare and bump it, so a stale or concurrent click is refused.

Revision ID: 0002_mention_version
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_mention_version"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of the table on SQLite: that would drop the search triggers).
    # Existing cards were posted at version 0, which is what their buttons now count as.
    # Skipped when present: a database adopted without alembic_version may already have the column.
    if "version" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("mention")}:
        return
    op.add_column("mention", sa.Column("version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("mention", "version")  # SQLite ≥ 3.35 drops a column in place
