"""One ``minutes summarize`` with the store: the ledger records every attempt, the caches
answer what they can, and the meeting is saved in one transaction when the run is done.

The meeting id is settled before the run (the stored meeting with the same transcript, else a
new id) so that every ledger row of the run carries it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import BaseModel

from minutes.config import Settings
from minutes.llm.calls import AttemptRecord, Recorder
from minutes.llm.gateway import Gateway
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store.db import Store, open_store
from minutes.store.ledger import LedgerRecorder
from minutes.store.meetings import meeting_id_for, save_meeting
from minutes.store.models import Meeting
from minutes.transcripts.models import Transcript


class Tally:
    """A recorder that counts attempts by cache kind on their way to another recorder."""

    def __init__(self, inner: Recorder) -> None:
        self.inner = inner
        self.by_cache: Counter[str] = Counter()
        self.cost = Decimal(0)

    def record(self, attempt: AttemptRecord) -> None:
        self.by_cache[attempt.cache] += 1
        self.cost += attempt.cost_usd
        self.inner.record(attempt)

    @property
    def cache_hits(self) -> int:
        return self.by_cache["exact"] + self.by_cache["semantic"]


class StoredRun:
    def __init__(
        self,
        settings: Settings,
        transcript: Transcript,
        *,
        store_meeting: bool = True,
        use_cache: bool = True,
    ) -> None:
        if not use_cache:
            settings = settings.without_cache()
        self.settings = settings
        self.transcript = transcript
        self.store_meeting = store_meeting
        self.store: Store = open_store(settings.database_url)
        with self.store.read() as session:
            candidate = meeting_id_for(session, transcript)
            stored = session.get(Meeting, candidate) is not None
        # The rows of an unsaved run link to the meeting only when it is stored already.
        self.meeting_id: str | None = candidate if store_meeting or stored else None
        self.ledger = LedgerRecorder(self.store)
        self.tally = Tally(self.ledger)
        self.gateway = Gateway(settings, recorder=self.tally, store=self.store)

    def save(self, notes: MeetingNotes, *, source_path: Path | str | None = None) -> str | None:
        """Store the meeting and its notes (one transaction); None with ``store_meeting`` off."""
        if not self.store_meeting:
            return None
        with self.store.transaction() as session:
            return save_meeting(
                session,
                self.transcript,
                notes,
                meeting_id=self.meeting_id,
                source_path=source_path,
            )

    def close(self) -> None:
        self.ledger.close()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class StoredOutcome(BaseModel):
    """What one stored run came to: the notes, where they were stored, what it called."""

    notes: MeetingNotes
    meeting_id: str | None
    llm_calls: int
    cache_hits: int

    @property
    def tokens(self) -> int:
        return sum(p.input_tokens + p.output_tokens for p in self.notes.provenance)


async def run_stored(
    transcript: Transcript,
    options: PipelineOptions,
    settings: Settings,
    *,
    store_meeting: bool = True,
    use_cache: bool = True,
    source_path: Path | str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> StoredOutcome:
    """One meeting through the pipeline with the store: ledger, caches, and the meeting saved
    in one transaction at the end (unless ``store_meeting`` is off)."""
    run = StoredRun(settings, transcript, store_meeting=store_meeting, use_cache=use_cache)
    try:
        options = options.model_copy(update={"meeting_id": run.meeting_id})
        notes = await run_pipeline(
            transcript, options=options, gateway=run.gateway, on_progress=on_progress
        )
        meeting_id = await asyncio.to_thread(run.save, notes, source_path=source_path)
    finally:
        # Draining the ledger blocks: off the event loop, so a service's other runs go on.
        await asyncio.to_thread(run.close)
    return StoredOutcome(
        notes=notes,
        meeting_id=meeting_id,
        llm_calls=run.tally.by_cache["none"],
        cache_hits=run.tally.cache_hits,
    )
