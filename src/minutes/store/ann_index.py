"""Approximate nearest-neighbour search for the cache on SQLite: an HNSW graph (usearch) per
scope and dimension, held in memory, persisted beside the database file and kept in step
with ``llm_cache`` by row id.

Why this shape:
- Exact search does not scale: sqlite-vec scans every row in SQL (about 200 ms at 100,000
  entries) and numpy scans the scope's whole matrix (20-40 ms). The graph answers in well
  under a millisecond.
- The database stays the truth. The graph holds row ids only as keys; every lookup takes
  ``CANDIDATES`` neighbours from the graph and reranks them with the exact vectors and the
  rows' ages read from SQLite, so a deleted or expired entry is never answered and the
  similarity reported is the exact one (the graph stores int8 vectors to stay small).
- Keeping in step costs two indexed queries per lookup: SQLite commits writers one at a
  time and gives a new row the highest id plus one, so the rows after the graph's highest key
  are the new ones, unless the newest rows were deleted (their ids are given out again):
  then the scope's highest id is below the graph's and the graph is rebuilt. Other deleted
  rows (``cache clear --older-than``, an entry replaced under its exact key) are found when
  they come up as candidates and removed from the graph then.
- The file is a cache of a cache: missing, unreadable or of another dimension, it is rebuilt
  from the rows. Written atomically (temporary file, then rename), so concurrent processes
  each leave a whole file; whichever lands, the next process catches up from its highest id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, bindparam, text

from minutes.store.vectors import Match, VectorBackend, _naive, from_blob

if TYPE_CHECKING:
    from usearch.index import Index

log = logging.getLogger(__name__)

# Graph parameters, measured on the hardest case (random 384-d vectors, where neighbourhoods
# have no structure) at 100,000 entries: connectivity 16 needed search expansion 256 for a
# recall of 0.99; connectivity 32 (build expansion 64) reached 0.99 at search expansion 128
# (`python bench/semantic_cache.py`).
CONNECTIVITY = 32
EXPANSION_ADD = 64
EXPANSION_SEARCH = 128
CANDIDATES = 16  # reranked exactly; widened once when none of them is live
WIDE_CANDIDATES = 256
SAVE_AFTER = 1_000  # rows added since the file was written


def usearch_available() -> bool:
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class _Graph:
    index: Index
    max_id: int
    unsaved: int = 0


@dataclass
class UsearchSearch:
    """HNSW per (scope, dimension); ``folder`` holds the persisted graphs (None: memory only,
    for an in-memory database)."""

    folder: Path | None
    name: VectorBackend = "usearch"
    _graphs: dict[tuple[str, int], _Graph] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def nearest(
        self, conn: Connection, scope: str, vector: np.ndarray, min_created: dt.datetime
    ) -> Match | None:
        dim = int(vector.shape[0])
        # One lock per process around the graph: usearch's search and add are not meant to
        # race on one index, and a lookup is short.
        with self._lock:
            graph = self._current(conn, scope, dim)
            if graph is None or len(graph.index) == 0:
                return None
            for count in (CANDIDATES, WIDE_CANDIDATES):
                found = graph.index.search(vector, count)
                keys = [int(k) for k in np.asarray(found.keys).reshape(-1)]
                match = self._rerank(conn, graph, keys, vector, min_created)
                if match is not None or len(keys) < count:
                    return match
            return None

    def after_insert(self, conn: Connection, entry_id: int, vector: np.ndarray) -> None:
        # The next lookup catches up from the table: the row is visible only once its
        # transaction commits, and a graph updated here could hold a row that was rolled back.
        return None

    def _rerank(
        self,
        conn: Connection,
        graph: _Graph,
        keys: list[int],
        vector: np.ndarray,
        min_created: dt.datetime,
    ) -> Match | None:
        if not keys:
            return None
        rows = conn.execute(
            text("SELECT id, created_at, embedding FROM llm_cache WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": keys},
        ).all()
        present = {int(r.id) for r in rows}
        gone = [k for k in keys if k not in present]
        if gone:
            graph.index.remove(gone)
            graph.unsaved += len(gone)
        best: Match | None = None
        for row in rows:
            if row.embedding is None or _naive(row.created_at) < min_created:
                continue
            similarity = float(from_blob(row.embedding) @ vector)
            if best is None or similarity > best.similarity:
                best = Match(int(row.id), similarity)
        return best

    def _current(self, conn: Connection, scope: str, dim: int) -> _Graph | None:
        graph = self._graphs.get((scope, dim))
        if graph is None:
            graph = self._open(scope, dim)
            self._graphs[(scope, dim)] = graph
        added = self._catch_up(conn, scope, dim, graph)
        if added:
            graph.unsaved += added
        if graph.unsaved >= SAVE_AFTER:
            self._save(scope, dim, graph)
        return graph

    def _catch_up(self, conn: Connection, scope: str, dim: int, graph: _Graph) -> int:
        top = conn.execute(
            # ORDER BY ... LIMIT 1 walks the (scope, id) index from its end; max(id) with the
            # dimension filter would read every row of the scope
            text(
                "SELECT id FROM llm_cache WHERE scope = :scope AND embedding_dim = :dim "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"scope": scope, "dim": dim},
        ).scalar()
        if int(top or 0) < graph.max_id:
            # The newest rows were deleted: SQLite hands their ids out again, so rows after
            # the graph's highest key are no longer all the new ones. Start over.
            graph.index = _new_index(dim)
            graph.max_id = 0
        added = 0
        while True:
            rows = conn.execute(
                text(
                    "SELECT id, embedding FROM llm_cache WHERE scope = :scope AND id > :after "
                    "AND embedding_dim = :dim ORDER BY id LIMIT 50000"
                ),
                {"scope": scope, "after": graph.max_id, "dim": dim},
            ).all()
            if not rows:
                return added
            ids = np.array([r.id for r in rows], dtype=np.uint64)
            matrix = np.vstack([from_blob(r.embedding) for r in rows])
            graph.index.add(ids, matrix, threads=os.cpu_count() or 1)
            graph.max_id = int(rows[-1].id)
            added += len(rows)

    def _open(self, scope: str, dim: int) -> _Graph:
        path = self._path(scope, dim)
        if path is not None and path.exists():
            try:
                from usearch.index import Index

                index = Index.restore(str(path))
                if index is not None and index.ndim == dim:
                    keys = np.asarray(index.keys)
                    # a setter at run time, typed read-only; the file does not keep it
                    index.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]
                    return _Graph(index, int(keys.max()) if len(keys) else 0)
                log.warning("rebuilding the vector index %s: it does not match", path)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("rebuilding the vector index %s: %s", path, exc)
        return _Graph(_new_index(dim), 0)

    def _save(self, scope: str, dim: int, graph: _Graph) -> None:
        path = self._path(scope, dim)
        graph.unsaved = 0
        if path is None:
            return
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            graph.index.save(str(temporary))
            os.replace(temporary, path)
        except (OSError, RuntimeError) as exc:
            # The graph in memory is whole; the next process rebuilds or catches up.
            log.warning("cannot write the vector index %s: %s", path, exc)
            temporary.unlink(missing_ok=True)

    def _path(self, scope: str, dim: int) -> Path | None:
        if self.folder is None:
            return None
        digest = hashlib.sha256(f"{scope}\0{dim}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}-{dim}.usearch"


def _new_index(dim: int) -> Any:
    from usearch.index import Index

    return Index(
        ndim=dim,
        metric="cos",
        dtype="i8",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def index_folder(database: str) -> Path:
    """Where the graphs of the SQLite file ``database`` live: beside it, named after it."""
    path = Path(database).expanduser()
    return path.with_name(f"{path.name}.vectors")
