"""Batch runs in the store: the runs, their meetings, the provider batches (jobs) and every
request with its outcome, so that ``minutes batch status`` / ``collect`` can resume a run from
another process.

Ingestion is idempotent: a request turns from ``submitted`` to ``succeeded``/``failed`` by a
conditional UPDATE, and its ledger row is inserted in the same transaction only when that
UPDATE changed the row. A result read twice (two collectors, a crash after the download) is
never recorded or billed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from minutes.errors import NotFound
from minutes.store.db import affected
from minutes.store.models import (
    DEFAULT_TENANT,
    BatchJob,
    BatchMeeting,
    BatchRequestRow,
    BatchRun,
    LLMCall,
)
from minutes.units import utcnow_naive


class RequestState(BaseModel):
    """What a resumed run needs to know of one request."""

    custom_id: str
    model: str
    status: str  # submitted / succeeded / failed
    job_id: str | None = None
    result_text: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    cost_micros: int = 0
    error_type: str | None = None
    error: str | None = None


class NewRequest(BaseModel):
    custom_id: str
    meeting_id: str | None
    stage: str
    chunk: int | None
    prompt_name: str | None
    prompt_version: str | None
    model: str
    params: dict[str, Any]


class Ingested(BaseModel):
    """One result to record, already priced (the store does not know the registry)."""

    custom_id: str
    ok: bool
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    cost_micros: int = 0
    error_type: str | None = None
    error: str | None = None


class JobView(BaseModel):
    id: str
    provider: str
    model: str
    provider_batch_id: str | None
    status: str
    round: int
    request_count: int
    created_at: dt.datetime
    ended_at: dt.datetime | None
    error: str | None = None


class MeetingView(BaseModel):
    meeting_id: str
    position: int
    source_path: str | None
    status: str
    error: str | None
    cost_micros: int
    transcript: dict[str, Any]
    options: dict[str, Any]


class RunView(BaseModel):
    id: str
    status: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    options: dict[str, Any]
    meetings: list[MeetingView]
    jobs: list[JobView]
    requests: dict[str, int]  # status -> count
    cost_micros: int


def create_run(
    session: Session,
    run_id: str,
    options: dict[str, Any],
    meetings: Sequence[tuple[str, str | None, dict[str, Any], dict[str, Any]]],
    *,
    tenant: str = DEFAULT_TENANT,
) -> None:
    """A run and its meetings: (meeting id, source path, transcript JSON, options JSON)."""
    session.add(BatchRun(id=run_id, tenant=tenant, status="running", options=options))
    session.flush()
    for position, (meeting_id, source, transcript, opts) in enumerate(meetings):
        session.add(
            BatchMeeting(
                run_id=run_id,
                position=position,
                meeting_id=meeting_id,
                source_path=source,
                transcript=transcript,
                options=opts,
                status="pending",
                cost_micros=0,
            )
        )


def resolve_run_id(session: Session, id_or_prefix: str | None) -> str:
    """A run id from its prefix; None: the newest run."""
    query = select(BatchRun.id).order_by(BatchRun.created_at.desc())
    if id_or_prefix:
        query = query.where(BatchRun.id.startswith(id_or_prefix))
    ids = list(session.scalars(query.limit(2)))
    if not ids:
        raise NotFound(f"no batch run {id_or_prefix!r}" if id_or_prefix else "no batch run")
    if id_or_prefix and len(ids) > 1 and ids[0] != id_or_prefix:
        raise NotFound(f"batch run prefix {id_or_prefix!r} is ambiguous")
    return ids[0]


def load_run(session: Session, run_id: str) -> RunView:
    run = session.get(BatchRun, run_id)
    if run is None:
        raise NotFound(f"no batch run {run_id!r}")
    meetings = session.scalars(
        select(BatchMeeting).where(BatchMeeting.run_id == run_id).order_by(BatchMeeting.position)
    )
    jobs = session.scalars(
        select(BatchJob).where(BatchJob.run_id == run_id).order_by(BatchJob.created_at)
    )
    counts = dict(
        session.execute(
            select(BatchRequestRow.status, func.count())
            .where(BatchRequestRow.run_id == run_id)
            .group_by(BatchRequestRow.status)
        ).all()
    )
    cost = session.scalar(
        select(func.coalesce(func.sum(BatchRequestRow.cost_micros), 0)).where(
            BatchRequestRow.run_id == run_id
        )
    )
    return RunView(
        id=run.id,
        status=run.status,
        created_at=run.created_at,
        finished_at=run.finished_at,
        options=run.options,
        meetings=[
            MeetingView(
                meeting_id=m.meeting_id,
                position=m.position,
                source_path=m.source_path,
                status=m.status,
                error=m.error,
                cost_micros=m.cost_micros,
                transcript=m.transcript,
                options=m.options,
            )
            for m in meetings
        ],
        jobs=[
            JobView(
                id=j.id,
                provider=j.provider,
                model=j.model,
                provider_batch_id=j.provider_batch_id,
                status=j.status,
                round=j.round,
                request_count=j.request_count,
                created_at=j.created_at,
                ended_at=j.ended_at,
                error=j.error,
            )
            for j in jobs
        ],
        requests={str(k): int(v) for k, v in counts.items()},
        cost_micros=int(cost or 0),
    )


def list_runs(session: Session, *, limit: int = 20) -> list[RunView]:
    ids = session.scalars(select(BatchRun.id).order_by(BatchRun.created_at.desc()).limit(limit))
    return [load_run(session, i) for i in ids]


def request_states(session: Session, run_id: str) -> dict[str, RequestState]:
    rows = session.scalars(select(BatchRequestRow).where(BatchRequestRow.run_id == run_id))
    return {
        r.custom_id: RequestState(
            custom_id=r.custom_id,
            model=r.model,
            status=r.status,
            job_id=r.job_id,
            result_text=r.result_text,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            cached_tokens=r.cached_tokens,
            cache_write_tokens=r.cache_write_tokens,
            cost_micros=r.cost_micros,
            error_type=r.error_type,
            error=r.error,
        )
        for r in rows
    }


def add_job(
    session: Session,
    run_id: str,
    job_id: str,
    provider: str,
    model: str,
    round_: int,
    requests: Sequence[NewRequest],
) -> None:
    """A job about to be sent (``submitting``) with its requests, in one transaction, before
    the provider hears of it: a crash after the send leaves a trace to resume from."""
    session.add(
        BatchJob(
            id=job_id,
            run_id=run_id,
            provider=provider,
            model=model,
            status="submitting",
            round=round_,
            request_count=len(requests),
        )
    )
    session.flush()
    session.execute(
        insert(BatchRequestRow),
        [
            {
                **r.model_dump(),
                "run_id": run_id,
                "job_id": job_id,
                "status": "submitted",
                "input_tokens": 0,
                "output_tokens": 0,
                "cached_tokens": 0,
                "cache_write_tokens": 0,
                "cost_micros": 0,
                "created_at": utcnow_naive(),
            }
            for r in requests
        ],
    )


def job_custom_ids(session: Session, run_id: str, job_id: str) -> frozenset[str]:
    """The custom ids of the requests recorded for ``job_id`` (what its batch was sent with)."""
    return frozenset(
        session.scalars(
            select(BatchRequestRow.custom_id).where(
                BatchRequestRow.run_id == run_id, BatchRequestRow.job_id == job_id
            )
        )
    )


def set_job(session: Session, job_id: str, **fields: Any) -> None:
    session.execute(update(BatchJob).where(BatchJob.id == job_id).values(**fields))


def open_jobs(session: Session, run_id: str) -> list[JobView]:
    return [j for j in load_run(session, run_id).jobs if j.status in ("submitting", "in_progress")]


def ingest(
    session: Session,
    run_id: str,
    job: JobView,
    results: Iterable[Ingested],
    *,
    tenant: str = DEFAULT_TENANT,
) -> int:
    """Record results of ``job`` not recorded yet, each with its ledger row; returns how many
    were new."""
    new = 0
    now = utcnow_naive()
    for r in results:
        changed = affected(
            session.execute(
                update(BatchRequestRow)
                .where(
                    BatchRequestRow.run_id == run_id,
                    BatchRequestRow.custom_id == r.custom_id,
                    BatchRequestRow.job_id == job.id,
                    BatchRequestRow.status == "submitted",
                )
                .values(
                    status="succeeded" if r.ok else "failed",
                    result_text=r.text if r.ok else None,
                    input_tokens=r.input_tokens,
                    output_tokens=r.output_tokens,
                    cached_tokens=r.cached_tokens,
                    cache_write_tokens=r.cache_write_tokens,
                    cost_micros=r.cost_micros,
                    error_type=r.error_type,
                    error=r.error,
                    ingested_at=now,
                )
            )
        )
        if changed != 1:
            continue
        new += 1
        row = session.scalar(
            select(BatchRequestRow).where(
                BatchRequestRow.run_id == run_id, BatchRequestRow.custom_id == r.custom_id
            )
        )
        assert row is not None
        session.execute(
            insert(LLMCall).values(
                at=now,
                tenant=tenant,
                meeting_id=row.meeting_id,
                task=row.stage,
                prompt_name=row.prompt_name,
                prompt_version=row.prompt_version,
                provider=job.provider,
                model=row.model,
                input_tokens=r.input_tokens,
                output_tokens=r.output_tokens,
                cached_tokens=r.cached_tokens,
                cache_write_tokens=r.cache_write_tokens,
                cost_micros=r.cost_micros,
                # A batch request has no latency of its own; its turnaround is the job's.
                latency_ms=0.0,
                outcome="ok" if r.ok else (r.error_type or "ProviderError"),
                cache="none",
            )
        )
    return new


def fail_unanswered(session: Session, run_id: str, job_id: str, reason: str) -> int:
    """Requests of an ended job that got no result (cancelled, expired, failed batch): failed,
    unbilled, so that the pipeline may ask again."""
    return affected(
        session.execute(
            update(BatchRequestRow)
            .where(
                BatchRequestRow.run_id == run_id,
                BatchRequestRow.job_id == job_id,
                BatchRequestRow.status == "submitted",
            )
            .values(
                status="failed",
                error_type="ProviderUnavailable",
                error=reason,
                ingested_at=utcnow_naive(),
            )
        )
    )


def finish_meeting(
    session: Session,
    run_id: str,
    meeting_id: str,
    *,
    status: str,
    cost_micros: int = 0,
    error: str | None = None,
) -> None:
    session.execute(
        update(BatchMeeting)
        .where(BatchMeeting.run_id == run_id, BatchMeeting.meeting_id == meeting_id)
        .values(status=status, error=error, cost_micros=cost_micros, finished_at=utcnow_naive())
    )


def finish_run(session: Session, run_id: str) -> None:
    session.execute(
        update(BatchRun)
        .where(BatchRun.id == run_id)
        .values(status="done", finished_at=utcnow_naive())
    )
