"""Options of one pipeline run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from minutes.pipeline.choices import EngineChoice, Extraction, Strategy

__all__ = ["EngineChoice", "Extraction", "PipelineOptions", "Strategy"]


ONE_PASS_REFINE = (
    "one-pass extraction maps each chunk on its own: use it with the map_reduce or stuff "
    "strategy, or --extraction stages with refine"
)


class PipelineOptions(BaseModel):
    engine: EngineChoice = Field(
        "auto",
        description="auto: LLM when one is available, else extractive; "
        "llm: fail when no LLM is available; extractive: never call an LLM",
    )
    strategy: Strategy = "map_reduce"
    extraction: Extraction = Field(
        "stages",
        description="one-pass: one call per chunk returns its key points, action items and "
        "decisions together (the transcript is read once; map_reduce and stuff only); "
        "stages: a key-point map, an action-item and a decision prompt per chunk",
    )
    model: str | None = Field(None, description="use this registry model first for every stage")
    provider: str | None = None
    max_cost: Decimal | None = Field(None, ge=0, description="ceiling on $ per 1K in+out")
    max_usd: Decimal | None = Field(
        None,
        ge=0,
        description="what the meeting's LLM calls may cost together; past it a call moves to "
        "a cheaper model, else its stage to the extractive engine",
    )
    max_concurrency: int = Field(8, ge=1, le=64)
    chunk_tokens: int = Field(6000, ge=200, description="upper bound; the model's window decides")
    overlap_tokens: int = Field(150, ge=0)
    reduce_token_max: int = Field(3000, ge=200, description="collapse mapped points above this")
    max_key_points: int = Field(10, ge=1, le=50)
    meeting_date: dt.date | None = None
    timezone: str | None = None
    title: str | None = None
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    meeting_id: str | None = Field(None, description="tags every LLM call of the run")
    classify_action_priorities: bool = Field(
        False,
        description="classify action items the extraction gave no priority, many per request "
        "(coalesced); off: such items are 'normal'",
    )
    embed: bool = Field(
        False, description="also embed the TL;DR and key points (for search) when a model can"
    )
