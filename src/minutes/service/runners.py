"""Where submitted jobs run.

- ``InProcessRunner``: ``minutes serve`` alone. Jobs run as tasks of the server's event loop,
  at most ``service.jobs_in_process`` at once; on start it takes up the jobs a previous
  process left queued or running (their state is in the store, so nothing is lost).
- ``CeleryRunner`` (``MINUTES_BROKER_URL`` set): a job is a message to ``minutes worker``
  processes; the server only queues it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Protocol

from minutes.config import Settings
from minutes.errors import StoreError
from minutes.runs.job import JobRetry, run_job
from minutes.service import events
from minutes.store.db import Store

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    kind: str

    async def start(self) -> None: ...

    async def submit(self, job_id: str, trace: dict[str, str] | None = None) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> str | None:
        """None when jobs can be taken, else why not (for /readyz)."""
        ...


def serve_worker_name() -> str:
    # Stable across restarts of one serve: its successor may take over its running jobs
    # at once instead of waiting for them to go stale.
    return f"serve@{socket.gethostname()}"


class InProcessRunner:
    kind = "in-process"

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store
        self.worker = serve_worker_name()
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._known: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for i in range(self.settings.service.jobs_in_process):
            self._tasks.append(asyncio.create_task(self._work(), name=f"job-runner-{i}"))
        if self.store is not None:
            from minutes.store.jobs import unfinished_jobs

            try:
                with self.store.read() as session:
                    left = unfinished_jobs(session)
            except StoreError as exc:
                log.warning("could not look for unfinished jobs: %s", exc)
                left = []
            for job_id in left:
                await self.submit(job_id)
            if left:
                log.info("taking up %d unfinished job(s) of a previous process", len(left))

    async def submit(self, job_id: str, trace: dict[str, str] | None = None) -> None:
        if job_id in self._known:
            return
        self._known.add(job_id)
        await self._queue.put(job_id)

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            try:
                await self._run(job_id)
            finally:
                self._known.discard(job_id)
                self._queue.task_done()

    async def _run(self, job_id: str) -> None:
        service = self.settings.service
        delay = 1.0
        for _ in range(service.job_max_retries + 1):
            try:
                result = await run_job(
                    job_id,
                    self.settings,
                    worker=self.worker,
                    # Jobs of this store marked running by this runner's name are its own:
                    # either queued here now, or left by its predecessor, which is gone.
                    stale_after_s=0,
                    heartbeat_s=service.heartbeat_s,
                    store=self.store,
                )
            except JobRetry as exc:
                log.warning("job %s: %s; retrying in %.0f s", job_id, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            except Exception:
                log.exception("job %s: unexpected error", job_id)
                return
            await events.job_finished(self.settings, result)
            return
        log.error("job %s: the store stayed unreachable; it stays queued", job_id)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def ready(self) -> str | None:
        return None if self._tasks else "the job runner is not started"


def describe_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
