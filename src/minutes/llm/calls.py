"""The call interface every gateway layer shares, and the records a call leaves behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field

from minutes.llm.registry import ModelEntry

T = TypeVar("T")
# Injectable so that tests observe backoff waits and cool-downs without waiting.
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
CacheKind = Literal["none", "exact", "semantic"]


@dataclass(frozen=True)
class Usage:
    """Tokens as the provider reported them. ``input`` is the whole prompt; ``cached`` (read
    from the provider's prompt cache) and ``cache_write`` (written to it) are subsets of it."""

    input: int = 0
    output: int = 0
    cached: int = 0
    cache_write: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input + other.input,
            self.output + other.output,
            self.cached + other.cached,
            self.cache_write + other.cache_write,
        )


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMRequest(BaseModel):
    """One logical LLM call as the pipeline asks for it; routing fields are optional limits."""

    task: str = Field(description="the pipeline task, e.g. extract_actions")
    messages: list[ChatMessage]
    prompt_name: str | None = None
    prompt_version: str | None = None
    max_tokens: int | None = Field(None, gt=0)
    temperature: float = Field(0.0, ge=0, le=2)
    meeting_id: str | None = None
    meeting_max_usd: Decimal | None = Field(
        None,
        ge=0,
        description="what the calls of this meeting (same meeting_id) may cost together; "
        "the budget layer holds them to it",
    )
    chunk: int | None = Field(
        None, description="the transcript chunk the call serves, when it serves one (bookkeeping)"
    )
    cache_input: str | None = Field(
        None,
        description="the variable part of the prompt (the transcript text, not the shared "
        "instructions) that the semantic cache embeds; None: no semantic caching for this call",
    )
    model: str | None = Field(None, description="use this registry model first")
    provider: str | None = Field(None, description="only models of this provider")
    max_cost: Decimal | None = Field(None, ge=0, description="ceiling on input+output $ per 1K")
    task_type: str | None = None
    complexity: str | None = None


class AttemptRecord(BaseModel):
    """One attempt at one model: a row of the ledger."""

    at: dt.datetime
    task: str
    prompt_name: str | None = None
    prompt_version: str | None = None
    meeting_id: str | None = None
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: float = 0.0
    outcome: str = Field(description="'ok' or the error's type name")
    cache: CacheKind = "none"


class LLMResult(BaseModel, Generic[T]):
    """What a successful call returns: the text, the validated data when a schema was given,
    and what it took."""

    text: str
    data: T | None = None
    model: str
    provider: str
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    latency_ms: float = 0.0
    cache: CacheKind = "none"
    attempts: list[AttemptRecord] = Field(default_factory=list)


@dataclass(frozen=True)
class ModelCall:
    """A call bound to one model, as it passes down the layers.

    ``fallbacks``: the models to try after ``entry`` (the fallback layer consumes them);
    ``schema``: the structured output's model (the structured layer validates against it;
    ``json_schema`` is what providers are sent)."""

    entry: ModelEntry
    request: LLMRequest
    messages: list[ChatMessage]
    json_schema: dict[str, Any] | None = None
    schema: type[BaseModel] | None = None
    fallbacks: tuple[ModelEntry, ...] = ()

    def attempt_record(self, **fields: Any) -> AttemptRecord:
        """A ledger row for an attempt at this call: who asked (task, prompt, meeting) and
        which model, filled in from the call; the outcome fields come from the caller."""
        fields.setdefault("at", dt.datetime.now(dt.UTC))
        return AttemptRecord(
            task=self.request.task,
            prompt_name=self.request.prompt_name,
            prompt_version=self.request.prompt_version,
            meeting_id=self.request.meeting_id,
            provider=self.entry.provider,
            model=self.entry.name,
            **fields,
        )


@dataclass(frozen=True)
class ModelReply:
    """What a layer answers. ``model``, ``provider`` and ``cache`` say who answered (a budget
    downgrade or a fallback answers with another model than the call's first); ``records``
    are the ledger rows of every attempt behind this reply, failed ones included, in order;
    ``data`` is the validated structured output when the call had a schema."""

    text: str
    usage: Usage
    cost_usd: Decimal
    latency_ms: float
    model: str = ""
    provider: str = ""
    cache: CacheKind = "none"
    data: Any = None
    records: tuple[AttemptRecord, ...] = ()

    @property
    def spent_usd(self) -> Decimal:
        """What every attempt behind this reply cost together."""
        return sum((r.cost_usd for r in self.records), Decimal(0))


CallFn = Callable[[ModelCall], Awaitable[ModelReply]]


def records_of(exc: BaseException) -> tuple[AttemptRecord, ...]:
    """The ledger rows of the attempts that ended in ``exc`` (a layer attaches them)."""
    return tuple(getattr(exc, "records", ()))


def attach_records(exc: BaseException, records: Sequence[AttemptRecord]) -> None:
    """Let ``exc`` carry the rows of every attempt it ends, so that the layers above can
    account for what was spent on the way to a failure."""
    exc.records = tuple(records)  # type: ignore[attr-defined]  # a plain attribute on any error


class Recorder(Protocol):
    """Where attempt records go (the ledger). Must not raise and must not block."""

    def record(self, attempt: AttemptRecord) -> None: ...


class MemoryRecorder:
    """Keeps records in memory; the default until a store is configured."""

    def __init__(self) -> None:
        self.records: list[AttemptRecord] = []

    def record(self, attempt: AttemptRecord) -> None:
        self.records.append(attempt)
