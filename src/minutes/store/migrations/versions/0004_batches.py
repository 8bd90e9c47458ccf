"""batch_runs, batch_meetings, batch_jobs, batch_requests: provider Batch API runs that a
later process can resume.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "batch_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_table(
        "batch_meetings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("batch_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("meeting_id", sa.String(32), nullable=False),
        sa.Column("source_path", sa.Text),
        sa.Column("transcript", sa.JSON, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.UniqueConstraint("run_id", "meeting_id", name="uq_batch_meetings"),
    )
    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("batch_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("provider_batch_id", sa.String(128)),
        sa.Column("input_file_id", sa.String(128)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("request_count", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
    )
    op.create_index("ix_batch_jobs_run_id", "batch_jobs", ["run_id"])
    op.create_table(
        "batch_requests",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("batch_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("batch_jobs.id", ondelete="CASCADE")),
        sa.Column("custom_id", sa.String(64), nullable=False),
        sa.Column("meeting_id", sa.String(32)),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("chunk", sa.Integer),
        sa.Column("prompt_name", sa.String(128)),
        sa.Column("prompt_version", sa.String(32)),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result_text", sa.Text),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("cached_tokens", sa.Integer, nullable=False),
        sa.Column("cost_micros", sa.BigInteger, nullable=False),
        sa.Column("error_type", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("ingested_at", sa.DateTime),
        sa.UniqueConstraint("run_id", "custom_id", name="uq_batch_requests"),
    )
    op.create_index("ix_batch_requests_job_id", "batch_requests", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_batch_requests_job_id", table_name="batch_requests")
    op.drop_table("batch_requests")
    op.drop_index("ix_batch_jobs_run_id", table_name="batch_jobs")
    op.drop_table("batch_jobs")
    op.drop_table("batch_meetings")
    op.drop_table("batch_runs")
