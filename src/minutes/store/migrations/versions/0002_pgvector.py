"""pgvector for the semantic cache, on PostgreSQL servers that have the extension.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

A no-op on SQLite and on servers without pgvector (the cache then searches with numpy);
``minutes.store.db`` re-checks at every start, so installing pgvector later takes effect.
"""

from __future__ import annotations

from alembic import op

from minutes.store.vectors import drop_pgvector, ensure_pgvector

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        ensure_pgvector(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        drop_pgvector(bind)
