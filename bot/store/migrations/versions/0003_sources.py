"""Built-in listeners: the `source_cursor` table (cursor, poll claim, health) and `mention.link_hash`.

Revision ID: 0003_sources
Revises: 0002_mention_version
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sources"
down_revision = "0002_mention_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Idempotent: a database adopted at the baseline (made before migrations) may already have these.
    existing = sa.inspect(op.get_bind())
    if not existing.has_table("source_cursor"):
        _create_source_cursor()
    if "link_hash" not in {column["name"] for column in existing.get_columns("mention")}:
        # Plain ALTER TABLE (no batch copy on SQLite): a table rebuild would drop the full-text triggers.
        # The server default fills existing rows; new rows always get a value from the application.
        op.add_column(
            "mention", sa.Column("link_hash", sa.String(length=64), nullable=False, server_default="")
        )
    if "ix_mention_link_hash" not in {index["name"] for index in existing.get_indexes("mention")}:
        op.create_index(op.f("ix_mention_link_hash"), "mention", ["link_hash"], unique=False)


def _create_source_cursor() -> None:
    op.create_table(
        "source_cursor",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("items_today", sa.Integer(), nullable=False),
        sa.Column("items_day", sa.String(length=10), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Plain ALTER TABLE (no batch copy on SQLite): a table rebuild would drop the full-text triggers.
    # The server default fills existing rows; new rows always get a value from the application.
    op.add_column("mention", sa.Column("link_hash", sa.String(length=64), nullable=False, server_default=""))
    op.create_index(op.f("ix_mention_link_hash"), "mention", ["link_hash"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mention_link_hash"), table_name="mention")
    with op.batch_alter_table("mention") as batch_op:
        batch_op.drop_column("link_hash")
    op.drop_table("source_cursor")
