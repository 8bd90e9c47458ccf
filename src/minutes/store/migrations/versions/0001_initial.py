"""Meetings, notes, action items, decisions, the LLM ledger and the response cache.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("date", sa.Date),
        sa.Column("timezone", sa.String(64)),
        sa.Column("participants", sa.JSON, nullable=False),
        sa.Column("source_format", sa.String(16), nullable=False),
        sa.Column("source_name", sa.Text),
        sa.Column("transcript_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("tenant", "transcript_hash", name="uq_meetings_transcript"),
    )
    op.create_table(
        "notes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.String(32),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("notes", sa.JSON, nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("degraded", sa.Boolean, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_notes_meeting_id", "notes", ["meeting_id"])
    op.create_table(
        "action_items",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.String(32),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("notes_id", BigId, sa.ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("assignee", sa.Text),
        sa.Column("due_date", sa.Date),
        sa.Column("due_text", sa.Text),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("context", sa.Text),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
    )
    op.create_index("ix_action_items_meeting_id", "action_items", ["meeting_id"])
    op.create_index("ix_action_items_assignee", "action_items", ["assignee"])
    op.create_table(
        "decisions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "meeting_id",
            sa.String(32),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("notes_id", BigId, sa.ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("rationale", sa.Text),
        sa.Column("alternatives", sa.JSON, nullable=False),
        sa.Column("decided_by", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_decisions_meeting_id", "decisions", ["meeting_id"])
    op.create_table(
        "llm_calls",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("meeting_id", sa.String(32)),
        sa.Column("task", sa.String(64), nullable=False),
        sa.Column("prompt_name", sa.String(128)),
        sa.Column("prompt_version", sa.String(32)),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cached_tokens", sa.Integer, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(64), nullable=False),
        sa.Column("cache", sa.String(16), nullable=False),
    )
    op.create_index("ix_llm_calls_at", "llm_calls", ["at"])
    op.create_index("ix_llm_calls_meeting_id", "llm_calls", ["meeting_id"])
    op.create_index("ix_llm_calls_model_at", "llm_calls", ["model", "at"])
    op.create_table(
        "llm_cache",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("exact_key", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("input_hash", sa.String(64)),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("prompt_name", sa.String(128)),
        sa.Column("prompt_version", sa.String(32)),
        sa.Column("meeting_id", sa.String(32)),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("embedding", sa.LargeBinary),
        sa.Column("embedding_dim", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_llm_cache_scope_created", "llm_cache", ["scope", "created_at"])
    op.create_index("ix_llm_cache_model", "llm_cache", ["model"])
    op.create_index("ix_llm_cache_meeting_id", "llm_cache", ["meeting_id"])


def downgrade() -> None:
    for table in ("llm_cache", "llm_calls", "decisions", "action_items", "notes", "meetings"):
        op.drop_table(table)
