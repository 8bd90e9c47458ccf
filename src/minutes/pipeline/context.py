"""State shared by the stages of one run: the gateway, the transcript, the concurrency bound,
and the provenance each stage leaves behind."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from minutes.errors import (
    AllModelsFailed,
    BudgetExceeded,
    ContextTooLong,
    MinutesError,
    NoModelAvailable,
    OutputInvalid,
    ProviderError,
)
from minutes.llm.calls import ChatMessage, LLMRequest, LLMResult
from minutes.llm.client import LLMClient
from minutes.notes import StageProvenance
from minutes.pipeline.options import PipelineOptions
from minutes.prompts import Prompt, PromptLibrary
from minutes.transcripts.models import Transcript

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Failures after which a stage falls back to the extractive engine: the whole fallback chain
# failed, nothing was available, the prompt fit nowhere, output stayed invalid, or the budget
# ran out. A ConfigError (the user's settings are wrong) and a budget the user asked to stop
# on (``fatal``) are not among them: those end the run.
FALLBACK_ERRORS: tuple[type[MinutesError], ...] = (
    AllModelsFailed,
    NoModelAvailable,
    ContextTooLong,
    ProviderError,
    OutputInvalid,
    BudgetExceeded,
)


def falls_back(exc: BaseException) -> bool:
    return isinstance(exc, FALLBACK_ERRORS) and not getattr(exc, "fatal", False)


@dataclass
class StageTally:
    """What the LLM calls of one stage added up to."""

    stage: str
    prompts: list[Prompt] = field(default_factory=list)  # in order of first use
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    models: dict[str, str] = field(default_factory=dict)  # model -> provider, in order of use
    failures: list[str] = field(default_factory=list)
    cache_kinds: list[str] = field(default_factory=list)  # one per result: none/exact/semantic
    started: float = field(default_factory=time.monotonic)

    def use(self, prompt: Prompt) -> None:
        if prompt not in self.prompts:
            self.prompts.append(prompt)

    def add(self, result: LLMResult[Any]) -> None:
        self.calls += sum(1 for a in result.attempts if a.cache == "none")
        self.cache_kinds.append(result.cache)
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        self.cached_tokens += result.cached_tokens
        self.cost_usd += result.cost_usd
        self.models.setdefault(result.model, result.provider)

    def absorb(self, other: StageTally, *, usage: bool) -> None:
        """Take ``other``'s prompts, models and cache kinds (calls another tally made for this
        stage too); with ``usage`` also its calls, tokens and cost, which only one of the
        stages sharing those calls may take, or the meeting's cost would count them twice."""
        for prompt in other.prompts:
            self.use(prompt)
        for model, provider in other.models.items():
            self.models.setdefault(model, provider)
        self.cache_kinds.extend(other.cache_kinds)
        if usage:
            self.calls += other.calls
            self.input_tokens += other.input_tokens
            self.output_tokens += other.output_tokens
            self.cached_tokens += other.cached_tokens
            self.cost_usd += other.cost_usd

    def _cache_kind(self) -> str:
        # The stage's answer came from the cache only when every one of its results did.
        kinds = set(self.cache_kinds)
        if not kinds or "none" in kinds:
            return "none"
        return "semantic" if "semantic" in kinds else "exact"

    def provenance(self, *, fell_back: bool) -> StageProvenance:
        degraded = fell_back or bool(self.failures)
        engine = "extractive" if fell_back else "llm"
        return StageProvenance(
            stage=self.stage,
            engine=engine,
            model=", ".join(self.models) or None,
            provider=", ".join(dict.fromkeys(self.models.values())) or None,
            prompt_name=self.prompts[0].name if self.prompts and self.models else None,
            prompt_version=self.prompts[0].version if self.prompts and self.models else None,
            prompts=[p.ref for p in self.prompts] if self.models else [],
            calls=self.calls,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cached_tokens=self.cached_tokens,
            cost_usd=self.cost_usd,
            latency_ms=(time.monotonic() - self.started) * 1000,
            cache=self._cache_kind(),
            cache_hits=sum(1 for k in self.cache_kinds if k != "none"),
            degraded=degraded,
            reason="; ".join(self.failures) or None,
        )


@dataclass
class RunContext:
    gateway: LLMClient
    transcript: Transcript
    options: PipelineOptions
    prompts: PromptLibrary
    meeting_date_for_dates: dt.date  # what relative due dates resolve against
    on_progress: Callable[[str], None] | None = None
    provenance: list[StageProvenance] = field(default_factory=list)
    _semaphore: asyncio.Semaphore | None = None

    def __post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self.options.max_concurrency)

    @property
    def title(self) -> str:
        return self.options.title or self.transcript.title or "Untitled meeting"

    @property
    def participants(self) -> str:
        return ", ".join(self.transcript.participants) or "unknown"

    def prompt(self, name: str) -> Prompt:
        return self.prompts.get(name, self.options.prompt_versions.get(name))

    def progress(self, message: str) -> None:
        if self.on_progress is not None:
            self.on_progress(message)

    def request(
        self,
        prompt: Prompt,
        values: dict[str, Any],
        max_tokens: int | None,
        *,
        chunk: int | None = None,
    ) -> LLMRequest:
        """The request for ``prompt`` rendered with ``values``, with the run's limits."""
        system, user = prompt.render(**values)
        messages = [ChatMessage(role="user", content=user)]
        if system:
            messages.insert(0, ChatMessage(role="system", content=system))
        return LLMRequest(
            task=prompt.task,
            messages=messages,
            prompt_name=prompt.name,
            prompt_version=prompt.version,
            max_tokens=max_tokens,
            model=self.options.model,
            provider=self.options.provider,
            max_cost=self.options.max_cost,
            meeting_id=self.options.meeting_id,
            meeting_max_usd=self.options.max_usd,
            chunk=chunk,
            # The semantic cache compares only what varies between calls of one prompt (the
            # transcript part, the points...), never the shared instructions.
            cache_input="\n".join(str(v) for v in values.values()),
        )

    async def structured(
        self,
        tally: StageTally,
        prompt: Prompt,
        schema: type[M],
        values: dict[str, Any],
        *,
        max_tokens: int | None = 1500,
        chunk: int | None = None,
    ) -> M:
        tally.use(prompt)
        async with self._bound():
            result = await self.gateway.structured(
                self.request(prompt, values, max_tokens, chunk=chunk), schema
            )
        tally.add(result)
        assert result.data is not None
        return result.data

    async def text(
        self, tally: StageTally, prompt: Prompt, values: dict[str, Any], *, max_tokens: int = 600
    ) -> str:
        tally.use(prompt)
        async with self._bound():
            result = await self.gateway.complete(self.request(prompt, values, max_tokens))
        tally.add(result)
        return result.text.strip()

    def _bound(self) -> contextlib.AbstractAsyncContextManager[Any]:
        # In batch mode a call waits for its batch at no cost, and every call of a stage must
        # be waiting before the stage is submitted: the per-meeting bound would split a stage
        # into several batches. The scheduler still bounds live calls.
        if self.gateway.batched:
            return contextlib.nullcontext()
        assert self._semaphore is not None
        return self._semaphore


async def with_fallback(
    ctx: RunContext,
    stage: str,
    llm: Callable[[StageTally], Awaitable[T]],
    extractive: Callable[[], T],
) -> T:
    """Run a stage's LLM path; when it fails, its extractive equivalent, marked degraded."""
    tally = StageTally(stage)
    ctx.progress(stage)
    try:
        value = await llm(tally)
        ctx.provenance.append(tally.provenance(fell_back=False))
        return value
    except MinutesError as exc:
        if not falls_back(exc):
            raise
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("stage %s fell back to the extractive engine: %s", stage, reason)
        tally.failures.append(reason)
        value = extractive()
        ctx.provenance.append(tally.provenance(fell_back=True))
        return value
