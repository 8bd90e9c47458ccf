"""Meeting jobs through a broker: the Celery app of ``minutes worker``, its one task, and
``CeleryRunner``, the job runner ``minutes serve`` uses when ``MINUTES_BROKER_URL`` is set.

The broker carries only job ids; a job's state lives in the store (``store/jobs.py``), so a
message delivered twice runs its meeting once, and nothing is kept in a result backend.

Celery is used the way it wants to be used for work that must not be lost:

- ``task_acks_late``: a message is acknowledged after its job ran, not when it was taken;
  a worker that dies mid-job leaves it unacknowledged, and the broker hands it out again.
- ``task_reject_on_worker_lost``: when a pool process dies mid-job (kill -9, OOM killer),
  its message is requeued at once instead of acknowledged as failed.
- ``worker_prefetch_multiplier=1``: a worker holds no more messages than it has free slots,
  so a backlog is shared fairly among workers and a dead worker strands no prefetched jobs.
- Redis: ``visibility_timeout`` (``service.visibility_timeout_s``) longer than any meeting;
  an unacknowledged message of a worker that vanished goes back to the queue after it.
  RabbitMQ requeues as soon as the dead worker's connection closes.
- ``JobRetry`` (the store is unreachable): retried with exponential backoff and jitter, at
  most ``service.job_max_retries`` times; the job stays queued in the store meanwhile.

The pool is prefork: each job runs in a child process that the worker's main process watches.
A child killed mid-job is noticed by the main process (``WorkerLostError``) and, with
``reject_on_worker_lost``, its message goes straight back to the broker; a new child replaces
it. A worker killed whole (its main process and children, as when a machine dies) is
recovered by the broker (connection closed, or the visibility timeout). Either way the job's
row says ``running`` with a heartbeat that stops: a redelivered message whose job is owned by
a worker heard from within ``service.job_stale_after_s`` is not dropped but checked again
after that time, and then taken over (``claim_job``). Processes also give real parallelism to
the CPU parts of a run (parsing, chunking, the extractive engine), which threads would not.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from celery import Celery, Task  # type: ignore[import-untyped]

from minutes.config import Settings
from minutes.errors import StoreError
from minutes.runs.job import JobResult, JobRetry, run_job
from minutes.service import events
from minutes.service.runners import describe_worker

if TYPE_CHECKING:
    from minutes.store.db import Store

log = logging.getLogger(__name__)

TASK_NAME = "minutes.run_job"
QUEUE = "minutes.jobs"
#: A task that cannot reach the store waits 1, 2, 4, … s (jittered), at most this long.
RETRY_BACKOFF_MAX_S = 60
#: How long the broker may take to answer ``ready()`` and a publish, in seconds.
BROKER_TIMEOUT_S = 3.0


def _safe_url(url: str) -> str:
    return url.split("@")[-1]


def broker_options(settings: Settings) -> dict[str, Any]:
    """Transport options for the broker in ``settings.broker_url``."""
    url = settings.broker_url or ""
    if url.startswith(("redis://", "rediss://", "redis+socket://")):
        visibility = settings.service.visibility_timeout_s
        return {
            "visibility_timeout": visibility,
            # Unacknowledged messages of a vanished worker are looked for this often (kombu's
            # default sweep is ~100 s, far longer than a short visibility timeout).
            "unacked_restore_interval": max(1, min(10, visibility // 4)),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": BROKER_TIMEOUT_S,
            "socket_timeout": 30,
            "retry_on_timeout": True,
        }
    return {}


def make_celery(settings: Settings) -> Celery:
    """The Celery app of these settings, with its task registered."""
    if not settings.broker_url:
        raise ValueError("make_celery needs settings.broker_url")
    service = settings.service
    app = Celery("minutes", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=broker_options(settings),
        broker_connection_timeout=BROKER_TIMEOUT_S,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits out a broker restart
        worker_concurrency=service.worker_concurrency,
        worker_send_task_events=False,
        task_send_sent_event=False,
        # A job's own limits are its budget and the gateway's timeouts; a broker-side time
        # limit would kill work already paid for.
        task_time_limit=None,
    )

    @app.task(
        name=TASK_NAME,
        bind=True,
        autoretry_for=(JobRetry,),
        retry_backoff=True,
        retry_backoff_max=RETRY_BACKOFF_MAX_S,
        retry_jitter=True,
        max_retries=service.job_max_retries,
        acks_late=True,
        reject_on_worker_lost=True,
    )
    def run_job_task(self: Task, job_id: str) -> str:
        result = asyncio.run(_run(job_id, settings))
        if result.status == "skipped" and _still_active(job_id, settings):
            # Another worker holds it and was heard from lately (or this is a redelivery of
            # a message whose worker just died): look again once that worker could be
            # called lost. A fresh message, so these checks do not use up the retries.
            wait = service.job_stale_after_s + service.heartbeat_s
            log.info("job %s is held by a live worker; checking again in %.0f s", job_id, wait)
            self.apply_async(args=(job_id,), countdown=wait)
        return result.status

    app.conf.minutes_settings = settings
    return app


async def _run(job_id: str, settings: Settings) -> JobResult:
    service = settings.service
    try:
        store = await asyncio.to_thread(_process_store, settings.database_url)
    except StoreError as exc:
        raise JobRetry(str(exc)) from exc
    result = await run_job(
        job_id,
        settings,
        worker=describe_worker(),
        stale_after_s=service.job_stale_after_s,
        heartbeat_s=service.heartbeat_s,
        store=store,
    )
    await events.job_finished(settings, result)
    return result


#: The store of this pool process, by database URL, opened at its first job and kept: a
#: store per job cost an engine, new PostgreSQL connections (a backend each) and a schema
#: check, about a third of a worker's CPU under load. Keyed by process id too, since a pool
#: process must not use connections it inherited through a fork.
_stores: dict[tuple[int, str | None], Store] = {}
_stores_lock = threading.Lock()


def _process_store(url: str | None) -> Store:
    from minutes.store.db import open_store

    key = (os.getpid(), url)
    with _stores_lock:
        if key not in _stores:
            _stores[key] = open_store(url)
        return _stores[key]


def _still_active(job_id: str, settings: Settings) -> bool:
    """Whether the job is queued or running; ``JobRetry`` when the store cannot say."""
    from minutes.store.jobs import ACTIVE
    from minutes.store.models import Job

    try:
        store = _process_store(settings.database_url)
        with store.read() as session:
            job = session.get(Job, job_id)
            return job is not None and job.status in ACTIVE
    except StoreError as exc:
        raise JobRetry(str(exc)) from exc


class CeleryRunner:
    """The job runner of a ``minutes serve`` with a broker: a job is a message to workers.

    ``submit`` publishes from a thread (kombu blocks). A job the broker did not take (it is
    down) is kept and sent again in the background until it is: its row is already queued
    in the store, and a second request for the same content answers with that job rather
    than submitting it again.
    """

    kind = "celery"

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        self.settings = settings
        self.app = app or make_celery(settings)
        self._unsent: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._resender: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        # When this process last sent each job (monotonic s): a job is sent again only after
        # ``requeue_after_s`` more, however often the sweep runs.
        self._sent_at: dict[str, float] = {}

    async def start(self) -> None:
        self._resender = asyncio.create_task(self._resend(), name="celery-resend")
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="celery-sweep")

    async def stop(self) -> None:
        for task in (self._resender, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._resender = self._sweeper = None
        if self._unsent:
            log.warning(
                "%d job(s) stay queued in the store, never sent to the broker: %s",
                len(self._unsent),
                ", ".join(sorted(self._unsent)),
            )
        await asyncio.to_thread(self.app.close)

    async def submit(self, job_id: str, trace: dict[str, str] | None = None) -> None:
        try:
            await asyncio.to_thread(self._send, job_id, trace or {})
        except Exception as exc:
            log.warning("job %s not sent to the broker (%s); sending it again later", job_id, exc)
            with self._lock:
                self._unsent[job_id] = trace or {}

    async def sweep(self) -> list[str]:
        """Send again the jobs no worker has (``store.jobs.stranded_jobs``): a message lost
        with a broker that restarted empty, or whose retries ran out while the store was
        down, leaves its job queued in the store with nothing in the broker to run it."""
        from minutes.store.jobs import stranded_jobs
        from minutes.units import utcnow_naive

        service = self.settings.service
        now = utcnow_naive()
        after = dt.timedelta(seconds=service.requeue_after_s)
        ids = await asyncio.to_thread(
            self._read, stranded_jobs, queued_before=now - after, silent_since=now - after
        )
        clock = time.monotonic()
        for job_id, at in list(self._sent_at.items()):  # forget what no longer matters
            if clock - at >= service.requeue_after_s:
                del self._sent_at[job_id]
        due = [j for j in ids if clock - self._sent_at.get(j, -math.inf) >= service.requeue_after_s]
        sent = []
        for job_id in due:
            try:
                await asyncio.to_thread(self._send, job_id, {})
            except Exception as exc:
                log.warning("sweep: the broker did not take job %s (%s)", job_id, exc)
                break
            sent.append(job_id)
        if sent:
            log.warning("sweep: %d stranded job(s) sent again: %s", len(sent), ", ".join(sent))
        return sent

    def _read(self, query: Any, **kwargs: Any) -> Any:
        from minutes.store.db import open_store

        store = open_store(self.settings.database_url)
        try:
            with store.read() as session:
                return query(session, **kwargs)
        finally:
            store.close()

    async def _sweep_forever(self) -> None:
        # A tenth of the requeue delay between looks, at most a minute.
        interval = min(60.0, self.settings.service.requeue_after_s / 10)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception as exc:  # the store is away: look again next time
                log.warning("sweep skipped: %s", exc)

    def _send(self, job_id: str, trace: dict[str, str]) -> None:
        self.app.send_task(
            TASK_NAME,
            args=(job_id,),
            headers=dict(trace),
            queue=QUEUE,
            retry=True,
            retry_policy={
                "max_retries": 2,
                "interval_start": 0.2,
                "interval_step": 0.5,
                "interval_max": 1.0,
            },
        )
        self._sent_at[job_id] = time.monotonic()

    async def _resend(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            with self._lock:
                waiting = list(self._unsent.items())
            for job_id, trace in waiting:
                try:
                    await asyncio.to_thread(self._send, job_id, trace)
                except Exception:
                    break  # the broker is still away: try them all again later
                with self._lock:
                    self._unsent.pop(job_id, None)
                log.info("job %s sent to the broker", job_id)

    @property
    def unsent(self) -> int:
        with self._lock:
            return len(self._unsent)

    async def ready(self) -> str | None:
        try:
            await asyncio.wait_for(asyncio.to_thread(self._ping), BROKER_TIMEOUT_S + 1)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            url = _safe_url(self.settings.broker_url or "")
            return f"broker {url} unreachable: {reason}"
        return None

    def _ping(self) -> None:
        with self.app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_S)
            # Redis connects lazily: ask the server something.
            client = getattr(conn.default_channel, "client", None)
            if client is not None and hasattr(client, "ping"):
                client.ping()


def worker_hostname() -> str:
    """Celery's node name for this worker process, unique per process."""
    return f"minutes-{os.getpid()}@{socket.gethostname()}"


#: Imported by the main process before the pool forks: the children share those pages, and a
#: child's first job does not spend seconds importing the gateway and the provider SDKs.
PRELOAD = (
    "minutes.runs.stored",
    "minutes.runs.job",
    "minutes.llm.gateway",
    "minutes.llm.providers.chat",
    "minutes.llm.providers.local",
    "minutes.store.meetings",
    "minutes.store.search_index",
    "minutes.store.ledger",
    "alembic.command",
    "alembic.runtime.migration",
    "sqlalchemy.dialects.postgresql.psycopg",
    "openai.resources.chat.completions",
    "langchain_openai",
    "langchain_anthropic",
    "langchain_deepseek",
    "langchain_ollama",
)


def _preload() -> None:
    """Load before the fork what every job loads: the modules above, the migrations' head,
    the token table, whether llama.cpp imports, and the TLS context. Then freeze what the
    main process holds out of the collector's sight, so that a child's collections do not
    write to (and so copy) every inherited page: without this each pool process grew by
    about 110 MB over its first jobs."""
    import gc
    import importlib

    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError:  # an optional provider that is not installed
            log.debug("not preloaded: %s", module)
    from minutes.llm.providers.local import local_available
    from minutes.llm.providers.tls import tls_context
    from minutes.store.db import head_revision
    from minutes.tokens import count_tokens

    head_revision()
    count_tokens("warm")
    local_available(None)
    tls_context()
    gc.collect()
    gc.freeze()


def run_worker(settings: Settings, concurrency: int | None = None) -> None:
    """Run a Celery worker for these settings until it is stopped (prefork pool)."""
    _preload()
    from minutes.service import tracing

    # Before the pool forks: the children inherit the observers (and the SDK's span processor
    # restarts its thread in each of them).
    tracing.setup(settings)
    app = make_celery(settings)
    argv = [
        "worker",
        f"--hostname={worker_hostname()}",
        "--pool=prefork",
        f"--concurrency={concurrency or settings.service.worker_concurrency}",
        f"--queues={QUEUE}",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    log.info("worker on %s", _safe_url(settings.broker_url or ""))
    app.worker_main(argv)
