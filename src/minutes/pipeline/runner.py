"""One meeting through the stages, as a small async DAG:

    chunks ─┬─ key points (map ─▶ reduce/collapse | refine | stuff) ─┐
            ├─ action items (per chunk ─▶ merge, dedupe, due dates) ─┼─ narrative ─▶ TL;DR
            └─ decisions (per chunk ─▶ merge, dedupe) ───────────────┴─ priority

Independent stages and all per-chunk calls run concurrently under one bound, so a meeting's
wall time approaches its critical path: one map call, one reduce, narrative, TL;DR. Every
stage falls back to the extractive engine on its own when its LLM path fails.

With ``extraction="one-pass"`` the three per-chunk prompts are one (``chunk_notes``): each
chunk is read by a single call whose answer the three stages share (``pipeline.one_pass``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from minutes import extractive
from minutes.errors import ConfigError, MinutesError, NoModelAvailable
from minutes.llm.calls import ChatMessage, LLMRequest
from minutes.llm.client import LLMClient
from minutes.notes import ActionItem, Decision, KeyPoint, MeetingNotes, StageProvenance
from minutes.pipeline import extraction, key_points, summary
from minutes.pipeline.context import RunContext, StageTally, with_fallback
from minutes.pipeline.one_pass import ChunkPass
from minutes.pipeline.options import ONE_PASS_REFINE, PipelineOptions
from minutes.prompts import PromptLibrary, configured_library
from minutes.transcripts.chunking import Chunk, chunk_transcript
from minutes.transcripts.models import Transcript

log = logging.getLogger(__name__)

# Room left in a chunk's model window for the instructions, the schema and the reply.
PROMPT_RESERVE_TOKENS = 2500


def _resolution_date(transcript: Transcript, options: PipelineOptions) -> tuple[dt.date, list[str]]:
    date = options.meeting_date or transcript.date
    if date is not None:
        return date, []
    today = dt.datetime.now(dt.UTC).date()
    return today, [
        f"the meeting's date is unknown: relative due dates were resolved against today "
        f"({today.isoformat()}); pass --date to fix"
    ]


# Says "used without being named": a model used only when named (local, legacy ones) may well be
# available, and `minutes models` says so; it is then one --model away.
NO_LLM_REASON = (
    "no model that is used without being named is configured or reachable: notes are "
    "extractive (models used only when named, such as local, run with --model NAME; "
    "`minutes models` shows which are available)"
)


def extractive_notes(
    transcript: Transcript,
    options: PipelineOptions,
    *,
    reason: str | None = None,
) -> MeetingNotes:
    """Notes from the extractive engine alone; ``reason`` says why no LLM was used."""
    date, warnings = _resolution_date(transcript, options)
    notes = extractive.summarize_extractive(
        transcript,
        meeting_date=date,
        timezone=options.timezone,
        max_key_points=options.max_key_points,
    )
    return notes.model_copy(
        update={
            "title": options.title or transcript.title,
            "date": options.meeting_date or transcript.date,
            "warnings": [
                *transcript.warnings,
                *warnings,
                *([reason] if reason else []),
                *notes.warnings,
            ],
        }
    )


async def _plan_chunks(ctx: RunContext) -> list[Chunk]:
    """Chunks sized to the window of the model that will extract from them."""
    probe = LLMRequest(
        task="extract_actions",
        messages=[ChatMessage(role="user", content="")],
        model=ctx.options.model,
        provider=ctx.options.provider,
        max_cost=ctx.options.max_cost,
    )
    chain = await ctx.gateway.plan(probe)
    window = min(e.context_window for e in chain[:1]) - PROMPT_RESERVE_TOKENS
    if ctx.options.strategy == "stuff":
        size = max(window, 500)
        chunks = chunk_transcript(ctx.transcript, max_tokens=size)
        if len(chunks) > 1:
            log.warning(
                "transcript does not fit one call of %s; stuffing in %d parts",
                chain[0].name,
                len(chunks),
            )
        return chunks
    size = max(min(ctx.options.chunk_tokens, window), 200)
    return chunk_transcript(
        ctx.transcript, max_tokens=size, overlap_tokens=min(ctx.options.overlap_tokens, size // 4)
    )


async def run_pipeline(
    transcript: Transcript,
    *,
    options: PipelineOptions | None = None,
    gateway: LLMClient | None = None,
    prompts: PromptLibrary | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> MeetingNotes:
    """Notes for one transcript. Never fails because a provider did: stages fall back."""
    options = options or PipelineOptions()
    if options.engine == "extractive":
        return extractive_notes(transcript, options)
    if options.extraction == "one-pass" and options.strategy == "refine":
        raise ConfigError(ONE_PASS_REFINE)
    if gateway is None:
        from minutes.llm.gateway import Gateway

        gateway = Gateway()
    if options.model is None and not await gateway.any_chat_model_available():
        if options.engine == "llm":
            raise NoModelAvailable("no LLM is available and --engine llm was asked for")
        return extractive_notes(
            transcript,
            options,
            reason=NO_LLM_REASON,
        )
    date, warnings = _resolution_date(transcript, options)
    ctx = RunContext(
        gateway=gateway,
        transcript=transcript,
        options=options,
        prompts=prompts or configured_library(gateway.settings),
        meeting_date_for_dates=date,
        on_progress=on_progress,
    )
    try:
        chunks = await _plan_chunks(ctx)
    except NoModelAvailable:
        raise
    except MinutesError as exc:
        return extractive_notes(
            transcript, options, reason=f"no model can take this meeting: {exc}"
        )
    strategy = key_points.STRATEGIES[options.strategy]
    n = options.max_key_points
    one_pass = ChunkPass(ctx, chunks) if options.extraction == "one-pass" else None

    async def points_of(tally: StageTally) -> list[KeyPoint]:
        if one_pass is not None:
            return await key_points.one_pass(ctx, tally, chunks, one_pass)
        return await strategy(ctx, tally, chunks)

    kp_task = asyncio.create_task(
        with_fallback(
            ctx,
            "key_points",
            points_of,
            lambda: extractive.extract_key_points(transcript, n=n),
        )
    )
    ai_task = asyncio.create_task(
        with_fallback(
            ctx,
            "action_items",
            lambda t: extraction.action_items(ctx, t, chunks, one_pass),
            lambda: extractive.action_items_with_detector(
                transcript, meeting_date=date, timezone=options.timezone
            ),
        )
    )
    dec_task = asyncio.create_task(
        with_fallback(
            ctx,
            "decisions",
            lambda t: extraction.decisions(ctx, t, chunks, one_pass),
            lambda: extractive.decisions_with_detector(transcript),
        )
    )
    points: list[KeyPoint]
    actions: list[ActionItem]
    decided: list[Decision]
    points, actions, decided = await asyncio.gather(kp_task, ai_task, dec_task)

    async def narrative_then_tldr() -> tuple[str, str]:
        text = await with_fallback(
            ctx,
            "narrative",
            lambda t: summary.narrative(ctx, t, points, decided, actions),
            lambda: extractive.make_narrative(
                ctx.title, transcript.participants, points, actions, decided
            ),
        )
        short = await with_fallback(
            ctx,
            "tldr",
            lambda t: summary.tldr(ctx, t, text, points),
            lambda: extractive.make_tldr(
                ctx.title, transcript.participants, points, actions, decided
            ),
        )
        return text, short

    (narrative, tldr), priority = await asyncio.gather(
        narrative_then_tldr(),
        with_fallback(
            ctx,
            "priority",
            lambda t: summary.priority(ctx, t, points, actions),
            lambda: extractive.classify_priority(transcript, points, actions, decided),
        ),
    )
    embedding = await _embed(ctx, tldr, points) if options.embed else None
    order = [
        "key_points",
        "action_items",
        "decisions",
        "narrative",
        "tldr",
        "priority",
        "embeddings",
    ]
    provenance = sorted(ctx.provenance, key=lambda p: order.index(p.stage))
    return MeetingNotes(
        title=ctx.options.title or transcript.title,
        date=options.meeting_date or transcript.date,
        participants=transcript.participants,
        tldr=tldr,
        narrative=narrative,
        key_points=points,
        action_items=actions,
        decisions=decided,
        priority=priority,
        engine=_engine(provenance),
        degraded=any(p.degraded for p in provenance),
        degraded_reasons=[f"{p.stage}: {p.reason}" for p in provenance if p.reason],
        warnings=[*transcript.warnings, *warnings],
        provenance=provenance,
        embedding=embedding,
    )


async def _embed(ctx: RunContext, tldr: str, points: list[KeyPoint]) -> list[float] | None:
    """One vector for the meeting (TL;DR and key points), for later search. Optional: a
    missing or failing embedder leaves the notes without one and says why."""
    started = time.monotonic()
    text = "\n".join([tldr, *(p.text for p in points)]).strip()
    try:
        model, vector = await ctx.gateway.embed_text(text)
    except MinutesError as exc:
        ctx.provenance.append(
            StageProvenance(
                stage="embeddings", engine="extractive", degraded=False, reason=str(exc)
            )
        )
        return None
    ctx.provenance.append(
        StageProvenance(
            stage="embeddings",
            engine="llm",
            model=model.name,
            provider=model.provider,
            calls=1,
            latency_ms=(time.monotonic() - started) * 1000,
        )
    )
    return vector


def _engine(provenance: list[StageProvenance]) -> str:
    engines = {p.engine for p in provenance}
    if engines == {"llm"}:
        return "llm"
    if engines == {"extractive"}:
        return "extractive"
    return "mixed"
