"""Cache rows and nearest-neighbour search on every backend: hnswlib, sqlite-vec, numpy (SQLite
without an extension-capable driver, and PostgreSQL without pgvector), pgvector HNSW."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from dbfixtures import empty_database
from minutes.store.cache_store import CacheStore, NewEntry
from minutes.store.db import Store, open_store

T0 = dt.datetime(2026, 11, 20, 12, 0)
DIM = 32


@pytest.fixture(params=["hnswlib", "sqlite-vec", "numpy-sqlite", "numpy-postgres", "pgvector"])
def backend_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    kind = request.param
    if kind == "pgvector":
        store: Store = request.getfixturevalue("pgvector_store")
        yield store
        return
    if kind == "numpy-postgres":
        url = request.getfixturevalue("postgres_url")
        empty_database(url)
        opened = open_store(url)
    else:
        if kind != "hnswlib":
            monkeypatch.setattr("minutes.store.db.hnsw_available", lambda: False)
        if kind == "numpy-sqlite":
            monkeypatch.setattr("minutes.store.db._extension_capable_sqlite", lambda: None)
        opened = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        yield opened
    finally:
        opened.close()


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def near(v: np.ndarray, eps: float, seed: int = 99) -> np.ndarray:
    w = v + eps * np.random.default_rng(seed).normal(size=v.shape).astype(np.float32)
    return w / np.linalg.norm(w)


def entry(
    key: str, vector: np.ndarray | None, *, scope: str = "s", at: dt.datetime = T0
) -> NewEntry:
    return NewEntry(
        exact_key=key,
        scope=scope,
        model="gpt-4-turbo",
        response=f"reply {key}",
        embedding=vector,
        created_at=at,
    )


def test_backend_is_the_expected_one(backend_store: Store, request: pytest.FixtureRequest) -> None:
    expected = {"hnswlib": "hnswlib", "sqlite-vec": "sqlite-vec", "pgvector": "pgvector"}.get(
        request.node.callspec.params["backend_store"], "numpy"
    )
    assert CacheStore(backend_store).backend == expected


def test_nearest_finds_the_most_similar_live_entry_of_the_scope(backend_store: Store) -> None:
    cache = CacheStore(backend_store)
    vectors = [unit(i) for i in range(20)]
    for i, v in enumerate(vectors):
        cache.put(entry(f"k{i}", v))
    cache.put(entry("other-scope", vectors[3], scope="elsewhere"))
    cache.put(entry("no-vector", None))

    hit = cache.nearest("s", near(vectors[3], 0.02), min_created=T0)
    assert hit is not None and hit.text == "reply k3"
    assert hit.similarity == pytest.approx(float(near(vectors[3], 0.02) @ vectors[3]), abs=1e-4)
    assert hit.similarity > 0.99

    assert cache.nearest("nobody", vectors[3], min_created=T0) is None
    # entries older than the window are invisible
    assert cache.nearest("s", vectors[3], min_created=T0 + dt.timedelta(seconds=1)) is None


def test_new_and_deleted_rows_are_seen_by_the_next_lookup(backend_store: Store) -> None:
    cache = CacheStore(backend_store)
    a, b = unit(1), unit(2)
    assert cache.nearest("s", a, min_created=T0) is None  # an empty scope first
    cache.put(entry("a", a))
    assert cache.nearest("s", b, min_created=T0).text == "reply a"  # type: ignore[union-attr]
    cache.put(entry("b", b))
    assert cache.nearest("s", b, min_created=T0).text == "reply b"  # type: ignore[union-attr]
    assert cache.clear(model="gpt-4-turbo") == 2
    assert cache.nearest("s", b, min_created=T0) is None


def test_exact_get_put_replaces_and_respects_age(backend_store: Store) -> None:
    cache = CacheStore(backend_store)
    cache.put(entry("k", unit(1), at=T0))
    cache.put(
        NewEntry(exact_key="k", scope="s", model="gpt-4-turbo", response="newer", created_at=T0)
    )
    got = cache.get_exact("k")
    assert got is not None and got.text == "newer"
    assert cache.get_exact("k", min_created=T0 + dt.timedelta(hours=1)) is None
    stats = cache.stats()
    assert (stats.entries, stats.with_embedding, stats.by_model) == (1, 0, {"gpt-4-turbo": 1})


def test_pgvector_uses_an_hnsw_index(pgvector_store: Store) -> None:
    cache = CacheStore(pgvector_store)
    for i in range(5):
        cache.put(entry(f"k{i}", unit(i)))
    with pgvector_store.connect() as conn:
        indexes = (
            conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = 'llm_cache'"))
            .scalars()
            .all()
        )
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        conn.execute(sa.text("SET LOCAL enable_indexscan = on"))
        plan = "\n".join(
            conn.execute(
                sa.text(
                    f"EXPLAIN SELECT id FROM llm_cache WHERE embedding_dim = {DIM} "
                    f"ORDER BY (embedding_vec::vector({DIM})) <=> CAST(:q AS vector({DIM})) LIMIT 1"
                ),
                {"q": "[" + ",".join(["0.1"] * DIM) + "]"},
            ).scalars()
        )
    assert any("USING hnsw" in d and f"vector({DIM})" in d for d in indexes), indexes
    assert f"ix_llm_cache_hnsw_{DIM}" in plan, plan
