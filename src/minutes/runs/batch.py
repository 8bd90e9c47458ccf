"""Meetings through the providers' Batch APIs, stage by stage, resumable from any process.

``start_run`` stores the run: each meeting's transcript and options (skipping meetings stored
already with identical content, unless ``force``). ``advance_run`` then runs every pending
meeting's pipeline with a gateway in batch mode (``minutes.llm.batch.queue``): the pipeline
code is the live one, and each of its calls to a batch-capable model waits for a batch. When
all calls wait, the stage is submitted (one batch per model); with ``wait`` the run polls,
ingests, lets the pipelines go on to their next stage, and so on until every meeting is done.
Without ``wait`` it returns after submitting, and a later ``advance_run`` (``minutes batch
collect``, another process, after a restart) picks up where the store says the run is.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from minutes.config import Settings
from minutes.llm.batch.api import batch_api
from minutes.llm.batch.queue import ApiFactory, BatchQueue
from minutes.llm.gateway import Gateway
from minutes.llm.registry import load_registry
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store import batches as repo
from minutes.store.db import Store
from minutes.store.meetings import already_stored, meeting_id_for, save_meeting
from minutes.transcripts import load_transcript
from minutes.transcripts.models import Transcript
from minutes.units import to_micros

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchInput:
    transcript: Transcript
    source_path: Path | None = None


@dataclass(frozen=True)
class Skipped:
    """An input not run: ``meeting_id`` is the stored meeting with its content, or the
    meeting of this run that has the same transcript (given twice)."""

    input: BatchInput
    meeting_id: str
    stored: bool  # True: stored before the run; False: a repeat within the run


def inputs_from_paths(paths: Sequence[Path], options: PipelineOptions) -> list[BatchInput]:
    """Each transcript file, loaded with the run's date and timezone."""
    return [
        BatchInput(load_transcript(p, date=options.meeting_date, timezone=options.timezone), p)
        for p in paths
    ]


def start_run(
    store: Store,
    inputs: Sequence[BatchInput],
    options: PipelineOptions,
    *,
    force: bool = False,
) -> tuple[str, list[Skipped]]:
    """Store a new run of ``inputs``; returns its id and the inputs skipped (stored already,
    or repeated), each with the meeting that stands for it, so that its document can still
    be written."""
    run_id = uuid.uuid4().hex
    stored = [None if force else already_stored(store, i.transcript) for i in inputs]
    skipped: list[Skipped] = []
    meetings = []
    seen: set[str] = set()
    with store.transaction() as session:
        for item, stored_id in zip(inputs, stored, strict=True):
            if stored_id is not None:
                skipped.append(Skipped(item, stored_id, stored=True))
                continue
            meeting_id = meeting_id_for(session, item.transcript)
            if meeting_id in seen:  # the same transcript twice in one run
                skipped.append(Skipped(item, meeting_id, stored=False))
                continue
            seen.add(meeting_id)
            opts = options.model_copy(update={"meeting_id": meeting_id})
            meetings.append(
                (
                    meeting_id,
                    str(item.source_path) if item.source_path else None,
                    item.transcript.model_dump(mode="json"),
                    opts.model_dump(mode="json"),
                )
            )
        repo.create_run(session, run_id, options.model_dump(mode="json"), meetings)
    return run_id, skipped


async def advance_run(
    settings: Settings,
    store: Store,
    run_id: str,
    *,
    wait: bool = False,
    poll_s: float = 30.0,
    settle_s: float = 0.3,
    api: ApiFactory = batch_api,
    on_event: Callable[[str], None] | None = None,
) -> repo.RunView:
    """Move the run as far as it goes now (``wait``: to the end); returns its state."""
    say = on_event or (lambda _m: None)
    registry = load_registry(settings.models_file, settings.models)
    queue = BatchQueue(
        store,
        run_id,
        registry,
        timeout=settings.resilience.timeout_s,
        settle_s=settle_s,
        api=api,
    )
    await queue.load()
    view = await asyncio.to_thread(_load, store, run_id)
    if view.status == "done":
        return view
    ended = await queue.collect()  # results that came in while no process was watching
    if ended:
        say(f"{ended} batch(es) ended since the last look")
    gateway = Gateway(settings, registry, store=store, batch=queue)
    tasks: dict[str, asyncio.Task[MeetingNotes]] = {}
    sources: dict[str, repo.MeetingView] = {}
    for m in view.meetings:
        if m.status != "pending":
            continue
        transcript = Transcript.model_validate(m.transcript)
        options = PipelineOptions.model_validate(m.options)
        sources[m.meeting_id] = m
        tasks[m.meeting_id] = asyncio.create_task(
            run_pipeline(transcript, options=options, gateway=gateway)
        )
    saved: set[str] = set()
    try:
        while True:
            await queue.settle(list(tasks.values()))
            await _save_finished(store, run_id, tasks, sources, saved, say)
            if all(t.done() for t in tasks.values()):
                await asyncio.to_thread(_finish, store, run_id)
                say("every meeting of the run is done")
                break
            jobs = await queue.submit()
            if jobs:
                say(f"round {queue.round}: submitted {len(jobs)} batch(es)")
            if not wait:
                break
            while True:  # poll until one of the run's batches has ended
                if await queue.collect():
                    break
                await asyncio.sleep(poll_s)
    finally:
        for t in tasks.values():
            t.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        await asyncio.to_thread(gateway.close)
    return await asyncio.to_thread(_load, store, run_id)


async def _save_finished(
    store: Store,
    run_id: str,
    tasks: dict[str, asyncio.Task[MeetingNotes]],
    sources: dict[str, repo.MeetingView],
    saved: set[str],
    say: Callable[[str], None],
) -> None:
    for meeting_id, task in tasks.items():
        if meeting_id in saved or not task.done():
            continue
        saved.add(meeting_id)
        source = sources[meeting_id]
        exc = task.exception()
        if exc is not None:
            log.error("meeting %s failed: %s", meeting_id, exc)
            say(f"{source.source_path or meeting_id}: failed: {exc}")
            await asyncio.to_thread(_fail_meeting, store, run_id, meeting_id, str(exc))
            continue
        notes = task.result()
        await asyncio.to_thread(_save, store, run_id, source, notes)
        say(f"{source.source_path or meeting_id}: done")


def _save(store: Store, run_id: str, source: repo.MeetingView, notes: MeetingNotes) -> None:
    transcript = Transcript.model_validate(source.transcript)
    with store.transaction() as session:
        save_meeting(
            session,
            transcript,
            notes,
            meeting_id=source.meeting_id,
            source_path=source.source_path,
        )
        repo.finish_meeting(
            session,
            run_id,
            source.meeting_id,
            status="done",
            cost_micros=to_micros(notes.cost_usd),
        )


def _fail_meeting(store: Store, run_id: str, meeting_id: str, error: str) -> None:
    with store.transaction() as session:
        repo.finish_meeting(session, run_id, meeting_id, status="failed", error=error)


def _finish(store: Store, run_id: str) -> None:
    with store.transaction() as session:
        repo.finish_run(session, run_id)


def _load(store: Store, run_id: str) -> repo.RunView:
    with store.read() as session:
        return repo.load_run(session, run_id)


async def cancel_run(settings: Settings, store: Store, run_id: str) -> int:
    """Ask the providers to cancel the run's open batches; returns how many."""
    registry = load_registry(settings.models_file, settings.models)
    queue = BatchQueue(store, run_id, registry, timeout=settings.resilience.timeout_s)
    return await queue.cancel_open()
