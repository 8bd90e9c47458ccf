"""Rows of the LLM response cache (``llm_cache``): put, exact get, nearest by embedding,
stats and clear. The policy (keys, scopes, TTLs, thresholds) lives in ``minutes.llm.layers.cache``;
this module only stores and finds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import Row, delete, func, insert, select

from minutes.store.db import Store
from minutes.store.models import CacheEntry
from minutes.store.vectors import normalise, to_blob
from minutes.units import from_micros, to_micros, utcnow_naive


class CachedReply(BaseModel):
    id: int
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    created_at: dt.datetime
    similarity: float | None = None


@dataclass(frozen=True)
class NewEntry:
    exact_key: str
    scope: str
    model: str
    response: str
    prompt_name: str | None = None
    prompt_version: str | None = None
    meeting_id: str | None = None
    input_hash: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    embedding: np.ndarray | None = None
    created_at: dt.datetime | None = None


class CacheStats(BaseModel):
    backend: str
    entries: int
    with_embedding: int
    by_model: dict[str, int]
    oldest: dt.datetime | None
    newest: dt.datetime | None
    stored_cost_usd: Decimal


class CacheStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def backend(self) -> str:
        return self.store.vectors.name

    def get_exact(self, key: str, *, min_created: dt.datetime | None = None) -> CachedReply | None:
        # Core, not an ORM session: this read is on every LLM call's path.
        query = select(*_REPLY_COLUMNS).where(CacheEntry.exact_key == key)
        if min_created is not None:
            query = query.where(CacheEntry.created_at >= min_created)
        with self.store.connect() as conn:
            entry = conn.execute(query).first()
        return _reply(entry) if entry else None

    def nearest(
        self, scope: str, vector: np.ndarray, *, min_created: dt.datetime
    ) -> CachedReply | None:
        """The most similar live entry of ``scope`` (whatever its similarity)."""
        query_vector = normalise(vector)
        # One read transaction for the search and the entry, in Core: an ORM session around
        # a one-row read cost more than the graph search it follows (profiled at 100k rows).
        with self.store.connect() as conn:
            match = self.store.vectors.nearest(conn, scope, query_vector, min_created)
            if match is None:
                return None
            entry = conn.execute(select(*_REPLY_COLUMNS).where(CacheEntry.id == match.id)).first()
        if entry is None:  # deleted since
            return None
        return _reply(entry).model_copy(update={"similarity": match.similarity})

    def put(self, entry: NewEntry) -> int:
        """Store (or replace) the entry with ``entry.exact_key``; returns its row id."""
        return self.put_many([entry])[0]

    def put_many(self, entries: list[NewEntry]) -> list[int]:
        """``put`` of several entries in one transaction (the background writer's batches)."""
        with self.store.connect(write=True) as conn:
            return [self._put(conn, entry) for entry in entries]

    def _put(self, conn: Any, entry: NewEntry) -> int:
        vector = normalise(entry.embedding) if entry.embedding is not None else None
        conn.execute(delete(CacheEntry).where(CacheEntry.exact_key == entry.exact_key))
        result = conn.execute(
            insert(CacheEntry).values(
                exact_key=entry.exact_key,
                scope=entry.scope,
                input_hash=entry.input_hash,
                model=entry.model,
                prompt_name=entry.prompt_name,
                prompt_version=entry.prompt_version,
                meeting_id=entry.meeting_id,
                response=entry.response,
                input_tokens=entry.input_tokens,
                output_tokens=entry.output_tokens,
                cost_micros=to_micros(entry.cost_usd),
                embedding=to_blob(vector) if vector is not None else None,
                embedding_dim=int(vector.shape[0]) if vector is not None else None,
                created_at=entry.created_at or utcnow_naive(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None  # an INSERT of one row always has it
        entry_id = int(key[0])
        if vector is not None:
            self.store.vectors.after_insert(conn, entry_id, vector)
        return entry_id

    def stats(self) -> CacheStats:
        with self.store.read() as session:
            total, embedded, oldest, newest, cost = session.execute(
                select(
                    func.count(CacheEntry.id),
                    func.count(CacheEntry.embedding_dim),
                    func.min(CacheEntry.created_at),
                    func.max(CacheEntry.created_at),
                    func.sum(CacheEntry.cost_micros),
                )
            ).one()
            by_model = dict(
                session.execute(
                    select(CacheEntry.model, func.count(CacheEntry.id))
                    .group_by(CacheEntry.model)
                    .order_by(CacheEntry.model)
                ).all()
            )
        return CacheStats(
            backend=self.backend,
            entries=int(total),
            with_embedding=int(embedded),
            by_model={str(k): int(v) for k, v in by_model.items()},
            oldest=oldest,
            newest=newest,
            stored_cost_usd=from_micros(cost),
        )

    def clear(self, *, model: str | None = None, older_than: dt.datetime | None = None) -> int:
        query = delete(CacheEntry)
        if model is not None:
            query = query.where(CacheEntry.model == model)
        if older_than is not None:
            query = query.where(CacheEntry.created_at < older_than)
        with self.store.connect(write=True) as conn:
            return int(conn.execute(query).rowcount)


_REPLY_COLUMNS = (
    CacheEntry.id,
    CacheEntry.response,
    CacheEntry.model,
    CacheEntry.input_tokens,
    CacheEntry.output_tokens,
    CacheEntry.cost_micros,
    CacheEntry.created_at,
)


def _reply(entry: Row[int, str, str, int, int, int, dt.datetime]) -> CachedReply:
    """A reply from a row of ``_REPLY_COLUMNS``."""
    return CachedReply(
        id=entry.id,
        text=entry.response,
        model=entry.model,
        input_tokens=entry.input_tokens,
        output_tokens=entry.output_tokens,
        cost_usd=from_micros(entry.cost_micros),
        created_at=entry.created_at,
    )
