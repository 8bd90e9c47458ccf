"""``minutes summarize --dry-run``: what a run would cost, per stage and model, without
calling anything (the pipeline runs against ``EstimatingGateway``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from minutes.config import Settings
from minutes.errors import StoreError
from minutes.llm.calls import MemoryRecorder
from minutes.llm.estimate import EstimatingGateway, PlannedCall
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store.db import Store, open_store
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

    ``with_ledger``: read past spend from the store, to say what is left of the budgets (an
    unreachable store only loses that line)."""
    store: Store | None = None
    extra: list[str] = []
    limits = (settings.budget.daily_usd, settings.budget.monthly_usd)
    if with_ledger and any(limit is not None for limit in limits):
        try:
            store = open_store(settings.database_url)
        except StoreError as exc:
            extra.append(f"budget left unknown: {exc}")
    try:
        gw = EstimatingGateway(settings, store=store, recorder=MemoryRecorder())
        notes = await run_pipeline(transcript, options=options, gateway=gw)
        await gw.budget.refresh()
    finally:
        if store is not None:
            store.close()
    stages = group(gw.planned)
    return RunEstimate(
        stages=stages,
        total_usd=sum((s.cost_usd for s in stages), Decimal(0)),
        engine="extractive" if not gw.planned else "llm",
        notes=[
            *notes.warnings,
            *(r for r in notes.degraded_reasons if "dry run" not in r),
            *extra,
        ],
        budget_remaining=gw.budget.remaining(),
    )
