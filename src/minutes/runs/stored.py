"""One ``minutes summarize`` with the store: the ledger records every attempt, the caches
answer what they can, and the meeting is saved in one transaction when the run is done.

The meeting id is settled before the run (the stored meeting with the same transcript, else a
new id) so that every ledger row of the run carries it.

When no LLM will be called (``--engine extractive``, or no chat model is configured or
reachable), the run builds no gateway and, with nothing to store, opens no store: the
extractive engine answers without loading LangChain, SQLAlchemy or an embedding model.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel

from minutes.config import Settings
from minutes.errors import NotesNotSaved, StoreError
from minutes.llm.calls import AttemptRecord, MemoryRecorder, Recorder
from minutes.llm.observe import Observed
from minutes.llm.providers.availability import Availability, any_auto_chat_model
from minutes.llm.registry import load_registry
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import NO_LLM_REASON, extractive_notes, run_pipeline
from minutes.transcripts.models import Transcript

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from minutes.llm.gateway import Gateway
    from minutes.store.db import Store

#: Runs in the save transaction before the meeting is written; raises to refuse the save.
SaveCheck = Callable[["Session"], None]


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
        store: Store | None = None,
    ) -> None:
        """``store``: an open store to use and leave open; without it the run opens the
        configured one and closes it at the end."""
        from minutes.store.db import open_store
        from minutes.store.ledger import LedgerRecorder
        from minutes.store.meetings import meeting_id_for
        from minutes.store.models import Meeting

        if not use_cache:
            settings = settings.without_cache()
        self.settings = settings
        self.transcript = transcript
        self.store_meeting = store_meeting
        self.warnings: list[str] = []
        self.store: Store | None = store
        self._owns_store = store is None
        try:
            if self.store is None:
                self.store = open_store(settings.database_url)
            if store_meeting:
                self.store.check_writable()  # before the work, not after it
        except StoreError as exc:
            if store_meeting:
                if self.store is not None and self._owns_store:
                    self.store.close()
                raise
            # --no-store needs no database: the run goes on without ledger or caches.
            self.store = None
            self.warnings.append(f"no ledger or cache for this run: {exc}")
        self.meeting_id: str | None = None
        if self.store is not None:
            with self.store.read() as session:
                candidate = meeting_id_for(session, transcript, tenant=settings.tenant)
                stored = session.get(Meeting, candidate) is not None
            # The rows of an unsaved run link to the meeting only when it is stored already.
            self.meeting_id = candidate if store_meeting or stored else None
        self.ledger: Recorder = (
            LedgerRecorder(self.store, tenant=settings.tenant)
            if self.store is not None
            else MemoryRecorder()
        )
        # The process's observers (the service's metrics and spans) see every row too.
        self.tally = Tally(Observed(self.ledger, tenant=settings.tenant))
        self._gateway: Gateway | None = None

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            from minutes.llm.gateway import Gateway

            self._gateway = Gateway(self.settings, recorder=self.tally, store=self.store)
        return self._gateway

    def save(
        self,
        notes: MeetingNotes,
        *,
        source_path: Path | str | None = None,
        save_check: SaveCheck | None = None,
    ) -> str | None:
        """Store the meeting and its notes (one transaction); None with ``store_meeting`` off.
        ``save_check`` runs first in that transaction and may refuse the save by raising."""
        if not self.store_meeting or self.store is None:
            return None
        from minutes.store.meetings import save_meeting

        with self.store.transaction() as session:
            if save_check is not None:
                save_check(session)
            return save_meeting(
                session,
                self.transcript,
                notes,
                meeting_id=self.meeting_id,
                source_path=source_path,
                tenant=self.settings.tenant,
            )

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.flush()  # its cache entries, before the store closes
        close = getattr(self.ledger, "close", None)
        if callable(close):
            close()
        if self.store is not None and self._owns_store:
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
    save_check: SaveCheck | None = None,
    store: Store | None = None,
) -> StoredOutcome:
    """One meeting through the pipeline with the store: ledger, caches, and the meeting saved
    in one transaction at the end (unless ``store_meeting`` is off). ``save_check(session)``
    runs first in that transaction: a job checks there that it still owns its run (a
    meeting deleted while its notes were being made must not come back). ``store``: an open
    store to use and leave open (a worker's); by default the configured one, opened and
    closed here."""
    availability = await _llm_availability(options, settings)
    if availability is not None and not any(a.available for a in availability.values()):
        return await _run_extractive(
            transcript, options, settings, store_meeting, source_path, save_check, store
        )
    run = StoredRun(
        settings, transcript, store_meeting=store_meeting, use_cache=use_cache, store=store
    )
    try:
        options = options.model_copy(update={"meeting_id": run.meeting_id})
        notes = await run_pipeline(
            transcript, options=options, gateway=run.gateway, on_progress=on_progress
        )
        if run.warnings:
            notes = notes.model_copy(update={"warnings": [*notes.warnings, *run.warnings]})
        try:
            meeting_id = await asyncio.to_thread(
                run.save, notes, source_path=source_path, save_check=save_check
            )
        except StoreError as exc:
            raise NotesNotSaved(f"the notes could not be saved: {exc}", notes=notes) from exc
    finally:
        # Draining the ledger blocks: off the event loop, so a service's other runs go on.
        await asyncio.to_thread(run.close)
    return StoredOutcome(
        notes=notes,
        meeting_id=meeting_id,
        llm_calls=run.tally.by_cache["none"],
        cache_hits=run.tally.cache_hits,
    )


async def _llm_availability(
    options: PipelineOptions, settings: Settings
) -> dict[str, Availability] | None:
    """For ``--engine auto`` with no model named: whether any model the router may pick can
    answer (a light probe: keys and servers, no SDK). None: the pipeline decides."""
    if options.engine == "extractive":
        return {}
    if options.engine == "llm" or options.model is not None:
        return None
    registry = load_registry(settings.models_file, settings.models)
    resilience = settings.resilience
    return await any_auto_chat_model(
        list(registry.values()),
        probe_timeout=resilience.availability_probe_timeout_s,
        reuse_s=resilience.availability_reuse_s,
    )


async def _run_extractive(
    transcript: Transcript,
    options: PipelineOptions,
    settings: Settings,
    store_meeting: bool,
    source_path: Path | str | None,
    save_check: SaveCheck | None = None,
    store: Store | None = None,
) -> StoredOutcome:
    if store_meeting:
        # before the work, not after it
        await asyncio.to_thread(_check_writable, settings, store)
    reason = None if options.engine == "extractive" else NO_LLM_REASON
    notes = extractive_notes(transcript, options, reason=reason)
    meeting_id = None
    if store_meeting:
        try:
            meeting_id = await asyncio.to_thread(
                _save, settings, transcript, notes, source_path, save_check, store
            )
        except StoreError as exc:
            raise NotesNotSaved(f"the notes could not be saved: {exc}", notes=notes) from exc
    return StoredOutcome(notes=notes, meeting_id=meeting_id, llm_calls=0, cache_hits=0)


def _save(
    settings: Settings,
    transcript: Transcript,
    notes: MeetingNotes,
    source_path: Path | str | None,
    save_check: SaveCheck | None = None,
    store: Store | None = None,
) -> str:
    from minutes.store.meetings import save_meeting

    with _opened(settings, store) as opened, opened.transaction() as session:
        if save_check is not None:
            save_check(session)
        return save_meeting(
            session, transcript, notes, source_path=source_path, tenant=settings.tenant
        )


def _check_writable(settings: Settings, store: Store | None = None) -> None:
    with _opened(settings, store) as opened:
        opened.check_writable()


@contextlib.contextmanager
def _opened(settings: Settings, store: Store | None) -> Iterator[Store]:
    """``store`` as it is, or the configured store opened for the block."""
    if store is not None:
        yield store
        return
    from minutes.store.db import open_store

    opened = open_store(settings.database_url)
    try:
        yield opened
    finally:
        opened.close()
