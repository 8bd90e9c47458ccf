"""Prompt-cache writes in the ledger: ``cache_write_tokens`` on llm_calls and batch_requests
(the input tokens a provider wrote to its prompt cache, billed at their own price; a subset
of ``input_tokens``, as ``cached_tokens`` is). Rows from before read 0.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("llm_calls", "batch_requests")


def upgrade() -> None:
    for table in TABLES:
        # batch mode: SQLite rebuilds the table where it cannot alter it in place
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("cache_write_tokens", sa.Integer, nullable=False, server_default="0")
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("cache_write_tokens")
