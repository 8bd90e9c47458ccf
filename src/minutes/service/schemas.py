"""Request and response bodies of the HTTP API (what /openapi.json publishes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from minutes.pipeline.choices import EngineChoice, Extraction, Strategy
from minutes.pipeline.options import ONE_PASS_REFINE
from minutes.store.jobs import JobView
from minutes.store.meetings import ActionView, DecisionView, MeetingSummary

__all__ = [
    "ActionPatch",
    "ActionView",
    "DecisionView",
    "JobView",
    "MeetingDetailOut",
    "MeetingSummary",
    "Page",
    "RunOptions",
    "Submission",
    "SubmitBody",
]


class RunOptions(BaseModel):
    """How to summarize; every field optional (the service's defaults otherwise)."""

    model_config = ConfigDict(extra="forbid")

    engine: EngineChoice = "auto"
    model: str | None = Field(None, max_length=128)
    provider: str | None = Field(None, max_length=32)
    strategy: Strategy = "map_reduce"
    extraction: Extraction = Field(
        "stages",
        description="one-pass: one call per chunk for its key points, action items and "
        "decisions (the transcript read once; not with refine); stages: a prompt per stage",
    )
    max_cost: Decimal | None = Field(None, ge=0, le=1000, description="$ per 1K tokens at most")
    max_usd: Decimal | None = Field(
        None,
        ge=0,
        le=1000,
        description="what the meeting's LLM calls may cost together, $ (past it: a cheaper "
        "model, else the extractive engine for the stage)",
    )

    @model_validator(mode="after")
    def _one_pass_maps_each_chunk(self) -> RunOptions:
        if self.extraction == "one-pass" and self.strategy == "refine":
            raise ValueError(ONE_PASS_REFINE)
        return self


class SubmitBody(BaseModel):
    """A transcript as JSON (the other way is a multipart upload with a ``file`` part)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="the transcript itself")
    format: Literal["text", "vtt", "srt", "json"] | None = Field(
        None, description="else detected from the content"
    )
    title: str | None = Field(None, max_length=500)
    date: dt.date | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA name, e.g. Europe/Paris")
    options: RunOptions = Field(default_factory=RunOptions)


class Submission(BaseModel):
    job_id: str
    meeting_id: str
    status: str
    created: bool = Field(description="False: an earlier request (same key or content) answers")
    links: dict[str, str]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="where the next page starts, if any")


class MeetingDetailOut(BaseModel):
    summary: MeetingSummary
    job: JobView | None = Field(None, description="the newest job of the meeting")
    notes_ready: bool


class ActionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["done", "open"]


class KeyedError(BaseModel):
    """Every error body: one line saying what went wrong."""

    detail: str
