"""One LLM call end to end, composing the layers:

    router chain ─▶ for each model: Structured? ─▶ Retrying ─▶ Breaking ─▶ ProviderCall
                 └▶ execute_with_fallback: next model on failure, AllModelsFailed at the end

Each layer is a small callable around the same ``ModelCall -> ModelReply`` interface
(``calls.py``); budget checks and caches (a later layer) slot in the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel

from minutes.config import Settings, load_settings
from minutes.errors import NoModelAvailable
from minutes.llm.calls import (
    AttemptRecord,
    ChatMessage,
    LLMRequest,
    LLMResult,
    MemoryRecorder,
    ModelCall,
    ModelReply,
    Recorder,
)
from minutes.llm.providers import Availability, ProviderCall, build_embeddings, check_all
from minutes.llm.registry import ModelEntry, Registry, load_registry
from minutes.llm.resilience import Breaking, CircuitBreaker, Clock, Retrying, Sleep
from minutes.llm.router import Router, execute_with_fallback
from minutes.llm.structured import Structured, schema_instruction
from minutes.tokens import count_tokens

T = TypeVar("T", bound=BaseModel)


class Gateway:
    """The single entry point for LLM calls: routing, retries, breaker, fallback, validation.

    ``availability`` may be given (tests, or a caller that probed already); otherwise the
    registry is probed once, on first use. ``sleep`` and ``clock`` are injectable so that
    tests can observe backoff waits and breaker cool-downs without waiting.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        registry: Registry | None = None,
        *,
        availability: Mapping[str, Availability] | None = None,
        recorder: Recorder | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings = settings or load_settings()
        self.registry = registry or load_registry(self.settings.models_file, self.settings.models)
        self.recorder: Recorder = recorder or MemoryRecorder()
        self.breaker = CircuitBreaker.from_settings(self.settings.resilience, clock)
        self._availability = dict(availability) if availability is not None else None
        self._probe_lock = asyncio.Lock()
        res = self.settings.resilience
        provider_call = ProviderCall(timeout=res.timeout_s, recorder=self.recorder, clock=clock)
        self._call = Retrying(Breaking(provider_call, self.breaker), res, sleep)
        self._structured = Structured(self._call)

    # -- availability and routing ----------------------------------------------------------

    async def availability(self) -> dict[str, Availability]:
        if self._availability is None:
            async with self._probe_lock:
                if self._availability is None:
                    self._availability = await check_all(
                        list(self.registry.values()),
                        probe_timeout=self.settings.resilience.availability_probe_timeout_s,
                    )
        return self._availability

    async def router(self) -> Router:
        return Router(self.registry, self.settings.router, await self.availability())

    async def any_chat_model_available(self) -> bool:
        router = await self.router()
        return any(e.auto_route for e in router.available_chat_models())

    async def plan(
        self, request: LLMRequest, *, schema: type[BaseModel] | None = None
    ) -> list[ModelEntry]:
        """The models this request would try, in order (no call is made)."""
        router = await self.router()
        prompt_tokens = sum(count_tokens(m.content) for m in self._messages(request, schema))
        return router.chain(
            request.task,
            model=request.model,
            task_type=request.task_type,
            complexity=request.complexity,
            max_cost=request.max_cost,
            require_provider=request.provider,
            prompt_tokens=prompt_tokens,
            output_tokens=request.max_tokens or 0,
        )

    # -- calls -----------------------------------------------------------------------------

    async def complete(self, request: LLMRequest) -> LLMResult[str]:
        """A free-text completion, through the fallback chain."""
        chain = await self.plan(request)
        attempts: list[AttemptRecord] = []

        async def attempt(entry: ModelEntry) -> ModelReply:
            return await self._call(self._model_call(entry, request, None, attempts))

        entry, reply = await execute_with_fallback(chain, attempt)
        return self._result(entry, reply, None, attempts)

    async def structured(self, request: LLMRequest, schema: type[T]) -> LLMResult[T]:
        """A completion validated against ``schema`` (repaired, re-asked once, else next model)."""
        chain = await self.plan(request, schema=schema)
        attempts: list[AttemptRecord] = []

        async def attempt(entry: ModelEntry) -> tuple[ModelReply, T]:
            call = self._model_call(entry, request, schema, attempts)
            return await self._structured(call, schema)

        entry, (reply, data) = await execute_with_fallback(chain, attempt)
        return self._result(entry, reply, data, attempts)

    async def embed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        """Embeddings from the named model, else the first available embedding model."""
        availability = await self.availability()
        candidates = [self.registry[model]] if model else self.registry.embedding_models()
        for entry in candidates:
            if availability.get(entry.name, Availability(False)).available:
                embedder = build_embeddings(entry, timeout=self.settings.resilience.timeout_s)
                return await embedder.aembed_documents(texts)
        raise NoModelAvailable("no embedding model is available")

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _messages(request: LLMRequest, schema: type[BaseModel] | None) -> list[ChatMessage]:
        if schema is None:
            return list(request.messages)
        return [*request.messages, ChatMessage(role="user", content=schema_instruction(schema))]

    def _model_call(
        self,
        entry: ModelEntry,
        request: LLMRequest,
        schema: type[BaseModel] | None,
        attempts: list[AttemptRecord],
    ) -> ModelCall:
        return ModelCall(
            entry=entry,
            request=request,
            messages=self._messages(request, schema),
            json_schema=schema.model_json_schema() if schema is not None else None,
            attempts=attempts,
        )

    def _result(
        self,
        entry: ModelEntry,
        reply: ModelReply,
        data: T | None,
        attempts: list[AttemptRecord],
    ) -> LLMResult[T]:
        return LLMResult(
            text=reply.text,
            data=data,
            model=entry.name,
            provider=entry.provider,
            input_tokens=reply.usage.input,
            output_tokens=reply.usage.output,
            cached_tokens=reply.usage.cached,
            cost_usd=sum((a.cost_usd for a in attempts), Decimal(0)),
            latency_ms=reply.latency_ms,
            attempts=list(attempts),
        )
