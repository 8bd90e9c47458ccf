"""One LLM call end to end, composing the layers:

    router chain ─▶ for each model:
        ExactCache ─▶ SemanticCache ─▶ Budgeted ─▶ Structured? ─▶ Retrying ─▶ Breaking
            ─▶ Batched? (provider Batch APIs, ``--batch``) ─▶ Scheduled ─▶ ProviderCall
    └▶ execute_with_fallback: next model on failure, AllModelsFailed at the end

Each layer is a small callable around the same ``ModelCall -> ModelReply`` interface
(``calls.py``). The caches sit outside the budget check (a hit costs nothing, so it must not
be refused) and outside the schema check (only a reply that validated is stored). Caches and
the ledger need a store (``store=``); the budget works without one, counting this process's
spend only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from minutes.config import Settings, load_settings
from minutes.errors import MinutesError, NoModelAvailable
from minutes.llm.budget import Budgeted, BudgetGuard, estimate_tokens
from minutes.llm.cache import ExactCache, ResponseCache, SemanticCache, SemanticEmbedder, utcnow
from minutes.llm.calls import (
    AttemptRecord,
    CallFn,
    ChatMessage,
    LLMRequest,
    LLMResult,
    MemoryRecorder,
    ModelCall,
    ModelReply,
    Recorder,
)
from minutes.llm.coalesce import MapOutcome, RequestFor, map_items
from minutes.llm.providers import Availability, ProviderCall, build_embeddings, check_all
from minutes.llm.registry import TIER_RANK, ModelEntry, Registry, load_registry
from minutes.llm.resilience import Breaking, CircuitBreaker, Clock, Retrying, Sleep
from minutes.llm.router import Router, execute_with_fallback
from minutes.llm.scheduler import Scheduled, Scheduler, shared_scheduler
from minutes.llm.structured import Structured, parse_structured, schema_instruction
from minutes.tokens import count_tokens

if TYPE_CHECKING:
    from minutes.llm.batch_queue import BatchQueue
    from minutes.store.db import Store

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)


class Gateway:
    """The single entry point for LLM calls: routing, caches, budget, retries, breaker,
    fallback, validation.

    ``availability`` may be given (tests, or a caller that probed already); otherwise the
    registry is probed once, on first use. ``sleep`` and ``clock`` are injectable so that
    tests can observe backoff waits and breaker cool-downs without waiting.

    ``store``: the database for the response cache and the budget's view of past spend; with
    a store and no ``recorder``, attempts go to its ledger (``close()`` drains it).
    ``embedder`` overrides the semantic cache's embeddings (default: the configured model);
    ``now`` is the wall clock of cache TTLs and budget periods.

    ``scheduler``: the rate limiter every attempt waits for (default: the one the whole
    process shares, so that concurrent meetings and gateways respect one set of limits).
    ``batch``: send calls to models whose provider has a Batch API through it (see
    ``minutes.llm.batch_queue``); other models run live.
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
        store: Store | None = None,
        embedder: Embeddings | None = None,
        now: Callable[[], dt.datetime] = utcnow,
        scheduler: Scheduler | None = None,
        batch: BatchQueue | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.registry = registry or load_registry(self.settings.models_file, self.settings.models)
        self.store = store
        if recorder is None and store is not None:
            from minutes.store.ledger import LedgerRecorder

            recorder = LedgerRecorder(store)
        self.recorder: Recorder = recorder or MemoryRecorder()
        self._clock = clock
        self.cache = self._build_cache(store, embedder, now)
        self.budget = BudgetGuard(self.settings.budget, spent=self._ledger_spend(), now=now)
        self.breaker = CircuitBreaker.from_settings(self.settings.resilience, clock)
        self._availability = dict(availability) if availability is not None else None
        self._probe_lock = asyncio.Lock()
        res = self.settings.resilience
        provider_call = ProviderCall(timeout=res.timeout_s, recorder=self.recorder, clock=clock)
        self.scheduler = scheduler or shared_scheduler()
        live: CallFn = Scheduled(provider_call, self.scheduler, self.settings.scheduler, sleep)
        self.batch = batch
        inner = batch.layer(live) if batch is not None else live
        self._call = Retrying(Breaking(inner, self.breaker), res, sleep)
        self._structured = Structured(self._call)

    # -- store-backed parts -----------------------------------------------------------------

    def _build_cache(
        self, store: Store | None, embedder: Embeddings | None, now: Callable[[], dt.datetime]
    ) -> ResponseCache | None:
        settings = self.settings.cache
        if store is None or not settings.enabled:
            return None
        from minutes.store.cache_store import CacheStore

        semantic = settings.semantic
        wanted = semantic.enabled or any(o.enabled for o in semantic.per_model.values())
        vectors: SemanticEmbedder | None = None
        if wanted:
            name = semantic.embedding_model if embedder is None else "custom"
            try:
                if embedder is None:
                    embedder = self._cache_embeddings(semantic.embedding_model)
                vectors = SemanticEmbedder(embedder, name)
            except MinutesError as exc:
                log.warning("semantic cache off: %s", exc)
        return ResponseCache(CacheStore(store), settings, embedder=vectors, now=now)

    def _cache_embeddings(self, name: str) -> Embeddings:
        entry = self.registry[name]
        if entry.provider == "local":
            from minutes.llm.embeddings import local_embedder_available

            ok, why = local_embedder_available()
            if not ok:
                raise NoModelAvailable(f"{name}: {why}")
        return build_embeddings(entry, timeout=self.settings.resilience.timeout_s)

    def _ledger_spend(self) -> Callable[[dt.datetime, dt.datetime], Decimal] | None:
        store = self.store
        if store is None:
            return None

        def spent(start: dt.datetime, end: dt.datetime) -> Decimal:
            from minutes.store.ledger import total_cost

            with store.read() as session:
                return total_cost(session, since=start, until=end)

        return spent

    def close(self, timeout: float = 10.0) -> None:
        """Drain the ledger (when the recorder writes one) at the end of a run."""
        close = getattr(self.recorder, "close", None)
        if callable(close):
            close(timeout)

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
        async with self._tracked():
            chain = await self.plan(request)
            attempts: list[AttemptRecord] = []

            async def attempt(entry: ModelEntry) -> ModelReply:
                call = self._model_call(entry, request, None, attempts)
                return await self._layers(self._call)(call)

            entry, reply = await execute_with_fallback(chain, attempt)
            return self._result(entry, reply, None, attempts)

    async def structured(self, request: LLMRequest, schema: type[T]) -> LLMResult[T]:
        """A completion validated against ``schema`` (repaired, re-asked once, else next model)."""
        async with self._tracked():
            return await self._structured_call(request, schema)

    async def _structured_call(self, request: LLMRequest, schema: type[T]) -> LLMResult[T]:
        chain = await self.plan(request, schema=schema)
        attempts: list[AttemptRecord] = []

        async def attempt(entry: ModelEntry) -> tuple[ModelReply, T]:
            parsed: list[T] = []

            async def validated(call: ModelCall) -> ModelReply:
                # Structured as a plain layer, inside the caches: only valid replies are stored.
                reply, data = await self._structured(call, schema)
                parsed.append(data)
                return reply

            call = self._model_call(entry, request, schema, attempts)
            reply = await self._layers(validated)(call)
            # A cache hit did not pass through ``validated``: parse what was stored.
            return reply, parsed[-1] if parsed else parse_structured(reply.text, schema)

        entry, (reply, data) = await execute_with_fallback(chain, attempt)
        return self._result(entry, reply, data, attempts)

    async def map_items(
        self,
        items: Sequence[str],
        request_for: RequestFor,
        item_schema: type[T],
        *,
        max_items: int | None = None,
    ) -> MapOutcome[T]:
        """Answer many small items of one list-taking prompt with few requests (up to
        ``max_items`` each, default ``scheduler.coalesce_max_items``), each item validated
        against ``item_schema``; in input order, with per-item errors (``llm/coalesce.py``)."""
        return await map_items(self, items, request_for, item_schema, max_items=max_items)

    async def embed(self, texts: list[str], *, model: str | None = None) -> list[list[float]]:
        """Embeddings from the named model, else the first available embedding model."""
        return (await self.embed_with_model(texts, model=model))[1]

    async def embed_with_model(
        self, texts: list[str], *, model: str | None = None
    ) -> tuple[ModelEntry, list[list[float]]]:
        """``embed``, and which model made the vectors."""
        entry = await self._embedding_model(model)
        embedder = build_embeddings(entry, timeout=self.settings.resilience.timeout_s)
        return entry, await embedder.aembed_documents(texts)

    async def embed_text(
        self, text: str, *, model: str | None = None
    ) -> tuple[ModelEntry, list[float]]:
        """One vector for a text of any length: cut into windows the embedder reads whole
        (MiniLM stops at 256 word pieces), embedded and mean-pooled."""
        entry = await self._embedding_model(model)
        embedder = build_embeddings(entry, timeout=self.settings.resilience.timeout_s)
        vector = await SemanticEmbedder(embedder, entry.name).embed(text)
        return entry, [float(x) for x in vector]

    async def _embedding_model(self, model: str | None) -> ModelEntry:
        availability = await self.availability()
        candidates = [self.registry[model]] if model else self.registry.embedding_models()
        for entry in candidates:
            if availability.get(entry.name, Availability(False)).available:
                return entry
        raise NoModelAvailable("no embedding model is available")

    # -- helpers ---------------------------------------------------------------------------

    def _tracked(self) -> contextlib.AbstractAsyncContextManager[None]:
        # In batch mode the queue must know which calls are in progress, to tell when all of
        # them wait on a batch (then the run has settled and the next stage is submitted).
        return self.batch.tracking() if self.batch is not None else contextlib.nullcontext()

    def _layers(self, inner: CallFn) -> CallFn:
        """ExactCache ─▶ SemanticCache ─▶ Budgeted ─▶ ``inner``, each present when configured."""
        layer = inner
        if self.budget.active:
            layer = Budgeted(layer, self.budget, self._cheaper)
        if self.cache is not None:
            semantic = self.cache.embedder is not None
            if semantic:
                layer = SemanticCache(layer, self.cache, self.recorder, self._clock)
            layer = ExactCache(layer, self.cache, self.recorder, self._clock, writes=not semantic)
        return layer

    async def _cheaper(self, call: ModelCall) -> list[ModelEntry]:
        """Downgrade candidates for the budget: available, auto-routable chat models of the
        allowed provider that fit the prompt, most capable first, then cheapest."""
        router = await self.router()
        prompt, output = estimate_tokens(call)
        wanted = call.request.provider
        pool = [
            e
            for e in router.available_chat_models()
            if e.auto_route
            and e.name != call.entry.name
            and (wanted is None or e.provider == wanted)
            and prompt + min(output, e.max_output_tokens) <= e.context_window
        ]
        return sorted(pool, key=lambda e: (-TIER_RANK[e.tier], e.price_per_1k, e.name))

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
        # The attempt that answered: a cache hit, or another model after a budget downgrade.
        last = attempts[-1] if attempts else None
        return LLMResult(
            text=reply.text,
            data=data,
            model=last.model if last else entry.name,
            provider=last.provider if last else entry.provider,
            input_tokens=reply.usage.input,
            output_tokens=reply.usage.output,
            cached_tokens=reply.usage.cached,
            cost_usd=sum((a.cost_usd for a in attempts), Decimal(0)),
            latency_ms=reply.latency_ms,
            cache=last.cache if last else "none",
            attempts=list(attempts),
        )
