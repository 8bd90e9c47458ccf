"""The response cache as two gateway layers around ``ModelCall -> ModelReply``:

- ``ExactCache``: key = model + prompt name/version + the rendered messages + generation
  parameters (temperature, max tokens, output schema). A hit answers without a provider call.
- ``SemanticCache``: within a scope (model, prompt name/version, parameters, embedder), the
  entry whose *variable input* (``LLMRequest.cache_input``: the transcript text, not the
  shared instructions) is most similar, when the cosine similarity reaches the threshold and
  the entry is younger than the TTL. Embedding only the variable input is what keeps two
  different meetings rendered into one template apart: their shared instructions would
  otherwise dominate both vectors.

A hit costs nothing and leaves an ``AttemptRecord`` with ``cache`` = ``exact``/``semantic``,
cost 0 and outcome ``ok``. Only replies that came back from the model the call was made for,
and (for structured calls) that validated, are stored: the gateway puts the schema check
inside these layers. A cache that fails (database down) is skipped, never fatal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

import numpy as np
from langchain_core.embeddings import Embeddings

from minutes.config import CacheSettings
from minutes.errors import OutputInvalid
from minutes.llm.calls import CacheKind, CallFn, Clock, ModelCall, ModelReply, Usage
from minutes.llm.layers.structured import parse_structured
from minutes.store.cache_store import CachedReply, CacheStore, NewEntry
from minutes.store.models import DEFAULT_TENANT
from minutes.units import utcnow

log = logging.getLogger(__name__)

Now = Callable[[], dt.datetime]


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _params(call: ModelCall) -> dict[str, object]:
    return {
        "model": call.entry.name,
        "model_id": call.entry.model_id,
        "provider": call.entry.provider,
        "prompt": [call.request.prompt_name, call.request.prompt_version],
        "task": call.request.task,
        "temperature": call.request.temperature,
        "max_tokens": call.request.max_tokens,
        "schema": call.json_schema,
    }


def _tenant(tenant: str) -> dict[str, object]:
    # The default tenant's keys stay what they were before tenants existed, so that a
    # single-user cache survives the upgrade; any other tenant's keys can never collide.
    return {} if tenant == DEFAULT_TENANT else {"tenant": tenant}


def exact_key(call: ModelCall, tenant: str = DEFAULT_TENANT) -> str:
    messages = [m.model_dump() for m in call.messages]
    return _digest({**_params(call), **_tenant(tenant), "messages": messages})


def semantic_scope(call: ModelCall, embedder: str, tenant: str = DEFAULT_TENANT) -> str:
    return _digest({**_params(call), **_tenant(tenant), "embedder": embedder})


class SemanticEmbedder:
    """Vectors of a prompt's variable input.

    all-MiniLM-L6-v2 reads only its first 256 word pieces, so a long input is cut into
    windows of ``window_words`` words, embedded in one batch and mean-pooled (weighted by
    length): a change anywhere in a transcript moves the vector. Vectors are memoised per
    process by embedder and text, since several prompts of a run embed the same chunk.
    """

    _memo: ClassVar[OrderedDict[tuple[str, str], np.ndarray]] = OrderedDict()
    _memo_size: ClassVar[int] = 512
    _in_flight: ClassVar[dict[tuple[str, str], asyncio.Future[np.ndarray]]] = {}

    def __init__(self, embeddings: Embeddings, name: str, *, window_words: int = 150) -> None:
        self.embeddings = embeddings
        self.name = name
        self.window_words = window_words
        # An injected embedder has no registry name: key its vectors by the object.
        self._memo_name = f"{name}:{id(embeddings)}" if name == "custom" else name

    def windows(self, text: str) -> list[str]:
        words = text.split()
        if not words:
            return [""]
        n = self.window_words
        return [" ".join(words[i : i + n]) for i in range(0, len(words), n)]

    async def embed(self, text: str) -> np.ndarray:
        key = (self._memo_name, hashlib.sha256(text.encode("utf-8")).hexdigest())
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        # Several stages of a run ask for the same chunk at once: one computes, the others
        # wait for it (three concurrent encodes of one chunk took 3x the CPU on two cores).
        waiting = self._in_flight.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            vector = await self._compute(key, text)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when none waits
            raise
        finally:
            self._in_flight.pop(key, None)
        future.set_result(vector)
        return vector

    async def _compute(self, key: tuple[str, str], text: str) -> np.ndarray:
        windows = self.windows(text)
        vectors = np.asarray(await self.embeddings.aembed_documents(windows), dtype=np.float32)
        weights = np.asarray([max(1, len(w.split())) for w in windows], dtype=np.float32)
        pooled = (vectors * weights[:, None]).sum(axis=0) / weights.sum()
        norm = float(np.linalg.norm(pooled))
        vector = pooled / norm if norm > 0 else pooled
        self._memo[key] = vector
        if len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)
        return vector


class _Writer:
    """Cache writes in a background thread, in order: a reply goes back to its caller without
    waiting for its entry to be written (the write was 1-4 ms of every call's latency, and a
    thread hop on top). ``flush`` waits for what is queued (the gateway's ``close``)."""

    def __init__(
        self, write: Callable[[list[NewEntry]], object], *, linger_s: float = 0.02
    ) -> None:
        self._write = write
        self._linger_s = linger_s
        self._flushing = 0
        self._queue: deque[NewEntry] = deque()
        # Queued but not yet written, by exact key: this process reads its own writes.
        self.pending: dict[str, NewEntry] = {}
        self._cond = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None

    def submit(self, entry: NewEntry) -> None:
        with self._cond:
            self._queue.append(entry)
            self.pending[entry.exact_key] = entry
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="minutes-cache-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._cond.wait_for(lambda: bool(self._queue), 30):
                    self._thread = None  # idle: a later submit starts a new one
                    return
                # What the next few milliseconds bring goes into the same transaction.
                self._cond.wait_for(lambda: self._flushing > 0 or len(self._queue) >= 100,
                                    self._linger_s)  # fmt: skip
                batch = [self._queue.popleft() for _ in range(min(100, len(self._queue)))]
                self._busy = 1
            try:
                self._write(batch)
            except Exception as exc:  # a cache that cannot be written is skipped, never fatal
                log.warning("could not store %d cache entries (%s)", len(batch), exc)
            finally:
                with self._cond:
                    for entry in batch:
                        if self.pending.get(entry.exact_key) is entry:
                            del self.pending[entry.exact_key]
                    self._busy = 0
                    self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)
            finally:
                self._flushing -= 1


class ResponseCache:
    """Cache policy over a ``CacheStore``: keys, scopes, TTLs, thresholds. Lookups on SQLite
    run on the event loop (an indexed read of a local file takes tens of microseconds, less
    than a hop to a thread); on a database server they go to a thread. Writes go to a
    background writer."""

    def __init__(
        self,
        store: CacheStore,
        settings: CacheSettings,
        *,
        embedder: SemanticEmbedder | None = None,
        now: Now = utcnow,
        tenant: str = DEFAULT_TENANT,
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.now = now
        self.tenant = tenant
        self._writer = _Writer(store.put_many)
        self._inline_reads = store.store.dialect == "sqlite"

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the queued entries are written (False: ``timeout`` ran out)."""
        return self._writer.flush(timeout)

    # -- policy ---------------------------------------------------------------------------

    def semantic_policy(self, model: str) -> tuple[bool, float, float]:
        """(enabled, threshold, ttl hours) for ``model``, per-model overrides applied."""
        s = self.settings.semantic
        o = s.per_model.get(model)
        enabled = s.enabled if o is None or o.enabled is None else o.enabled
        threshold = s.threshold if o is None or o.threshold is None else o.threshold
        ttl = s.ttl_hours if o is None or o.ttl_hours is None else o.ttl_hours
        return enabled and self.embedder is not None, threshold, ttl

    def _naive_now(self) -> dt.datetime:
        now = self.now()
        return now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now

    # -- lookups --------------------------------------------------------------------------

    async def get_exact(self, call: ModelCall) -> CachedReply | None:
        ttl = self.settings.exact_ttl_hours
        since = self._naive_now() - dt.timedelta(hours=ttl) if ttl else None
        key = exact_key(call, self.tenant)
        queued = self._writer.pending.get(key)
        if queued is not None and (since is None or (queued.created_at or since) >= since):
            return _queued_reply(queued, self._naive_now())
        try:
            if self._inline_reads:
                return self.store.get_exact(key, min_created=since)
            return await asyncio.to_thread(self.store.get_exact, key, min_created=since)
        except Exception as exc:
            log.warning("exact cache lookup failed (%s); calling the model", exc)
            return None

    async def get_similar(self, call: ModelCall) -> tuple[CachedReply | None, np.ndarray | None]:
        """The semantic hit, if any, and the input's vector (for storing on a miss)."""
        enabled, threshold, ttl = self.semantic_policy(call.entry.name)
        text = call.request.cache_input
        if not enabled or not text or self.embedder is None:
            return None, None
        try:
            vector = await self.embedder.embed(text)
        except Exception as exc:
            log.warning("semantic cache: embedding failed (%s); lookup skipped", exc)
            return None, None
        since = self._naive_now() - dt.timedelta(hours=ttl)
        scope = semantic_scope(call, self.embedder.name, self.tenant)
        # The queue first: an entry leaves it only once written, so checking it before the
        # database cannot miss one that is written in between.
        queued = self._nearest_queued(scope, vector, since)
        try:
            found = await asyncio.to_thread(self.store.nearest, scope, vector, min_created=since)
        except Exception as exc:
            log.warning("semantic cache lookup failed (%s); calling the model", exc)
            found = None
        if queued is not None and (
            found is None or (found.similarity or 0) < (queued.similarity or 0)
        ):
            found = queued
        if found is None or found.similarity is None or found.similarity < threshold:
            return None, vector
        return found, vector

    def _nearest_queued(
        self, scope: str, vector: np.ndarray, since: dt.datetime
    ) -> CachedReply | None:
        """The most similar entry still waiting to be written (vectors are unit length)."""
        best: tuple[float, NewEntry] | None = None
        for entry in list(self._writer.pending.values()):
            if entry.scope != scope or entry.embedding is None:
                continue
            if entry.created_at is not None and entry.created_at < since:
                continue
            similarity = float(np.dot(entry.embedding, vector))
            if best is None or similarity > best[0]:
                best = (similarity, entry)
        if best is None:
            return None
        similarity, entry = best
        return _queued_reply(entry, self._naive_now(), similarity)

    def put(self, call: ModelCall, reply: ModelReply, vector: np.ndarray | None) -> None:
        """Queue the entry of a reply for writing (it is written in the background)."""
        embedder = self.embedder.name if self.embedder is not None else "none"
        text = call.request.cache_input
        entry = NewEntry(
            exact_key=exact_key(call, self.tenant),
            scope=semantic_scope(call, embedder, self.tenant),
            model=call.entry.name,
            response=reply.text,
            prompt_name=call.request.prompt_name,
            prompt_version=call.request.prompt_version,
            meeting_id=call.request.meeting_id,
            input_hash=hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None,
            input_tokens=reply.usage.input,
            output_tokens=reply.usage.output,
            cost_usd=reply.cost_usd,
            embedding=vector,
            created_at=self._naive_now(),
        )
        self._writer.submit(entry)


def _queued_reply(
    entry: NewEntry, now: dt.datetime, similarity: float | None = None
) -> CachedReply:
    return CachedReply(
        id=0,
        text=entry.response,
        model=entry.model,
        input_tokens=entry.input_tokens,
        output_tokens=entry.output_tokens,
        cost_usd=entry.cost_usd,
        created_at=entry.created_at or now,
        similarity=similarity,
    )


def _answered_by_its_model(call: ModelCall, reply: ModelReply) -> bool:
    # A budget downgrade answers with another model: that reply must not be filed under
    # this model's key.
    return reply.cache == "none" and reply.model == call.entry.name


class _CacheLayer:
    kind: CacheKind

    def __init__(self, inner: CallFn, cache: ResponseCache, clock: Clock):
        self._inner = inner
        self._cache = cache
        self._clock = clock

    def _hit(self, call: ModelCall, hit: CachedReply, started: float) -> ModelReply | None:
        """The reply of a hit (its ledger row rides on it), or None when the stored text no
        longer validates against the call's schema (then the hit is a miss)."""
        data = None
        if call.schema is not None:
            try:
                data = parse_structured(hit.text, call.schema)
            except OutputInvalid as exc:
                log.info("%s cache entry no longer valid (%s); calling the model", self.kind, exc)
                return None
        latency = (self._clock() - started) * 1000
        record = call.attempt_record(
            at=utcnow(),
            cost_usd=Decimal(0),
            latency_ms=latency,
            outcome="ok",
            cache=self.kind,
        )
        log.info(
            "%s cache hit for %s/%s%s",
            self.kind,
            call.entry.name,
            call.request.task,
            f" (similarity {hit.similarity:.3f})" if hit.similarity is not None else "",
        )
        return ModelReply(
            hit.text,
            Usage(),
            Decimal(0),
            latency,
            model=call.entry.name,
            provider=call.entry.provider,
            cache=self.kind,
            data=data,
            records=(record,),
        )


class ExactCache(_CacheLayer):
    """Layer: answer from an identical earlier call. ``writes``: store misses here (when no
    semantic layer below does it)."""

    kind: CacheKind = "exact"

    def __init__(
        self,
        inner: CallFn,
        cache: ResponseCache,
        clock: Clock,
        *,
        writes: bool,
    ) -> None:
        super().__init__(inner, cache, clock)
        self._writes = writes

    async def __call__(self, call: ModelCall) -> ModelReply:
        started = self._clock()
        hit = await self._cache.get_exact(call)
        if hit is not None and (reply := self._hit(call, hit, started)) is not None:
            return reply
        reply = await self._inner(call)
        if self._writes and _answered_by_its_model(call, reply):
            self._cache.put(call, reply, None)
        return reply


class SemanticCache(_CacheLayer):
    """Layer: answer from a call whose variable input was nearly the same; stores misses
    (with their vector) for both layers."""

    kind: CacheKind = "semantic"

    async def __call__(self, call: ModelCall) -> ModelReply:
        started = self._clock()
        hit, vector = await self._cache.get_similar(call)
        if hit is not None and (reply := self._hit(call, hit, started)) is not None:
            return reply
        reply = await self._inner(call)
        if _answered_by_its_model(call, reply):
            self._cache.put(call, reply, vector)
        return reply
