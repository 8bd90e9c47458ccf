"""Nearest-neighbour search over the cache's embeddings, one backend per capability:

- ``hnswlib``: SQLite with the ``hnswlib`` package (the ``embeddings`` extra): an HNSW graph
  per scope beside the database file, its candidates checked against the rows
  (``store/ann_index.py``);
- ``sqlite-vec``: SQLite through an extension-capable driver; exact search in SQL
  (``vec_distance_cosine`` over the scope's rows);
- ``pgvector``: PostgreSQL with the extension; an HNSW index per embedding dimension;
- ``numpy``: anywhere else (the stdlib ``sqlite3`` without extension loading, PostgreSQL
  without pgvector); the scope's vectors are kept in memory and refreshed when rows change.

Vectors are stored L2-normalised as float32 blobs in ``llm_cache.embedding`` on every
backend (pgvector also keeps them in ``embedding_vec``), so switching backends loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

VectorBackend = Literal["hnswlib", "sqlite-vec", "pgvector", "numpy"]


def normalise(vector: Sequence[float] | np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


@dataclass(frozen=True)
class Match:
    id: int
    similarity: float


class VectorSearch(Protocol):
    name: VectorBackend

    def nearest(
        self, conn: Connection, scope: str, vector: np.ndarray, min_created: dt.datetime
    ) -> Match | None:
        """The most similar entry of ``scope`` created at or after ``min_created``."""
        ...

    def after_insert(self, conn: Connection, entry_id: int, vector: np.ndarray) -> None:
        """Backend bookkeeping for a new row, in the inserting transaction."""
        ...


class SqliteVecSearch:
    name: VectorBackend = "sqlite-vec"

    def nearest(
        self, conn: Connection, scope: str, vector: np.ndarray, min_created: dt.datetime
    ) -> Match | None:
        row = conn.execute(
            text(
                "SELECT id, vec_distance_cosine(embedding, :q) AS d FROM llm_cache "
                "WHERE scope = :scope AND embedding IS NOT NULL AND created_at >= :t "
                "ORDER BY d LIMIT 1"
            ),
            {"q": to_blob(vector), "scope": scope, "t": min_created},
        ).first()
        return Match(int(row.id), 1.0 - float(row.d)) if row else None

    def after_insert(self, conn: Connection, entry_id: int, vector: np.ndarray) -> None:
        return None


@dataclass
class _ScopeVectors:
    rows: int  # rows of the scope when loaded, with or without a vector: the change stamp
    max_id: int
    ids: np.ndarray
    created: np.ndarray  # datetime64[us]
    matrix: np.ndarray  # (n, dim) float32, rows L2-normalised


@dataclass
class NumpySearch:
    """Brute force in memory. Each lookup first asks, from the ``(scope, created_at)`` index
    alone, how many rows the scope has and its highest id: unchanged, the vectors in memory
    are current; only new rows, they are appended; anything else reloads the scope."""

    name: VectorBackend = "numpy"
    _scopes: dict[str, _ScopeVectors] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def nearest(
        self, conn: Connection, scope: str, vector: np.ndarray, min_created: dt.datetime
    ) -> Match | None:
        vectors = self._refresh(conn, scope)
        if not len(vectors.ids):
            return None
        live = vectors.created >= np.datetime64(min_created, "us")
        if not live.any():
            return None
        # Score every row and mask the expired ones: indexing the matrix by the mask would
        # copy it (150 MB at 100k x 384) on every lookup.
        sims = vectors.matrix @ np.asarray(vector, dtype=np.float32)
        sims[~live] = -np.inf
        best = int(np.argmax(sims))
        return Match(int(vectors.ids[best]), float(sims[best]))

    def after_insert(self, conn: Connection, entry_id: int, vector: np.ndarray) -> None:
        return None

    def _refresh(self, conn: Connection, scope: str) -> _ScopeVectors:
        rows, max_id = _stamp(conn, scope)
        with self._lock:
            cached = self._scopes.get(scope)
            if cached and (cached.rows, cached.max_id) == (rows, max_id):
                return cached
            fresh: _ScopeVectors | None = None
            if cached and len(cached.ids) and max_id > cached.max_id:
                newer, _ = _stamp(conn, scope, after=cached.max_id)
                if cached.rows + newer == rows:  # nothing deleted: append the new rows
                    added = _load(conn, scope, after=cached.max_id)
                    fresh = _ScopeVectors(
                        rows=rows,
                        max_id=max_id,
                        ids=np.concatenate([cached.ids, added.ids]),
                        created=np.concatenate([cached.created, added.created]),
                        matrix=np.vstack([cached.matrix, added.matrix]),
                    )
            if fresh is None:
                fresh = _load(conn, scope, after=0)
                fresh.rows, fresh.max_id = rows, max_id
            self._scopes[scope] = fresh
            return fresh


def _stamp(conn: Connection, scope: str, *, after: int = 0) -> tuple[int, int]:
    row = conn.execute(
        text(
            "SELECT count(*) AS n, max(id) AS m FROM llm_cache WHERE scope = :scope AND id > :after"
        ),
        {"scope": scope, "after": after},
    ).one()
    return int(row.n), int(row.m or 0)


@dataclass
class PgVectorSearch:
    """HNSW (cosine) per dimension: a partial expression index on ``embedding_vec::vector(d)``
    for rows of that dimension, made when the first such row arrives."""

    iterative_scan: bool = True
    ef_search: int = 100
    name: VectorBackend = "pgvector"
    _indexed: set[int] = field(default_factory=set)

    def nearest(
        self, conn: Connection, scope: str, vector: np.ndarray, min_created: dt.datetime
    ) -> Match | None:
        dim = int(vector.shape[0])
        # A wider candidate list than the default 40: a near-duplicate must not be missed for
        # a little speed (the cache answers only above a high similarity anyway).
        conn.execute(text(f"SET LOCAL hnsw.ef_search = {self.ef_search}"))
        if self.iterative_scan:
            # With a filter (scope, age) an HNSW scan may otherwise stop with no row at all.
            conn.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
        expr = f"(embedding_vec::vector({dim})) <=> CAST(:q AS vector({dim}))"
        row = conn.execute(
            text(
                f"SELECT id, {expr} AS d FROM llm_cache "
                "WHERE scope = :scope AND embedding_dim = :dim AND created_at >= :t "
                "AND embedding_vec IS NOT NULL "
                f"ORDER BY {expr} LIMIT 1"
            ),
            {"q": pg_literal(vector), "scope": scope, "dim": dim, "t": min_created},
        ).first()
        return Match(int(row.id), 1.0 - float(row.d)) if row else None

    def after_insert(self, conn: Connection, entry_id: int, vector: np.ndarray) -> None:
        dim = int(vector.shape[0])
        conn.execute(
            text("UPDATE llm_cache SET embedding_vec = CAST(:v AS vector) WHERE id = :id"),
            {"v": pg_literal(vector), "id": entry_id},
        )
        if dim not in self._indexed:
            ensure_hnsw_index(conn, dim)
            self._indexed.add(dim)


def _load(conn: Connection, scope: str, *, after: int) -> _ScopeVectors:
    rows = conn.execute(
        text(
            "SELECT id, created_at, embedding FROM llm_cache WHERE scope = :scope "
            "AND embedding IS NOT NULL AND id > :after ORDER BY id"
        ),
        {"scope": scope, "after": after},
    ).all()
    dim = len(rows[0].embedding) // 4 if rows else 0
    return _ScopeVectors(
        rows=len(rows),
        max_id=int(rows[-1].id) if rows else after,
        ids=np.array([r.id for r in rows], dtype=np.int64),
        created=np.array([row_time(r.created_at) for r in rows], dtype="datetime64[us]"),
        matrix=(
            np.vstack([from_blob(r.embedding) for r in rows])
            if rows
            else np.zeros((0, dim), np.float32)
        ),
    )


def pg_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{float(x):.8g}" for x in vector) + "]"


def ensure_hnsw_index(conn: Connection, dim: int) -> None:
    conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS ix_llm_cache_hnsw_{dim} ON llm_cache "
            f"USING hnsw ((embedding_vec::vector({dim})) vector_cosine_ops) "
            f"WHERE embedding_dim = {dim}"
        )
    )


def pgvector_version(conn: Connection) -> str | None:
    """The installed pgvector version when ``llm_cache.embedding_vec`` is usable, else None."""
    row = conn.execute(
        text(
            "SELECT e.extversion FROM pg_extension e WHERE e.extname = 'vector' AND EXISTS ("
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'llm_cache' AND column_name = 'embedding_vec')"
        )
    ).first()
    return str(row.extversion) if row else None


def ensure_pgvector(conn: Connection) -> bool:
    """Install pgvector and the ``embedding_vec`` column when the server has the extension;
    copy vectors stored before it was there. False when the server lacks it (or we may not
    create it): the cache then searches with numpy."""
    if conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first():
        try:
            with conn.begin_nested():
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        except DBAPIError as exc:
            log.warning("pgvector is available but cannot be installed: %s", exc.orig)
            return False
    else:
        return False
    conn.execute(text("ALTER TABLE llm_cache ADD COLUMN IF NOT EXISTS embedding_vec vector"))
    pending = conn.execute(
        text(
            "SELECT id, embedding FROM llm_cache "
            "WHERE embedding IS NOT NULL AND embedding_vec IS NULL"
        )
    ).all()
    for row in pending:
        conn.execute(
            text("UPDATE llm_cache SET embedding_vec = CAST(:v AS vector) WHERE id = :id"),
            {"v": pg_literal(from_blob(row.embedding)), "id": row.id},
        )
    return True


def drop_pgvector(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE llm_cache DROP COLUMN IF EXISTS embedding_vec"))


def row_time(value: dt.datetime | str) -> dt.datetime:
    """A created_at read by raw SQL as naive UTC (SQLite returns the stored text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if value.tzinfo else value
