"""An index on ``llm_cache (scope, id)``: the cache's vector index on SQLite asks, on every
lookup, for the scope's rows after the highest id it holds; without this index that is a
scan of the scope's entries.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_llm_cache_scope_id", "llm_cache", ["scope", "id"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_llm_cache_scope_id", table_name="llm_cache")
