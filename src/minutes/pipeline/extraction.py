"""Action items and decisions: extracted per chunk, concurrently, then grounded, merged and
deduplicated; relative due dates resolved against the meeting's date.

A chunk whose calls all fail is covered by the extractive engine for that chunk alone (the
stage is then marked degraded); when every chunk fails the whole stage falls back. With one
pass per chunk (``one_pass``) the items come from the run's shared ``chunk_notes`` calls and
go through the same grounding, merging and fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from minutes.extractive import action_items_with_detector, decisions_with_detector
from minutes.items.dates import resolve_due_date
from minutes.items.dedupe import dedupe_action_items, dedupe_decisions
from minutes.items.grounding import ground_items
from minutes.llm.calls import LLMRequest
from minutes.llm.coalesce import map_items
from minutes.notes import ActionItem, Decision
from minutes.pipeline.citations import cited_source, match_participant
from minutes.pipeline.context import RunContext, StageTally, falls_back
from minutes.pipeline.one_pass import ChunkPass
from minutes.pipeline.schemas import (
    ActionPriority,
    ExtractedAction,
    ExtractedActions,
    ExtractedDecision,
    ExtractedDecisions,
)
from minutes.transcripts.chunking import Chunk
from minutes.transcripts.models import Transcript

T = TypeVar("T")


async def _per_chunk(
    ctx: RunContext,
    tally: StageTally,
    chunks: list[Chunk],
    one: Callable[[Chunk], Awaitable[list[T]]],
    fallback: Callable[[Transcript], list[T]],
) -> list[T]:
    results = await asyncio.gather(*(one(c) for c in chunks), return_exceptions=True)
    return merge_chunks(ctx, tally, chunks, results, fallback)


def merge_chunks(
    ctx: RunContext,
    tally: StageTally,
    chunks: list[Chunk],
    results: Sequence[list[T] | BaseException],
    fallback: Callable[[Transcript], list[T]],
) -> list[T]:
    """The chunks' items in order, a failed chunk's from ``fallback`` over that chunk alone
    (noted in ``tally``); raises when every chunk failed, or on an error that must not fall
    back."""
    failed = [(c, r) for c, r in zip(chunks, results, strict=True) if isinstance(r, BaseException)]
    for _, r in failed:
        if not falls_back(r):
            raise r  # a bug, bad settings or a budget the user stops on: don't hide it
    if failed and len(failed) == len(chunks):
        raise failed[0][1]
    items: list[T] = []
    for c, result in zip(chunks, results, strict=True):
        if isinstance(result, BaseException):
            tally.failures.append(f"chunk {c.index}: {type(result).__name__}: {result}")
            part = ctx.transcript.model_copy(update={"segments": c.segments})
            items.extend(fallback(part))
        else:
            items.extend(result)
    return items


async def action_items(
    ctx: RunContext, tally: StageTally, chunks: list[Chunk], one_pass: ChunkPass | None = None
) -> list[ActionItem]:
    """The meeting's action items, from the stage's own prompt per chunk, or from the run's
    one-pass calls when ``one_pass`` is given."""
    participants = ctx.transcript.participants
    date = ctx.meeting_date_for_dates

    unranked: set[tuple[str, str | None]] = set()  # items the model gave no priority

    def convert(extracted: list[ExtractedAction]) -> list[ActionItem]:
        items = []
        for a in extracted:
            if not (a.task and a.task.strip()):
                continue
            item = ActionItem(
                task=a.task.strip(),
                assignee=match_participant(a.assignee, participants),
                due_text=a.due,
                due_date=resolve_due_date(a.due, date, ctx.options.timezone) if a.due else None,
                priority=a.priority or "normal",
                context=a.context,
                sources=cited_source(ctx.transcript, a),
            )
            if a.priority is None:
                unranked.add((item.task, item.assignee))
            items.append(item)
        return items

    def fallback(part: Transcript) -> list[ActionItem]:
        return action_items_with_detector(part, meeting_date=date, timezone=ctx.options.timezone)

    if one_pass is not None:
        results = await one_pass.per_chunk(tally, lambda n: convert(n.items), usage=False)
        items = merge_chunks(ctx, tally, chunks, results, fallback)
    else:
        prompt = ctx.prompt("action_item_extraction")

        async def one(chunk: Chunk) -> list[ActionItem]:
            out = await ctx.structured(
                tally,
                prompt,
                ExtractedActions,
                {
                    "title": ctx.title,
                    "meeting_date": date.isoformat(),
                    "participants": ctx.participants,
                    "chunk": chunk.text(),
                },
                chunk=chunk.index,
            )
            return convert(out.items)

        items = await _per_chunk(ctx, tally, chunks, one, fallback)
    merged = dedupe_action_items(ground_items(ctx.transcript, items))
    return await _classify_priorities(
        ctx, tally, merged, [i for i, a in enumerate(merged) if (a.task, a.assignee) in unranked]
    )


async def _classify_priorities(
    ctx: RunContext, tally: StageTally, items: list[ActionItem], which: list[int]
) -> list[ActionItem]:
    """Priorities for the items the extraction left without one: small independent calls of
    one prompt, so coalesced (many items per request). An item that gets no valid answer
    keeps "normal" and the stage notes why."""
    if not which or not ctx.options.classify_action_priorities:
        return items
    prompt = ctx.prompt("action_item_priority")

    def request_for(group: list[tuple[int, str]]) -> LLMRequest:
        listed = "\n".join(f"id {i}: {text}" for i, text in group)
        return ctx.request(prompt, {"title": ctx.title, "items": listed}, max_tokens=400)

    texts = [f"{items[i].task} ({items[i].assignee or 'unassigned'})" for i in which]
    outcome = await map_items(ctx.gateway, texts, request_for, ActionPriority)
    tally.use(prompt)
    for result in outcome.results:
        tally.add(result)
    out = list(items)
    for pos, answer in zip(which, outcome.items, strict=True):
        if answer.value is not None:
            out[pos] = out[pos].model_copy(update={"priority": answer.value.priority})
        else:
            tally.failures.append(f"priority of {out[pos].task!r}: {answer.error}")
    return out


async def decisions(
    ctx: RunContext, tally: StageTally, chunks: list[Chunk], one_pass: ChunkPass | None = None
) -> list[Decision]:
    """The meeting's decisions, from the stage's own prompt per chunk, or from the run's
    one-pass calls when ``one_pass`` is given."""
    participants = ctx.transcript.participants

    def convert(extracted: list[ExtractedDecision]) -> list[Decision]:
        return [
            Decision(
                decision=d.decision.strip(),
                rationale=d.rationale,
                alternatives=d.alternatives,
                decided_by=[
                    m for n in d.decided_by if (m := match_participant(n, participants)) is not None
                ],
                sources=cited_source(ctx.transcript, d),
            )
            for d in extracted
            if d.decision and d.decision.strip()
        ]

    if one_pass is not None:
        results = await one_pass.per_chunk(tally, lambda n: convert(n.decisions), usage=False)
        items = merge_chunks(ctx, tally, chunks, results, decisions_with_detector)
    else:
        prompt = ctx.prompt("decision_extraction")

        async def one(chunk: Chunk) -> list[Decision]:
            out = await ctx.structured(
                tally,
                prompt,
                ExtractedDecisions,
                {"title": ctx.title, "participants": ctx.participants, "chunk": chunk.text()},
                chunk=chunk.index,
            )
            return convert(out.decisions)

        items = await _per_chunk(ctx, tally, chunks, one, decisions_with_detector)
    return dedupe_decisions(ground_items(ctx.transcript, items))
