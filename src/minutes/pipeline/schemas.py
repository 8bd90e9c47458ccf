"""What each structured LLM stage must return (validated by the gateway)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class _Cited(BaseModel):
    segment: int | None = Field(None, description="the cited segment number")
    quote: str | None = Field(None, description="a verbatim excerpt of that segment")


class MappedPoint(_Cited):
    text: str


class MappedPoints(BaseModel):
    points: list[MappedPoint] = Field(default_factory=list)


class ReducedPoint(BaseModel):
    text: str
    ids: list[int] = Field(default_factory=list)


class ReducedPoints(BaseModel):
    points: list[ReducedPoint] = Field(default_factory=list)


class ExtractedAction(_Cited):
    task: str
    assignee: str | None = None
    due: str | None = None
    # None: the model gave none; the stage then classifies such items together, in one
    # coalesced request (``minutes.llm.coalesce.map_items``).
    priority: Literal["high", "normal", "low"] | None = None
    context: str | None = None

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, v: object) -> object:
        # "medium"/"Normal" are common; map them rather than fail the whole reply.
        if isinstance(v, str) and not v.strip():
            return None
        if isinstance(v, str):
            v = v.strip().lower()
            return {"medium": "normal", "urgent": "high", "critical": "high"}.get(v, v)
        return v


class ExtractedActions(BaseModel):
    items: list[ExtractedAction] = Field(default_factory=list)


class ExtractedDecision(_Cited):
    decision: str
    rationale: str | None = None
    alternatives: list[str] = Field(default_factory=list)
    decided_by: list[str] = Field(default_factory=list)

    @field_validator("decided_by", "alternatives", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        if v is None:
            return []
        return [v] if isinstance(v, str) else v


class ExtractedDecisions(BaseModel):
    decisions: list[ExtractedDecision] = Field(default_factory=list)


class ChunkNotes(BaseModel):
    """One chunk's key points, action items and decisions from one call (one pass per chunk:
    the ``chunk_notes`` prompt); each list as its stage prompt returns it."""

    points: list[MappedPoint] = Field(default_factory=list)
    items: list[ExtractedAction] = Field(default_factory=list)
    decisions: list[ExtractedDecision] = Field(default_factory=list)


class ActionPriority(BaseModel):
    """One action item's priority, as an answer of the coalesced classification."""

    priority: Literal["high", "normal", "low"]

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, v: object) -> object:
        if isinstance(v, str):
            v = v.strip().lower()
            return {"medium": "normal", "urgent": "high", "critical": "high"}.get(v, v)
        return v


class PriorityVerdict(BaseModel):
    priority: Literal["high", "normal", "low"]
    reason: str | None = None
