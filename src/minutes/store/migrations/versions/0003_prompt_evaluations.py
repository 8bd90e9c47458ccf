"""prompt_evaluations: the evaluation harness's measured figures per prompt version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "prompt_evaluations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("prompt_name", sa.String(128), nullable=False),
        sa.Column("prompt_version", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("dataset_hash", sa.String(64), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_prompt_evaluations_prompt",
        "prompt_evaluations",
        ["prompt_name", "prompt_version", "created_at"],
    )
    op.create_index("ix_prompt_evaluations_run_id", "prompt_evaluations", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_prompt_evaluations_run_id", table_name="prompt_evaluations")
    op.drop_index("ix_prompt_evaluations_prompt", table_name="prompt_evaluations")
    op.drop_table("prompt_evaluations")
