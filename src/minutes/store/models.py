"""The store's tables as SQLAlchemy 2 models (the schema itself is made by the migrations).

Conventions, the same on SQLite and PostgreSQL:
- times are naive UTC (``DateTime`` without zone), so that both dialects compare and group
  them the same way;
- money is integer micro-dollars (``*_micros``): sums stay exact on both;
- lists and source references are JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from minutes.units import utcnow_naive

# SQLite only aliases rowid for a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
DEFAULT_TENANT = "default"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("tenant", "transcript_hash", name="uq_meetings_transcript"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), default=DEFAULT_TENANT)
    title: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(64))
    participants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_format: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str | None] = mapped_column(Text)
    transcript_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)

    notes: Mapped[list[NotesRow]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", passive_deletes=True
    )
    action_items: Mapped[list[ActionItemRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ActionItemRow.position"
    )
    decisions: Mapped[list[DecisionRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="DecisionRow.position"
    )


class NotesRow(Base):
    """One summarization of a meeting; a re-run adds a row, the newest is current."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    notes: Mapped[dict[str, Any]] = mapped_column(JSON)
    engine: Mapped[str] = mapped_column(String(16))
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)

    meeting: Mapped[Meeting] = relationship(back_populates="notes")


class ActionItemRow(Base):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    notes_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    task: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(Text, index=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_text: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    context: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    notes_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    alternatives: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decided_by: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


class LLMCall(Base):
    """The ledger: one row per LLM attempt, failed ones and cache hits included.

    ``meeting_id`` is deliberately not a foreign key: rows are written in the background while
    the meeting is still being summarized (before its row exists), and forgetting a meeting
    detaches its rows rather than deleting what was spent.
    """

    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_model_at", "model", "at"),
        Index("ix_llm_calls_tenant_at", "tenant", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    tenant: Mapped[str] = mapped_column(String(64), default=DEFAULT_TENANT)
    meeting_id: Mapped[str | None] = mapped_column(String(32), index=True)
    task: Mapped[str] = mapped_column(String(64))
    prompt_name: Mapped[str | None] = mapped_column(String(128))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[str] = mapped_column(String(64))
    cache: Mapped[str] = mapped_column(String(16), default="none")


class CacheEntry(Base):
    """A validated reply, findable by its exact key or, within ``scope``, by the embedding of
    the prompt's variable input. On PostgreSQL with pgvector the same vector is also kept in
    an ``embedding_vec vector`` column (added outside this model: it exists only there)."""

    __tablename__ = "llm_cache"
    __table_args__ = (
        Index("ix_llm_cache_scope_created", "scope", "created_at"),
        # the vector index catches up with the rows after its highest id (store/ann_index.py)
        Index("ix_llm_cache_scope_id", "scope", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    exact_key: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128), index=True)
    prompt_name: Mapped[str | None] = mapped_column(String(128))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    meeting_id: Mapped[str | None] = mapped_column(String(32), index=True)
    response: Mapped[str] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_dim: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


class BatchRun(Base):
    """One ``minutes summarize --batch``: its meetings go through provider Batch APIs stage by
    stage, possibly across several processes (``minutes batch collect``)."""

    __tablename__ = "batch_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), default=DEFAULT_TENANT)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running / done
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class BatchMeeting(Base):
    """A meeting of a batch run, with its transcript, so that a later process can resume it
    without the original files."""

    __tablename__ = "batch_meetings"
    __table_args__ = (UniqueConstraint("run_id", "meeting_id", name="uq_batch_meetings"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[str] = mapped_column(String(32))
    source_path: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[dict[str, Any]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/done/failed
    error: Mapped[str | None] = mapped_column(Text)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class BatchJob(Base):
    """One provider batch (an OpenAI batch or an Anthropic message batch)."""

    __tablename__ = "batch_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))  # registry name
    provider_batch_id: Mapped[str | None] = mapped_column(String(128))
    input_file_id: Mapped[str | None] = mapped_column(String(128))
    # submitting / in_progress / ended / failed / cancelled; "ended": results ingested.
    status: Mapped[str] = mapped_column(String(16), default="submitting")
    round: Mapped[int] = mapped_column(Integer, default=0)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class BatchRequestRow(Base):
    """One request of a batch run: which meeting, stage and chunk it serves, and its outcome.

    ``custom_id`` is derived from the run, the meeting, the request's content and how many
    identical requests came before it, so that a resumed pipeline asks for the same ids and
    finds what was submitted or answered already.
    """

    __tablename__ = "batch_requests"
    __table_args__ = (UniqueConstraint("run_id", "custom_id", name="uq_batch_requests"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("batch_jobs.id", ondelete="CASCADE"), index=True
    )
    custom_id: Mapped[str] = mapped_column(String(64))
    meeting_id: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(64))  # the pipeline task
    chunk: Mapped[int | None] = mapped_column(Integer)
    prompt_name: Mapped[str | None] = mapped_column(String(128))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # the provider request body
    # submitted / succeeded / failed; a row becomes succeeded/failed exactly once, in the
    # transaction that writes its ledger row.
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    result_text: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    error_type: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)
    ingested_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --- the service: keys, jobs, webhooks, budgets ----------------------------------------


class ApiKey(Base):
    """An API key of a tenant. Only the SHA-256 of the key is kept (keys are 256 random bits,
    so a fast hash is enough: there is no password to guess); ``prefix`` is what lists show."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Job(Base):
    """One meeting run requested through the service. Its state lives here, not in the
    broker: a worker claims it, reports its stages, and finishes it exactly once."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("tenant", "idempotency_key", name="uq_jobs_idempotency"),
        Index("ix_jobs_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    meeting_id: Mapped[str] = mapped_column(String(32), index=True)
    # queued / running / done / failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str | None] = mapped_column(String(64))
    stages_done: Mapped[list[Any]] = mapped_column(JSON, default=list)
    transcript: Mapped[dict[str, Any]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(64))
    trace: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


class WebhookDelivery(Base):
    """One attempt to deliver one event to one webhook: every attempt is logged."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(32))  # job.done / job.failed
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


class TenantBudget(Base):
    """A tenant's own spending limits; a tenant without a row uses the configured budget."""

    __tablename__ = "tenant_budgets"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    daily_micros: Mapped[int | None] = mapped_column(BigInteger)
    monthly_micros: Mapped[int | None] = mapped_column(BigInteger)
    on_exceed: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


# --- memory across meetings: the search index, people ------------------------------------


class SearchDoc(Base):
    """One searchable passage: a transcript segment (``kind`` "segment") or a note item
    ("key_point", "action", "decision", "tldr") of a meeting's latest notes. Full-text search
    lives beside it (SQLite: the FTS5 table ``search_docs_fts``; PostgreSQL: the generated
    ``tsv`` column), both made by migration 0006 outside this model."""

    __tablename__ = "search_docs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    segment: Mapped[int | None] = mapped_column(Integer)
    speaker: Mapped[str | None] = mapped_column(Text)
    start: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_dim: Mapped[int | None] = mapped_column(Integer)


class Person(Base):
    """One person across meetings; ``name`` is how they are shown."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow_naive)


class PersonAlias(Base):
    """A name (case-folded) that means a person: "tom", "tom okafor", "tom@example.com"."""

    __tablename__ = "person_aliases"
    __table_args__ = (UniqueConstraint("tenant", "alias", name="uq_person_aliases"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(255))
