"""Jobs of the service: one meeting run each, its state kept here rather than in a broker.

The life of a job: ``submit_job`` (queued) -> ``claim_job`` (running; a worker that takes a
job whose previous worker went silent takes it over) -> ``report_stage`` as stages start ->
``finish_job`` (done or failed), exactly once: a finished job is never claimed again, so a
message delivered twice runs its meeting once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from minutes.errors import MinutesError, NotFound
from minutes.store.db import affected
from minutes.store.meetings import transcript_hash
from minutes.store.models import Job, Meeting
from minutes.transcripts.models import Transcript
from minutes.units import from_micros, utcnow_naive

JobStatus = Literal["queued", "running", "done", "failed"]
ACTIVE = ("queued", "running")


class IdempotencyConflict(MinutesError):
    """The same Idempotency-Key came with a different request."""

    exit_code = 2


class JobView(BaseModel):
    id: str
    meeting_id: str
    status: JobStatus
    stage: str | None = Field(None, description="the stage running now")
    stages_done: list[str] = Field(default_factory=list)
    attempts: int = Field(description="how many times a worker started it")
    error: str | None = None
    error_type: str | None = None
    cost_usd: Decimal
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


# What a job's view reads: its state, never the transcript and options it carries (a JSON
# document of the whole meeting, decoded on every read: most of a `GET /v1/jobs/{id}`).
_VIEW_COLUMNS = (
    Job.id,
    Job.tenant,
    Job.meeting_id,
    Job.status,
    Job.stage,
    Job.stages_done,
    Job.attempts,
    Job.error,
    Job.error_type,
    Job.cost_micros,
    Job.created_at,
    Job.started_at,
    Job.finished_at,
)


def job_view(job: Job | Row[Any]) -> JobView:
    """The view of a job, from its row or from a row of ``_VIEW_COLUMNS``."""
    return JobView(
        id=job.id,
        meeting_id=job.meeting_id,
        status=job.status,
        stage=job.stage,
        stages_done=[str(s) for s in job.stages_done or []],
        attempts=job.attempts,
        error=job.error,
        error_type=job.error_type,
        cost_usd=from_micros(job.cost_micros),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def request_fingerprint(transcript: Transcript, options: dict[str, Any]) -> str:
    """What makes two submissions the same request (for Idempotency-Key checks)."""
    # The whole parsed transcript (title, date and timezone included), not only its words.
    payload = json.dumps(
        {"transcript": transcript.model_dump(mode="json"), "options": options},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Submitted(BaseModel):
    job: JobView
    created: bool = Field(description="False: an existing job answered (same key or content)")


def submit_job(
    session: Session,
    tenant: str,
    transcript: Transcript,
    options: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    trace: dict[str, str] | None = None,
) -> Submitted:
    """Queue a run of ``transcript`` for ``tenant`` (nothing is committed here).

    The same content for the same tenant is the same meeting: its row is made now (so that it
    is listed while its notes are being made) or found. A job of that meeting still queued or
    running with the same options answers instead of a second one; so does the job an earlier
    request with the same ``idempotency_key`` made (a different request with that key is an
    ``IdempotencyConflict``).
    """
    fingerprint = request_fingerprint(transcript, options)
    if idempotency_key is not None:
        earlier = session.scalar(
            select(Job).where(Job.tenant == tenant, Job.idempotency_key == idempotency_key)
        )
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise IdempotencyConflict("this Idempotency-Key was used for a different request")
            return Submitted(job=job_view(earlier), created=False)
    digest = transcript_hash(transcript)
    meeting = session.scalar(
        select(Meeting).where(Meeting.tenant == tenant, Meeting.transcript_hash == digest)
    )
    if meeting is None:
        meeting = Meeting(
            id=uuid.uuid4().hex,
            tenant=tenant,
            transcript_hash=digest,
            title=transcript.title,
            date=transcript.date,
            timezone=transcript.timezone,
            participants=list(transcript.participants),
            source_format=transcript.source_format,
            source_name=transcript.source_name,
            created_at=utcnow_naive(),
        )
        session.add(meeting)
        session.flush()
    else:
        active = session.scalar(
            select(Job)
            .where(
                Job.tenant == tenant,
                Job.meeting_id == meeting.id,
                Job.status.in_(ACTIVE),
                Job.request_hash == fingerprint,
            )
            .order_by(Job.created_at.desc())
            .limit(1)
        )
        if active is not None and idempotency_key is None:
            return Submitted(job=job_view(active), created=False)
    job = Job(
        id=uuid.uuid4().hex,
        tenant=tenant,
        meeting_id=meeting.id,
        status="queued",
        stages_done=[],
        transcript=transcript.model_dump(mode="json", exclude={"participants"}),
        options=options,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        attempts=0,
        trace=trace or {},
        cost_micros=0,
        created_at=utcnow_naive(),
    )
    session.add(job)
    session.flush()
    return Submitted(job=job_view(job), created=True)


def get_job(session: Session, job_id: str, *, tenant: str) -> JobView:
    job = session.execute(
        select(*_VIEW_COLUMNS).where(Job.id == job_id, Job.tenant == tenant)
    ).one_or_none()
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job_view(job)


def latest_job(session: Session, meeting_id: str, *, tenant: str) -> JobView | None:
    job = session.execute(
        select(*_VIEW_COLUMNS)
        .where(Job.tenant == tenant, Job.meeting_id == meeting_id)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(1)
    ).first()
    return None if job is None else job_view(job)


class Claimed(BaseModel):
    """A job a worker now owns: what it needs to run it."""

    id: str
    tenant: str
    meeting_id: str
    transcript: Transcript
    options: dict[str, Any]
    attempt: int
    trace: dict[str, str]


def claim_job(
    session: Session, job_id: str, worker: str, *, stale_after_s: float = 60.0
) -> Claimed | None:
    """Take a job to run it; None when there is nothing to do: it is finished, or another
    worker is running it and was heard from within ``stale_after_s``. A job whose worker
    went silent (killed mid-run) is taken over, its attempt counted."""
    query = select(Job).where(Job.id == job_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    job = session.scalar(query)
    if job is None or job.status in ("done", "failed"):
        return None
    now = utcnow_naive()
    silent_s = (now - job.heartbeat_at).total_seconds() if job.heartbeat_at else None
    if job.status == "running" and silent_s is not None and silent_s < stale_after_s:
        return None
    job.status = "running"
    job.attempts = (job.attempts or 0) + 1
    job.worker = worker
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    job.stage = None
    job.stages_done = []
    session.flush()
    return Claimed(
        id=job.id,
        tenant=job.tenant,
        meeting_id=job.meeting_id,
        transcript=Transcript.model_validate(job.transcript),
        options=dict(job.options or {}),
        attempt=job.attempts,
        trace=dict(job.trace or {}),
    )


def report_stage(session: Session, job_id: str, worker: str, stage: str) -> None:
    """The stage that starts now (the one before it is done); also the worker's heartbeat."""
    job = session.get(Job, job_id)
    if job is None or job.worker != worker or job.status != "running":
        return  # taken over by another worker, or finished: this report is stale
    done = [str(s) for s in job.stages_done or []]
    if job.stage and job.stage not in done:
        done.append(job.stage)
    job.stages_done = done
    job.stage = stage
    job.heartbeat_at = utcnow_naive()
    session.flush()


def heartbeat(session: Session, job_id: str, worker: str) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker == worker, Job.status == "running")
        .values(heartbeat_at=utcnow_naive())
    )


def finish_job(
    session: Session,
    job_id: str,
    worker: str,
    *,
    status: Literal["done", "failed"],
    error: str | None = None,
    error_type: str | None = None,
    cost_micros: int = 0,
) -> JobView | None:
    """Mark the job finished; None when this worker no longer owns it (nothing changes)."""
    job = session.get(Job, job_id)
    if job is None or job.worker != worker or job.status != "running":
        return None
    done = [str(s) for s in job.stages_done or []]
    if status == "done" and job.stage and job.stage not in done:
        done.append(job.stage)
    job.stages_done = done
    job.stage = None if status == "done" else job.stage
    job.status = status
    job.error = error
    job.error_type = error_type
    job.cost_micros = cost_micros
    job.finished_at = utcnow_naive()
    session.flush()
    return job_view(job)


def still_running(session: Session, job_id: str, worker: str) -> bool:
    """Whether ``worker`` still owns the running job, with its row locked until the end of the
    transaction (on PostgreSQL; SQLite's writers take turns anyway): a ``DELETE`` of the
    meeting that fails the job waits for a save made under this check, or wins before it."""
    job = session.scalar(select(Job).where(Job.id == job_id).with_for_update())
    return job is not None and job.status == "running" and job.worker == worker


def end_jobs_of(session: Session, meeting_id: str, error: str, error_type: str) -> int:
    """Fail the meeting's queued and running jobs (its deletion: a job still making its notes
    would bring it back); their workers' saves are refused by ``still_running``."""
    return affected(
        session.execute(
            update(Job)
            .where(Job.meeting_id == meeting_id, Job.status.in_(ACTIVE))
            .values(status="failed", error=error, error_type=error_type, finished_at=utcnow_naive())
        )
    )


def fail_queued(session: Session, job_id: str, error: str, error_type: str) -> None:
    """A job that could not even start (its message was unreadable, its data invalid)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status="failed", error=error, error_type=error_type, finished_at=utcnow_naive())
    )


def unfinished_jobs(session: Session, *, limit: int = 10_000) -> list[str]:
    """Ids of jobs queued or running, oldest first (an in-process runner that restarts takes
    them up again: the process that ran them is gone)."""
    return list(
        session.scalars(
            select(Job.id).where(Job.status.in_(ACTIVE)).order_by(Job.created_at).limit(limit)
        )
    )


def stranded_jobs(
    session: Session, *, queued_before: dt.datetime, silent_since: dt.datetime, limit: int = 500
) -> list[str]:
    """Jobs that no worker seems to have: queued since before ``queued_before``, or running
    with no heartbeat since ``silent_since`` (oldest first). Sending them again is safe: a
    worker claims a job once (``claim_job``) and skips one that another worker holds."""
    rows = session.scalars(
        select(Job.id)
        .where(
            ((Job.status == "queued") & (Job.created_at < queued_before))
            | (
                (Job.status == "running")
                & (func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at) < silent_since)
            )
        )
        .order_by(Job.created_at)
        .limit(limit)
    )
    return list(rows)


def job_counts(session: Session, *, tenant: str | None = None) -> dict[str, int]:
    query = select(Job.status, func.count(Job.id)).group_by(Job.status)
    if tenant is not None:
        query = query.where(Job.tenant == tenant)
    counts = {"queued": 0, "running": 0, "done": 0, "failed": 0}
    counts.update({str(s): int(n) for s, n in session.execute(query).all()})
    return counts
