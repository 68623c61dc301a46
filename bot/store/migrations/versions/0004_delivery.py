"""Delivery: one outbox path for every Slack write, exactly once.

The outbox learns who holds a claim (so SIGTERM can release it), when a post's outcome is unknown (look
its metadata up in Slack before posting again), where a card goes when its channel is gone, and the
bytes of a chart to upload. `channelpace` keeps the next allowed time per channel for every worker.
A digest slot is now claimed in the transaction that enqueues its messages, so `digestrun.status`
(claimed | sent | failed) and `sent_at` are no longer written: the outbox rows tell.

Revision ID: 0004_delivery
Revises: 0003_sources
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery"
down_revision = "0003_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channelpace",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fallback_channel", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("uncertain", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("digestrun", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
        batch_op.drop_column("status")


def downgrade() -> None:
    with op.batch_alter_table("digestrun", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), nullable=False, server_default="sent"))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("uncertain")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("attachment")
        batch_op.drop_column("fallback_channel")
    op.drop_table("channelpace")
