"""Key points: map (2–3 per chunk) then reduce to the top N, collapsing in rounds when the
mapped points exceed ``reduce_token_max``; or refine (a running list carried through the
chunks); or stuff (the whole transcript in one call)."""

from __future__ import annotations

import asyncio

from minutes.extractive import extract_key_points
from minutes.items.dedupe import merge_sources
from minutes.items.grounding import ground_items
from minutes.notes import KeyPoint
from minutes.pipeline.citations import cited_source
from minutes.pipeline.context import RunContext, StageTally
from minutes.pipeline.extraction import merge_chunks
from minutes.pipeline.one_pass import ChunkPass
from minutes.pipeline.schemas import MappedPoints, ReducedPoints
from minutes.tokens import count_tokens
from minutes.transcripts.chunking import Chunk
from minutes.transcripts.models import Transcript

# Points the map prompts ask for per chunk ("the 2 or 3 most important"): also what the
# extractive engine gives for a chunk whose one-pass call failed.
MAPPED_PER_CHUNK = 3


def _to_key_points(ctx: RunContext, mapped: MappedPoints) -> list[KeyPoint]:
    points = [
        KeyPoint(text=p.text.strip(), sources=cited_source(ctx.transcript, p))
        for p in mapped.points
        if p.text and p.text.strip()
    ]
    return ground_items(ctx.transcript, points)


def _render(points: list[KeyPoint]) -> str:
    return "\n".join(f"{i}. {p.text}" for i, p in enumerate(points))


async def _reduce_once(
    ctx: RunContext, tally: StageTally, points: list[KeyPoint]
) -> list[KeyPoint]:
    reduced = await ctx.structured(
        tally,
        ctx.prompt("key_points_reduce"),
        ReducedPoints,
        {"title": ctx.title, "points": _render(points), "limit": ctx.options.max_key_points},
    )
    out: list[KeyPoint] = []
    for rp in reduced.points[: ctx.options.max_key_points]:
        ids = [i for i in rp.ids if 0 <= i < len(points)]
        sources = merge_sources(*(points[i].sources for i in ids))
        out.append(KeyPoint(text=rp.text.strip(), sources=sources))
    return out


def _groups(points: list[KeyPoint], token_max: int) -> list[list[KeyPoint]]:
    """Consecutive groups whose rendered text stays under ``token_max`` tokens."""
    groups: list[list[KeyPoint]] = [[]]
    used = 0
    for p in points:
        cost = count_tokens(p.text) + 4
        if groups[-1] and used + cost > token_max:
            groups.append([])
            used = 0
        groups[-1].append(p)
        used += cost
    return groups


async def reduce_points(
    ctx: RunContext, tally: StageTally, points: list[KeyPoint]
) -> list[KeyPoint]:
    """Reduce to ``max_key_points``; when the points are too many tokens for one reduce call,
    collapse them group by group first, in as many rounds as needed."""
    token_max = ctx.options.reduce_token_max
    rounds = 0
    while count_tokens(_render(points)) > token_max and rounds < 5:
        groups = _groups(points, token_max)
        if len(groups) == 1:
            break
        collapsed = await asyncio.gather(*(_reduce_once(ctx, tally, g) for g in groups))
        points = [p for group in collapsed for p in group]
        rounds += 1
    if len(points) <= ctx.options.max_key_points and rounds == 0 and len(points) <= 3:
        return points
    return await _reduce_once(ctx, tally, points)


async def one_pass(
    ctx: RunContext, tally: StageTally, chunks: list[Chunk], notes: ChunkPass
) -> list[KeyPoint]:
    """Map-reduce with the map done by the run's one-pass calls: each chunk's points come
    from its ``chunk_notes`` answer (a chunk whose call failed: the extractive engine's points
    for that chunk), then the same grounding and reduce. This stage takes the calls' usage."""
    results = await notes.per_chunk(
        tally, lambda n: _to_key_points(ctx, MappedPoints(points=n.points)), usage=True
    )

    def fallback(part: Transcript) -> list[KeyPoint]:
        return extract_key_points(part, n=MAPPED_PER_CHUNK)

    points = merge_chunks(ctx, tally, chunks, results, fallback)
    if not points:
        return []
    return await reduce_points(ctx, tally, points)


async def map_reduce(ctx: RunContext, tally: StageTally, chunks: list[Chunk]) -> list[KeyPoint]:
    prompt = ctx.prompt("key_points_map")
    mapped = await asyncio.gather(
        *(
            ctx.structured(
                tally, prompt, MappedPoints, {"title": ctx.title, "chunk": c.text()}, chunk=c.index
            )
            for c in chunks
        )
    )
    points = [p for m in mapped for p in _to_key_points(ctx, m)]
    if not points:
        return []
    return await reduce_points(ctx, tally, points)


def _render_existing(points: list[KeyPoint]) -> str:
    lines = []
    for p in points:
        src = p.sources[0] if p.sources else None
        cite = f' [segment {src.segment}: "{src.quote}"]' if src else ""
        lines.append(f"- {p.text}{cite}")
    return "\n".join(lines) or "(none yet)"


async def refine(ctx: RunContext, tally: StageTally, chunks: list[Chunk]) -> list[KeyPoint]:
    prompt = ctx.prompt("key_points_refine")
    points: list[KeyPoint] = []
    for c in chunks:  # sequential by nature: each step refines the previous list
        mapped = await ctx.structured(
            tally,
            prompt,
            MappedPoints,
            {
                "title": ctx.title,
                "existing": _render_existing(points),
                "chunk": c.text(),
                "limit": ctx.options.max_key_points,
            },
        )
        points = _to_key_points(ctx, mapped)[: ctx.options.max_key_points]
    return points


async def stuff(ctx: RunContext, tally: StageTally, chunks: list[Chunk]) -> list[KeyPoint]:
    """One call over the whole transcript (the caller made one chunk of it)."""
    return await refine(ctx, tally, chunks)


STRATEGIES = {"map_reduce": map_reduce, "refine": refine, "stuff": stuff}
