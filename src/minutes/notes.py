"""MeetingNotes: what the pipeline produces, whichever engine produced it.

Every item carries ``sources``: the transcript segments it came from, with a verbatim
quote. A quote that cannot be found in the transcript is never shown as evidence.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, computed_field

Priority = Literal["high", "normal", "low"]
Engine = Literal["llm", "extractive"]
CacheKind = Literal["none", "exact", "semantic"]


class SourceRef(BaseModel):
    """A pointer into the transcript: which segment, who, when, and the words themselves."""

    segment: int = Field(ge=0, description="index of the segment in the transcript")
    speaker: str | None = None
    start: float | None = None
    quote: str = Field(description="verbatim text found in that segment")


class _Grounded(BaseModel):
    # Subclasses declare ``sources`` last, so that it comes last in their JSON.

    @computed_field  # type: ignore[prop-decorator]
    @property
    def grounded(self) -> bool:
        """Whether a verbatim quote backs the item; an ungrounded item is flagged, not hidden."""
        return bool(getattr(self, "sources", None))


class KeyPoint(_Grounded):
    text: str
    sources: list[SourceRef] = Field(default_factory=list)


class ActionItem(_Grounded):
    task: str
    assignee: str | None = None
    due_date: dt.date | None = Field(None, description="resolved against the meeting's date")
    due_text: str | None = Field(None, description="the deadline as spoken, e.g. 'by Friday'")
    priority: Priority = "normal"
    context: str | None = None
    sources: list[SourceRef] = Field(default_factory=list)


class Decision(_Grounded):
    decision: str
    rationale: str | None = None
    alternatives: list[str] = Field(default_factory=list)
    decided_by: list[str] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)


class StageProvenance(BaseModel):
    """How one stage's output was made."""

    stage: str
    engine: Engine
    model: str | None = None
    provider: str | None = None
    prompt_name: str | None = Field(None, description="the stage's first prompt (the map's)")
    prompt_version: str | None = None
    prompts: list[str] = Field(
        default_factory=list, description="every prompt the stage called, as name@version"
    )
    calls: int = Field(0, description="provider attempts, failed ones included")
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: float = 0.0
    cache: CacheKind = Field("none", description="set when every call of the stage was a hit")
    cache_hits: int = Field(0, description="calls answered from the cache (not in ``calls``)")
    degraded: bool = False
    reason: str | None = Field(None, description="why the stage fell back, when it did")


class MeetingNotes(BaseModel):
    title: str | None = None
    date: dt.date | None = None
    participants: list[str] = Field(default_factory=list)
    tldr: str = ""
    narrative: str = ""
    key_points: list[KeyPoint] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    priority: Priority = "normal"
    engine: Literal["llm", "extractive", "mixed"] = "extractive"
    degraded: bool = False
    degraded_reasons: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    provenance: list[StageProvenance] = Field(default_factory=list)
    embedding: list[float] | None = Field(
        None, exclude=True, description="vector of the TL;DR and key points, for search"
    )

    @property
    def cost_usd(self) -> Decimal:
        return sum((p.cost_usd for p in self.provenance), Decimal(0))
