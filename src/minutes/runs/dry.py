"""``minutes summarize --dry-run``: what a run would cost, per stage and model, without
calling anything (the gateway's transport is the estimator of ``llm.layers.estimate``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from minutes.config import Settings
from minutes.errors import StoreError
from minutes.llm.calls import MemoryRecorder
from minutes.llm.gateway import Gateway
from minutes.llm.layers.budget import BudgetGuard
from minutes.llm.layers.estimate import Estimator, PlannedCall
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store.db import open_store
from minutes.store.ledger import spend_between
from minutes.transcripts.models import Transcript


class StageEstimate(BaseModel):
    task: str
    prompt: str | None
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


class RunEstimate(BaseModel):
    stages: list[StageEstimate]
    total_usd: Decimal
    engine: str
    notes: list[str]
    budget_remaining: dict[str, Decimal] = {}


def group(planned: list[PlannedCall]) -> list[StageEstimate]:
    rows: dict[tuple[str, str], StageEstimate] = {}
    for p in planned:
        key = (p.task, p.model)
        prompt = f"{p.prompt_name}@{p.prompt_version}" if p.prompt_name else None
        row = rows.setdefault(
            key,
            StageEstimate(
                task=p.task,
                prompt=prompt,
                model=p.model,
                calls=0,
                input_tokens=0,
                output_tokens=0,
                cost_usd=Decimal(0),
            ),
        )
        row.calls += 1
        row.input_tokens += p.input_tokens
        row.output_tokens += p.output_tokens
        row.cost_usd += p.cost_usd
    return list(rows.values())


async def estimate_run(
    transcript: Transcript,
    options: PipelineOptions,
    settings: Settings,
    *,
    with_ledger: bool = False,
) -> RunEstimate:
    """The calls ``summarize`` would make for ``transcript``, and their cost ceilings.

    The real gateway and pipeline run over the estimating transport, with the caches and
    budget limits off. ``with_ledger``: read past spend from the store, to say what is left of
    the budgets (an unreachable store only loses that line)."""
    extra: list[str] = []
    limits = (settings.budget.daily_usd, settings.budget.monthly_usd)
    budget_remaining: dict[str, Decimal] = {}
    if with_ledger and any(limit is not None for limit in limits):
        try:
            store = open_store(settings.database_url)
        except StoreError as exc:
            extra.append(f"budget left unknown: {exc}")
        else:
            try:
                guard = BudgetGuard(settings.budget, spent=spend_between(store))
                await guard.refresh()
                budget_remaining = guard.remaining()
            finally:
                store.close()
    estimator = Estimator()
    unlimited = settings.budget.model_copy(update={"daily_usd": None, "monthly_usd": None})
    gw = Gateway(
        settings.without_cache().model_copy(update={"budget": unlimited}),
        recorder=MemoryRecorder(),
        transport=estimator,
    )
    # No embeddings either: the notes vector of a dry run is never used.
    notes = await run_pipeline(
        transcript, options=options.model_copy(update={"embed": False}), gateway=gw
    )
    stages = group(estimator.planned)
    return RunEstimate(
        stages=stages,
        total_usd=sum((s.cost_usd for s in stages), Decimal(0)),
        engine="extractive" if not estimator.planned else "llm",
        notes=[
            *notes.warnings,
            *(r for r in notes.degraded_reasons if "dry run" not in r),
            *extra,
        ],
        budget_remaining=budget_remaining,
    )
