"""Calls parked for a provider Batch API, and the journal that lets a later process resume.

``Batched`` is a gateway layer (inside Retrying and Breaking): a call to a model whose
provider has a Batch API is not sent; it is given a ``custom_id`` and waits. ``BatchQueue``
gathers the waiting calls of every meeting of a run, and when all of them wait (the run has
settled), submits them as one batch per model, polls, ingests the results (priced at the
registry's batch discount, one ledger row each) and wakes the calls up, which then go on
through the pipeline as if a live call had answered: the same prompt rendering and result
parsing serve both modes. The pipeline's next stage then settles and is submitted in turn.

A ``custom_id`` is a digest of the run, the meeting, the request's content and how many
identical requests of that meeting came before. A pipeline that is run again from the start
(``minutes batch collect`` in a new process) therefore asks for the same ids in the same
order, and each is answered from the store when its result is in, waits on its batch when it
was submitted, and only a request never seen before is queued: nothing is sent or paid twice.

A job is recorded (``submitting``) before it is sent and gets its provider batch id once the
provider accepted it. A process that died in between leaves a job without an id; the next
``collect`` asks the provider for the batch sent with that job's metadata (see
``BatchAPI.find``) and adopts it, and only when the provider holds none do its requests fail
unbilled and get asked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal

from minutes.errors import MinutesError, ProviderUnavailable, RateLimited
from minutes.llm.batch.api import (
    BatchAPI,
    BatchItem,
    Found,
    Lookup,
    batch_api,
    has_batch_api,
    rebuild_error,
    request_params,
)
from minutes.llm.calls import CallFn, ModelCall, ModelReply, Usage, attach_records
from minutes.llm.cost import price
from minutes.llm.registry import Registry
from minutes.store import batches as repo
from minutes.store.db import Store
from minutes.units import from_micros, to_micros

log = logging.getLogger(__name__)

# How long before the job's own record a batch sent for it may be stamped by the provider:
# clocks differ; the listing is read back this far.
_CLOCK_SKEW = dt.timedelta(minutes=10)

ApiFactory = Callable[..., BatchAPI]


@dataclass
class _Queued:
    custom_id: str
    call: ModelCall


class BatchQueue:
    """The batch side of one run: parked calls, their journal in the store, submit and collect.

    ``settle_s``: how long every in-flight gateway call must have been parked, with nothing
    new queued, before the run counts as settled (the next stage is then submitted).
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        registry: Registry,
        *,
        timeout: float = 60.0,
        settle_s: float = 0.3,
        api: ApiFactory = batch_api,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.registry = registry
        self.timeout = timeout
        self.settle_s = settle_s
        self._api = api
        self._known: dict[str, repo.RequestState] = {}
        self._queued: dict[str, _Queued] = {}
        self._waiting: dict[str, asyncio.Future[repo.RequestState]] = {}
        self._occurrences: Counter[tuple[str | None, str]] = Counter()
        self._active = 0  # gateway calls in progress
        self._changes = 0  # bumped whenever the picture changes
        self.round = 0
        self.submitted_jobs: list[str] = []

    # -- the gateway side ------------------------------------------------------------------

    def layer(self, live: CallFn) -> CallFn:
        return Batched(live, self)

    @contextlib.asynccontextmanager
    async def tracking(self) -> AsyncIterator[None]:
        """Counts a gateway call as in progress (the gateway wraps each call in it)."""
        self._active += 1
        self._changes += 1
        try:
            yield
        finally:
            self._active -= 1
            self._changes += 1

    def custom_id(self, call: ModelCall) -> str:
        content = json.dumps(
            [call.entry.name, request_params(call)], sort_keys=True, separators=(",", ":")
        )
        digest = hashlib.sha256(content.encode()).hexdigest()
        key = (call.request.meeting_id, digest)
        n = self._occurrences[key]
        self._occurrences[key] += 1
        seed = f"{self.run_id}|{call.request.meeting_id}|{digest}|{n}"
        return "m" + hashlib.sha256(seed.encode()).hexdigest()[:40]

    async def request(self, call: ModelCall) -> ModelReply:
        custom_id = self.custom_id(call)
        state = self._known.get(custom_id)
        if state is None or state.status == "submitted":
            if state is None:
                self._queued[custom_id] = _Queued(custom_id, call)
            future = self._waiting.get(custom_id)
            if future is None:
                future = asyncio.get_running_loop().create_future()
                self._waiting[custom_id] = future
            self._changes += 1
            state = await future
        return self._answer(call, state)

    def _answer(self, call: ModelCall, state: repo.RequestState) -> ModelReply:
        entry = call.entry
        ok = state.status == "succeeded"
        cost = from_micros(state.cost_micros)
        # The row at the batch price and with the provider's counts; the ledger layer above
        # records it.
        record = call.attempt_record(
            input_tokens=state.input_tokens,
            output_tokens=state.output_tokens,
            cached_tokens=state.cached_tokens,
            cache_write_tokens=state.cache_write_tokens,
            cost_usd=cost,
            outcome="ok" if ok else state.error_type or "ProviderError",
        )
        if not ok:
            error = rebuild_error(state.error_type, state.error or "batch request failed", entry)
            attach_records(error, (record,))
            raise error
        usage = Usage(
            state.input_tokens, state.output_tokens, state.cached_tokens, state.cache_write_tokens
        )
        return ModelReply(
            state.result_text or "",
            usage,
            cost,
            0.0,
            model=entry.name,
            provider=entry.provider,
            records=(record,),
        )

    # -- the run side ----------------------------------------------------------------------

    async def load(self) -> None:
        """Read what the store knows of this run's requests (a resumed run starts here)."""
        self._known = await asyncio.to_thread(self._read_states)
        # Rounds go on from the last one submitted, so that a resumed run's next batch is not
        # shown as round 1 again.
        self.round = await asyncio.to_thread(self._last_round)

    def _last_round(self) -> int:
        with self.store.read() as session:
            return max((j.round for j in repo.load_run(session, self.run_id).jobs), default=0)

    def _read_states(self) -> dict[str, repo.RequestState]:
        with self.store.read() as session:
            return repo.request_states(session, self.run_id)

    @property
    def queued(self) -> int:
        return len(self._queued)

    @property
    def parked(self) -> int:
        return sum(1 for f in self._waiting.values() if not f.done())

    async def settle(self, tasks: list[asyncio.Task[object]]) -> None:
        """Return when every task is done, or every gateway call in progress has been waiting
        on a batch for ``settle_s`` with nothing changing."""
        while True:
            before = self._changes
            await asyncio.sleep(self.settle_s)
            if all(t.done() for t in tasks):
                return
            if self._changes == before and self._active > 0 and self._active <= self.parked:
                return

    async def submit(self) -> list[str]:
        """Send the queued requests, one batch per model; returns the new jobs' ids."""
        if not self._queued:
            return []
        self.round += 1
        by_model: dict[str, list[_Queued]] = defaultdict(list)
        for q in self._queued.values():
            by_model[q.call.entry.name].append(q)
        self._queued = {}
        jobs = []
        for model, items in by_model.items():
            jobs.append(await self._submit_job(model, items))
        self.submitted_jobs += jobs
        return jobs

    async def _submit_job(self, model: str, items: list[_Queued]) -> str:
        entry = self.registry[model]
        job_id = uuid.uuid4().hex
        new = [
            repo.NewRequest(
                custom_id=q.custom_id,
                meeting_id=q.call.request.meeting_id,
                stage=q.call.request.task,
                chunk=q.call.request.chunk,
                prompt_name=q.call.request.prompt_name,
                prompt_version=q.call.request.prompt_version,
                model=model,
                params=request_params(q.call),
            )
            for q in items
        ]

        def record() -> None:
            with self.store.transaction() as session:
                repo.add_job(session, self.run_id, job_id, entry.provider, model, self.round, new)

        await asyncio.to_thread(record)
        for r in new:
            self._known[r.custom_id] = repo.RequestState(
                custom_id=r.custom_id, model=model, status="submitted", job_id=job_id
            )
        api = self._api(entry, timeout=self.timeout)
        try:
            sent = await api.submit(
                [BatchItem(custom_id=r.custom_id, params=r.params) for r in new],
                _metadata(self.run_id, job_id),
            )
        except MinutesError as exc:
            # Nothing was accepted: the requests fail (unbilled) and the calls may retry.
            log.warning("batch for %s could not be submitted: %s", model, exc)
            await asyncio.to_thread(self._end_job, job_id, "failed", str(exc))
            await self._wake(job_id)
            return job_id

        await asyncio.to_thread(self._mark_sent, job_id, sent.batch_id, sent.input_file_id)
        log.info("submitted %d request(s) for %s as %s", len(new), model, sent.batch_id)
        return job_id

    def _end_job(self, job_id: str, status: str, reason: str) -> None:
        with self.store.transaction() as session:
            repo.fail_unanswered(session, self.run_id, job_id, reason)
            repo.set_job(session, job_id, status=status, error=reason, ended_at=_now())

    async def collect(self) -> int:
        """Poll this run's open jobs once; ingest those that ended and wake their calls.
        Returns how many jobs ended."""
        jobs = await asyncio.to_thread(self._open_jobs)
        ended = 0
        for job in jobs:
            if job.provider_batch_id is None:
                # Recorded but never confirmed sent (the process died while submitting): the
                # provider may hold it all the same.
                found = await self._find(job)
                if found.undecided:
                    continue  # a batch that may be it is still running: look again later
                if found.batch_id is None:
                    # Never accepted: its requests fail unbilled, and the pipeline asks again.
                    await asyncio.to_thread(
                        self._end_job, job.id, "failed", "submission interrupted"
                    )
                    await self._wake(job.id)
                    ended += 1
                    continue
                await asyncio.to_thread(
                    self._mark_sent, job.id, found.batch_id, found.input_file_id
                )
                log.info("found batch %s of interrupted job %s", found.batch_id, job.id)
                job = job.model_copy(
                    update={"provider_batch_id": found.batch_id, "status": "in_progress"}
                )
            if await self._collect_job(job):
                ended += 1
        return ended

    async def _find(self, job: repo.JobView) -> Found:
        """The provider's batch for a job whose id was never recorded, if it holds one."""

        def custom_ids() -> frozenset[str]:
            with self.store.read() as session:
                return repo.job_custom_ids(session, self.run_id, job.id)

        lookup = Lookup(
            metadata=_metadata(self.run_id, job.id),
            custom_ids=await asyncio.to_thread(custom_ids),
            sent_after=job.created_at - _CLOCK_SKEW,
        )
        try:
            return await self._api(self.registry[job.model], timeout=self.timeout).find(lookup)
        except (ProviderUnavailable, RateLimited) as exc:
            # Not now: failing the job could send its requests a second time.
            log.warning("cannot look up the batch of job %s yet: %s", job.id, exc)
            return Found(undecided=True)
        except MinutesError as exc:
            # The listing is refused for good (a key without the right, a proxy without
            # the route): as before the lookup existed, the requests are asked again.
            log.warning("cannot look up the batch of job %s (%s); resending", job.id, exc)
            return Found()

    def _mark_sent(self, job_id: str, batch_id: str | None, input_file_id: str | None) -> None:
        """The provider holds the job's batch: submitted now, or found again after a crash."""
        with self.store.transaction() as session:
            repo.set_job(
                session,
                job_id,
                status="in_progress",
                provider_batch_id=batch_id,
                input_file_id=input_file_id,
            )

    def _open_jobs(self) -> list[repo.JobView]:
        with self.store.read() as session:
            return repo.open_jobs(session, self.run_id)

    async def _collect_job(self, job: repo.JobView) -> bool:
        entry = self.registry[job.model]
        api = self._api(entry, timeout=self.timeout)
        assert job.provider_batch_id is not None
        status = await api.status(job.provider_batch_id)
        if not status.finished:
            return False
        results = await api.results(job.provider_batch_id) if status.state != "failed" else []
        priced = [
            repo.Ingested(
                custom_id=r.custom_id,
                ok=r.ok,
                text=r.text,
                input_tokens=r.input_tokens,
                output_tokens=r.output_tokens,
                cached_tokens=r.cached_tokens,
                cache_write_tokens=r.cache_write_tokens,
                cost_micros=to_micros(price(entry, r.usage, batch=True)) if r.ok else 0,
                error_type=r.error_type,
                error=r.error,
            )
            for r in results
        ]

        def record() -> int:
            with self.store.transaction() as session:
                new = repo.ingest(session, self.run_id, job, priced)
                repo.fail_unanswered(
                    session, self.run_id, job.id, f"not answered by the batch ({status.state})"
                )
                repo.set_job(
                    session,
                    job.id,
                    status="ended" if status.state == "ended" else status.state,
                    error=status.error,
                    ended_at=_now(),
                )
                return new

        new = await asyncio.to_thread(record)
        log.info("batch %s ended: %d new result(s)", job.provider_batch_id, new)
        await self._wake(job.id)
        return True

    async def _wake(self, job_id: str) -> None:
        """Refresh what the store knows and answer the calls waiting on ``job_id``."""
        self._known = await asyncio.to_thread(self._read_states)
        for custom_id, future in list(self._waiting.items()):
            state = self._known.get(custom_id)
            if state is not None and state.job_id == job_id and state.status != "submitted":
                if not future.done():
                    future.set_result(state)
                del self._waiting[custom_id]
        self._changes += 1

    async def cancel_open(self) -> int:
        """Ask the providers to cancel this run's open jobs; returns how many were asked."""
        jobs = await asyncio.to_thread(self._open_jobs)
        for job in jobs:
            if job.provider_batch_id:
                await self._api(self.registry[job.model], timeout=self.timeout).cancel(
                    job.provider_batch_id
                )
        return len(jobs)

    def spent(self) -> Decimal:
        return sum((from_micros(s.cost_micros) for s in self._known.values()), Decimal(0))


class Batched:
    """Layer: calls to models with a Batch API wait for one; the others run live."""

    def __init__(self, live: CallFn, queue: BatchQueue) -> None:
        self._live = live
        self._queue = queue

    async def __call__(self, call: ModelCall) -> ModelReply:
        if not has_batch_api(call.entry):
            return await self._live(call)
        return await self._queue.request(call)


def _metadata(run_id: str, job_id: str) -> dict[str, str]:
    """Sent with each batch (where the provider keeps metadata) and looked up by ``find``."""
    return {"minutes_run": run_id, "minutes_job": job_id}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
