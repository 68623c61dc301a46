"""mention priority: the classification backlog's claim order (urgent-looking mentions first)

Revision ID: 0006_llm
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_llm"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows get 0 (routine): they are classified already, or simply keep their FIFO order
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_mention_claim", ["status", "priority", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_claim")
        batch_op.drop_column("priority")
