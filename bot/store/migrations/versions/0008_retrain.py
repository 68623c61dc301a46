"""Automatic retraining: local models shared through the database, and leases.

`local_model` holds each retrained local model (the saved file, compressed) so replicas on other
machines install the same model instead of training their own; `lease` lets one process at a time
retrain (a row per job name, with a holder and an expiry so a crashed holder does not block it).

Revision ID: 0008_retrain
Revises: 0007_priority
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_retrain"
down_revision = "0007_priority"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Checks first, like the revisions before it: a database adopted or re-stamped below this one
    # may already have the tables.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "lease" not in existing:
        _create_lease()
    if "local_model" not in existing:
        _create_local_model()


def _create_lease() -> None:
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def _create_local_model() -> None:
    op.create_table(
        "local_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("seed_hash", sa.String(length=16), nullable=False),
        sa.Column("max_correction_id", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("local_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_model_seed_hash"), ["seed_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("local_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_model_seed_hash"))
    op.drop_table("local_model")
    op.drop_table("lease")
