"""Layers that write the ledger: one row per attempt, whatever answered it.

``Recorded`` sits just above the transport (the scheduled provider call): every attempt that
reaches a provider leaves one row, ok or failed, and the row rides up on the reply (or the
error) so that the layers above account for it without a shared list. (A Batch API answer's
row is written when the batch is ingested; its reply carries that row the same way.)
``RecordedHits`` sits above the caches and writes the row of a cache hit. The recorder
(the ledger) takes rows without blocking; writing them is its business, off the hot path.
"""

from __future__ import annotations

import dataclasses

from minutes.llm.calls import (
    CallFn,
    Clock,
    ModelCall,
    ModelReply,
    Recorder,
    attach_records,
    records_of,
)


class Recorded:
    """Layer: a ledger row for each attempt at the transport below."""

    def __init__(self, inner: CallFn, recorder: Recorder, clock: Clock) -> None:
        self._inner = inner
        self._recorder = recorder
        self._clock = clock

    async def __call__(self, call: ModelCall) -> ModelReply:
        started = self._clock()
        try:
            reply = await self._inner(call)
        except Exception as exc:
            # A cancelled attempt has no outcome to record.
            records = records_of(exc) or (
                call.attempt_record(
                    latency_ms=(self._clock() - started) * 1000, outcome=type(exc).__name__
                ),
            )
            for record in records:
                self._recorder.record(record)
            attach_records(exc, records)
            raise
        records = reply.records or (
            call.attempt_record(
                input_tokens=reply.usage.input,
                output_tokens=reply.usage.output,
                cached_tokens=reply.usage.cached,
                cache_write_tokens=reply.usage.cache_write,
                cost_usd=reply.cost_usd,
                latency_ms=reply.latency_ms,
                outcome="ok",
            ),
        )
        for record in records:
            self._recorder.record(record)
        return dataclasses.replace(
            reply,
            model=reply.model or call.entry.name,
            provider=reply.provider or call.entry.provider,
            records=records,
        )


class RecordedHits:
    """Layer: the ledger row of a reply the caches below answered."""

    def __init__(self, inner: CallFn, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def __call__(self, call: ModelCall) -> ModelReply:
        reply = await self._inner(call)
        if reply.cache != "none":
            for record in reply.records:
                self._recorder.record(record)
        return reply
