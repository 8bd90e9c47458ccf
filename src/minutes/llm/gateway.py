"""The gateway: builds the stack of layers once and offers the public calls.

One call goes down one stack, every concern a layer around the same ``ModelCall ->
ModelReply`` interface (``calls.py``)::

    Fallback                 the call's model, then each fallback, until one answers
     └ RecordedHits          the ledger row of a cache hit
        └ ExactCache         an identical earlier call
           └ SemanticCache   a call whose variable input was nearly the same
              └ Ceilinged    max_tokens from the task's past answers (the ledger)
                 └ Budgeted     refuse, or downgrade, a call that would cross a budget
                    └ Structured   validate against the schema, re-ask once
                       └ Retrying     backoff that honours Retry-After
                          └ Breaking     the provider's circuit breaker
                             └ Batched?     the providers' Batch APIs (``--batch``)
                                └ Recorded     one ledger row per live attempt
                                   └ transport   Scheduled ─▶ ProviderCall
                                                 (or the dry run's estimator)

The caches sit outside the budget check (a hit costs nothing, so it must not be refused) and
outside the schema check (only a reply that validated is stored), and their keys keep the
caller's ``max_tokens`` whatever ceiling history sets under them. Each layer is present only
when configured (no store: no caches; no limits: no budget layer). The reply says which model,
provider and cache answered and carries the ledger rows of every attempt behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from minutes.config import Settings, load_settings
from minutes.errors import MinutesError, NoModelAvailable
from minutes.llm.calls import (
    CallFn,
    ChatMessage,
    Clock,
    LLMRequest,
    LLMResult,
    MemoryRecorder,
    ModelCall,
    ModelReply,
    Recorder,
    Sleep,
)
from minutes.llm.layers.breaker import Breaking, CircuitBreaker
from minutes.llm.layers.budget import Budgeted, BudgetGuard, estimate_tokens
from minutes.llm.layers.cache import ExactCache, ResponseCache, SemanticCache, SemanticEmbedder
from minutes.llm.layers.ceilings import Ceilinged, ceilings_from
from minutes.llm.layers.fallback import Fallback
from minutes.llm.layers.ledger import Recorded, RecordedHits
from minutes.llm.layers.retry import Retrying
from minutes.llm.layers.scheduler import Scheduled, Scheduler, shared_scheduler
from minutes.llm.layers.structured import Structured, json_schema_of, schema_instruction
from minutes.llm.providers.availability import Availability, check_all
from minutes.llm.providers.chat import ProviderCall
from minutes.llm.providers.embeddings import build_embeddings
from minutes.llm.registry import TIER_RANK, ModelEntry, Registry, load_registry
from minutes.llm.router import Router
from minutes.store.ledger import spend_between
from minutes.tokens import count_tokens
from minutes.units import utcnow

if TYPE_CHECKING:
    from minutes.llm.batch.queue import BatchQueue
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
    ``minutes.llm.batch.queue``); other models run live. ``transport``: what answers an
    attempt instead of the scheduled provider call (the dry run's estimator, a test double).
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
        transport: CallFn | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.registry = registry or load_registry(self.settings.models_file, self.settings.models)
        self.store = store
        if recorder is None and store is not None:
            from minutes.store.ledger import LedgerRecorder

            recorder = LedgerRecorder(store, tenant=self.settings.tenant)
        self.recorder: Recorder = recorder or MemoryRecorder()
        self._clock = clock
        self.cache = self._build_cache(store, embedder, now)
        self.budget = BudgetGuard(
            self.settings.budget,
            spent=spend_between(store, self.settings.tenant) if store else None,
            now=now,
        )
        self.breaker = CircuitBreaker.from_settings(self.settings.resilience, clock)
        self._availability = dict(availability) if availability is not None else None
        self._probe_lock = asyncio.Lock()
        self.scheduler = scheduler or shared_scheduler()
        self.batch = batch
        if transport is None:
            res = self.settings.resilience
            provider_call = ProviderCall(timeout=res.timeout_s, clock=clock)
            transport = Scheduled(provider_call, self.scheduler, self.settings.scheduler, sleep)
        self._stack = self._build_stack(transport, sleep)

    def _build_stack(self, transport: CallFn, sleep: Sleep) -> CallFn:
        """The one place the layers are put together (the order is the module doc's)."""
        layer: CallFn = Recorded(transport, self.recorder, self._clock)
        if self.batch is not None:
            # Above the ledger layer: a batch answer's row is written when it is ingested.
            layer = self.batch.layer(layer)
        layer = Breaking(layer, self.breaker)
        layer = Retrying(layer, self.settings.resilience, sleep)
        layer = Structured(layer)
        # Always in the stack: a request may bring its meeting's limit (it passes straight
        # through when no limit applies).
        layer = Budgeted(layer, self.budget, self._cheaper)
        if self.store is not None and self.settings.budget.ceilings_from_history:
            layer = Ceilinged(layer, self._history_ceilings)
        if self.cache is not None:
            semantic = self.cache.embedder is not None
            if semantic:
                layer = SemanticCache(layer, self.cache, self._clock)
            layer = ExactCache(layer, self.cache, self._clock, writes=not semantic)
            layer = RecordedHits(layer, self.recorder)
        return Fallback(layer)

    @property
    def batched(self) -> bool:
        return self.batch is not None

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
        return ResponseCache(
            CacheStore(store), settings, embedder=vectors, now=now, tenant=self.settings.tenant
        )

    def _cache_embeddings(self, name: str) -> Embeddings:
        entry = self.registry[name]
        if entry.provider == "local":
            from minutes.llm.providers.embeddings import local_embedder_available

            ok, why = local_embedder_available()
            if not ok:
                raise NoModelAvailable(f"{name}: {why}")
        return build_embeddings(entry, timeout=self.settings.resilience.timeout_s)

    def _history_ceilings(self) -> dict[str, int]:
        """Each task's output ceiling from the ledger (read once, on the first call)."""
        from minutes.store.ledger import output_sizes

        assert self.store is not None
        try:
            with self.store.read() as session:
                sizes = output_sizes(session, tenant=self.settings.tenant)
        except MinutesError as exc:  # no history to go by: the stages' own ceilings
            log.warning("output ceilings from history off: %s", exc)
            return {}
        return ceilings_from(sizes)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until the cache entries of finished calls are written."""
        if self.cache is not None:
            self.cache.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (cache entries, then the ledger, when the recorder writes
        one) at the end of a run."""
        self.flush(timeout)
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
                        reuse_s=self.settings.resilience.availability_reuse_s,
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
            reply = await self._stack(await self._first_call(request, None))
            return self._result(reply)

    async def structured(self, request: LLMRequest, schema: type[T]) -> LLMResult[T]:
        """A completion validated against ``schema`` (repaired, re-asked once, else next model)."""
        async with self._tracked():
            reply = await self._stack(await self._first_call(request, schema))
            return self._result(reply)

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

    async def _first_call(self, request: LLMRequest, schema: type[BaseModel] | None) -> ModelCall:
        chain = await self.plan(request, schema=schema)
        if not chain:
            raise NoModelAvailable(f"no model may answer {request.task}")
        return ModelCall(
            entry=chain[0],
            request=request,
            messages=self._messages(request, schema),
            json_schema=json_schema_of(schema) if schema is not None else None,
            schema=schema,
            fallbacks=tuple(chain[1:]),
        )

    @staticmethod
    def _result(reply: ModelReply) -> LLMResult[Any]:
        return LLMResult(
            text=reply.text,
            data=reply.data,
            model=reply.model,
            provider=reply.provider,
            input_tokens=reply.usage.input,
            output_tokens=reply.usage.output,
            cached_tokens=reply.usage.cached,
            cache_write_tokens=reply.usage.cache_write,
            cost_usd=reply.spent_usd,
            latency_ms=reply.latency_ms,
            cache=reply.cache,
            attempts=list(reply.records),
        )
