"""mention priority: the classification backlog's claim order (urgent-looking mentions first)

Revision ID: 0007_priority
Revises: 0006_rollups
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_priority"
down_revision = "0006_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows get 0 (routine): they are classified already, or simply keep their FIFO order.
    # Checked first: a database adopted at the baseline may already have the column (create_all).
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("mention")}
    indexes = {i["name"] for i in inspector.get_indexes("mention")}
    with op.batch_alter_table("mention", schema=None) as batch_op:
        if "priority" not in columns:
            batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        if "ix_mention_claim" not in indexes:
            batch_op.create_index("ix_mention_claim", ["status", "priority", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_claim")
        batch_op.drop_column("priority")
