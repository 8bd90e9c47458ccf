"""``minutes summarize --dry-run``: what a run would cost, per stage and model, without
calling anything (the gateway's transport is the estimator of ``llm.layers.estimate``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from minutes.config import Settings
from minutes.errors import StoreError
from minutes.llm.calls import MemoryRecorder
from minutes.llm.gateway import Gateway
from minutes.llm.layers.budget import BudgetGuard
from minutes.llm.layers.ceilings import ceilings_from
from minutes.llm.layers.estimate import Estimator, PlannedCall
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.store.db import open_store
from minutes.store.ledger import OutputSize, output_sizes, spend_between
from minutes.transcripts.models import Transcript


class StageEstimate(BaseModel):
    task: str
    prompt: str | None
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    expected_usd: Decimal | None = Field(
        None, description="with the task's mean past output; None without history"
    )


class RunEstimate(BaseModel):
    stages: list[StageEstimate]
    total_usd: Decimal = Field(description="upper bound: every call's output at its ceiling")
    expected_usd: Decimal | None = Field(
        None,
        description="with each task's mean output in the ledger's past calls; None when a "
        "task has none",
    )
    expected_from_calls: int = Field(0, description="past calls the expectation rests on")
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
                expected_usd=Decimal(0),
            ),
        )
        row.expected_usd = (
            row.expected_usd + p.expected_usd
            if row.expected_usd is not None and p.expected_usd is not None
            else None
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
    estimator: Estimator | None = None,
) -> RunEstimate:
    """The calls ``summarize`` would make for ``transcript``, and their cost ceilings.

    The real gateway and pipeline run over the estimating transport, with the caches and
    budget limits off; ``estimator`` keeps each planned call for the caller to read.
    ``with_ledger``: read the ledger, to say what is left of the budgets and what the run
    should cost with each task's usual output (an unreadable store loses only those)."""
    extra: list[str] = []
    limits = (settings.budget.daily_usd, settings.budget.monthly_usd)
    budget_remaining: dict[str, Decimal] = {}
    sizes: dict[str, OutputSize] = {}
    if with_ledger:
        try:
            store = open_store(settings.database_url)
        except StoreError as exc:
            extra.append(f"the ledger could not be read (budget left, expected cost): {exc}")
        else:
            try:
                with store.read() as session:
                    sizes = output_sizes(session, tenant=settings.tenant)
                if any(limit is not None for limit in limits):
                    guard = BudgetGuard(settings.budget, spent=spend_between(store))
                    await guard.refresh()
                    budget_remaining = guard.remaining()
            except StoreError as exc:
                extra.append(f"the ledger could not be read (budget left, expected cost): {exc}")
            finally:
                store.close()
    ceilings = ceilings_from(sizes) if settings.budget.ceilings_from_history else {}
    estimator = estimator or Estimator({t: z.mean for t, z in sizes.items()}, ceilings)
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
    unseen = sorted({p.task for p in estimator.planned if p.expected_usd is None})
    if estimator.planned and unseen:
        extra.append(
            "no expected cost: the ledger has no past calls of " + ", ".join(unseen)
            if with_ledger
            else "no expected cost without the ledger"
        )
    expected = (
        sum((p.expected_usd or Decimal(0) for p in estimator.planned), Decimal(0))
        if estimator.planned and not unseen
        else None
    )
    return RunEstimate(
        stages=stages,
        total_usd=sum((s.cost_usd for s in stages), Decimal(0)),
        expected_usd=expected,
        expected_from_calls=sum(sizes[t].calls for t in {p.task for p in estimator.planned})
        if expected is not None
        else 0,
        engine="extractive" if not estimator.planned else "llm",
        notes=[
            *notes.warnings,
            *(r for r in notes.degraded_reasons if "dry run" not in r),
            *extra,
        ],
        budget_remaining=budget_remaining,
    )
