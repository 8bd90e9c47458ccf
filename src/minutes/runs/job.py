"""One job of the service, run by whoever holds it: the in-process runner of ``minutes serve``
or a ``minutes worker`` (Celery). Both call ``run_job``; the job's state is in the store.

A job is claimed before it runs (a finished job is never run again, a job whose worker went
silent is taken over), reports each stage as it starts (which is also its heartbeat), runs as
one stored run of its tenant — ledger rows, caches and budget all the tenant's own — and is
finished exactly once. Calls that a killed worker already paid for are answered by the exact
cache when the job runs again, so they are not paid twice.

``JobRetry`` means "try again later" (the store could not be reached); every other problem
fails the job with its one-line reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ValidationError

from minutes.config import Settings
from minutes.errors import MinutesError, StoreError
from minutes.pipeline.options import PipelineOptions
from minutes.units import to_micros

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from minutes.store.db import Store

log = logging.getLogger(__name__)


class JobCancelled(MinutesError):
    """The job ended while it ran (its meeting deleted, or taken over): nothing is saved."""


class JobRetry(MinutesError):
    """The job could not run now for a reason that passes (the database is unreachable)."""


class JobResult(BaseModel):
    """How a job ended, for the caller's events (webhooks, metrics)."""

    job_id: str
    tenant: str
    meeting_id: str
    status: Literal["done", "failed", "skipped"]
    error: str | None = None
    error_type: str | None = None
    duration_s: float = 0.0
    attempt: int = 0


def run_job_sync(job_id: str, settings: Settings, *, worker: str) -> JobResult:
    """``run_job`` for a caller without an event loop (a Celery task)."""
    return asyncio.run(run_job(job_id, settings, worker=worker))


async def run_job(
    job_id: str,
    settings: Settings,
    *,
    worker: str,
    stale_after_s: float = 60.0,
    heartbeat_s: float = 10.0,
    on_stage: Callable[[str], None] | None = None,
    store: Store | None = None,
) -> JobResult:
    """Run job ``job_id`` as ``worker``. ``store``: an open store to use and leave open (a
    worker's, kept across its jobs: opening one costs an engine, connections and a schema
    check); without it the job opens its own and closes it."""
    from minutes.runs.hooks import job_scope
    from minutes.runs.stored import run_stored
    from minutes.store.budgets import budget_for
    from minutes.store.db import open_store
    from minutes.store.jobs import (
        claim_job,
        fail_queued,
        finish_job,
        heartbeat,
        report_stage,
        still_running,
    )

    loop = asyncio.get_running_loop()
    started = loop.time()
    owned = store is None
    if store is None:
        try:
            store = await asyncio.to_thread(open_store, settings.database_url)
        except StoreError as exc:
            raise JobRetry(str(exc)) from exc
    try:
        try:
            with store.transaction() as session:
                claimed = claim_job(session, job_id, worker, stale_after_s=stale_after_s)
                budget = (
                    budget_for(session, claimed.tenant, settings.budget)
                    if claimed is not None
                    else None
                )
        except ValidationError as exc:  # a stored job that no longer reads: fail it, once
            with store.transaction() as session:
                fail_queued(session, job_id, f"the job's data is invalid: {exc}", "JobInvalid")
            return JobResult(job_id=job_id, tenant="", meeting_id="", status="failed")
        if claimed is None:
            return JobResult(job_id=job_id, tenant="", meeting_id="", status="skipped")
        tenant_settings = settings.for_tenant(claimed.tenant, budget)
        result = JobResult(
            job_id=job_id,
            tenant=claimed.tenant,
            meeting_id=claimed.meeting_id,
            status="done",
            attempt=claimed.attempt,
        )
        pending: set[asyncio.Task[None]] = set()

        def report(stage: str) -> None:
            # Called on the event loop by the pipeline: the write goes to a thread.
            def write() -> None:
                with store.transaction() as session:
                    report_stage(session, job_id, worker, stage)

            task = asyncio.ensure_future(asyncio.to_thread(write))
            pending.add(task)
            task.add_done_callback(pending.discard)
            if on_stage is not None:
                on_stage(stage)

        async def beat() -> None:
            while True:
                await asyncio.sleep(heartbeat_s)
                with contextlib.suppress(StoreError):
                    await asyncio.to_thread(_beat, store, job_id, worker, heartbeat)

        beating = asyncio.create_task(beat())
        cost = 0
        try:
            options = PipelineOptions.model_validate(
                {**claimed.options, "meeting_id": claimed.meeting_id}
            )

            def save_check(session: Session) -> None:
                if not still_running(session, job_id, worker):
                    raise JobCancelled(
                        f"job {job_id} ended while it ran (its meeting was deleted, or another "
                        "worker took it over): its notes are not saved"
                    )

            with job_scope(claimed):  # e.g. the job's trace span (minutes.runs.hooks)
                outcome = await run_stored(
                    claimed.transcript,
                    options,
                    tenant_settings,
                    on_progress=report,
                    save_check=save_check,
                    store=store,
                )
            cost = to_micros(outcome.notes.cost_usd)
        except StoreError as exc:
            raise JobRetry(str(exc)) from exc
        except MinutesError as exc:
            result.status, result.error = "failed", str(exc).splitlines()[0]
            result.error_type = type(exc).__name__
        except ValidationError as exc:
            result.status, result.error = "failed", f"invalid options: {exc.errors()[0]['msg']}"
            result.error_type = "OptionsInvalid"
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        try:
            with store.transaction() as session:
                finished = finish_job(
                    session,
                    job_id,
                    worker,
                    status="done" if result.status == "done" else "failed",
                    error=result.error,
                    error_type=result.error_type,
                    cost_micros=cost,
                )
        except StoreError as exc:
            raise JobRetry(str(exc)) from exc
        if finished is None:  # another worker took it over meanwhile: its result counts
            result.status = "skipped"
        result.duration_s = loop.time() - started
        return result
    finally:
        if owned:
            await asyncio.to_thread(store.close)


def _beat(store: Store, job_id: str, worker: str, heartbeat: Callable[..., None]) -> None:
    with store.transaction() as session:
        heartbeat(session, job_id, worker)
