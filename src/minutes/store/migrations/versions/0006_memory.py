"""Memory across meetings: the search index (transcript segments and note items, with
full-text search: SQLite FTS5 kept in step by triggers, PostgreSQL a generated tsvector with
a GIN index) and people with their aliases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The FTS5 table reads its text from search_docs (external content); the triggers keep the
# index in step with every insert, update and delete, cascades included.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_docs_fts USING fts5("
    "text, content='search_docs', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_docs_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_docs_fts(search_docs_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE OF text ON search_docs BEGIN "
    "INSERT INTO search_docs_fts(search_docs_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO search_docs_fts(rowid, text) VALUES (new.id, new.text); END",
]
POSTGRES_FTS = [
    "ALTER TABLE search_docs ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', coalesce(text, ''))) STORED",
    "CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.String(32),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("tenant", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("segment", sa.Integer()),
        sa.Column("speaker", sa.Text()),
        sa.Column("start", sa.Float()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary()),
        sa.Column("embedding_dim", sa.Integer()),
    )
    op.create_table(
        "people",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "person_aliases",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column(
            "person_id",
            BigId,
            sa.ForeignKey("people.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.UniqueConstraint("tenant", "alias", name="uq_person_aliases"),
    )
    bind = op.get_bind()
    for statement in SQLITE_FTS if bind.dialect.name == "sqlite" else POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_docs_fts")
    op.drop_table("person_aliases")
    op.drop_table("people")
    op.drop_table("search_docs")
