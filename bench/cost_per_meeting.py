"""Tokens and dollars per meeting over the AMI meetings, from the dry-run estimator: the real
pipeline and gateway over a transport that calls nothing (``minutes summarize --dry-run``),
with provider keys set (to placeholders: nothing is sent) so that the default routing applies.

    python bench/cost_per_meeting.py [AMI_DIR] [--limit N]

Plans, each priced on the same meetings:

- design: the design's 2024 task map (gpt-4-turbo extraction, gpt-3.5-turbo and
  claude-3-sonnet summaries), a prompt per stage;
- today, stages: today's default task map, a prompt per stage;
- today, one pass: one structured call per chunk for key points, actions and decisions;
- one pass + prompt cache: the same calls, the shared instructions (the system messages) read
  from the provider's cache after the first call with that prefix in the meeting, when the
  prefix reaches the provider's minimum (1,024 tokens at OpenAI and Anthropic; shorter
  prefixes are not cached), cache writes at their own price (Anthropic 1.25x input);
- one pass, Batch API: the one-pass calls at the Batch discount.

Two figures per plan: the upper bound (output at each call's ``max_tokens`` ceiling, what the
budget reserves) and input only (what the prompts alone cost: the floor, whatever the model
writes). Each beside the design's projection of $0.032 a meeting, and as a month at 500
meetings a day.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from minutes.config import Settings, TaskRoute, load_settings
from minutes.evaluation.dataset import ami_dir
from minutes.llm.calls import Usage
from minutes.llm.cost import price
from minutes.llm.layers.estimate import Estimator, PlannedCall
from minutes.llm.registry import ModelEntry, load_registry
from minutes.pipeline.options import PipelineOptions
from minutes.runs.dry import estimate_run
from minutes.transcripts import load_transcript

DESIGN_PER_MEETING = Decimal("0.032")
MEETINGS_PER_MONTH = 500 * 30
# Shortest prefix each provider caches (tokens); a shorter one is billed as plain input.
CACHE_MINIMUM = {"openai": 1024, "anthropic": 1024, "deepseek": 64}


def design_tasks() -> dict[str, TaskRoute]:
    """The design's task map, as it was shipped before today's models."""
    t = TaskRoute
    return {
        "chunk_key_points": t(
            model="gpt-3.5-turbo", complexity="simple", task_type="summarization"
        ),
        "consolidate_key_points": t(
            model="gpt-4-turbo", complexity="moderate", task_type="summarization"
        ),
        "generate_narrative": t(
            model="claude-3-sonnet", complexity="moderate", task_type="summarization"
        ),
        "extract_actions": t(model="gpt-4-turbo", complexity="complex", task_type="extraction"),
        "extract_decisions": t(model="gpt-4-turbo", complexity="complex", task_type="extraction"),
        "generate_tldr": t(model="gpt-3.5-turbo", complexity="simple", task_type="summarization"),
        "classify_action_priority": t(
            model="gpt-3.5-turbo", complexity="simple", task_type="classification"
        ),
        "classify_priority": t(
            model="deepseek-v2", complexity="simple", task_type="classification"
        ),
        "generate_embeddings": t(
            model="text-embedding-ada-002", complexity="simple", task_type="extraction"
        ),
    }


@dataclass
class Tally:
    upper: list[Decimal] = field(default_factory=list)
    input_only: list[Decimal] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    input_tokens: list[int] = field(default_factory=list)
    models: set[str] = field(default_factory=set)


def price_call(
    entry: ModelEntry, call: PlannedCall, *, cached: int = 0, written: int = 0, batch: bool = False
) -> tuple[Decimal, Decimal]:
    """(upper bound, input only) of one planned call, priced as the ledger prices a reply;
    ``cached``/``written``: prefix tokens read from / written to the provider's cache."""
    usage = Usage(call.input_tokens, call.output_tokens, cached=cached, cache_write=written)
    inputs = Usage(call.input_tokens, 0, cached=cached, cache_write=written)
    return price(entry, usage, batch=batch), price(entry, inputs, batch=batch)


def price_plan(
    planned: list[PlannedCall], registry: dict[str, ModelEntry], *, cache: bool, batch: bool
) -> tuple[Decimal, Decimal]:
    seen: set[tuple[str, int]] = set()
    upper = inputs = Decimal(0)
    for call in planned:
        entry = registry[call.model]
        cached = written = 0
        if cache and call.prefix_tokens >= CACHE_MINIMUM.get(entry.provider, 10**9):
            key = (call.model, call.prefix_tokens)
            if key in seen:
                cached = call.prefix_tokens
            else:
                seen.add(key)
                # Anthropic bills the first write; OpenAI and DeepSeek cache for free.
                written = call.prefix_tokens if entry.provider == "anthropic" else 0
        u, i = price_call(entry, call, cached=cached, written=written, batch=batch)
        upper, inputs = upper + u, inputs + i
    return upper, inputs


async def plan_calls(
    transcript_path: Path, settings: Settings, options: PipelineOptions
) -> list[PlannedCall]:
    estimator = Estimator()
    await estimate_run(load_transcript(transcript_path), options, settings, estimator=estimator)
    return estimator.planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ami", nargs="?", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    folder = args.ami or ami_dir()
    files = sorted(p for p in folder.glob("*.json") if not p.name.endswith(".labels.json"))
    if args.limit:
        files = files[: args.limit]
    if not files:
        raise SystemExit(f"no AMI transcripts in {folder}")
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY"):
        os.environ.setdefault(var, "placeholder-nothing-is-sent")

    today = load_settings()
    design = today.model_copy(
        update={"router": today.router.model_copy(update={"tasks": design_tasks()})}
    )
    registry = dict(load_registry(today.models_file, today.models))
    has_one_pass = "extraction" in PipelineOptions.model_fields
    stages = {"extraction": "stages"} if has_one_pass else {}
    one_pass = {"extraction": "one-pass"} if has_one_pass else None
    plans: list[tuple[str, Settings, dict[str, str] | None, bool, bool]] = [
        ("design: 2024 models, a prompt per stage", design, stages, False, False),
        ("today's defaults, a prompt per stage", today, stages, False, False),
        ("today's defaults, one pass per chunk", today, one_pass, False, False),
        ("one pass + prompt caching", today, one_pass, True, False),
        ("one pass, Batch API", today, one_pass, False, True),
    ]
    tallies: dict[str, Tally] = {name: Tally() for name, *_ in plans}
    words: list[int] = []
    for path in files:
        transcript = load_transcript(path)
        words.append(sum(len(s.text.split()) for s in transcript.segments))
        cache: dict[tuple[int, str], list[PlannedCall]] = {}
        for name, settings, update, use_cache, batch in plans:
            if update is None:
                continue
            key = (id(settings), repr(sorted(update.items())))
            if key not in cache:
                cache[key] = asyncio.run(
                    plan_calls(path, settings, PipelineOptions().model_copy(update=update))
                )
            planned = cache[key]
            upper, inputs = price_plan(planned, registry, cache=use_cache, batch=batch)
            t = tallies[name]
            t.upper.append(upper)
            t.input_only.append(inputs)
            t.calls.append(len(planned))
            t.input_tokens.append(sum(c.input_tokens for c in planned))
            t.models.update(c.model for c in planned)
        print(f"  {path.stem}: {words[-1]} words", file=sys.stderr)

    print(
        f"{len(files)} AMI meetings from {folder} (median {statistics.median(words):.0f} words); "
        f"dry-run estimator, nothing called"
    )
    header = (
        "| plan | calls | input tokens | $ upper bound | $ input only | vs design's $0.032 "
        "(upper / input) | a month at 500/day (upper) | models |"
    )
    print(header)
    print("|---|---|---|---|---|---|---|---|")
    for name, *_ in plans:
        t = tallies[name]
        if not t.upper:
            print(f"| {name} | – | – | – | – | – | – | not built |")
            continue
        upper = statistics.mean(t.upper)
        inputs = statistics.mean(t.input_only)
        print(
            f"| {name} | {statistics.mean(t.calls):.1f} | {statistics.mean(t.input_tokens):,.0f} "
            f"| ${upper:.4f} | ${inputs:.4f} | {upper / DESIGN_PER_MEETING:.2f}x / "
            f"{inputs / DESIGN_PER_MEETING:.2f}x | ${upper * MEETINGS_PER_MONTH:,.0f} "
            f"| {', '.join(sorted(t.models))} |"
        )


if __name__ == "__main__":
    main()
